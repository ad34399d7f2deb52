/**
 * A client that plays the war game (telnetlib3's `client_wargame`): it
 * prints what the server says and answers every question with `y`.
 *
 *   telnetlib3-client --shell dist/bin/examples/client-wargame.js:shell localhost 6023
 *   node dist/bin/examples/client-wargame.js [host] [port]      # the same, standalone
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { pathToFileURL } from 'node:url';
import { openConnection } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

export async function shell(reader: TelnetReader<string>, writer: TelnetWriter): Promise<void> {
  for (;;) {
    const output = await reader.read(1024);
    if (!output) break; // the server closed the connection
    if (output.includes('?')) writer.write('y\r\n');
    process.stdout.write(output);
  }
  process.stdout.write('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? 'localhost';
  const port = Number(process.argv[3] ?? 6023);
  const { reader, writer } = await openConnection(host, port, { connectMaxwait: 2000 });
  await shell(reader, writer);
  writer.close();
}
