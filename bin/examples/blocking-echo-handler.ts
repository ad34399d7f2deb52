/**
 * The handler of blocking-echo-server.ts: it runs in a thread of its own for
 * each connection, so it may block (a handler is a module, because a
 * function cannot cross into a thread).
 *
 * In your own project, import from 'telnetlib3/sync' instead of '../../src/...'.
 */
import type { ServerConnection } from '../../src/sync/index.js';

export default function handleClient(conn: ServerConnection): void {
  conn.write("Welcome! Type messages and I'll echo them back.\r\n");
  conn.write("Type 'quit' to disconnect.\r\n\r\n");
  conn.flush();
  for (;;) {
    let line: string;
    try {
      line = conn.readline(300_000); // 5 minutes
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_TELNET_TIMEOUT') conn.write('\r\nTimeout - disconnecting.\r\n');
      break; // ERR_TELNET_CLOSED: the client went away
    }
    const text = line.trim();
    if (text.toLowerCase() === 'quit') {
      conn.write('Goodbye!\r\n');
      break;
    }
    conn.write(`Echo: ${text}\r\n`);
    conn.flush();
  }
  conn.flush(2000);
  conn.close();
}
