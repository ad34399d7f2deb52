/** Handler module for the server.blocking benchmarks: prompt, then echo each line. */
import type { ServerConnection } from '../../src/sync/index.js';

export default function handler(conn: ServerConnection<Buffer>): void {
  conn.write(Buffer.from('> '));
  for (;;) {
    let line: Buffer;
    try {
      line = conn.readline();
    } catch {
      return;
    }
    conn.write(Buffer.concat([line, Buffer.from('> ')]));
  }
}
