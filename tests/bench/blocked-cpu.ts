/**
 * blocked.cpu probe (run as its own process): connect a TelnetConnection to
 * a server that never sends anything more, block 10 s in readUntil, and
 * print the CPU milliseconds the whole process (engine worker included)
 * used while blocked.
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { TelnetConnection } from '../../src/sync/index.js';

// A silent server in a worker thread of its own (this thread will block).
const portBuf = new Int32Array(new SharedArrayBuffer(4));
const silent = new Worker(`
  const net = require('node:net'); const { workerData } = require('node:worker_threads');
  const s = net.createServer((c) => { c.on('error', () => {}); c.write('> '); });
  s.listen(0, '127.0.0.1', () => { Atomics.store(workerData, 0, s.address().port); Atomics.notify(workerData, 0); });
`, { eval: true, workerData: portBuf });
Atomics.wait(portBuf, 0, 0, 5000);
const port = Atomics.load(portBuf, 0);
void net;

const c = new TelnetConnection('127.0.0.1', port, { timeout: 5000, connectMaxwait: 200 });
c.connect();
c.readUntil('> ');
const before = process.cpuUsage();
try {
  c.readUntil('never', 10000);
} catch {
  // the timeout is the point
}
const used = process.cpuUsage(before);
process.stdout.write(`${((used.user + used.system) / 1000).toFixed(1)}\n`);
c.close();
void silent.terminate();
