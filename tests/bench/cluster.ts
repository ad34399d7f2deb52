/**
 * server.async.cluster.*: the async server on node:cluster with 2 workers
 * against the same server with 1 worker, in the same run (value = 2
 * workers, baseline = 1 worker, ratio = the multi-core gain).
 *
 * - `.connect`: connections/s. 16 loops of connect, wait for the server's
 *   first bytes (its negotiation requests), close.
 * - `.rr`: round trips/s over 32 connections, each writing "ping\r\n" and
 *   waiting for "> ".
 * - `.work`: the same round trips against a server that spends a fixed
 *   CPU-bound loop (WORK_ITERATIONS, about 170 us here) on each command:
 *   the case clustering is for, a server whose own work outgrows a core.
 *   `.rr` spends about as much CPU in these clients as in the server per
 *   round trip, so on a 2-core box one worker and the clients already fill
 *   both cores and a second worker can only compete with the clients.
 *
 * Clients are raw sockets in this process (cheap next to a Telnet
 * engine), so most of the CPU goes to the server processes; on a 2-core
 * box the clients still take part of a core, which caps the ratio. Each
 * measurement also notes the server side's CPU per unit of work (primary
 * and workers, from /proc), which stays comparable on a loaded box.
 */
import { readFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Benchmark, note } from './harness.js';

const SERVER = fileURLToPath(new URL('./cluster-server.js', import.meta.url));
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 3);
const CONNECT_LOOPS = 16;
const RR_CONNECTIONS = 32;
/** Iterations of the server's per-command loop in `.work`. */
const WORK_ITERATIONS = Number(process.env.BENCH_CLUSTER_WORK ?? 100_000);

async function startCluster(workers: number, work = 0): Promise<{ proc: ChildProcess; port: number; pids: number[] }> {
  const proc = spawn(process.execPath, [SERVER, String(workers), String(work)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port, pids] = await new Promise<[number, number[]]>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^(\d+) ([\d,]+)\n/.exec(buf);
      if (m !== null) resolve([Number(m[1]), m[2]!.split(',').map(Number)]);
    });
    proc.once('exit', (code) => reject(new Error(`cluster server exited (${code}) before listening`)));
  });
  return { proc, port, pids };
}

/** CPU ms (user + system) of these processes so far, from /proc (null where there is none). */
function procCpuMs(pids: number[]): number | null {
  let ticks = 0;
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    }
  } catch {
    return null;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function stopCluster(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** CPU ms of the server processes is not visible here; this process's own CPU is reported instead. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function connectLoop(port: number, until: number): Promise<number> {
  let n = 0;
  while (Date.now() < until) {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
      s.once('data', () => { s.destroy(); resolve(); });
      s.once('error', reject);
    });
    n++;
  }
  return n;
}

async function rrConnection(port: number, until: number): Promise<number> {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
  s.on('error', () => {});
  let waiting: (() => void) | null = null;
  let tail = '';
  s.on('data', (d: Buffer) => {
    tail = (tail + d.toString('latin1')).slice(-2);
    if (tail === '> ' && waiting !== null) { const w = waiting; waiting = null; tail = ''; w(); }
  });
  const prompt = (): Promise<void> => new Promise((r) => { waiting = r; });
  await prompt();
  let n = 0;
  while (Date.now() < until) {
    const p = prompt();
    s.write('ping\r\n');
    await p;
    n++;
  }
  s.destroy();
  return n;
}

type Kind = 'connect' | 'rr' | 'work';

async function measure(kind: Kind, workers: number): Promise<number> {
  const { proc, port, pids } = await startCluster(workers, kind === 'work' ? WORK_ITERATIONS : 0);
  try {
    // Warm every worker's JIT a little before the timed part.
    await Promise.all(Array.from({ length: 8 }, () => connectLoop(port, Date.now() + 300)));
    const c0 = cpuMs();
    const s0 = procCpuMs(pids);
    const t0 = Date.now();
    const until = t0 + SECONDS * 1000;
    const counts = kind === 'connect'
      ? await Promise.all(Array.from({ length: CONNECT_LOOPS }, () => connectLoop(port, until)))
      : await Promise.all(Array.from({ length: RR_CONNECTIONS }, () => rrConnection(port, until)));
    const secs = (Date.now() - t0) / 1000;
    const total = counts.reduce((a, b) => a + b, 0);
    const rate = total / secs;
    const s1 = procCpuMs(pids);
    const server = s0 === null || s1 === null ? '?' : ((s1 - s0) / total * 1000).toFixed(1);
    note(`server.async.cluster.${kind} ${workers} worker(s): ${Math.round(rate)}/s; CPU us per ${kind === 'connect' ? 'connection' : 'round trip'}: ` +
      `server ${server}, client ${((cpuMs() - c0) / total * 1000).toFixed(1)}`);
    return rate;
  } finally {
    await stopCluster(proc);
  }
}

function bench(kind: Kind, unit: string): Benchmark {
  return {
    name: `server.async.cluster.${kind}`,
    unit,
    async run() {
      const baseline = await measure(kind, 1);
      const value = await measure(kind, 2);
      return { value, baseline };
    },
  };
}

export const benchmarks: Benchmark[] = [bench('connect', 'connections/s'), bench('rr', 'roundtrips/s'), bench('work', 'roundtrips/s')];
