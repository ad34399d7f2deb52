/**
 * A broadcast chat (telnetlib3's `server_broadcast`): what one client types
 * is sent to every other client. Shows `waitForClient()`, `server.clients`
 * and `writer.waitFor()`.
 *
 *   node dist/bin/examples/server-broadcast.js [host] [port]
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { createServer } from '../../src/index.js';
import type { TelnetStreams } from '../../src/index.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 6023);
const server = await createServer({ host, port });
console.log(`listening on ${host}:${server.port}`);
process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });

function others(client: TelnetStreams): TelnetStreams[] {
  return server.clients.filter((c) => c.writer !== client.writer);
}

async function handle(client: TelnetStreams, id: number): Promise<void> {
  const { reader, writer } = client;
  writer.write(`\r\nYou are client #${id}\r\nType messages to broadcast (Ctrl+] to disconnect)\r\n\r\n`);
  // BINARY if the client agrees within 2 s; carry on without it otherwise.
  await Promise.race([writer.waitFor({ remote: { BINARY: true } }).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  for (;;) {
    const data: string = await reader.read(1024);
    if (!data) break;
    for (const other of others(client)) other.writer.write(`[Client #${id}]: ${data}`);
  }
  for (const other of others(client)) other.writer.write(`\r\n[Client #${id} disconnected]\r\n`);
  writer.close();
}

let counter = 0;
while (server.isServing()) {
  const client = await server.waitForClient();
  counter += 1;
  console.log(`Client #${counter} connected (total: ${server.clients.length})`);
  void handle(client, counter);
}
