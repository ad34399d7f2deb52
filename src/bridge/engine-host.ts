/**
 * The engine host: runs inside the engine worker and owns every socket the
 * blocking API uses. Callers reach it two ways:
 *
 * - the control plane (synckit, from the thread that started the worker):
 *   `hello`, `open`, `serverStart`, `serverTake`, `serverClose`, ...;
 * - each connection's channel (any thread that holds its SharedArrayBuffer):
 *   the data rings, and a call slot for per-connection requests
 *   (`extra`, `iac`, `close`, ...). Handler threads use only this path.
 *
 * Every connection has one pump: an async loop parked in
 * `Atomics.waitAsync` on the channel's ENGINE_WAKE word, which callers bump
 * after writing data, reading (when the engine holds data for them) or
 * placing a call.
 */
import { availableParallelism } from 'node:os';
import { connectEngine, type ClientOptions } from '../client.js';
import { plainExtraValue } from '../engine/tls.js';
import { TelnetError } from '../protocol/errors.js';
import type { EngineConnection } from '../engine/connection.js';
import { resolveOption } from '../engine/options-view.js';
import { type ServerOptions, createServer, type TelnetServer } from '../server.js';
import {
  C, type Channel, F, H, STATUS_BYTES, createChannel, hasFlags, openChannel, readCallArea, ringUsed, setFlags, wake, wakeFlusher, writeBitmap, writeCallArea,
} from './channel.js';
import { D, DirectWriteGate, W, publishDirectMode } from './direct-write.js';
import { SPIN_US, spinWait } from './spin.js';
import { RingSink } from './ring-sink.js';
import { RawLink, RawServer } from './raw-link.js';
import { type ServerProbeOptions, probeServer } from '../fingerprint/server-probe.js';
import { MudQueue } from './mud-queue.js';
import { engineLogger } from './engine-log.js';

/** How errors cross the thread boundary. */
export interface WireError {
  message: string;
  code: string;
  name: string;
}

function toWire(err: unknown): WireError {
  const e = err as { message?: string; code?: string; name?: string };
  return { message: String(e?.message ?? err), code: typeof e?.code === 'string' ? e.code : 'ERR_TELNET', name: e?.name ?? 'Error' };
}

interface HostConn {
  id: number;
  ch: Channel;
  sink: RingSink;
  conn: EngineConnection | null;
  error: WireError | null;
  done: boolean;
  pumping: boolean;
  /**
   * Who may still use the channel: `caller` (a TelnetConnection, or a taken
   * server connection) until it closes; `listed` while it waits in a
   * server's ready list; `none` for a server connection nobody took.
   */
  owner: 'caller' | 'listed' | 'none';
  /** Set for a raw connection (`open` with `raw: true`): bytes pass untouched, no session. */
  raw?: RawLink;
  /** Orders the caller's direct writes with the engine's (null: none). */
  gate?: DirectWriteGate | null;
  /** Set while the pump waits for the socket to drain before it sends more of the ring. */
  drainArmed?: boolean;
  /** Received GMCP / MSDP / MSSP messages for the caller (mud-queue.ts). */
  mud?: MudQueue;
  /**
   * A client connection whose connect attempt has settled (connected or
   * failed): once it is done, nothing of the engine's touches the channel
   * any more, so it is marked RELEASED and the caller's thread may reuse it.
   */
  settled?: boolean;
  /** The engine connection's `closed` promise has resolved. */
  socketClosed?: boolean;
  /** An answer spin is due after this turn's I/O (armAnswerSpin). */
  spinArmed?: boolean;
}

interface HostServer {
  server: Pick<TelnetServer, 'close' | 'address'>;
  ctrl: Int32Array;
  ready: Array<{ id: number; sab: SharedArrayBuffer; peer: { address: string; port: number }; text: boolean; connectTime: number }>;
}

const conns = new Map<number, HostConn>();
const servers = new Map<number, HostServer>();
let nextId = 1;

/** The status block (channel.ts `H`); the caller side watches the heartbeat while it waits. */
const status = new Int32Array(new SharedArrayBuffer(STATUS_BYTES));
// Blocking reads may spin before they sleep; this many threads at once (CPUs - 1, at most 4).
status[H.SPIN_SLOTS] = Math.max(0, Math.min(4, availableParallelism() - 1));
// One beat a second: enough for callers to tell a stalled engine (they allow 5 s)
// and cheap for a process that only waits.
setInterval(() => { Atomics.add(status, H.BEAT, 1); }, 1000).unref();

function markDead(): void {
  Atomics.store(status, H.DEAD, 1);
  Atomics.notify(status, H.BEAT);
  for (const c of conns.values()) {
    // No direct write may start once this thread's sockets can close.
    Atomics.store(c.ch.ctrl, C.DIRECT_FD, 0);
    Atomics.store(c.ch.ctrl, C.WRITE_LOCK, W.OFF);
    setFlags(c.ch.ctrl, F.DEAD);
  }
  for (const s of servers.values()) { Atomics.store(s.ctrl, 1, 1); wake(s.ctrl, 0); }
}
process.on('exit', markDead);

function publishState(h: HostConn): void {
  const conn = h.conn;
  if (conn === null || h.done) return;
  const s = conn.session;
  const ctrl = h.ch.ctrl;
  writeBitmap(ctrl, C.LOCAL, s.enabledOptions('local'));
  writeBitmap(ctrl, C.REMOTE, s.enabledOptions('remote'));
  const pending = s.pendingRequests().map(([, o]) => o);
  for (const o of [24, 39, 42]) if (s.pendingSubnegotiation(o)) pending.push(o);
  writeBitmap(ctrl, C.PENDING, pending);
  publishDirectMode(ctrl, h.sink.directMode());
  Atomics.add(ctrl, C.STATE_SEQ, 1);
  // Before READY the caller can only be waiting in connect() for READY or
  // ERROR, and setting either wakes it: waking a sleeping thread for each
  // option agreed during negotiation cost two or three futile wake-ups per
  // connection (about a tenth of a blocking connect).
  if ((Atomics.load(ctrl, C.FLAGS) & F.READY) !== 0) wake(ctrl, C.CALLER_WAKE);
}

/** Hook a live engine connection to its channel and start its pump. */
function adopt(h: HostConn, conn: EngineConnection): void {
  h.conn = conn;
  h.sink.bind(conn);
  h.sink.onDelivered = (bytes) => { if (bytes < ANSWER_SPIN_BELOW) armAnswerSpin(h); };
  conn.setSocketGate((socket) => (h.gate = DirectWriteGate.attach(h.ch.ctrl, socket)));
  const mud = h.mud = new MudQueue(h.ch, conn);
  conn.listeners.push((ev) => {
    if (ev.type === 'option' || ev.type === 'ttype' || ev.type === 'environ' || ev.type === 'charset') publishState(h);
    mud.onEvent(ev);
  });
  void conn.closed.then(() => {
    h.socketClosed = true;
    if (h.done) { release(h); return; }
    // Not EOF: the sink sets that (it got feedEof at close) once the data it
    // still holds for the ring has been read; setting it here lost that tail.
    setFlags(h.ch.ctrl, F.SOCKET_CLOSED);
    // The pump may now be able to finish (see service()).
    wake(h.ch.ctrl, C.ENGINE_WAKE);
  });
  publishState(h);
  startPump(h);
  wake(h.ch.ctrl, C.ENGINE_WAKE);
}

function startPump(h: HostConn): void {
  if (h.pumping) return;
  h.pumping = true;
  void pump(h);
}

/** Serve one connection's channel until the caller closed it and the socket is gone. */
async function pump(h: HostConn): Promise<void> {
  const ctrl = h.ch.ctrl;
  for (;;) {
    const seen = Atomics.load(ctrl, C.ENGINE_WAKE);
    await service(h);
    if (h.done) return;
    const w = Atomics.waitAsync(ctrl, C.ENGINE_WAKE, seen);
    if (w.async) await w.value;
  }
}

async function service(h: HostConn): Promise<void> {
  const conn = h.conn;
  const ctrl = h.ch.ctrl;
  if (h.raw !== undefined) h.raw.service();
  if (conn !== null) {
    if (Atomics.load(ctrl, C.RECV_WAIT) !== 0) h.sink.refill();
    const moved = sendRing(h, conn);
    const unsent = conn.writableLength;
    if (Atomics.load(ctrl, C.UNSENT) !== unsent) {
      Atomics.store(ctrl, C.UNSENT, unsent);
      if (unsent > 0) {
        void conn.drain().then(() => {
          if (h.done) return;
          Atomics.store(ctrl, C.UNSENT, conn.writableLength);
          wakeFlusher(ctrl);
        });
      }
      else wakeFlusher(ctrl);
    } else if (moved) {
      // The send ring emptied and UNSENT is current: a flush() waiting for both may return now.
      wakeFlusher(ctrl);
    }
  }
  if (Atomics.load(ctrl, C.CALL_STATE) === 1) await answerCall(h);
  // Finished once the socket is gone and nobody can use the channel any more.
  const socketGone = h.raw !== undefined ? h.raw.isClosed : (conn === null || conn.isClosed);
  if ((hasFlags(ctrl, F.CLOSED) || h.owner === 'none') && socketGone) {
    h.done = true;
    conns.delete(h.id);
    release(h);
  }
}

/** Send what the caller put in the send ring, unless the socket must drain first. True when some was taken. */
function sendRing(h: HostConn, conn: EngineConnection): boolean {
  if (conn.needsDrain) {
    // Whoever filled the socket (the ring, kept output, replies), the rest of the ring waits for 'drain'.
    armDrain(h, conn);
    return false;
  }
  // The caller stays off the socket from taking the ring's data to writing it.
  h.gate?.hold();
  let took: boolean;
  try {
    took = h.sink.drainSendRing();
  } finally {
    h.gate?.release();
  }
  // Wake again once the socket drains, to move the rest.
  if (took && conn.needsDrain) armDrain(h, conn);
  return took;
}

/**
 * Answers spin only after a delivery shorter than a full TLS record (16 KiB):
 * a reply ends with a short piece, while a bulk transfer is a run of full
 * records and 64 KiB socket reads, which a spin on every 64th delivery
 * would stall (100 µs per MiB or so).
 */
const ANSWER_SPIN_BELOW = 16 * 1024;

/**
 * Answer spin: after data reached the caller of a connection whose writes
 * must pass through this thread (TLS, MCCP, a transcoded encoding: no direct
 * writes), watch briefly for the caller's answer and send it at once. A
 * blocking request/response then skips the wake-up of this thread
 * (Atomics.waitAsync, 25-30 us here) on each command. Only while this engine
 * serves one connection, so no other connection waits behind the spin; the
 * spin is the callers' (spin.ts: bounded, backed off after misses, one lease
 * of the CPUs - 1).
 */

const answerSpins = { armed: 0, sent: 0 };

function armAnswerSpin(h: HostConn): void {
  if (h.spinArmed === true || conns.size !== 1 || SPIN_US === 0) return;
  const ctrl = h.ch.ctrl;
  if (Atomics.load(ctrl, C.DIRECT_FD) !== 0 && Atomics.load(ctrl, C.DIRECT_MODE) !== D.NONE) return;
  h.spinArmed = true;
  answerSpins.armed++;
  // After this turn's other I/O: the rest of a reply that came in several reads is delivered first.
  setImmediate(answerSpin, h);
}

function answerSpin(h: HostConn): void {
  h.spinArmed = false;
  const conn = h.conn;
  if (conn === null || h.done || conn.isClosed || conns.size !== 1) return;
  const ctrl = h.ch.ctrl;
  if (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) === 0) {
    const seen = Atomics.load(ctrl, C.ENGINE_WAKE);
    if (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) === 0 && !spinWait(ctrl, C.ENGINE_WAKE, seen, SPIN_US / 1000, status)) return;
  }
  // The pump still wakes for the same bump and does the rest (UNSENT, calls).
  if (sendRing(h, conn)) answerSpins.sent++;
}

/**
 * Mark a finished client connection's channel RELEASED once nothing of the
 * engine's can touch it any more (its connect settled, its socket's close
 * ran): the caller's thread may then give it to its next connection
 * (src/bridge/channel-pool.ts).
 */
function release(h: HostConn): void {
  if (h.done && h.settled === true && (h.conn === null || h.socketClosed === true)) setFlags(h.ch.ctrl, F.RELEASED);
}

/** Run the pump again once the socket drains (once, however often asked). */
function armDrain(h: HostConn, conn: EngineConnection): void {
  if (h.drainArmed === true) return;
  h.drainArmed = true;
  void conn.drain().then(() => {
    h.drainArmed = false;
    if (!h.done) wake(h.ch.ctrl, C.ENGINE_WAKE);
  });
}

async function answerCall(h: HostConn): Promise<void> {
  const ctrl = h.ch.ctrl;
  let reply: { ok?: unknown; err?: WireError };
  try {
    const req = readCallArea(h.ch, Atomics.load(ctrl, C.CALL_LEN)) as { m: string; a: unknown[] };
    reply = { ok: await connectionCall(h, req.m, req.a ?? []) };
  } catch (err) {
    reply = { err: toWire(err) };
  }
  let len: number;
  try {
    len = writeCallArea(h.ch, reply);
  } catch (err) {
    len = writeCallArea(h.ch, { err: toWire(err) });
  }
  Atomics.store(ctrl, C.CALL_LEN, len);
  Atomics.store(ctrl, C.CALL_STATE, 2);
  wake(ctrl, C.CALLER_WAKE);
}

/** Per-connection requests arriving through the channel's call slot. */
async function connectionCall(h: HostConn, method: string, args: unknown[]): Promise<unknown> {
  if (method === 'error') return h.error;
  if (h.raw !== undefined) return h.raw.call(method, args);
  const conn = h.conn;
  if (method === 'close' && conn === null) {
    // Closed while connecting (a connect timeout) or after a failed connect.
    setFlags(h.ch.ctrl, F.CLOSED);
    return true;
  }
  if (conn === null) throw new TelnetError('Not connected', 'ERR_TELNET_NOT_CONNECTED');
  const w = conn.writer;
  switch (method) {
    case 'extra': {
      const v = plainExtraValue(conn.extra.get(String(args[0])));
      return v === undefined ? null : v;
    }
    case 'iac': {
      const sent = w.iac(Number(args[0]), resolveOption(args[1] as string | number));
      publishState(h);
      return sent;
    }
    case 'command':
      w.sendCommand(Number(args[0]));
      return true;
    case 'ga':
      return w.sendGa();
    case 'eor':
      return w.sendEor();
    case 'windowSize':
      return w.setWindowSize(Number(args[0]), Number(args[1]));
    case 'gmcp':
      return args.length > 1 ? w.sendGmcp(String(args[0]), args[1]) : w.sendGmcp(String(args[0]));
    case 'msdp':
      return w.sendMsdp(args[0] as Parameters<typeof w.sendMsdp>[0]);
    case 'mssp':
      return w.sendMssp(args[0] as Parameters<typeof w.sendMssp>[0]);
    case 'prompt':
      return w.endPrompt();
    case 'mudTake':
      return h.mud?.take(Number(args[0])) ?? [];
    case 'describe':
      return { writer: String(w), mode: w.mode, idle: w.idle, duration: w.duration, rx: conn.rxBytes, tx: conn.txBytes + (Atomics.load(h.ch.ctrl, C.DIRECT_TX) >>> 0) };
    case 'close': {
      // With `true`: answer with the final extra info and mode, for use after close.
      const info = args[0] === true ? { extra: Object.fromEntries([...conn.extra].map(([k, v]) => [k, plainExtraValue(v)])), mode: w.mode } : true;
      setFlags(h.ch.ctrl, F.CLOSED);
      h.sink.drainSendRing();
      w.close();
      return info;
    }
    case 'state':
      publishState(h);
      return true;
    default:
      throw new TelnetError(`unknown connection call ${method}`, 'ERR_TELNET_BRIDGE');
  }
}

/** A running server fingerprint (`fingerprintStart` / `fingerprintPoll`). */
interface FingerprintJob {
  done: boolean;
  record?: unknown;
  error?: WireError;
}
const fingerprints = new Map<number, FingerprintJob>();

/** Control-plane entry point (synckit `runAsWorker`). */
export async function handle(method: string, ...args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'hello':
      return { status: status.buffer, pid: process.pid };
    case 'open': {
      const [sab, host, port, options] = args as [SharedArrayBuffer, string, number, ClientOptions & { encoding?: string | false; logLevel?: string }];
      // A fresh copy of the caller's options (structured clone): the logger goes in, its level stays unread.
      options.logger = engineLogger(options.logLevel);
      const ch = openChannel(sab);
      const text = options.encoding !== false;
      const h: HostConn = {
        id: nextId++, ch, sink: new RingSink(ch, text, 'us-ascii'), conn: null, error: null, done: false, pumping: false, owner: 'caller',
      };
      conns.set(h.id, h);
      if ((options as { raw?: boolean }).raw === true) {
        // A raw byte connection: no session, the caller speaks Telnet itself.
        const raw = new RawLink(ch);
        h.raw = raw;
        startPump(h);
        void raw.connect(host, port, options).then(
          () => {
            if (hasFlags(ch.ctrl, F.CLOSED)) { raw.destroy(); return; }
            h.settled = true;
            setFlags(ch.ctrl, F.READY);
            wake(ch.ctrl, C.ENGINE_WAKE);
          },
          (err) => {
            h.settled = true;
            h.error = toWire(err);
            setFlags(ch.ctrl, F.ERROR | F.EOF | F.SOCKET_CLOSED);
            wake(ch.ctrl, C.ENGINE_WAKE);
          },
        );
        return h.id;
      }
      // Pump from the start: the caller may close (connect timeout) before the connection exists.
      startPump(h);
      void connectEngine(host, port, options, h.sink).then(
        (conn) => {
          if (hasFlags(ch.ctrl, F.CLOSED)) {
            // The caller gave up while we connected: nobody will use this connection.
            conn.destroy();
            return;
          }
          h.settled = true;
          adopt(h, conn);
          setFlags(ch.ctrl, F.READY);
        },
        (err) => {
          h.settled = true;
          h.error = toWire(err);
          setFlags(ch.ctrl, F.ERROR | F.EOF | F.SOCKET_CLOSED);
        },
      );
      return h.id;
    }
    case 'serverStart': {
      const [ctrlSab, wanted, ring] = args as [SharedArrayBuffer, ServerOptions & { logLevel?: string }, { recv: number; send: number }];
      const { logLevel, ...options } = wanted;
      const logger = engineLogger(logLevel);
      const ctrl = new Int32Array(ctrlSab);
      const id = nextId++;
      const entry: HostServer = { server: null as unknown as TelnetServer, ctrl, ready: [] };
      if ((options as { raw?: boolean }).raw === true) {
        // Raw connections (compat/miniboa): no negotiation, each one is ready at accept.
        const server = await RawServer.listen({ ...options, logger }, (socket, proxy) => {
          const ch = createChannel(ring.recv, ring.send);
          const raw = new RawLink(ch, ctrl);
          const h: HostConn = {
            id: nextId++, ch, sink: new RingSink(ch, false, 'us-ascii'), conn: null, error: null, done: false, pumping: false, owner: 'listed', raw,
          };
          conns.set(h.id, h);
          raw.attach(socket);
          startPump(h);
          setFlags(ch.ctrl, F.READY);
          entry.ready.push({
            id: h.id, sab: ch.sab, text: false, connectTime: Date.now(),
            // Behind a balancer speaking PROXY, the client its header names.
            peer: proxy?.source != null
              ? { address: proxy.source.address, port: proxy.source.port }
              : { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
          });
          Atomics.add(ctrl, 3, 1);
          wake(ctrl, 0);
          wake(ctrl, 4);
        });
        entry.server = server;
        servers.set(id, entry);
        return { id, address: server.address };
      }
      const sinks = new WeakMap<EngineConnection, HostConn>();
      const server = await createServer({
        ...options,
        logger,
        sinkFactory: (encoding: string | false) => {
          const ch = createChannel(ring.recv, ring.send);
          const h: HostConn = {
            id: nextId++, ch, sink: new RingSink(ch, encoding !== false, 'us-ascii', ctrl), conn: null, error: null, done: false, pumping: false, owner: 'none',
          };
          conns.set(h.id, h);
          return { sink: h.sink, bind: (conn: EngineConnection) => { sinks.set(conn, h); adopt(h, conn); } };
        },
        onNegotiated: (conn: EngineConnection) => {
          const h = sinks.get(conn);
          if (h === undefined) return;
          setFlags(h.ch.ctrl, F.READY);
          h.owner = 'listed';
          const peer = conn.extra.get('peername') as { address?: string; port?: number } | undefined;
          entry.ready.push({
            id: h.id, sab: h.ch.sab, text: !conn.binary, connectTime: conn.connectedAt,
            peer: { address: peer?.address ?? '', port: peer?.port ?? 0 },
          });
          Atomics.add(ctrl, 3, 1);
          wake(ctrl, 0);
          wake(ctrl, 4); // poll loops watch the activity word
        },
      } as ServerOptions);
      entry.server = server;
      servers.set(id, entry);
      return { id, address: server.address };
    }
    case 'serverTake': {
      const entry = servers.get(args[0] as number);
      if (entry === undefined) throw new TelnetError('Server not started', 'ERR_TELNET_NOT_STARTED');
      const next = entry.ready.shift() ?? null;
      if (next !== null) {
        const h = conns.get(next.id);
        if (h !== undefined) h.owner = 'caller';
      }
      return next;
    }
    case 'serverClose': {
      const entry = servers.get(args[0] as number);
      if (entry === undefined) return false;
      servers.delete(args[0] as number);
      entry.server.close(Number(args[1] ?? 1000));
      // Connections nobody took are released once their sockets close.
      for (const r of entry.ready.splice(0)) {
        const h = conns.get(r.id);
        if (h !== undefined && h.owner === 'listed') { h.owner = 'none'; wake(h.ch.ctrl, C.ENGINE_WAKE); }
      }
      Atomics.store(entry.ctrl, 1, 1);
      wake(entry.ctrl, 0);
      return true;
    }
    case 'fingerprintStart': {
      // A server fingerprint runs for seconds: started here, collected by polls (control calls are short).
      const [host, port, opts] = args as [string, number, ServerProbeOptions];
      const id = nextId++;
      const job: FingerprintJob = { done: false };
      fingerprints.set(id, job);
      // A job whose caller never collects it (the caller's thread died) is forgotten after a minute.
      const forget = (): void => { setTimeout(() => fingerprints.delete(id), 60000).unref(); };
      void probeServer(host, port, opts).then(
        (record) => { job.done = true; job.record = record; forget(); },
        (err) => { job.done = true; job.error = toWire(err); forget(); },
      );
      return id;
    }
    case 'fingerprintPoll': {
      const job = fingerprints.get(args[0] as number);
      if (job === undefined) throw new TelnetError('no such fingerprint job', 'ERR_TELNET_BRIDGE');
      if (job.done) fingerprints.delete(args[0] as number);
      return job;
    }
    case 'stats':
      // Test hook: what the engine still holds.
      return { conns: conns.size, servers: servers.size, answerSpins: { ...answerSpins } };
    case 'crash': {
      // Test hook: the engine dies after `ms`, as it would on a fatal bug.
      setTimeout(() => process.exit(70), Number(args[0] ?? 0));
      return true;
    }
    default:
      throw new TelnetError(`unknown engine call ${method}`, 'ERR_TELNET_BRIDGE');
  }
}

