/**
 * A shell that waits for negotiation states (telnetlib3's
 * `server_wait_for_negotiation`): NAWS and TTYPE answered, BINARY both ways.
 *
 *   telnetlib3-server --shell dist/bin/examples/server-wait-for-negotiation.js:shell
 *   node dist/bin/examples/server-wait-for-negotiation.js [host] [port]
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { pathToFileURL } from 'node:url';
import { createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

export async function shell(_reader: TelnetReader<string>, writer: TelnetWriter): Promise<void> {
  writer.write('\r\nWaiting for terminal negotiation...\r\n');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), 1500); });
  const agreed = writer.waitFor({
    remote: { NAWS: true, BINARY: true },
    local: { BINARY: true },
    pending: { TTYPE: false },
  });
  const ok = await Promise.race([agreed, timedOut]).catch(() => false);
  clearTimeout(timer);
  if (ok) {
    writer.write(`Window size: ${writer.getExtraInfo('cols')}x${writer.getExtraInfo('rows')}\r\n`);
    writer.write(`Terminal type: ${writer.getExtraInfo('TERM')}\r\n`);
    writer.write('Binary mode enabled (bidirectional)\r\n');
  } else {
    writer.write('Negotiation timed out\r\n');
  }
  writer.write('\r\nNegotiation complete. Goodbye!\r\n');
  await writer.drain();
  writer.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 6023);
  const server = await createServer({ host, port, shell });
  console.log(`listening on ${host}:${server.port}`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
