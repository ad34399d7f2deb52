/**
 * The relays of the web.bulk benchmark, run as a child process so that the
 * measured WebSocket client does not share their event loop:
 *
 *   node web-relay.js TELNET_PORT RAW_PORT
 *
 * starts createWebGateway() in front of the Telnet sender on TELNET_PORT,
 * and a bare `ws` relay in front of the raw sender on RAW_PORT (each
 * WebSocket opens a TCP connection, relays its data as binary frames with
 * the same high-water backpressure, closes at EOF). Prints
 * `GATEWAY_PORT BARE_PORT`; then answers every line on stdin with this
 * process's CPU time so far (user + system, µs).
 */
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { createWebGateway } from '../../src/web/gateway.js';

const [telnetPort, rawPort] = process.argv.slice(2).map(Number) as [number, number];
const HIGH_WATER = 1024 * 1024;

const gw = await createWebGateway({ telnetHost: '127.0.0.1', telnetPort, host: '127.0.0.1', port: 0, connectMaxwait: 1000, highWaterMark: HIGH_WATER });

const bare = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
bare.on('connection', (ws) => {
  const tcp = net.connect({ host: '127.0.0.1', port: rawPort, noDelay: true });
  tcp.on('data', (d: Buffer) => {
    if (ws.bufferedAmount + d.length <= HIGH_WATER) { ws.send(d, { binary: true }); return; }
    tcp.pause();
    ws.send(d, { binary: true }, () => tcp.resume());
  });
  tcp.on('end', () => ws.close(1000));
  tcp.on('error', () => ws.terminate());
  ws.on('close', () => tcp.destroy());
});
await new Promise<void>((r) => bare.once('listening', () => r()));

process.stdout.write(`${gw.address().port} ${(bare.address() as net.AddressInfo).port}\n`);
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const u = process.cpuUsage();
  process.stdout.write(`${u.user + u.system}\n`);
});
process.stdin.on('end', () => process.exit(0));
