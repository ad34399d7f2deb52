/**
 * bulk.async.*: 64 MiB server → client, the async client reading to EOF,
 * against a plain net.Socket client reading the same amount from a plain
 * net server in the same run. Senders run in a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/client.js';
import { type Benchmark, median, note } from './harness.js';

const SIZE = 64 * 1024 * 1024;
/** Untimed transfers each side makes before the measured runs. */
const WARMUP_TRANSFERS = 3;
const SENDER = fileURLToPath(new URL('./bulk-server.js', import.meta.url));

/** A running sender: its port, the CPU ms of its next finished transfer, and stop. */
export interface Sender {
  port: number;
  /** Resolves with the sender's CPU ms for the oldest transfer not yet asked about. */
  nextCpu(): Promise<number>;
  stop(): void;
}

/** Start a sender; resolves once it listens. */
export function startSender(mode: 'raw' | 'telnet', kind: 'ascii' | 'binary', size = SIZE): Promise<Sender> {
  const child: ChildProcess = spawn(process.execPath, [SENDER, mode, kind, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return watchSender(child, 'sender');
}

/**
 * A sender child's protocol on stdout: its port on the first line, then
 * `cpu MS` after each transfer (bulk-server.ts, tls-server.ts).
 */
export async function watchSender(child: ChildProcess, what: string): Promise<Sender> {
  const cpus: number[] = [];
  let cpuWaiter: ((ms: number) => void) | null = null;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (!line.startsWith('cpu ')) { resolve(Number(line)); continue; }
        const ms = Number(line.slice(4));
        if (cpuWaiter !== null) { const w = cpuWaiter; cpuWaiter = null; w(ms); } else cpus.push(ms);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
  return {
    port,
    nextCpu: () => (cpus.length > 0 ? Promise.resolve(cpus.shift()!) : new Promise((r) => { cpuWaiter = r; })),
    stop: () => child.kill(),
  };
}

/** This process's CPU ms (every thread) since `from` (a process.cpuUsage() value). */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
}

/** One transfer: units received, wall ms, and this process's CPU ms for it. */
export type Received = [units: number, ms: number, cpuMs: number];

/** Read to EOF with a plain socket. */
export function rawReceive(port: number): Promise<Received> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let n = 0;
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.on('data', (d: Buffer) => { n += d.length; });
    s.on('end', () => resolve([n, performance.now() - t0, cpuSince(c0)]));
    s.on('error', reject);
  });
}

/** Read to EOF with the async Telnet client: the transfer after negotiation. */
export async function telnetReceive(port: number, text: boolean): Promise<Received> {
  const { reader } = await openConnection('127.0.0.1', port, { encoding: text ? 'utf8' : false, connectMaxwait: 1000 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    const chunk = await reader.read(1 << 20);
    if (chunk.length === 0) break;
    n += chunk.length;
  }
  return [n, performance.now() - t0, cpuSince(c0)];
}

/** How a bulk benchmark's senders are started and its raw baseline receives (plain TCP, or TLS in tls.ts). */
export interface BulkTransport {
  startSender(mode: 'raw' | 'telnet', kind: 'ascii' | 'binary'): Promise<Sender>;
  rawReceive(port: number): Promise<Received>;
}

const plainTransport: BulkTransport = { startSender, rawReceive };

/**
 * A bulk benchmark: the raw client and `receive` (one transfer from the
 * Telnet sender) take turns, after the same untimed transfers each. Each
 * run also notes CPU ms per MiB of the receiver and the sender, ours and
 * raw (CPU per byte is steady on a loaded box where MB/s is not); the
 * medians are noted at the end.
 */
export function bulkBenchmark(
  name: string, kind: 'ascii' | 'binary', receive: (port: number, text: boolean) => Promise<Received> | Received, runs?: number,
  transport: BulkTransport = plainTransport,
): Benchmark {
  const { startSender, rawReceive } = transport;
  let raw: Sender | null = null;
  let tel: Sender | null = null;
  const text = kind === 'ascii';
  const MiB = SIZE / 2 ** 20;
  const cpu = { recvTel: [] as number[], recvRaw: [] as number[], sendTel: [] as number[], sendRaw: [] as number[] };
  const fmt = (xs: number[]): string => (xs.length === 0 ? '?' : median(xs).toFixed(3));
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
        await raw.nextCpu();
        await receive(tel.port, text);
        await tel.nextCpu();
      }
    },
    async run() {
      const [rb, rms, rcpu] = await rawReceive(raw!.port);
      const rsend = await raw!.nextCpu();
      const [tb, tms, tcpu] = await receive(tel!.port, text);
      const tsend = await tel!.nextCpu();
      if (rb !== SIZE || tb !== SIZE) throw new Error(`short transfer: raw ${rb}, telnet ${tb} of ${SIZE}`);
      cpu.recvTel.push(tcpu / MiB); cpu.recvRaw.push(rcpu / MiB); cpu.sendTel.push(tsend / MiB); cpu.sendRaw.push(rsend / MiB);
      note(`${name}: CPU ms/MiB: receiver ${(tcpu / MiB).toFixed(3)} (raw ${(rcpu / MiB).toFixed(3)}), ` +
        `sender ${(tsend / MiB).toFixed(3)} (raw ${(rsend / MiB).toFixed(3)})`);
      return { value: SIZE / 1e6 / (tms / 1000), baseline: SIZE / 1e6 / (rms / 1000) };
    },
    async teardown() {
      raw?.stop();
      tel?.stop();
      if (cpu.recvTel.length > 0) {
        note(`${name}: median CPU ms/MiB: receiver ${fmt(cpu.recvTel)} (raw ${fmt(cpu.recvRaw)}), sender ${fmt(cpu.sendTel)} (raw ${fmt(cpu.sendRaw)})`);
      }
    },
  };
  if (runs !== undefined) bench.runs = runs;
  return bench;
}

export const benchmarks: Benchmark[] = [
  bulkBenchmark('bulk.async.ascii', 'ascii', telnetReceive, 5),
  bulkBenchmark('bulk.async.binary', 'binary', telnetReceive, 5),
];
