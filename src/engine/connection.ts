/**
 * One Telnet connection in the async engine: a socket, the pure protocol
 * session, a reader and a writer, glued together. This is the only place
 * where socket events meet the protocol core:
 *
 *   socket 'data' → session.receive → reader.feedData / events / replies
 *   session.onSend → socket.write (one write per received chunk)
 *
 * It also holds what telnetlib3 keeps in `get_extra_info` (peername, TERM,
 * cols, rows, LANG, charset, ...), the idle timer, flow control in both
 * directions, and the waiters of `waitFor`.
 */
import type { Socket } from 'node:net';
import { Cmd, optName } from '../protocol/constants.js';
import { type ProblemCode, type ProtocolProblem, TelnetClosedError, TelnetError } from '../protocol/errors.js';
import type { SessionEvent } from '../protocol/events.js';
import { type SessionOptions, TelnetSession } from '../protocol/session.js';
import { type EncodingErrors, isEncodingSupported, normalizeEncoding } from './encoding.js';
import { type Logger, hexdump, silentLogger } from './logger.js';
import { ExtraInfo } from './extra-info.js';
import { type IdleEntry, type IdleList, monotonicNow, setIdle, touchIdle } from './idle-timers.js';
import { attachStaticReads } from './static-reads.js';
import { type DeflateHost, type InflateHost, MccpDeflater, MccpInflater, type MccpStats } from './mccp.js';
import { recordEvent } from './session-record.js';
import { TelnetReader } from './reader.js';
import { TelnetWriter } from './writer.js';
import { ARENA_MIN, madeArena, threadArena } from './escape-arena.js';
import { escapeIac } from '../protocol/options/codec.js';

/** Largest amount of unsent output before we stop reading the peer (its requests make replies). */
export const MAX_PENDING_OUTPUT = 1024 * 1024;

/** Options shared by servers and clients. */
export interface EngineOptions extends Omit<SessionOptions, 'role'> {
  /** Text encoding (default `utf8`), or `false` for bytes. */
  encoding?: string | false;
  /** Encoding error handling (default `replace`). */
  encodingErrors?: EncodingErrors;
  /** Use the encoding in both directions even before BINARY is agreed. */
  forceBinary?: boolean;
  /** Reader size limit in units (default 64 Ki). */
  limit?: number;
  /** Where negotiation steps and problems are logged (default: nowhere). */
  logger?: Logger;
  /** Also hexdump every byte each way (to `logger.trace`, else `logger.debug`). */
  traceBytes?: boolean;
  /** MCCP: largest inflate ratio of the peer's compressed stream before the connection is closed (default 256). */
  maxInflateRatio?: number;
  /**
   * Called for every protocol problem the peer causes (a malformed or
   * oversized subnegotiation, a truncated command, ...): `severity` says
   * whether data was dropped (`error`) or merely ignored (`warning`), `code`
   * is a stable {@link ProblemCode}. The connection goes on either way; an
   * exception thrown here is logged and ignored.
   */
  onProtocolError?: (problem: ProtocolProblem, writer: TelnetWriter) => void;
  /**
   * Called when a connection fails (a socket error other than a reset) or
   * its shell throws or rejects. The connection is closed either way; an
   * exception thrown here is logged and ignored.
   */
  onError?: (err: Error, writer: TelnetWriter) => void;
}

/** The error callbacks of {@link EngineOptions}. */
type ErrorHooks = Pick<EngineOptions, 'onProtocolError' | 'onError'>;

/**
 * The protocol core's options for a connection: the engine's options minus
 * its own, frozen so that one object can serve every connection of a server.
 */
export function sessionOptionsFor(role: 'server' | 'client', options: EngineOptions, overTls = false): Readonly<SessionOptions> {
  const { encoding: _e, encodingErrors: _ee, forceBinary: _f, limit: _l, logger: _lg, traceBytes: _t, maxInflateRatio: _m, ...rest } = options;
  // Socket chunks belong to us, so the parser may squeeze escapes out in place.
  // MCCP: a client accepts it when offered (telnetlib3); a server only with `compression`.
  // Never over TLS (as telnetlib3): compressing before encrypting leaks the
  // plaintext's length to an observer (CRIME / BREACH), so both sides refuse.
  const compression = overTls ? false : options.compression ?? (role === 'client' ? 'accept' : undefined);
  return Object.freeze({ isCharsetSupported: isEncodingSupported, ...rest, compression, role, inPlace: true });
}

/** The consumer of a connection's in-band data (a {@link TelnetReader} by default). */
export interface DataSink {
  feedData(data: Buffer): void;
  feedEof(): void;
  setException(err: Error): void;
  /** The incoming encoding changed (text connections). */
  setEncoding(name: string): void;
  /**
   * True when `feedData` copies whatever it keeps, so the chunk it is given
   * may be reused once it returns: a client connection then reads into a
   * shared buffer (static-reads.ts). The reader keeps its chunks; the
   * blocking API's ring copies them.
   */
  readonly copiesData?: boolean;
  /**
   * Set by the connection: the sink asks to stop / resume reading the
   * socket. Call them as methods of the sink (`this.onPause()`): they are
   * shared by every connection and find theirs through the sink.
   */
  onPause: () => void;
  onResume: () => void;
}

/**
 * @internal A negotiation driver attached to a connection (the server's):
 * told of each session event, of the end of each received chunk, and of the
 * close, through methods instead of per-connection closures.
 */
export interface ConnectionDriver {
  onSessionEvent(ev: SessionEvent): void;
  afterReceive(): void;
  onConnectionClosed(): void;
}

/**
 * @internal What the socket's writes go through when another thread may
 * also write to its descriptor (the blocking API's direct writes, see
 * src/bridge/direct-write.ts): it orders the two.
 */
export interface SocketGate {
  /** Write for the engine (after what the other writer already wrote). */
  write(bytes: Buffer): void;
  /** The socket drained. */
  drained(): void;
  /** The socket is about to end or close: the other writer must stop. */
  shutdown(): void;
  /**
   * A received chunk is being processed: replies to it are collected and
   * its events may let the other writer go on, so it must not write until
   * {@link release} (the replies go first).
   */
  hold(): void;
  release(): void;
}

type Waiter = { check: () => boolean; resolve: () => void; reject: (e: Error) => void };

/** `ttype1`... as constants: one string for every connection. */
/** Where a socket's shared listeners find their connection. */
const kConn = Symbol('telnetlib3.connection');
type OwnedSocket = Socket & { [kConn]?: EngineConnection };

/** Where a sink's shared flow-control callbacks find their connection. */
const sinkOwner = new WeakMap<DataSink, EngineConnection>();

/**
 * The session of an engine connection: its three outputs are methods that
 * call the connection, instead of three closures per connection.
 */
class EngineSession extends TelnetSession {
  constructor(options: SessionOptions, private readonly conn: EngineConnection) {
    super(options);
  }

  override onSend(bytes: Buffer): void {
    this.conn.send(bytes);
  }

  override escapeData(data: Buffer): Buffer {
    return this.conn.escapeData(data);
  }

  override onData(span: Buffer): void {
    this.conn.sink.feedData(span);
  }

  override onEvent(ev: SessionEvent): void {
    this.conn.handleSessionEvent(ev);
  }
}

/**
 * The glue object behind a reader/writer pair.
 *
 * Memory: a server may hold tens of thousands of these, so nothing here is
 * a per-connection closure (socket listeners, session outputs and the sink's
 * flow control are shared functions), rarely used parts (listener lists,
 * waiters, the `closed` promise) are created on first use, and the idle
 * timeout is a place in a shared list (idle-timers.ts), not a Node timer.
 */
export class EngineConnection implements IdleEntry, InflateHost, DeflateHost {
  readonly session: TelnetSession;
  readonly reader: TelnetReader;
  /** Where in-band data goes: the reader, or the blocking API's shared-memory ring. */
  readonly sink: DataSink;
  readonly writer: TelnetWriter;
  readonly extra = new ExtraInfo(8);
  readonly logger: Logger;
  readonly role: 'server' | 'client';
  readonly connectedAt = Date.now();
  /** Monotonic ms ({@link monotonicNow}) of the last input (of the connect before any). */
  lastInput = monotonicNow();
  rxBytes = 0;
  txBytes = 0;
  /** Set once the peer sent FIN: it can send nothing more. */
  peerEnded = false;
  /** Set once the connection is closed; resolves {@link closed}. */
  isClosed = false;
  /** @internal The negotiation driver, while it needs to hear about this connection. */
  driver: ConnectionDriver | null = null;
  /** @internal Called once when the connection closes (the server's bookkeeping). */
  closeHook: ((conn: EngineConnection) => void) | null = null;
  /** The options object holding the error callbacks (shared by a server's connections). */
  private readonly hooks: ErrorHooks & Pick<EngineOptions, 'maxInflateRatio'>;
  /** MCCP layers (mccp.ts): the peer's compressed input, our compressed output. */
  mccpIn: MccpInflater | null = null;
  mccpOut: MccpDeflater | null = null;
  private mccpInStats: MccpStats | null = null;
  private mccpOutStats: MccpStats | null = null;

  private readonly encodingWanted: string | null;
  /** Encoding error handling for both directions. */
  readonly encodingErrors: EncodingErrors;
  private forceBinary: boolean;
  private negotiatedEncoding: string | null;
  private readonly trace: ((m: string) => void) | null;
  private waiters: Waiter[] | null = null;
  private listenerList: Array<(ev: SessionEvent) => void> | null = null;
  private afterList: Array<() => void> | null = null;
  private socket: Socket | null = null;
  /** Output collected while a received chunk is processed (null: write at once). */
  private outBatch: Buffer[] | null = null;
  private readerPaused = false;
  private outputPaused = false;
  private gate: SocketGate | null = null;
  private closedPromise: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  private idleMs = 0;
  private onIdle: ((conn: EngineConnection) => void) | null = null;
  /** @internal idle-timers.ts */
  idleList: IdleList | null = null;
  /** @internal idle-timers.ts */
  idlePrev: IdleEntry | null = null;
  /** @internal idle-timers.ts */
  idleNext: IdleEntry | null = null;
  /** @internal idle-timers.ts */
  idleFrom = 0;

  /**
   * @param sessionOptions the core's options, from {@link sessionOptionsFor};
   *   a server builds them once and shares them between its connections.
   */
  constructor(
    role: 'server' | 'client',
    options: EngineOptions,
    sessionOptions: SessionOptions = sessionOptionsFor(role, options),
    sink?: DataSink,
  ) {
    this.role = role;
    this.logger = options.logger ?? silentLogger;
    this.hooks = options;
    const enc = options.encoding ?? 'utf8';
    this.encodingWanted = enc === false ? null : normalizeEncoding(enc);
    if (enc !== false && this.encodingWanted === null) {
      throw new TelnetError(`unknown encoding: ${enc}`, 'ERR_TELNET_UNKNOWN_ENCODING');
    }
    this.negotiatedEncoding = this.encodingWanted;
    this.encodingErrors = options.encodingErrors ?? 'replace';
    this.forceBinary = options.forceBinary ?? false;
    this.trace = options.traceBytes ? (m) => (this.logger.trace ?? this.logger.debug).call(this.logger, m) : null;
    this.session = new EngineSession(sessionOptions, this);
    const readerOptions: ConstructorParameters<typeof TelnetReader>[0] = {
      encoding: this.encodingWanted === null ? false : this.incomingEncoding(),
      encodingErrors: this.encodingErrors,
    };
    if (options.limit !== undefined) readerOptions.limit = options.limit;
    this.reader = new TelnetReader(readerOptions);
    this.sink = sink ?? this.reader;
    if (sink !== undefined && this.encodingWanted !== null) sink.setEncoding(this.incomingEncoding());
    this.writer = new TelnetWriter(this);
    this.extra.set('term', options.term === undefined ? 'unknown' : (typeof options.term === 'string' ? options.term : options.term[0] ?? 'unknown'));
    this.extra.set('cols', options.cols ?? 80);
    this.extra.set('rows', options.rows ?? 25);
  }

  /** Resolves when the connection is closed (created on first use). */
  get closed(): Promise<void> {
    if (this.closedPromise === null) {
      this.closedPromise = this.isClosed ? Promise.resolve() : new Promise((resolve) => { this.resolveClosed = resolve; });
    }
    return this.closedPromise;
  }

  /** Event listeners (the blocking API's host adds one); created on first use. */
  get listeners(): Array<(ev: SessionEvent) => void> {
    return this.listenerList ??= [];
  }

  /** Run after each received chunk is processed (the client's negotiation); created on first use. */
  get afterReceive(): Array<() => void> {
    return this.afterList ??= [];
  }

  /** `Date.now()` of the last input (of the connect before any). */
  get lastInputAt(): number {
    return Date.now() - (monotonicNow() - this.lastInput);
  }

  /** True for a byte connection (`encoding: false`). */
  get binary(): boolean {
    return this.encodingWanted === null;
  }

  /** The encoding used for text once BINARY (or forceBinary) allows it. */
  get encodingName(): string | null {
    return this.negotiatedEncoding;
  }

  /** The encoding for data we send now: US-ASCII until BINARY is agreed that way, unless forceBinary. */
  outgoingEncoding(): string {
    if (this.negotiatedEncoding === null) return 'latin1';
    return this.forceBinary || this.session.outBinary ? this.negotiatedEncoding : 'us-ascii';
  }

  /** The encoding for data we receive now. */
  incomingEncoding(): string {
    if (this.negotiatedEncoding === null) return 'latin1';
    return this.forceBinary || this.session.inBinary ? this.negotiatedEncoding : 'us-ascii';
  }

  /** Attach the socket: from here on bytes flow. */
  attach(socket: Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    this.extra.set('peername', { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily });
    this.extra.set('sockname', { address: socket.localAddress, port: socket.localPort, family: socket.localFamily });
    sinkOwner.set(this.sink, this);
    this.sink.onPause = EngineConnection.sinkPause;
    this.sink.onResume = EngineConnection.sinkResume;
    (socket as OwnedSocket)[kConn] = this;
    if (!attachStaticReads(socket, (chunk) => this.receive(chunk))) socket.on('data', EngineConnection.socketData);
    socket.on('drain', EngineConnection.socketDrain);
    socket.on('end', EngineConnection.socketEnd);
    socket.on('error', EngineConnection.socketError);
    socket.on('close', EngineConnection.socketClose);
  }

  // Shared listeners: `this` is the socket or the sink.
  private static socketData(this: OwnedSocket, chunk: Buffer): void {
    this[kConn]!.receive(chunk);
  }

  private static socketDrain(this: OwnedSocket): void {
    const conn = this[kConn]!;
    conn.gate?.drained();
    if (conn.outputPaused) { conn.outputPaused = false; conn.updateFlow(); }
  }

  private static socketEnd(this: OwnedSocket): void {
    this[kConn]!.onEnd();
  }

  private static socketError(this: OwnedSocket, err: NodeJS.ErrnoException): void {
    this[kConn]!.onError(err);
  }

  private static socketClose(this: OwnedSocket): void {
    this[kConn]!.onClose();
  }

  private static sinkPause(this: DataSink): void {
    const conn = sinkOwner.get(this);
    if (conn !== undefined) { conn.readerPaused = true; conn.updateFlow(); }
  }

  private static sinkResume(this: DataSink): void {
    const conn = sinkOwner.get(this);
    if (conn !== undefined) { conn.readerPaused = false; conn.updateFlow(); }
  }

  /** Bytes from the socket. */
  receive(chunk: Buffer): void {
    if (this.isClosed) return;
    this.rxBytes += chunk.length;
    const now = monotonicNow();
    this.lastInput = now;
    if (this.idleList !== null) touchIdle(this, now);
    if (this.trace !== null) this.trace(`recv ${chunk.length} bytes\n${hexdump(chunk, '<<  ')}`);
    if (this.mccpIn !== null) this.mccpIn.write(chunk);
    else this.receivePlain(chunk);
  }

  /** Telnet bytes: from the socket, or out of the MCCP inflate layer. */
  private receivePlain(chunk: Buffer): void {
    if (this.isClosed) return;
    const socket = this.socket;
    let used = chunk.length;
    // Replies to one chunk leave as one write: a 64 KiB chunk of DO TM makes
    // 21,845 three-byte replies, and one socket.write each (even corked) costs
    // a queue entry of ~100 bytes, so a 1 MiB backlog would hold ~40 MiB.
    this.outBatch = [];
    const gate = this.gate;
    gate?.hold();
    try {
      used = this.session.receive(chunk);
    } finally {
      this.flushBatch();
      gate?.release();
    }
    // The peer's compression started inside this chunk: the rest is zlib.
    if (used < chunk.length && this.mccpIn !== null) this.mccpIn.write(chunk.subarray(used));
    if (socket !== null && socket.writableLength > MAX_PENDING_OUTPUT && !this.outputPaused) {
      // The peer makes us reply faster than it reads: stop reading it.
      this.outputPaused = true;
      this.updateFlow();
    }
    this.afterChunk();
  }

  /** Tell the driver and the afterReceive hooks that a chunk (or EOF) was processed; re-check waiters. */
  private afterChunk(): void {
    this.driver?.afterReceive();
    if (this.afterList !== null) for (const f of this.afterList) f();
    this.checkWaiters();
  }

  /**
   * In-band data with IAC doubled. Large writes that go straight to the
   * socket are escaped into this thread's arena (see escape-arena.ts) and
   * released by the socket's write callback in {@link send}. Only here is
   * the choice made: the session hands the result to {@link send} at once,
   * so MCCP, a reply batch or a direct-write gate never receive a view.
   */
  escapeData(data: Buffer): Buffer {
    if (data.length < ARENA_MIN || this.mccpOut !== null || this.gate !== null || this.outBatch !== null) return escapeIac(data);
    const arena = threadArena();
    return arena === null ? escapeIac(data) : arena.escape(data);
  }

  /** Write raw, already-framed bytes to the socket. */
  send(bytes: Buffer): void {
    const socket = this.socket;
    const arena = bytes.length >= ARENA_MIN ? madeArena() : null;
    const region = arena === null ? null : arena.regionOf(bytes);
    if (socket === null || this.isClosed || socket.destroyed || socket.writableEnded) {
      if (region !== null) arena!.release(region);
      return;
    }
    this.txBytes += bytes.length;
    if (this.trace !== null) this.trace(`send ${bytes.length} bytes\n${hexdump(bytes, '>>  ')}`);
    if (region === null) {
      if (this.mccpOut !== null) this.mccpOut.write(bytes);
      else if (this.outBatch !== null) this.outBatch.push(bytes);
      else this.writeSocket(socket, bytes);
    } else {
      // Node.js calls back once the bytes have left, on error or destroy too.
      // A write the kernel took whole at once leaves nothing queued: the
      // region is free now, before the loop that writes turns.
      const queued = socket.writableLength;
      socket.write(bytes, () => arena!.release(region));
      if (queued === 0 && socket.writableLength === 0) arena!.release(region);
    }
  }

  private writeSocket(socket: Socket, bytes: Buffer): void {
    if (this.gate !== null) this.gate.write(bytes);
    else socket.write(bytes);
  }

  /**
   * @internal Route this connection's socket writes through a gate made
   * for its socket (the blocking API's direct writes); `make` may decline
   * with null.
   */
  setSocketGate(make: (socket: Socket) => SocketGate | null): void {
    const socket = this.socket;
    if (socket === null || this.isClosed || socket.destroyed || socket.writableEnded) return;
    this.gate = make(socket);
  }

  /** Write what {@link send} collected while a received chunk was processed. */
  private flushBatch(): void {
    const batch = this.outBatch;
    this.outBatch = null;
    if (batch === null || batch.length === 0) return;
    const socket = this.socket;
    if (socket === null || socket.destroyed || socket.writableEnded) return;
    this.writeSocket(socket, batch.length === 1 ? batch[0]! : Buffer.concat(batch));
  }

  /** Bytes handed to the socket (or to MCCP deflate) and not yet sent. */
  get writableLength(): number {
    return (this.socket?.writableLength ?? 0) + (this.mccpOut?.writableLength ?? 0);
  }

  /** True when the socket's buffer (or deflate's) is over its high-water mark: wait for {@link drain}. */
  get needsDrain(): boolean {
    return (this.socket?.writableNeedDrain ?? false) || (this.mccpOut?.needsDrain ?? false);
  }

  /** Resolves when the socket (and MCCP deflate) can take more data (or it closed). */
  drain(): Promise<void> {
    const out = this.mccpOut;
    if (out !== null && out.needsDrain) return out.drain().then(() => this.drain());
    return this.socketDrained();
  }

  /** @internal DeflateHost: resolves when the socket can take more data (or it closed). */
  socketDrained(): Promise<void> {
    const socket = this.socket;
    if (socket === null || this.isClosed || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { socket.off('drain', done); socket.off('close', done); resolve(); };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Close gracefully: pending output is flushed, then FIN. */
  close(): void {
    const socket = this.socket;
    if (socket === null) { this.onClose(); return; }
    const out = this.mccpOut;
    if (out !== null && !this.isClosed) {
      // Finish the compressed stream (the peer sees Z_STREAM_END), then FIN.
      this.flushBatch();
      this.mccpOut = null;
      out.end(() => this.close());
      // A peer that never reads must not keep the stream (and the socket) forever.
      const t = setTimeout(() => socket.destroy(), 2000);
      t.unref();
      socket.once('close', () => clearTimeout(t));
      return;
    }
    this.flushBatch(); // replies queued before a close from inside a callback still go out
    this.gate?.shutdown();
    if (!socket.writableEnded) socket.end();
    // A peer that never reads must not keep the socket forever.
    const t = setTimeout(() => socket.destroy(), 2000);
    t.unref();
    socket.once('close', () => clearTimeout(t));
  }

  /** Close at once, dropping unsent output. */
  destroy(): void {
    if (this.socket !== null) this.socket.destroy();
    else this.onClose();
  }

  /**
   * Arm (ms > 0) or cancel (0) the idle timeout: `onIdle(conn)` runs once
   * `ms` pass without input (counted from now, restarted by each input).
   */
  setIdleTimeout(ms: number, onIdle: (conn: EngineConnection) => void): void {
    this.idleMs = ms;
    this.extra.set('timeout', ms);
    this.onIdle = ms > 0 && !this.isClosed ? onIdle : null;
    setIdle(this, this.onIdle === null ? 0 : ms);
  }

  /** The idle timeout in force (ms; 0 = none). */
  get idleTimeout(): number {
    return this.idleMs;
  }

  /** @internal idle-timers.ts: the idle timeout expired. */
  idleExpired(): void {
    const onIdle = this.onIdle;
    this.onIdle = null;
    onIdle?.(this);
  }

  /** Wait until `check()` holds; re-checked after every received chunk and option change. */
  waitUntil(check: () => boolean): Promise<true> {
    if (check()) return Promise.resolve(true);
    if (this.isClosed) return Promise.reject(new TelnetClosedError('Connection closed before the condition was met'));
    return new Promise<true>((resolve, reject) => {
      (this.waiters ??= []).push({ check, resolve: () => resolve(true), reject });
    });
  }

  /** Re-evaluate every waiter. */
  checkWaiters(): void {
    const waiters = this.waiters;
    if (waiters === null) return;
    const still: Waiter[] = [];
    for (const w of waiters) {
      let ok = false;
      try {
        ok = w.check();
      } catch (err) {
        w.reject(err as Error);
        continue;
      }
      if (ok) w.resolve();
      else still.push(w);
    }
    this.waiters = still.length === 0 ? null : still;
  }

  /** Switch to a negotiated encoding (CHARSET or LANG); it applies where BINARY allows. */
  setNegotiatedEncoding(name: string, force: boolean): void {
    if (this.encodingWanted === null) return;
    this.negotiatedEncoding = name;
    if (force) this.forceBinary = true;
    this.extra.set('charset', name);
    this.sink.setEncoding(this.incomingEncoding());
  }

  /** @internal Every session event: bookkeeping (session-record.ts), then the writer's callbacks, the listeners and the driver. */
  handleSessionEvent(ev: SessionEvent): void {
    recordEvent(this, ev);
    this.writer.dispatch(ev);
    if (this.listenerList !== null) for (const l of this.listenerList) l(ev);
    this.driver?.onSessionEvent(ev);
    // RFC 727 / telnetlib3: a server told DO LOGOUT logs the user out. The
    // WILL LOGOUT answer is already queued; callbacks have seen the event.
    if (ev.type === 'logout' && this.role === 'server' && ev.verb === Cmd.DO) this.writer.close();
  }

  /** @internal The session says compression starts for one direction (MCCP2 / MCCP3). */
  startCompression(option: number, direction: 'send' | 'receive'): void {
    this.logger.info(`${optName(option)} compression of ${direction === 'send' ? 'our output' : 'the peer\'s input'} starts`);
    if (direction === 'receive') {
      this.mccpIn = new MccpInflater(option, this, this.hooks.maxInflateRatio);
      this.mccpInStats = this.mccpIn.stats;
      if (this.readerPaused) this.mccpIn.setPaused(true);
      return;
    }
    // The start sequence goes out plain, before anything compressed; the
    // blocking API's direct writes (plain bytes) must stop for good.
    this.flushBatch();
    this.gate?.shutdown();
    this.mccpOut = new MccpDeflater(option, this);
    this.mccpOutStats = this.mccpOut.stats;
  }

  /** Byte counts of one MCCP direction, null when it was never compressed. */
  mccpStats(direction: 'send' | 'receive'): MccpStats | null {
    return direction === 'send' ? this.mccpOutStats : this.mccpInStats;
  }

  /** @internal InflateHost */
  inflated(bytes: Buffer): void {
    this.receivePlain(bytes);
  }

  /** @internal InflateHost: the peer ended its compressed stream. */
  inflateEnded(trailing: Buffer): void {
    const option = this.mccpIn?.stats.option ?? 0;
    this.mccpIn = null;
    this.logger.info(`${optName(option)} compression of the peer's input ended`);
    this.session.compressionEnded('receive');
    if (trailing.length > 0) this.receivePlain(trailing);
  }

  /** @internal InflateHost: a zip bomb or corrupt stream: warn and close. */
  inflateFailed(code: ProblemCode, message: string): void {
    this.mccpIn = null;
    this.logger.warn(`${message}: closing the connection`);
    this.handleSessionEvent({ type: 'problem', problem: { severity: 'error', code, message } });
    this.sink.setException(new TelnetError(message, code === 'DECOMPRESSION_LIMIT' ? 'ERR_TELNET_DECOMPRESSION_LIMIT' : 'ERR_TELNET_DECOMPRESSION'));
    this.destroy();
  }

  /** @internal InflateHost: the FIN that followed the compressed input. */
  inflatedEof(): void {
    this.onEnd();
  }

  /** @internal DeflateHost: compressed output for the socket; false when it is full. */
  wire(bytes: Buffer): boolean {
    const socket = this.socket;
    if (socket === null || socket.destroyed || socket.writableEnded) return true;
    this.writeSocket(socket, bytes);
    return !socket.writableNeedDrain;
  }

  /** @internal DeflateHost */
  deflateFailed(message: string): void {
    this.mccpOut = null;
    this.logger.warn(`${message}: closing the connection`);
    this.destroy();
  }

  private updateFlow(): void {
    const socket = this.socket;
    this.mccpIn?.setPaused(this.readerPaused);
    if (socket === null || this.isClosed) return;
    if (this.readerPaused || this.outputPaused) socket.pause();
    else socket.resume();
  }

  private onEnd(): void {
    if (this.mccpIn !== null) {
      // The FIN comes after the compressed data still being inflated.
      this.mccpIn.end();
      return;
    }
    this.peerEnded = true;
    this.session.end();
    this.sink.feedEof();
    this.afterChunk();
    // A server keeps its write side open after the client's FIN (it may
    // still say goodbye; the shell closes). A client treats the server's FIN
    // as the end of the session (as telnetlib3): it finishes sending and
    // closes too, instead of staying half-open with `closed` never resolving.
    if (this.role === 'client') this.writer.close();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      this.logger.debug(`connection reset: ${err.code}`);
      return;
    }
    this.logger.warn(`socket error: ${err.message}`);
    this.sink.setException(err);
    this.reportError(err);
  }

  /**
   * Run a shell on this connection; the connection closes when it returns
   * or throws (a failure is logged and goes to `onError`). Not an async
   * function: while the shell waits, the connection keeps only the reaction
   * to its promise (two bound functions), not a suspended frame.
   */
  runShell(shell: (reader: TelnetReader<any>, writer: TelnetWriter) => unknown): void {
    let result: unknown;
    try {
      result = shell(this.reader, this.writer);
    } catch (err) {
      shellFailed.call(this, err);
      return;
    }
    void Promise.resolve(result).then(shellDone.bind(this), shellFailed.bind(this));
  }

  /** @internal Tell the `onError` callback (socket failures, a failed shell). */
  reportError(err: unknown): void {
    const hook = this.hooks.onError;
    if (hook !== undefined) this.callHook('onError', hook, err instanceof Error ? err : new Error(String(err)));
  }

  /** @internal A protocol problem for the `onProtocolError` callback. */
  protocolProblem(problem: ProtocolProblem): void {
    if (this.hooks.onProtocolError !== undefined) this.callHook('onProtocolError', this.hooks.onProtocolError, problem);
  }

  /** Run an error callback; what it throws is logged. */
  private callHook<A>(name: string, hook: (arg: A, writer: TelnetWriter) => void, arg: A): void {
    try {
      hook(arg, this.writer);
    } catch (err) {
      this.logger.error(`${name} callback threw: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onIdle = null;
    setIdle(this, 0);
    this.mccpIn?.destroy();
    this.mccpIn = null;
    this.mccpOut?.destroy();
    this.mccpOut = null;
    this.session.end();
    this.sink.feedEof();
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters !== null) {
      const err = new TelnetClosedError('Connection closed');
      for (const w of waiters) {
        // A condition that became true at the last moment still counts.
        let ok = false;
        try { ok = w.check(); } catch { ok = false; }
        if (ok) w.resolve();
        else w.reject(err);
      }
    }
    this.resolveClosed?.();
    this.resolveClosed = null;
    this.driver?.onConnectionClosed();
    const hook = this.closeHook;
    this.closeHook = null;
    hook?.(this);
  }
}

function shellDone(this: EngineConnection): void {
  this.writer.close();
}

function shellFailed(this: EngineConnection, err: unknown): void {
  this.logger.error(`${this.role === 'client' ? 'client ' : ''}shell failed: ${(err as Error)?.stack ?? String(err)}`);
  this.reportError(err);
  this.writer.close();
}
