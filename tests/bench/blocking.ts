/**
 * The blocking API's benchmarks, each against a plain net.Socket client
 * doing the same work in the same run (servers run in child processes):
 *
 * - rr.blocking: write "ping\r\n" + readUntil "> ", 5,000 round trips; the
 *   plain client talks to the same Telnet server, so the ratio is the client's.
 * - bulk.blocking.ascii / .binary: 64 MiB server → TelnetConnection.read loop.
 * - setup.blocking: sequential connect + full negotiation + close.
 * - blocked.cpu: CPU time of a process blocked 10 s in readUntil.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { TelnetConnection } from '../../src/sync/index.js';
import { type Received, bulkBenchmark, cpuSince } from './bulk-async.js';
import { type Benchmark, note } from './harness.js';

const RR_SERVER = fileURLToPath(new URL('./rr-server.js', import.meta.url));
const BLOCKED = fileURLToPath(new URL('./blocked-cpu.js', import.meta.url));
const ROUND_TRIPS = Number(process.env.BENCH_RR_COUNT ?? 5000);
const SETUPS = Number(process.env.BENCH_SETUP_COUNT ?? 500);
/**
 * Connections made before the measured runs. Connection setup runs each
 * function once per connection, so V8 needs thousands of connections to
 * optimise it, on both sides (the server child starts cold too):
 * 500-connection batches go from ~500 to ~2,000/s over the first 4,000, and
 * `--trace-opt` still shows the client's connectEngine and the server's
 * socket code being optimised at 3,500 (docs/design.md, "Connection setup").
 */
const SETUP_WARMUP = Number(process.env.BENCH_SETUP_WARMUP ?? 6000);

/** Start a prompt server child; resolves with its port and a stop function. */
export async function startPromptServer(mode: 'raw' | 'telnet'): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn(process.execPath, [RR_SERVER, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`prompt server exited with ${code}`)));
  });
  return { port, stop: () => child.kill() };
}

/** Round trips per second with a plain socket. */
export function rawRoundTrips(port: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let pending = '';
    let done = -1;
    let t0 = 0;
    s.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      if (!pending.endsWith('> ')) return;
      pending = '';
      done++;
      if (done === 0) t0 = performance.now();
      if (done === count) {
        const rate = count / ((performance.now() - t0) / 1000);
        s.destroy();
        resolve(rate);
        return;
      }
      s.write('ping\r\n');
    });
    s.on('error', reject);
  });
}

/** Round trips per second with TelnetConnection (blocks this thread while it runs). */
export function blockingRoundTrips(port: number, count: number): number {
  const c = new TelnetConnection<Buffer>('127.0.0.1', port, { encoding: false, timeout: 10000 });
  c.connect();
  c.readUntil('> ');
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    c.write(Buffer.from('ping\r\n'));
    c.readUntil('> ');
  }
  const rate = count / ((performance.now() - t0) / 1000);
  c.close();
  return rate;
}

/** Read one transfer to EOF with TelnetConnection.read (CPU: every thread of this process, the engine's too). */
function blockingReceive(port: number, text: boolean): Received {
  const c = new TelnetConnection<string | Buffer>('127.0.0.1', port, { encoding: text ? 'utf8' : false, timeout: 30000, connectMaxwait: 1000 });
  c.connect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    let chunk: string | Buffer;
    try {
      chunk = c.read(1 << 20);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_TELNET_CLOSED') break;
      throw err;
    }
    n += chunk.length;
  }
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  c.close();
  return [n, ms, cpuMs];
}

function rr(): Benchmark {
  let raw: { port: number; stop: () => void } | null = null;
  let tel: { port: number; stop: () => void } | null = null;
  return {
    name: 'rr.blocking',
    unit: 'roundtrips/s',
    async warmup() {
      raw = await startPromptServer('raw');
      tel = await startPromptServer('telnet');
      await rawRoundTrips(raw.port, 500);
      blockingRoundTrips(tel.port, 500);
    },
    async run() {
      // The baseline talks to the same Telnet server (it ignores the
      // negotiation and waits for the prompt), so the ratio measures the
      // client side alone; BENCH_RR_RAW_SERVER=1 uses a plain server instead.
      const basePort = process.env.BENCH_RR_RAW_SERVER === '1' ? raw!.port : tel!.port;
      const baseline = await rawRoundTrips(basePort, ROUND_TRIPS);
      const value = blockingRoundTrips(tel!.port, ROUND_TRIPS);
      return { value, baseline };
    },
    async teardown() { raw?.stop(); tel?.stop(); },
  };
}

function setup(): Benchmark {
  let tel: { port: number; stop: () => void } | null = null;
  // The baseline connects to a raw server of its own: raw sockets that
  // close at once left the Telnet server cleaning up hundreds of
  // half-negotiated connections while the measured connections ran.
  let raw: { port: number; stop: () => void } | null = null;
  // CPU ms per connection of this process (caller and engine threads), the
  // last measured ones: steadier than the rate on a noisy box.
  let cpu = 0;
  let rawCpu = 0;
  const once = (port: number, count: number): number => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const c = new TelnetConnection<Buffer>('127.0.0.1', port, { encoding: false, timeout: 5000 });
      c.connect();
      c.close();
    }
    cpu = cpuSince(c0) / count;
    return count / ((performance.now() - t0) / 1000);
  };
  const rawOnce = async (port: number, count: number): Promise<number> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(); });
        s.on('error', reject);
      });
    }
    rawCpu = cpuSince(c0) / count;
    return count / ((performance.now() - t0) / 1000);
  };
  return {
    name: 'setup.blocking',
    unit: 'connections/s',
    async warmup() {
      tel = await startPromptServer('telnet');
      raw = await startPromptServer('raw');
      once(tel.port, SETUP_WARMUP);
      await rawOnce(raw.port, SETUP_WARMUP);
    },
    async run() {
      const baseline = await rawOnce(raw!.port, SETUPS);
      const value = once(tel!.port, SETUPS);
      note(`setup.blocking: client CPU ms/connection ${cpu.toFixed(3)} (raw ${rawCpu.toFixed(3)})`);
      return { value, baseline };
    },
    async teardown() { tel?.stop(); raw?.stop(); },
  };
}

function blockedCpu(): Benchmark {
  return {
    name: 'blocked.cpu',
    unit: 'ms',
    async run() {
      const probe = (args: string[]): number => {
        const r = spawnSync(process.execPath, [BLOCKED, ...args], { encoding: 'utf8', timeout: 60000 });
        if (r.status !== 0) throw new Error(`blocked-cpu failed: ${r.stderr}`);
        return Number(r.stdout.trim());
      };
      // Baseline: a Node process of the same shape without Telnet (see blocked-cpu.ts).
      return { value: probe([]), baseline: probe(['bare']) };
    },
  };
}

export const benchmarks: Benchmark[] = [
  rr(),
  bulkBenchmark('bulk.blocking.ascii', 'ascii', blockingReceive),
  bulkBenchmark('bulk.blocking.binary', 'binary', blockingReceive),
  setup(),
  blockedCpu(),
];
