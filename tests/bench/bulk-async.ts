/**
 * bulk.async.*: 64 MiB server → client, the async client reading to EOF,
 * against a plain net.Socket client reading the same amount from a plain
 * net server in the same run. Senders run in a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/client.js';
import type { Benchmark } from './harness.js';

const SIZE = 64 * 1024 * 1024;
/** Untimed transfers each side makes before the measured runs. */
const WARMUP_TRANSFERS = 3;
const SENDER = fileURLToPath(new URL('./bulk-server.js', import.meta.url));

/** Start a sender; resolves with its port and a stop function. */
export async function startSender(mode: 'raw' | 'telnet', kind: 'ascii' | 'binary', size = SIZE): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn(process.execPath, [SENDER, mode, kind, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(Number(out.slice(0, nl)));
    });
    child.once('exit', (code) => reject(new Error(`sender exited with ${code}`)));
  });
  return { port, stop: () => child.kill() };
}

/** Read to EOF with a plain socket; returns [bytes, ms]. */
export function rawReceive(port: number): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let n = 0;
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.on('data', (d: Buffer) => { n += d.length; });
    s.on('end', () => resolve([n, performance.now() - t0]));
    s.on('error', reject);
  });
}

/** Read to EOF with the async Telnet client; returns [units, ms] for the transfer after negotiation. */
export async function telnetReceive(port: number, text: boolean): Promise<[number, number]> {
  const { reader } = await openConnection('127.0.0.1', port, { encoding: text ? 'utf8' : false, connectMaxwait: 1000 });
  const t0 = performance.now();
  let n = 0;
  for (;;) {
    const chunk = await reader.read(1 << 20);
    if (chunk.length === 0) break;
    n += chunk.length;
  }
  return [n, performance.now() - t0];
}

/**
 * A bulk benchmark: the raw client and `receive` (one transfer from the
 * Telnet sender, returning [units, ms]) take turns, after the same untimed
 * transfers each.
 */
export function bulkBenchmark(
  name: string, kind: 'ascii' | 'binary', receive: (port: number, text: boolean) => Promise<[number, number]> | [number, number], runs?: number,
): Benchmark {
  let raw: Awaited<ReturnType<typeof startSender>> | null = null;
  let tel: Awaited<ReturnType<typeof startSender>> | null = null;
  const text = kind === 'ascii';
  const bench: Benchmark = {
    name,
    unit: 'MB/s',
    async warmup() {
      raw = await startSender('raw', kind);
      tel = await startSender('telnet', kind);
      // Both sides speed up over their first transfers (JIT, TCP buffer
      // autotuning), so each gets the same three untimed transfers.
      for (let i = 0; i < WARMUP_TRANSFERS; i++) {
        await rawReceive(raw.port);
        await receive(tel.port, text);
      }
    },
    async run() {
      const [rb, rms] = await rawReceive(raw!.port);
      const [tb, tms] = await receive(tel!.port, text);
      if (rb !== SIZE || tb !== SIZE) throw new Error(`short transfer: raw ${rb}, telnet ${tb} of ${SIZE}`);
      return { value: SIZE / 1e6 / (tms / 1000), baseline: SIZE / 1e6 / (rms / 1000) };
    },
    async teardown() {
      raw?.stop();
      tel?.stop();
    },
  };
  if (runs !== undefined) bench.runs = runs;
  return bench;
}

export const benchmarks: Benchmark[] = [
  bulkBenchmark('bulk.async.ascii', 'ascii', telnetReceive, 5),
  bulkBenchmark('bulk.async.binary', 'binary', telnetReceive, 5),
];
