/**
 * Child process of the server.blocking benchmarks:
 *   node blocking-server-child.js WARM
 * serves the echo handler with BlockingTelnetServer.serveForever() and
 * prints its port. It blocks for good; the parent reads its RSS from /proc
 * and kills it.
 */
import { fileURLToPath } from 'node:url';
import { BlockingTelnetServer } from '../../src/sync/index.js';

const handler = fileURLToPath(new URL('./echo-handler.js', import.meta.url));
const server = new BlockingTelnetServer('127.0.0.1', 0, {
  handler, encoding: false, connectMaxwait: 1000, warmHandlers: Number(process.argv[2] ?? 8), maxConnections: 5000, backlog: 2048,
});
server.start();
process.stdout.write(`${server.port}\n`);
server.serveForever();
