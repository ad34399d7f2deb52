/**
 * miniboa.poll: one compat/miniboa poll loop (child process) serving N
 * clients (default 5,000; `BENCH_MINIBOA_CLIENTS`), each sending a line
 * every 2 s from another child process. Each run is one window of
 * `BENCH_MINIBOA_WINDOW` seconds (default 10, so about 25,000 lines at
 * 5,000 clients).
 *
 * value = p99 of the poll loop's line latency in ms: from a client sending
 * a line to `get_command()` returning it after `poll()` (so it includes the
 * kernel, the engine thread, the shared ring, and the wait in `poll()`);
 * the note on stderr gives the p50, the max, the duration of `poll()` calls
 * (p50/p99, including their waits of up to `timeout` = 50 ms) and the
 * server process's RSS. Target: < 50 ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, note } from './harness.js';

const N = Number(process.env.BENCH_MINIBOA_CLIENTS ?? 5000);
const WINDOW = Number(process.env.BENCH_MINIBOA_WINDOW ?? 10);
const SERVER = fileURLToPath(new URL('./miniboa-server-child.js', import.meta.url));
const CLIENTS = fileURLToPath(new URL('./miniboa-clients-child.js', import.meta.url));

interface Window {
  clients: number; lines: number; bad: number; polls: number;
  lat_p50: number; lat_p99: number; lat_max: number;
  poll_p50: number; poll_p99: number; poll_max: number;
  rss: number; since: number;
}

/** JSON lines of a child's stdout, awaited one at a time. */
class Lines {
  private readonly queue: any[] = [];
  private waiter: ((v: any) => void) | null = null;
  private failure: Error | null = null;

  constructor(readonly child: ChildProcess, what: string) {
    let rest = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      rest += s;
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        const v = JSON.parse(rest.slice(0, nl)) as unknown;
        rest = rest.slice(nl + 1);
        if (this.waiter !== null) { const w = this.waiter; this.waiter = null; w(v); } else this.queue.push(v);
      }
    });
    child.once('exit', (code, signal) => {
      this.failure = new Error(`${what} exited (${code ?? signal})`);
      if (this.waiter !== null) { const w = this.waiter; this.waiter = null; w(this.failure); }
    });
  }

  async next(ms: number): Promise<any> {
    if (this.queue.length > 0) return this.queue.shift();
    if (this.failure !== null) throw this.failure;
    let timer: NodeJS.Timeout | undefined;
    const v = await new Promise<any>((resolve, reject) => {
      this.waiter = resolve;
      timer = setTimeout(() => { this.waiter = null; reject(new Error(`no output within ${ms} ms`)); }, ms);
    }).finally(() => clearTimeout(timer));
    if (v instanceof Error) throw v;
    return v;
  }
}

function poll(): Benchmark {
  let server: Lines | null = null;
  let clients: Lines | null = null;
  return {
    name: 'miniboa.poll',
    unit: 'ms',
    async warmup() {
      server = new Lines(spawn(process.execPath, [SERVER, String(N), String(WINDOW)], { stdio: ['ignore', 'pipe', 'inherit'] }), 'miniboa server');
      const { port } = await server.next(15000) as { port: number };
      const t0 = Date.now();
      clients = new Lines(spawn(process.execPath, [CLIENTS, String(port), String(N)], { stdio: ['ignore', 'pipe', 'inherit'] }), 'miniboa clients');
      const c = await clients.next(120000) as { connected: number; failed: number };
      if (c.connected < N) throw new Error(`only ${c.connected} of ${N} clients connected (${c.failed} failed)`);
      await server.next(60000); // {"connected"}
      note(`miniboa.poll: ${N} clients connected in ${((Date.now() - t0) / 1000).toFixed(1)} s; windows of ${WINDOW} s`);
      await server.next(WINDOW * 1000 + 30000); // the first window: the clients' phases settle
    },
    async run() {
      const w = await server!.next(WINDOW * 1000 + 30000) as Window;
      note(`miniboa.poll: ${w.clients} clients, ${w.lines} lines in ${WINDOW} s (${w.bad} bad); line latency p50 ${w.lat_p50.toFixed(2)} ms, ` +
        `p99 ${w.lat_p99.toFixed(2)} ms, max ${w.lat_max.toFixed(1)} ms; poll() p50 ${w.poll_p50.toFixed(2)} ms, p99 ${w.poll_p99.toFixed(2)} ms ` +
        `(${w.polls} polls); server RSS ${(w.rss / 2 ** 20).toFixed(0)} MiB (${(w.rss / 1024 / Math.max(1, w.clients)).toFixed(1)} KiB/client)`);
      if (w.clients < N) throw new Error(`clients dropped: ${w.clients} of ${N}`);
      return { value: w.lat_p99 };
    },
    async teardown() {
      clients?.child.kill('SIGKILL');
      server?.child.kill('SIGKILL');
    },
  };
}

export const benchmarks: Benchmark[] = [poll()];
