/**
 * Multi-core serving on `node:cluster`: `createServer({ cluster: N, ... })`
 * run as the primary forks N worker processes of the same script; each
 * worker runs the same `createServer` call, which there listens as usual
 * (the port is shared by the cluster module: the primary accepts and
 * hands connections round-robin to the workers, each with its own engine
 * and event loop).
 *
 * The primary gets a {@link ClusterPrimary}: the address, clients per
 * worker (each worker reports its count when it changes), `close()` which
 * asks every worker to drain (close gracefully, then by force after the
 * grace period) and `waitClosed()`. A worker that dies while the cluster
 * serves is replaced; the others keep serving meanwhile. A worker that
 * keeps dying soon after it started is replaced after a growing delay
 * (100 ms doubling to 5 s), so a crash loop does not spin the CPU.
 *
 * Messages between primary and workers are plain objects tagged
 * `telnetlib3` so an application's own cluster messages pass untouched.
 */
import cluster, { type Worker } from 'node:cluster';
import { TelnetError, TelnetUsageError } from './protocol/errors.js';
import { type Logger, silentLogger } from './engine/logger.js';
import type { TelnetServer } from './server.js';

/** The `cluster` option of createServer: a worker count, or these. */
export interface ClusterOptions {
  /** Worker processes (>= 1). */
  workers: number;
  /** How long a worker waits for its clients to close on `close()` before forcing them (default 1,000 ms). */
  graceMs?: number;
  /** How often a worker checks its client count to report a change (default 500 ms). */
  reportIntervalMs?: number;
}

/** One worker as the primary sees it. */
export interface WorkerStatus {
  /** node:cluster's worker id (a replacement gets a new one). */
  id: number;
  pid: number;
  /** Live connections in that worker (as it last reported). */
  clients: number;
  /** True once it listens. */
  listening: boolean;
}

/** Set in forked workers' environment, so only workers we forked act as our workers. */
const WORKER_ENV = 'TELNETLIB3_CLUSTER_WORKER';
const TAG = 'telnetlib3';

type Msg =
  | { [TAG]: 'listening'; address: { address: string; port: number; family: string } }
  | { [TAG]: 'clients'; n: number }
  | { [TAG]: 'close'; graceMs: number };

function isMsg(m: unknown): m is Msg {
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)[TAG] === 'string';
}

/** Normalise the option (a count or the object); throws a usage error on a bad count. */
export function clusterOptions(c: number | ClusterOptions): Required<ClusterOptions> {
  const o = typeof c === 'number' ? { workers: c } : c;
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 1024) {
    throw new TelnetUsageError(`cluster: workers must be an integer from 1 to 1024, not ${String(o.workers)}`, 'ERR_TELNET_BAD_OPTION');
  }
  return { graceMs: 1000, reportIntervalMs: 500, ...o };
}

/** Which part this process plays for a `cluster` server. */
export function clusterRole(): 'primary' | 'worker' | 'plain' {
  if (cluster.isPrimary) return 'primary';
  return process.env[WORKER_ENV] === '1' ? 'worker' : 'plain';
}

/** The primary of a clustered server: forks, replaces and drains the workers. */
export class ClusterPrimary {
  private readonly opts: Required<ClusterOptions>;
  private readonly logger: Logger;
  private readonly status = new Map<number, WorkerStatus>();
  private readonly workers = new Map<number, Worker>();
  private addr: { address: string; port: number; family: string } | null = null;
  private closing = false;
  private closedResolve!: () => void;
  private readonly closedP = new Promise<void>((r) => { this.closedResolve = r; });
  private failures = 0;
  private readonly onExit = (w: Worker, code: number | null, signal: string | null): void => this.exited(w, code, signal);
  private readonly onMessage = (w: Worker, m: unknown): void => this.message(w, m);
  private startWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readonly startedAt = new Map<number, number>();

  /** @internal use createServer({ cluster }). */
  constructor(c: number | ClusterOptions, logger: Logger | undefined) {
    this.opts = clusterOptions(c);
    this.logger = logger ?? silentLogger;
  }

  /** @internal Fork the workers; resolves once every one listens (rejects if one exits first). */
  async start(): Promise<this> {
    cluster.on('exit', this.onExit);
    cluster.on('message', this.onMessage);
    const all = new Promise<void>((resolve, reject) => { this.startWaiter = { resolve, reject }; });
    for (let i = 0; i < this.opts.workers; i++) this.fork();
    try {
      await all;
    } catch (err) {
      this.close(0);
      await this.waitClosed();
      throw err;
    }
    return this;
  }

  /** The shared listening address (as the first worker reported it). */
  get address(): { address: string; port: number; family: string } {
    if (this.addr === null) throw new TelnetError('cluster is not listening', 'ERR_TELNET_NOT_LISTENING');
    return this.addr;
  }

  get port(): number {
    return this.address.port;
  }

  /** Every current worker with its client count, by id. */
  get workerStatus(): WorkerStatus[] {
    return [...this.status.values()].sort((a, b) => a.id - b.id).map((s) => ({ ...s }));
  }

  /** Clients over all workers. */
  get clientCount(): number {
    let n = 0;
    for (const s of this.status.values()) n += s.clients;
    return n;
  }

  /** True until close(). */
  isServing(): boolean {
    return !this.closing;
  }

  /**
   * Drain: every worker stops listening, closes its clients gracefully and
   * by force after `graceMs`, then exits; a worker still there 5 s after that is killed.
   */
  close(graceMs = this.opts.graceMs): void {
    if (this.closing) return;
    this.closing = true;
    this.startWaiter?.reject(new TelnetError('cluster closed while starting', 'ERR_TELNET_CLOSED'));
    this.startWaiter = null;
    for (const w of this.workers.values()) {
      // One still starting has no server to drain yet.
      if (this.status.get(w.id)?.listening !== true) w.process.kill('SIGTERM');
      else if (w.isConnected()) w.send({ [TAG]: 'close', graceMs } satisfies Msg, () => {});
      const kill = setTimeout(() => { if (!w.isDead()) w.process.kill('SIGKILL'); }, graceMs + 5000);
      kill.unref();
      w.once('exit', () => clearTimeout(kill));
    }
    this.checkClosed();
  }

  /** Resolves when every worker has exited after close(). */
  waitClosed(): Promise<void> {
    return this.closedP;
  }

  private fork(): void {
    const w = cluster.fork({ [WORKER_ENV]: '1' });
    this.workers.set(w.id, w);
    this.startedAt.set(w.id, Date.now());
    this.status.set(w.id, { id: w.id, pid: w.process.pid ?? 0, clients: 0, listening: false });
  }

  private message(w: Worker, m: unknown): void {
    if (!isMsg(m)) return;
    const s = this.status.get(w.id);
    if (s === undefined) return;
    if (m[TAG] === 'listening') {
      s.listening = true;
      this.addr ??= m.address;
      this.logger.info(`worker ${w.id} (pid ${s.pid}) listening`);
      if (this.startWaiter !== null && [...this.status.values()].every((x) => x.listening)) {
        this.startWaiter.resolve();
        this.startWaiter = null;
      }
    } else if (m[TAG] === 'clients') {
      s.clients = m.n;
    }
  }

  private exited(w: Worker, code: number | null, signal: string | null): void {
    if (!this.workers.has(w.id)) return;
    this.workers.delete(w.id);
    const s = this.status.get(w.id);
    this.status.delete(w.id);
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (this.closing) {
      this.logger.debug(`worker ${w.id} exited (${how})`);
      this.checkClosed();
      return;
    }
    if (this.startWaiter !== null && s?.listening !== true) {
      this.startWaiter.reject(new TelnetError(`cluster worker ${w.id} exited (${how}) before it listened`, 'ERR_TELNET_LISTEN'));
      this.startWaiter = null;
      return;
    }
    const lived = Date.now() - (this.startedAt.get(w.id) ?? 0);
    this.startedAt.delete(w.id);
    this.failures = lived < 2000 ? this.failures + 1 : 0;
    const delay = this.failures === 0 ? 0 : Math.min(5000, 100 * 2 ** (this.failures - 1));
    this.logger.warn(`worker ${w.id} (pid ${s?.pid ?? '?'}) died (${how}) with ${s?.clients ?? 0} client(s); starting a new one${delay > 0 ? ` in ${delay} ms` : ''}`);
    const t = setTimeout(() => { if (!this.closing) this.fork(); }, delay);
    t.unref();
  }

  private checkClosed(): void {
    if (this.closing && this.workers.size === 0) {
      cluster.off('exit', this.onExit);
      cluster.off('message', this.onMessage);
      this.closedResolve();
    }
  }
}

/**
 * @internal A worker's side: tell the primary where we listen, report the
 * client count when it changes, and drain when the primary says so.
 */
export function joinCluster(server: TelnetServer, c: number | ClusterOptions): void {
  const opts = clusterOptions(c);
  const send = (m: Msg): void => { if (process.connected) process.send?.(m, undefined, {}, () => {}); };
  send({ [TAG]: 'listening', address: server.address });
  let last = 0;
  const report = setInterval(() => {
    const n = server.clients.length;
    if (n !== last) { last = n; send({ [TAG]: 'clients', n }); }
  }, opts.reportIntervalMs);
  report.unref();
  const drain = (graceMs: number): void => {
    clearInterval(report);
    process.off('message', onMessage);
    process.off('disconnect', orphaned);
    server.close(graceMs);
    // Once every connection is gone, leave the cluster: the worker exits when nothing else keeps it.
    void server.waitClosed().then(() => { if (process.connected) process.disconnect(); });
  };
  const onMessage = (m: unknown): void => { if (isMsg(m) && m[TAG] === 'close') drain(m.graceMs); };
  // The primary is gone (killed): nobody hands us connections any more.
  const orphaned = (): void => drain(opts.graceMs);
  process.on('message', onMessage);
  process.on('disconnect', orphaned);
}
