/**
 * A byte server (telnetlib3's `server_binary`): with `encoding: false` the
 * reader and writer carry Buffers. It answers the first input with its hex.
 *
 *   telnetlib3-server --encoding false --shell dist/bin/examples/server-binary.js:shell
 *   node dist/bin/examples/server-binary.js [host] [port]
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { pathToFileURL } from 'node:url';
import { createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

export async function shell(reader: TelnetReader<Buffer>, writer: TelnetWriter): Promise<void> {
  writer.write(Buffer.from('[binary echo server] type something:\r\n', 'ascii'));
  await writer.drain();
  const data = await reader.read(128);
  if (data.length > 0) {
    const hex = [...data].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    writer.write(Buffer.from(`hex: ${hex}\r\n`, 'ascii'));
    await writer.drain();
  }
  writer.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 6023);
  const server = await createServer({ host, port, shell, encoding: false });
  console.log(`listening on ${host}:${server.port}`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
