/**
 * blocked.cpu probe (run as its own process): connect a TelnetConnection to
 * a server that sends one prompt and then nothing, block 10 s in readUntil,
 * and print the CPU milliseconds this process (engine worker included) used
 * while blocked. The silent server runs in a child process so that its own
 * housekeeping is not counted.
 *
 * `node blocked-cpu.js bare` is the baseline: the same process shape with
 * no Telnet at all (one idle worker thread with a one-second timer, the
 * main thread blocked 10 s in Atomics.wait in one-second slices), so the
 * ratio shows what is ours and what any Node process with a worker pays
 * (V8's memory reducer collects each idle isolate about 8 s after start).
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { TelnetConnection } from '../../src/sync/index.js';

if (process.argv[2] === 'bare') {
  const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => w.once('online', resolve));
  const word = new Int32Array(new SharedArrayBuffer(4));
  const before = process.cpuUsage();
  for (let i = 0; i < 10; i++) Atomics.wait(word, 0, 0, 1000);
  const used = process.cpuUsage(before);
  process.stdout.write(`${((used.user + used.system) / 1000).toFixed(1)}\n`);
  process.exit(0);
}

const SILENT = `
  const s = require('node:net').createServer((c) => { c.on('error', () => {}); c.write('> '); });
  s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;
const server = spawn(process.execPath, ['-e', SILENT], { stdio: ['pipe', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve, reject) => {
  server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  server.once('exit', (code) => reject(new Error(`silent server exited with ${code}`)));
});

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
server.stdin.end();
