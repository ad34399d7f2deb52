/**
 * hop.atomics: what one cross-thread wake-up costs on this machine, the
 * unit every blocking call pays (docs/design.md, "Where the time goes").
 * `value` is the round trip of a ping-pong between this thread in
 * Atomics.wait and a worker in Atomics.wait (µs); `baseline` is a TCP
 * round trip over loopback between this process and a child echo server
 * (µs), measured in the same run. A ratio well above 1 means waking a
 * sleeping thread costs more here than a loopback packet (on some VMs by
 * tens of times, while pinned to one CPU it is a few µs).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Benchmark } from './harness.js';

const COUNT = 5000;

const PONG = `
  const { workerData } = require('node:worker_threads');
  const a = new Int32Array(workerData);
  let v = 0;
  for (;;) {
    Atomics.wait(a, 0, v);
    v = Atomics.load(a, 0);
    if (v < 0) break;
    Atomics.add(a, 1, 1);
    Atomics.notify(a, 1);
  }
`;

const ECHO = `
  const s = require('node:net').createServer({ noDelay: true }, (c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });
  s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

function atomicsRoundTrip(a: Int32Array): number {
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const seen = Atomics.load(a, 1);
    Atomics.add(a, 0, 1);
    Atomics.notify(a, 0);
    while (Atomics.load(a, 1) === seen) Atomics.wait(a, 1, seen);
  }
  return ((performance.now() - t0) * 1000) / COUNT;
}

function tcpRoundTrip(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let n = 0;
    let t0 = 0;
    s.on('connect', () => { t0 = performance.now(); s.write('x'); });
    s.on('data', () => {
      if (++n === COUNT) { s.destroy(); resolve(((performance.now() - t0) * 1000) / COUNT); return; }
      s.write('x');
    });
    s.on('error', reject);
  });
}

function hop(): Benchmark {
  let worker: Worker | null = null;
  let words: Int32Array | null = null;
  let echo: ReturnType<typeof spawn> | null = null;
  let port = 0;
  return {
    name: 'hop.atomics',
    unit: 'us/roundtrip',
    async warmup() {
      words = new Int32Array(new SharedArrayBuffer(8));
      worker = new Worker(PONG, { eval: true, workerData: words.buffer });
      // The worker must be running before this thread blocks in Atomics.wait.
      await new Promise((resolve) => worker!.once('online', resolve));
      echo = spawn(process.execPath, ['-e', ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
      port = await new Promise<number>((resolve) => echo!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      atomicsRoundTrip(words);
      await tcpRoundTrip(port);
    },
    async run() {
      const baseline = await tcpRoundTrip(port);
      return { value: atomicsRoundTrip(words!), baseline };
    },
    async teardown() {
      if (words !== null) { Atomics.store(words, 0, -1); Atomics.notify(words, 0); }
      await worker?.terminate();
      echo?.stdin?.end();
    },
  };
}

export const benchmarks: Benchmark[] = [hop()];
