/**
 * The blocking read/write semantics, written once for `TelnetConnection`
 * (client) and `ServerConnection` (handler side). Data arrives in the
 * channel's receive ring (UTF-8 for text connections, raw bytes otherwise)
 * and is decoded into a local buffer; every read searches that buffer and,
 * if it must wait, sleeps in Atomics.wait until the engine adds more.
 *
 * Rules:
 * - a read that times out consumes nothing: what arrived stays buffered;
 * - text connections match on decoded text, byte connections on bytes;
 * - the peer closing wakes a blocked read at once (EOF);
 * - the local buffer never grows past `limit` units while searching: a
 *   separator not found within it is a {@link TelnetLimitError}.
 */
import {
  TelnetClosedError, TelnetLimitError, TelnetTimeoutError, TelnetUsageError,
} from '../protocol/errors.js';
import type { TerminalMode } from '../protocol/session.js';
import { type OptionKey, type WaitForSpec, resolveOption } from '../engine/options-view.js';
import { Utf8Decoder, decodeInPieces } from '../engine/utf8-decoder.js';
import { C, type Channel, F, readBit, ringDrain, ringRead, ringUsed, ringWrite, wake } from '../bridge/channel.js';
import { channelCall, collectCall, postCall, waitUntil } from '../bridge/engine-client.js';
import { detachedCopy, parkChannel } from '../bridge/channel-pool.js';
import { nothingQueued, tryDirectWrite } from '../bridge/direct-write.js';
import type { MudMessage } from '../bridge/mud-queue.js';

/** What `expect()` found. */
export interface ExpectResult<T> {
  /** Index of the pattern that matched. */
  index: number;
  /** The RegExp match (a string pattern is matched literally). */
  match: RegExpExecArray;
  /** Everything consumed, up to and including the match. */
  text: T;
}

/** Default size limit for searches (units). */
export const DEFAULT_SYNC_LIMIT = 1024 * 1024;

/** A read-only view of negotiation state, as telnetlib3's `writer`. */
export interface SyncWriterView {
  readonly mode: TerminalMode;
  readonly localOption: { enabled(option: OptionKey): boolean };
  readonly remoteOption: { enabled(option: OptionKey): boolean };
  readonly pendingOption: { enabled(option: OptionKey): boolean };
}

type Unit = string | Buffer;

/**
 * The most a byte `read(n)` moves out of the ring at once (it returns up to
 * `n` of what has arrived, so it may return less). Copies of this size come
 * from malloc's heap, reused from read to read; a whole 1 MiB ring at once
 * took fresh pages each time (0.1 CPU ms/MiB more in bulk reads).
 */
const READ_PIECE = 128 * 1024;

/** Blocking operations over one channel. */
export class ChannelCore<T extends Unit = Unit> {
  readonly text: boolean;
  readonly limit: number;
  /** Milliseconds since the epoch of the last successful read. */
  lastInputTime = Date.now();
  private buf: Unit;
  /** Text connections: the ring holds UTF-8 (the engine transcodes other encodings). */
  private readonly decoder: Utf8Decoder | null;
  private swallowLf = false;
  private closedLocally = false;
  /** What getExtraInfo() and writer.mode answer after close (the engine releases a closed connection). */
  private closedInfo: { extra: Record<string, unknown>; mode: TerminalMode } | null = null;
  /** close() placed its call without waiting: the answer (closedInfo) is collected on first use. */
  private closeAnswerPending = false;

  /** The connection's channel (after {@link detach}, a private copy of its control block). */
  ch: Channel;

  constructor(ch: Channel, text: boolean, limit = DEFAULT_SYNC_LIMIT) {
    this.ch = ch;
    this.text = text;
    this.limit = limit;
    this.decoder = text ? new Utf8Decoder('replace') : null;
    this.buf = text ? '' : Buffer.alloc(0);
  }

  /** True after `close()`. */
  get isClosedLocally(): boolean {
    return this.closedLocally;
  }

  /** True once the peer closed and every received unit was read. */
  get atEof(): boolean {
    return this.peerClosed() && this.buf.length === 0;
  }

  // ------------------------------------------------------------ reads

  /** Up to `n` units once at least one is there; `n < 0` reads to EOF. */
  read(n: number, timeout: number | null, what = 'Read'): T {
    this.check();
    const deadline = this.deadline(timeout);
    if (n < 0) {
      this.block(() => { this.pullAll(); return this.peerClosed(); }, deadline, what);
      if (this.buf.length === 0) throw new TelnetClosedError('Connection closed');
      return this.take(this.buf.length);
    }
    if (n === 0) return this.take(0);
    this.block(() => this.pull(READ_PIECE) || this.buf.length > 0 || this.peerClosed(), deadline, what);
    if (this.buf.length === 0) throw new TelnetClosedError('Connection closed');
    return this.take(Math.min(n, this.buf.length));
  }

  /** Whatever has arrived, without waiting (empty when nothing has). */
  readAvailable(): T {
    this.check();
    while (this.pull()) { /* drain the ring up to the limit */ }
    return this.take(this.buf.length);
  }

  /** One line with its end (CR LF, LF or lone CR); at EOF the unterminated rest. */
  readline(timeout: number | null): T {
    this.check();
    const deadline = this.deadline(timeout);
    let end = -1;
    this.block(() => {
      this.pull();
      if (this.swallowLf && this.buf.length > 0) {
        this.swallowLf = false;
        const first = this.unitAt(0);
        if (first === 0x0a || first === 0x00) this.take(1);
      }
      end = this.lineEnd();
      if (end === -1 && this.buf.length > this.limit) throw new TelnetLimitError(`no line end within ${this.limit} units`);
      return end !== -1 || this.peerClosed();
    }, deadline, 'Readline');
    if (end !== -1) return this.take(end);
    if (this.buf.length === 0) throw new TelnetClosedError('Connection closed');
    return this.take(this.buf.length);
  }

  /** Everything up to and including `match`. */
  readUntil(match: string | Buffer | RegExp, timeout: number | null): T {
    if (match instanceof RegExp) return this.expect([match], timeout, 'Read until').text;
    this.check();
    // A literal: indexOf, resuming where the last search stopped (no rescans, no RegExp).
    const needle: string | Buffer = this.text
      ? (typeof match === 'string' ? match : match.toString('utf8'))
      : (typeof match === 'string' ? Buffer.from(match, 'utf8') : match);
    if (needle.length === 0) throw new TelnetUsageError('a match must not be empty');
    const deadline = this.deadline(timeout);
    let from = 0;
    let end = -1;
    this.block(() => {
      this.pull();
      const b = this.buf;
      const at = typeof b === 'string' ? b.indexOf(needle as string, from) : b.indexOf(needle as Buffer, from);
      if (at !== -1) {
        end = at + needle.length;
        return true;
      }
      from = Math.max(0, b.length - needle.length + 1);
      if (b.length > this.limit) throw new TelnetLimitError(`no match within ${this.limit} units`);
      return this.peerClosed();
    }, deadline, 'Read until');
    if (end === -1) {
      throw new TelnetClosedError('Connection closed before match found', this.text ? String(this.buf) : Buffer.from(this.buf as Buffer));
    }
    return this.take(end);
  }

  /**
   * Wait until one of `patterns` matches; the earliest match in the stream
   * wins (ties go to the lower index). Returns what it consumed.
   */
  expect(patterns: ReadonlyArray<string | Buffer | RegExp>, timeout: number | null, what = 'Expect'): ExpectResult<T> {
    this.check();
    if (patterns.length === 0) throw new TelnetUsageError('expect() needs at least one pattern');
    const res = patterns.map((p) => this.toRegExp(p));
    const deadline = this.deadline(timeout);
    let found: ExpectResult<T> | null = null;
    this.block(() => {
      this.pull();
      const hay = typeof this.buf === 'string' ? this.buf : this.buf.toString('latin1');
      let best: { index: number; match: RegExpExecArray } | null = null;
      res.forEach((re, index) => {
        re.lastIndex = 0;
        const m = re.exec(hay);
        if (m !== null && (best === null || m.index < best.match.index)) best = { index, match: m };
      });
      if (best !== null) {
        const b = best as { index: number; match: RegExpExecArray };
        found = { index: b.index, match: b.match, text: this.take(b.match.index + b.match[0].length) };
        return true;
      }
      if (this.buf.length > this.limit) throw new TelnetLimitError(`no match within ${this.limit} units`);
      return this.peerClosed();
    }, deadline, what);
    if (found === null) {
      // EOF without a match: the data stays buffered (read() can still take it).
      throw new TelnetClosedError('Connection closed before match found', this.text ? String(this.buf) : Buffer.from(this.buf as Buffer));
    }
    return found;
  }

  // ------------------------------------------------------------ writes

  /** Queue data for the engine; blocks only while the send ring is full. */
  write(data: string | Buffer): void {
    this.check();
    let bytes: Buffer;
    if (typeof data === 'string') {
      if (!this.text) throw new TelnetUsageError('this connection is binary (encoding: false): write Buffers, not strings');
      bytes = Buffer.from(data, 'utf8');
    } else if (Buffer.isBuffer(data) || (data as unknown) instanceof Uint8Array) {
      if (this.text) throw new TelnetUsageError('this connection is text: write strings, or open it with encoding: false');
      bytes = Buffer.from(data);
    } else {
      throw new TelnetUsageError('write() takes a string or a Buffer');
    }
    const ctrl = this.ch.ctrl;
    // Straight to the socket when nothing is queued and the bytes need no work (direct-write.ts).
    let off = tryDirectWrite(ctrl, bytes);
    while (off < bytes.length) {
      if (this.peerClosed() && (Atomics.load(ctrl, C.FLAGS) & F.SOCKET_CLOSED) !== 0) return; // dropped, as telnetlib3
      off += ringWrite(ctrl, this.ch.send, C.SEND_HEAD, C.SEND_TAIL, bytes.subarray(off));
      wake(ctrl, C.ENGINE_WAKE);
      if (off < bytes.length) {
        Atomics.store(ctrl, C.SEND_WAIT, 1);
        waitUntil(this.ch, () => ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) < this.ch.send.length
          || (Atomics.load(ctrl, C.FLAGS) & F.SOCKET_CLOSED) !== 0, null);
        Atomics.store(ctrl, C.SEND_WAIT, 0);
      }
    }
  }

  /**
   * Put as much of `bytes` into the send ring as fits now, without waiting
   * (a poll loop's partial send). Returns the number of bytes taken, or -1
   * when the connection can no longer send. When some is left over, the
   * engine reports room in the ring as news (the caller's wake word, and a
   * server's activity word), so a poll loop learns when to send the rest.
   */
  writeNow(bytes: Buffer): number {
    const ctrl = this.ch.ctrl;
    if (this.closedLocally || (Atomics.load(ctrl, C.FLAGS) & F.SOCKET_CLOSED) !== 0) return -1;
    const n = ringWrite(ctrl, this.ch.send, C.SEND_HEAD, C.SEND_TAIL, bytes);
    Atomics.store(ctrl, C.SEND_WAIT, n < bytes.length ? 1 : 0);
    if (n > 0) wake(ctrl, C.ENGINE_WAKE);
    return n;
  }

  /** Whether a read would return at once: data is waiting, or the connection ended or was closed here. */
  hasInput(): boolean {
    const ctrl = this.ch.ctrl;
    return this.buf.length > 0 || ringUsed(ctrl, C.RECV_HEAD, C.RECV_TAIL) > 0
      || (Atomics.load(ctrl, C.FLAGS) & (F.EOF | F.DEAD)) !== 0 || this.closedLocally;
  }

  /**
   * Sleep until `ready()` is true or `deadline` passes (ms since the epoch;
   * null waits forever); returns false at the deadline. `ready` is checked
   * whenever this connection's caller word is woken: by the engine (data,
   * EOF, state), or by another source sharing the word (stdin in
   * `interact()`). A poll loop's `select()` is `waitOn(() => hasInput(), d)`.
   */
  waitOn(ready: () => boolean, deadline: number | null): boolean {
    return waitUntil(this.ch, ready, deadline);
  }

  /** Wait until everything written has been handed to the network. */
  flush(timeout: number | null): void {
    this.check();
    const ctrl = this.ch.ctrl;
    const deadline = this.deadline(timeout);
    // Announce the wait before the engine looks: it wakes us for send-side progress only then.
    Atomics.store(ctrl, C.FLUSH_WAIT, 1);
    wake(ctrl, C.ENGINE_WAKE);
    let ok: boolean;
    try {
      ok = waitUntil(this.ch, () => (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) === 0 && Atomics.load(ctrl, C.UNSENT) === 0)
        || (Atomics.load(ctrl, C.FLAGS) & F.SOCKET_CLOSED) !== 0, deadline);
    } finally {
      Atomics.store(ctrl, C.FLUSH_WAIT, 0);
    }
    if (!ok) throw new TelnetTimeoutError('Flush timed out');
  }

  /**
   * Close (idempotent, never throws): pending output is sent first. One
   * call: the engine answers with what getExtraInfo() and writer.mode need
   * afterwards (it releases a closed connection), then closes. When nothing
   * of ours is waiting to be sent, close() does not wait for that answer
   * (the engine closes on its own; the answer is collected if asked for).
   */
  close(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    const ctrl = this.ch.ctrl;
    // A channel from the thread's pool goes back to it for the next connection (channel-pool.ts).
    parkChannel(this.ch, () => this.detach());
    try {
      if (nothingQueued(ctrl) && (Atomics.load(ctrl, C.FLAGS) & F.DEAD) === 0) {
        postCall(this.ch, 'close', [true]);
        this.closeAnswerPending = true;
        return;
      }
      this.keepCloseAnswer(channelCall(this.ch, 'close', [true]));
    } catch {
      // Never connected, or the engine is gone: nothing to release or keep.
    }
  }

  /**
   * After close: stop using the shared channel, which goes to another
   * connection (src/bridge/channel-pool.ts). The answer to close is
   * collected first; flags and option states stay readable from a private
   * copy of the control block.
   */
  detach(): void {
    if (!this.closedLocally) throw new TelnetUsageError('only a closed connection can let go of its channel');
    this.closeAnswer();
    this.ch = detachedCopy(this.ch);
  }

  private keepCloseAnswer(info: unknown): void {
    if (info !== true && info !== null && typeof info === 'object') this.closedInfo = info as { extra: Record<string, unknown>; mode: TerminalMode };
  }

  /**
   * What the engine answered to close(), collected on first use after a
   * close() that did not wait (empty extra info and `local` mode when the
   * engine could not answer); null before close, or when a waiting close
   * got no answer.
   */
  private closeAnswer(): { extra: Record<string, unknown>; mode: TerminalMode } | null {
    if (this.closeAnswerPending) {
      this.closeAnswerPending = false;
      try {
        this.keepCloseAnswer(collectCall(this.ch, 'close'));
      } catch {
        // The engine is gone: nothing was kept.
      }
      this.closedInfo ??= { extra: {}, mode: 'local' };
    }
    return this.closedInfo;
  }

  // ------------------------------------------------------------ state

  /** telnetlib3's extra info (`TERM`, `cols`, `rows`, `peername`, ...). */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    const info = this.closeAnswer();
    const v = info !== null ? (info.extra[name] ?? null) as V | null : channelCall<V | null>(this.ch, 'extra', [name]);
    return v === null ? defaultValue : v;
  }

  // ------------------------------------------------------------ MUD

  /** Send a GMCP message once GMCP is enabled; returns whether it was sent (after what was written before). */
  sendGmcp(pkg: string, data?: unknown): boolean {
    this.check();
    return channelCall<boolean>(this.ch, 'gmcp', data === undefined ? [pkg] : [pkg, data]);
  }

  /** Send MSDP variables (over GMCP when only GMCP is enabled); returns how, or null. */
  sendMsdp(vars: Record<string, unknown>): 'msdp' | 'gmcp' | null {
    this.check();
    return channelCall<'msdp' | 'gmcp' | null>(this.ch, 'msdp', [vars]);
  }

  /** Server: send an MSSP table once the client said DO MSSP; returns whether it was sent. */
  sendMssp(table: Record<string, unknown>): boolean {
    this.check();
    return channelCall<boolean>(this.ch, 'mssp', [table]);
  }

  /** End a prompt: IAC EOR once agreed, else IAC GA unless suppressed; returns what was sent. */
  endPrompt(): 'eor' | 'ga' | null {
    this.check();
    return channelCall<'eor' | 'ga' | null>(this.ch, 'prompt', []);
  }

  /**
   * The next received GMCP / MSDP / MSSP message, oldest first: waits up to
   * `timeout` ms (null: no limit, 0: only what is already queued). Returns
   * null when none came in time, or the connection closed with none left.
   */
  readMudMessage(timeout: number | null): MudMessage | null {
    this.check();
    const ctrl = this.ch.ctrl;
    const ready = (): boolean => Atomics.load(ctrl, C.MUD_QUEUED) > 0 || (Atomics.load(ctrl, C.FLAGS) & (F.EOF | F.SOCKET_CLOSED)) !== 0;
    if (!ready() && timeout !== 0) waitUntil(this.ch, ready, this.deadline(timeout));
    if (Atomics.load(ctrl, C.MUD_QUEUED) === 0) return null;
    return channelCall<MudMessage[]>(this.ch, 'mudTake', [1])[0] ?? null;
  }

  /** Every received MUD message queued now (no wait). */
  readMudMessages(): MudMessage[] {
    this.check();
    if (Atomics.load(this.ch.ctrl, C.MUD_QUEUED) === 0) return [];
    return channelCall<MudMessage[]>(this.ch, 'mudTake', [Number.MAX_SAFE_INTEGER]);
  }

  /** Block until the listed option states hold. */
  waitFor(spec: WaitForSpec, timeout: number | null): void {
    this.check();
    const checks: Array<() => boolean> = [];
    for (const [key, base] of [['remote', C.REMOTE], ['local', C.LOCAL], ['pending', C.PENDING]] as const) {
      for (const [name, want] of Object.entries(spec[key] ?? {})) {
        const code = resolveOption(name);
        checks.push(() => readBit(this.ch.ctrl, base, code) === want);
      }
    }
    const ok = waitUntil(this.ch, () => {
      if (checks.every((c) => c())) return true;
      if (this.peerClosed()) throw new TelnetClosedError('Connection closed while waiting for negotiation');
      return false;
    }, this.deadline(timeout));
    if (!ok) throw new TelnetTimeoutError('Wait for negotiation timed out');
  }

  /** The negotiation-state view (it follows the connection's channel, also after {@link detach}). */
  writerView(): SyncWriterView {
    const side = (base: number) => ({ enabled: (o: OptionKey) => readBit(this.ch.ctrl, base, resolveOption(o)) });
    const closedMode = (): TerminalMode | null => this.closeAnswer()?.mode ?? null;
    const describe = (): TerminalMode => channelCall<{ mode: TerminalMode }>(this.ch, 'describe').mode;
    return {
      get mode(): TerminalMode {
        return closedMode() ?? describe();
      },
      localOption: side(C.LOCAL),
      remoteOption: side(C.REMOTE),
      pendingOption: side(C.PENDING),
    };
  }

  /** True once the peer closed (or the connection failed). */
  peerClosed(): boolean {
    return (Atomics.load(this.ch.ctrl, C.FLAGS) & F.EOF) !== 0 && ringUsed(this.ch.ctrl, C.RECV_HEAD, C.RECV_TAIL) === 0;
  }

  // ------------------------------------------------------------ internals

  private check(): void {
    if (this.closedLocally) throw new TelnetUsageError('Connection closed', 'ERR_TELNET_CLOSED_LOCALLY');
  }

  private deadline(timeout: number | null): number | null {
    if (timeout === null || timeout === undefined) return null;
    if (!Number.isFinite(timeout) || timeout < 0) throw new TelnetUsageError(`timeout must be a number of ms >= 0, got ${timeout}`);
    return Date.now() + timeout;
  }

  private block(ready: () => boolean, deadline: number | null, what: string): void {
    if (!waitUntil(this.ch, ready, deadline, true)) throw new TelnetTimeoutError(`${what} timed out`);
  }

  /**
   * Move what the ring holds into the local buffer (up to the limit; bytes
   * at most `max` at once). Returns whether anything moved.
   */
  private pull(max = Infinity): boolean {
    const ctrl = this.ch.ctrl;
    if (this.buf.length >= this.limit) return false;
    if (ringUsed(ctrl, C.RECV_HEAD, C.RECV_TAIL) === 0) {
      if (this.decoder !== null && this.peerClosed()) {
        const tail = this.decoder.end().text;
        if (tail.length > 0) { this.buf = (this.buf as string) + tail; return true; }
      }
      return false;
    }
    this.pullOnce(max);
    return true;
  }

  /** Move what is in the ring (bytes: up to `max`) into the local buffer (text decodes straight from the ring). */
  private pullOnce(max = Infinity): void {
    const ctrl = this.ch.ctrl;
    const decoder = this.decoder;
    if (decoder !== null) {
      let text = '';
      ringDrain(ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, (part) => decodeInPieces(decoder, part, (r) => { text += r.text; }));
      this.buf = (this.buf as string) + text;
    } else {
      const bytes = ringRead(ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, max);
      this.buf = (this.buf as Buffer).length === 0 ? bytes : Buffer.concat([this.buf as Buffer, bytes]);
    }
    if (Atomics.load(ctrl, C.RECV_WAIT) !== 0) wake(ctrl, C.ENGINE_WAKE);
  }

  private pullAll(): void {
    // read(-1) collects to EOF, so the limit does not apply.
    const ctrl = this.ch.ctrl;
    while (ringUsed(ctrl, C.RECV_HEAD, C.RECV_TAIL) > 0) this.pullOnce();
    if (this.decoder !== null && this.peerClosed()) this.buf = (this.buf as string) + this.decoder.end().text;
  }

  private take(n: number): T {
    let out: Unit;
    if (typeof this.buf === 'string') {
      out = this.buf.slice(0, n);
      this.buf = this.buf.slice(n);
    } else {
      out = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
    }
    if (n > 0) this.lastInputTime = Date.now();
    return out as T;
  }

  private unitAt(i: number): number {
    return typeof this.buf === 'string' ? this.buf.charCodeAt(i) : this.buf[i]!;
  }

  private lineEnd(): number {
    const b = this.buf;
    const cr = typeof b === 'string' ? b.indexOf('\r') : b.indexOf(0x0d);
    const lf = typeof b === 'string' ? b.indexOf('\n') : b.indexOf(0x0a);
    if (lf !== -1 && (cr === -1 || lf < cr)) return lf + 1;
    if (cr === -1) return -1;
    if (cr + 1 < b.length) {
      const next = this.unitAt(cr + 1);
      if (next === 0x0a) return cr + 2;
      if (next === 0x00) this.swallowLf = true;
      return cr + 1;
    }
    // A CR at the end: answer now (an interactive peer waits after it) and
    // take a following LF as part of this line end.
    this.swallowLf = true;
    return cr + 1;
  }

  private toRegExp(p: string | Buffer | RegExp): RegExp {
    if (p instanceof RegExp) return p.global || p.sticky ? new RegExp(p.source, p.flags.replace(/[gy]/g, '')) : p;
    const s = typeof p === 'string' ? (this.text ? p : Buffer.from(p, 'utf8').toString('latin1')) : (this.text ? p.toString('utf8') : p.toString('latin1'));
    if (s.length === 0) throw new TelnetUsageError('a match must not be empty');
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}

