/**
 * `BlockingTelnetServer`: a thread-per-connection Telnet server. Sockets
 * and negotiation live in the engine worker; `accept()` hands a negotiated
 * connection to the calling thread, and `serveForever()` runs the handler
 * module for each connection in a worker thread of its own.
 *
 * Handlers are modules (a path or URL, default export or `#name`), because
 * a closure cannot cross a thread. Handler threads are kept warm (the module
 * already imported) so a new connection starts its handler at once.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TelnetTimeoutError, TelnetUsageError } from '../protocol/errors.js';
import type { ServerOptions } from '../server.js';
import { assertPlainOptions, channelCall, engineCall, engineStatus, sleepUntil } from '../bridge/engine-client.js';
import { openChannel, wake } from '../bridge/channel.js';
import { ACTIVITY_WORD } from '../bridge/ring-sink.js';
import { checkLogLevel } from '../bridge/engine-log.js';
import type { LogLevel } from '../engine/logger.js';
import { type AcceptedConnection, SERVER_SHUTDOWN, ServerConnection } from './server-connection.js';

/** A handler module reference: path, file URL, or either with `#exportName`. */
export type HandlerSpec = string | URL;

/** Options for {@link BlockingTelnetServer}. */
export interface BlockingServerOptions extends Omit<ServerOptions, 'host' | 'port' | 'shell' | 'logger' | 'sinkFactory' | 'onNegotiated' | 'onProtocolError' | 'onError'> {
  /** The handler module for `serveForever()`: it exports `(conn: ServerConnection) => void`. */
  handler?: HandlerSpec;
  /** Handler threads kept idle and ready (default 4). */
  warmHandlers?: number;
  /** Most handler threads at once (default 2000); more connections wait for one. */
  maxHandlers?: number;
  /** Resource limits of each handler thread (default: small heaps, 1 MiB stack). */
  handlerResourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  /** Receive and send ring size of each connection in bytes (default 64 KiB). */
  ringSize?: number;
  /** How long `shutdown()` lets connections close gracefully (default 1000 ms). */
  graceMs?: number;
  /**
   * What the engine thread logs to standard error (`LEVEL message` lines):
   * `warn` by default (a refused PROXY header, a failed TLS handshake, a
   * peer's protocol error), `info` adds connections, `debug` negotiation,
   * `silent` turns it off. A logger object cannot cross into that thread.
   */
  logLevel?: LogLevel;
}

/** Control block words: [wake, engine gone, shutdown requested, connections ready]. */
const W_WAKE = 0;
const W_READY = 3;

/** The handler thread: the bundle `npm run build` makes (workers/bundle.ts), or its unbundled entry where none was made. */
const HANDLER_BUNDLE = new URL('../../workers/handler.bundle.js', import.meta.url);
const HANDLER_PATH = existsSync(HANDLER_BUNDLE) ? HANDLER_BUNDLE : new URL('../../workers/handler.js', import.meta.url);

/** Resolve a handler reference to `{ url, name }` in the calling thread. */
export function resolveHandler(spec: unknown): { url: string; name: string } {
  if (typeof spec === 'function') {
    throw new TelnetUsageError(
      'handler must be a module path or URL (with an optional #export), not a function: a function cannot cross into a handler thread',
      'ERR_TELNET_HANDLER_NOT_MODULE');
  }
  if (spec instanceof URL) spec = spec.href;
  if (typeof spec !== 'string' || spec === '') throw new TelnetUsageError('handler must be a module path or URL', 'ERR_TELNET_HANDLER_NOT_MODULE');
  const hash = spec.lastIndexOf('#');
  const ref = hash > 0 ? spec.slice(0, hash) : spec;
  const name = hash > 0 ? spec.slice(hash + 1) : 'default';
  const url = /^[a-z]+:/i.test(ref) && !/^[a-z]:[\\/]/i.test(ref) ? ref : pathToFileURL(path.resolve(ref)).href;
  return { url, name };
}

interface Slot {
  worker: Worker;
  /** 0 idle, 1 busy, 2 gone (shared with the handler thread). */
  state: Int32Array;
  sab: SharedArrayBuffer | null;
}

/** A thread-per-connection blocking Telnet server. */
export class BlockingTelnetServer {
  readonly host: string;
  readonly requestedPort: number;
  private readonly options: BlockingServerOptions;
  /** [wake, engine gone, shutdown requested, connections ready, any-connection activity]. */
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(32));
  private serverId: number | null = null;
  private bound: { address: string; port: number; family: string } | null = null;
  private taken = 0;
  private slots: Slot[] = [];
  private stopped = false;

  constructor(host = 'localhost', port = 6023, options: BlockingServerOptions = {}) {
    this.host = host;
    this.requestedPort = port;
    if (options.handler !== undefined) resolveHandler(options.handler);
    this.options = { ...options };
  }

  /** Bind and listen (returns once listening; a bind error is thrown here). */
  start(): void {
    if (this.serverId !== null) throw new TelnetUsageError('Server already started', 'ERR_TELNET_ALREADY_STARTED');
    const { handler: _h, warmHandlers: _w, maxHandlers: _m, handlerResourceLimits: _r, ringSize, graceMs: _g, ...rest } = this.options;
    assertPlainOptions(rest, 'BlockingTelnetServer');
    checkLogLevel(rest.logLevel);
    const ring = ringSize ?? 64 * 1024;
    const r = engineCall<{ id: number; address: { address: string; port: number; family: string } }>(
      'serverStart', this.ctrl.buffer, { ...rest, host: this.host, port: this.requestedPort }, { recv: ring, send: ring });
    this.serverId = r.id;
    this.bound = r.address;
  }

  /** The bound address (the real port when 0 was asked). */
  get address(): { address: string; port: number; family: string } {
    if (this.bound === null) throw new TelnetUsageError('Server not started', 'ERR_TELNET_NOT_STARTED');
    return this.bound;
  }

  /** The bound port. */
  get port(): number {
    return this.address.port;
  }

  /** The next negotiated connection, in this thread. */
  accept(timeout?: number): ServerConnection<any> {
    const raw = this.next(timeout === undefined ? null : Date.now() + timeout);
    if (raw === null) throw new TelnetTimeoutError('Accept timed out');
    return new ServerConnection(raw);
  }

  /** The next negotiated connection if one is waiting, else null (never blocks). */
  acceptNow(): ServerConnection<any> | null {
    const raw = this.next(Date.now());
    return raw === null ? null : new ServerConnection(raw);
  }

  /**
   * Sleep until any connection of this server has news (data, EOF), a new
   * connection is ready, or `timeout` ms pass. Returns false on timeout.
   * One thread can watch thousands of connections this way (a poll loop).
   */
  waitForActivity(timeout: number, since?: number): boolean {
    if (this.serverId === null) throw new TelnetUsageError('Server not started', 'ERR_TELNET_NOT_STARTED');
    const start = since ?? Atomics.load(this.ctrl, ACTIVITY_WORD);
    return sleepUntil(this.ctrl, ACTIVITY_WORD,
      () => Atomics.load(this.ctrl, ACTIVITY_WORD) !== start || Atomics.load(this.ctrl, W_READY) > this.taken || this.shutdownRequested(),
      Date.now() + Math.max(0, timeout));
  }

  /**
   * The activity count now: pass it to {@link waitForActivity} as `since`
   * after looking at the connections, so that news arriving while you looked
   * is not missed.
   */
  activityMark(): number {
    return Atomics.load(this.ctrl, ACTIVITY_WORD);
  }

  /**
   * Serve until `shutdown()` (from a handler: `conn.shutdownServer()`): each
   * connection's handler runs in a worker thread; when it returns or throws,
   * its connection is closed. Returns after shutting down.
   */
  serveForever(): void {
    if (this.options.handler === undefined) throw new TelnetUsageError('No handler provided', 'ERR_TELNET_NO_HANDLER');
    const handler = resolveHandler(this.options.handler);
    if (this.serverId === null) this.start();
    const warm = this.options.warmHandlers ?? 4;
    for (let i = 0; i < warm; i++) this.spawn(handler);
    const waiting: AcceptedConnection[] = [];
    while (!this.shutdownRequested()) {
      this.reap(warm);
      const raw = this.next(null, () => this.slots.some((s) => s.sab !== null && Atomics.load(s.state, 0) !== 1));
      if (raw !== null) waiting.push(raw);
      while (waiting.length > 0) {
        const slot = this.idleSlot(handler);
        if (slot === null) break;
        const c = waiting.shift()!;
        slot.sab = c.sab;
        Atomics.store(slot.state, 0, 1);
        slot.worker.postMessage({ ...c, serverCtrl: this.ctrl.buffer });
      }
    }
    for (const c of waiting) this.closeRaw(c.sab);
    this.shutdown();
  }

  /** Stop listening, close every connection and end every handler thread. Never throws. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, SERVER_SHUTDOWN, 1);
    wake(this.ctrl, W_WAKE);
    for (const s of this.slots) {
      if (s.sab !== null && Atomics.load(s.state, 0) === 1) this.closeRaw(s.sab);
      void s.worker.terminate();
    }
    this.slots = [];
    if (this.serverId !== null) {
      try {
        engineCall('serverClose', this.serverId, this.options.graceMs ?? 1000);
      } catch {
        // The engine is gone: nothing is listening any more.
      }
    }
  }

  /** `using server = new BlockingTelnetServer(...)` shuts it down at the end of the block. */
  [Symbol.dispose](): void {
    this.shutdown();
  }

  private shutdownRequested(): boolean {
    return Atomics.load(this.ctrl, SERVER_SHUTDOWN) !== 0 || Atomics.load(this.ctrl, 1) !== 0;
  }

  /** The next ready connection, or null at the deadline / when `wakeAlso()` holds. */
  private next(deadline: number | null, wakeAlso: () => boolean = () => false): AcceptedConnection | null {
    if (this.serverId === null) throw new TelnetUsageError('Server not started', 'ERR_TELNET_NOT_STARTED');
    let got: AcceptedConnection | null = null;
    sleepUntil(this.ctrl, W_WAKE, () => {
      if (Atomics.load(this.ctrl, W_READY) > this.taken) {
        got = engineCall<AcceptedConnection | null>('serverTake', this.serverId);
        if (got !== null) {
          this.taken++;
          return true;
        }
      }
      return this.shutdownRequested() || wakeAlso();
    }, deadline);
    return got;
  }

  private spawn(handler: { url: string; name: string }): Slot {
    const state = new Int32Array(new SharedArrayBuffer(4));
    const limits = this.options.handlerResourceLimits ?? { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48, stackSizeMb: 1 };
    const worker = new Worker(HANDLER_PATH, {
      workerData: { handler, status: engineStatus(), state: state.buffer, serverCtrl: this.ctrl.buffer },
      resourceLimits: limits,
      stdout: false,
      stderr: false,
    });
    worker.unref();
    // A handler thread reports its own failures on fd 2 and frees its slot; without
    // a listener its 'error' event would crash this thread once it is unblocked.
    worker.on('error', () => {});
    const slot: Slot = { worker, state, sab: null };
    this.slots.push(slot);
    return slot;
  }

  private idleSlot(handler: { url: string; name: string }): Slot | null {
    for (const s of this.slots) if (Atomics.load(s.state, 0) === 0 && s.sab === null) return s;
    if (this.slots.length >= (this.options.maxHandlers ?? 2000)) return null;
    return this.spawn(handler);
  }

  /** Free finished slots; close connections of handler threads that died; keep `warm` idle threads. */
  private reap(warm: number): void {
    let idle = 0;
    const keep: Slot[] = [];
    for (const s of this.slots) {
      const st = Atomics.load(s.state, 0);
      if (st === 2) {
        if (s.sab !== null) this.closeRaw(s.sab);
        continue;
      }
      if (st === 0) {
        s.sab = null;
        if (idle >= warm) {
          void s.worker.terminate();
          continue;
        }
        idle++;
      }
      keep.push(s);
    }
    this.slots = keep;
  }

  private closeRaw(sab: SharedArrayBuffer): void {
    try {
      channelCall(openChannel(sab), 'close', [], 2000);
    } catch {
      // Already closed, or the engine is gone.
    }
  }
}
