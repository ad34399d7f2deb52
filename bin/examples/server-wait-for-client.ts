/**
 * A server without a shell callback (telnetlib3's `server_wait_for_client`):
 * `server.waitForClient()` hands over each connection once negotiation
 * settled, with the terminal type and window size already known.
 *
 *   node dist/bin/examples/server-wait-for-client.js [host] [port]
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { createServer } from '../../src/index.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 6023);
const server = await createServer({ host, port });
console.log(`listening on ${host}:${server.port}`);
process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });

while (server.isServing()) {
  console.log('Waiting for client...');
  const { writer } = await server.waitForClient();
  const term = writer.getExtraInfo<string>('TERM') ?? 'unknown';
  const cols = writer.getExtraInfo<number>('cols') ?? 80;
  const rows = writer.getExtraInfo<number>('rows') ?? 24;
  console.log(`Client connected! Terminal: ${term}, window size: ${cols}x${rows}`);
  writer.write(`\r\nWelcome! Your terminal is ${term} (${cols}x${rows})\r\nGoodbye!\r\n`);
  await writer.drain();
  writer.close();
}
