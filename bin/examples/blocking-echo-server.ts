/**
 * A blocking echo server (telnetlib3's `blocking_echo_server`):
 * `BlockingTelnetServer` runs blocking-echo-handler.js in a thread per
 * connection; no async code anywhere.
 *
 *   node dist/bin/examples/blocking-echo-server.js [host] [port]
 *
 * In your own project, import from 'telnetlib3/sync' instead of '../../src/...'.
 */
import { BlockingTelnetServer } from '../../src/sync/index.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 6023);
const handler = new URL('./blocking-echo-handler.js', import.meta.url);
const server = new BlockingTelnetServer(host, port, { handler });
server.start();
console.log(`listening on ${host}:${server.port}`);
console.log('Blocking echo server running; press Ctrl+C to stop');
server.serveForever();
