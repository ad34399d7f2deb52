/**
 * A war game server (telnetlib3's `server_wargame`): asks one question,
 * reads one character, and hangs up.
 *
 *   telnetlib3-server --shell dist/bin/examples/server-wargame.js:shell
 *   node dist/bin/examples/server-wargame.js [host] [port]      # the same, standalone
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { pathToFileURL } from 'node:url';
import { createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

export async function shell(reader: TelnetReader<string>, writer: TelnetWriter): Promise<void> {
  writer.write('\r\nWould you like to play a game? ');
  const answer = await reader.read(1);
  if (answer) {
    writer.echo(answer);
    writer.write('\r\nThey say the only way to win is to not play at all.\r\n');
    await writer.drain();
  }
  writer.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 6023);
  const server = await createServer({ host, port, shell });
  console.log(`listening on ${host}:${server.port}`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
