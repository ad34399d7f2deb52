/**
 * `telnetlib3/compat/telnetlib`: Python's `telnetlib.Telnet` (CPython 3.12,
 * the module removed in 3.13), with Python's names (snake_case), units
 * (seconds) and semantics, so that a Python script ports line by line:
 *
 * ```ts
 * import { Telnet, b } from 'telnetlib3/compat/telnetlib';
 *
 * using tn = new Telnet('192.0.2.10', 23, 10);      // with Telnet(...) as tn:
 * tn.read_until(b`login: `);
 * tn.write(b`admin\n`);
 * console.log(tn.read_all().toString('ascii'));
 * ```
 *
 * How it works: the socket lives in the blocking API's engine worker as a
 * *raw* byte connection (no Telnet session: the engine neither parses nor
 * negotiates), and this class interprets the byte stream itself on the
 * calling thread, exactly as `telnetlib.py` does: every option is refused
 * (DO/DONT → WONT, WILL/WONT → DONT) unless a negotiation callback is set,
 * in which case the callback alone decides, called on this thread in stream
 * order with every IAC command (`NOOPT` for commands without an option);
 * NUL and XON bytes are dropped; `read_sb_data()` returns the bytes between
 * SB and SE. All reads return `Buffer`s, as Python returns `bytes`.
 *
 * Differences from CPython, all deliberate:
 * - `fill_rawq()` takes whatever has arrived (one ring read) instead of
 *   `recv(50)`, and the cooked queue grows amortised, so `read_all()` is
 *   linear in the data size (stdlib's is quadratic on large transfers).
 *   Debug output therefore shows `recv b'...'` per arrival, not per 50 bytes.
 * - `get_socket()` returns a {@link TelnetSocket}: a small socket-like object
 *   (`sendall`, `send`, `fileno`, `gettimeout`, `settimeout`, `getpeername`,
 *   `getsockname`, `close`) — the real socket is owned by the engine thread.
 *   `fileno()` is the OS descriptor of that socket, for display only (do not
 *   read from it, and it cannot be passed to a selector).
 * - Regular expressions (`expect`) are JavaScript RegExps matched against
 *   the bytes as latin1 text (one character per byte). Buffer patterns are
 *   compiled, as Python compiles uncompiled ones (a string pattern is
 *   accepted too, where Python would refuse a str pattern on bytes);
 *   Python's `(?P<name>...)` and `(?P=name)` are accepted. The match is a
 *   {@link Match} with `group()`, `groups()`, `groupdict()`, `start()`,
 *   `end()`, `span()`. `write()` and `read_until()` take bytes only (a
 *   string is a TypeError, as in Python); `` b`...` `` builds them.
 * - `interact()` writes received bytes to stdout as they are (Python decodes
 *   them as ASCII and fails on anything else) and sends stdin lines as they
 *   are (Python encodes them as ASCII).
 * - A socket timeout (the `timeout` argument of the constructor / `open`)
 *   that runs out raises {@link TimeoutError} (`socket.timeout`), as in Python.
 * - There is no `__del__`: close with `close()` or `using` (an open Telnet
 *   does not keep the process alive, the engine thread is unref'd).
 * - `test()` is Python's `telnetlib.test()` (`-d ... [host [port]]`).
 */
import {
  TelnetClosedError, TelnetTimeoutError, TelnetUsageError,
} from '../src/protocol/errors.js';
import { StdinPump } from '../src/bridge/stdin-pump.js';
import { Cmd } from '../src/protocol/constants.js';
import { escapeIac } from '../src/protocol/options/codec.js';
import type { ChannelCore } from '../src/sync/core.js';
import { connectRaw } from '../src/sync/raw-connection.js';
import { ByteQueue, b, bytesRepr, percentFormat, pyStr, toBytes } from './python.js';

export { b, bytesRepr, percentFormat };
export * from './telnetlib-constants.js';
import { DEBUGLEVEL, DONT, IAC, NOOPT, TELNET_PORT, WONT } from './telnetlib-constants.js';

const byte = (n: number): Buffer => Buffer.from([n]);

// ------------------------------------------------------------------ errors

/** Python's `EOFError`: the connection is closed and no cooked data is left. */
export class EOFError extends TelnetClosedError {
  constructor(message = '') {
    super(message, undefined, 'ERR_TELNET_EOF');
  }
}

/** Python's `socket.timeout` / `TimeoutError`: a socket timeout ran out. */
export class TimeoutError extends TelnetTimeoutError {
  constructor(message = 'timed out') {
    super(message, 'ERR_TELNET_TIMEOUT');
  }
}

// --------------------------------------------------------------- helpers

const EMPTY = Buffer.alloc(0);
// Byte values (the Buffer constants above are Python's one-byte bytes).
const { IAC: I_IAC, DONT: I_DONT, DO: I_DO, WONT: I_WONT, WILL: I_WILL, SB: I_SB, SE: I_SE } = Cmd;
const I_XON = 0o21;

function notOpen(what: string): TelnetUsageError {
  return new TelnetUsageError(`${what}: the telnet connection is not open (sock is None)`, 'ERR_TELNET_NOT_CONNECTED');
}

/** Seconds (Python) to a deadline in ms since the epoch, or null for no limit. */
function deadlineOf(seconds: number | null | undefined): number | null {
  if (seconds === null || seconds === undefined) return null;
  if (!Number.isFinite(seconds)) throw new TypeError(`timeout must be a number of seconds, got ${seconds}`);
  return Date.now() + Math.max(0, seconds) * 1000;
}

// ------------------------------------------------------------------ socket

/**
 * What `Telnet.sock` / `get_socket()` return: a socket-like handle on the
 * connection (the real socket belongs to the engine thread). `sendall()`
 * writes bytes **as they are** (no IAC doubling), as Python's socket does;
 * use it in negotiation callbacks: `sock.sendall(Buffer.concat([IAC, WONT, opt]))`.
 */
export class TelnetSocket {
  private timeoutSeconds: number | null;

  /** @internal */
  constructor(private readonly core: ChannelCore<Buffer>, timeout: number | null, private readonly fd: number) {
    this.timeoutSeconds = timeout;
  }

  /** Send all of `data` as is. */
  sendall(data: Uint8Array): void {
    const bytes = toBytes(data, 'sendall');
    if (bytes.length > 0) this.core.write(bytes);
  }

  /** Send `data` as is; returns the number of bytes sent (all of them). */
  send(data: Uint8Array): number {
    const bytes = toBytes(data, 'send');
    if (bytes.length > 0) this.core.write(bytes);
    return bytes.length;
  }

  /** The OS descriptor of the engine's socket (informational), or -1. */
  fileno(): number {
    return this.core.isClosedLocally ? -1 : this.fd;
  }

  /** The socket timeout in seconds (null: none). */
  gettimeout(): number | null {
    return this.timeoutSeconds;
  }

  /** Set the socket timeout in seconds (null: none); it bounds every blocking receive. */
  settimeout(value: number | null): void {
    if (value !== null && (!Number.isFinite(value) || value < 0)) throw new RangeError('Timeout value out of range');
    this.timeoutSeconds = value;
  }

  /** `[address, port]` of the peer. */
  getpeername(): [string, number] {
    const p = this.core.getExtraInfo<{ address?: string; port?: number }>('peername');
    return [p?.address ?? '', p?.port ?? 0];
  }

  /** `[address, port]` of this end. */
  getsockname(): [string, number] {
    const p = this.core.getExtraInfo<{ address?: string; port?: number }>('sockname');
    return [p?.address ?? '', p?.port ?? 0];
  }

  /** Close the connection (pending output is sent first). */
  close(): void {
    this.core.close();
  }

  /** @internal */
  get _core(): ChannelCore<Buffer> {
    return this.core;
  }
}

// ------------------------------------------------------------------- match

/** Python's `re.Match` for `expect()`: groups are Buffers. */
export class Match {
  /** The JavaScript match (over the latin1 text of the bytes). */
  readonly exec: RegExpExecArray;

  /** @internal */
  constructor(readonly re: RegExp, readonly string: Buffer, exec: RegExpExecArray) {
    this.exec = exec;
  }

  /** A group as bytes (`0`: the whole match); null for a group that did not take part. */
  group(g: number | string = 0): Buffer | null {
    const v = typeof g === 'number' ? this.exec[g] : this.exec.groups?.[g];
    return v === undefined ? null : Buffer.from(v, 'latin1');
  }

  /** All groups from 1, as bytes. */
  groups(defaultValue: Buffer | null = null): Array<Buffer | null> {
    return this.exec.slice(1).map((v) => (v === undefined ? defaultValue : Buffer.from(v, 'latin1')));
  }

  /** Named groups, as bytes. */
  groupdict(defaultValue: Buffer | null = null): Record<string, Buffer | null> {
    const out: Record<string, Buffer | null> = {};
    for (const [k, v] of Object.entries(this.exec.groups ?? {})) out[k] = v === undefined ? defaultValue : Buffer.from(v, 'latin1');
    return out;
  }

  /** Start offset of a group (-1 if it did not take part). */
  start(g: number | string = 0): number {
    return this.span(g)[0];
  }

  /** End offset of a group (-1 if it did not take part). */
  end(g: number | string = 0): number {
    return this.span(g)[1];
  }

  /** `[start, end]` of a group. */
  span(g: number | string = 0): [number, number] {
    const ind = this.exec.indices;
    const r = ind === undefined ? undefined : (typeof g === 'number' ? ind[g] : ind.groups?.[g]);
    if (r === undefined) {
      if (g === 0) return [this.exec.index, this.exec.index + this.exec[0].length];
      return [-1, -1];
    }
    return [r[0], r[1]];
  }
}

/** Compile an `expect()` pattern: RegExp as is, str/bytes as a regular expression (as Python). */
function compilePattern(p: RegExp | string | Uint8Array): RegExp {
  let source: string;
  let flags = '';
  if (p instanceof RegExp) {
    source = p.source;
    flags = p.flags.replace(/[gyd]/g, '');
  } else {
    source = typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1');
    // Python's named groups and back-references.
    source = source.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  }
  return new RegExp(source, `${flags}d`);
}

// ------------------------------------------------------------------ Telnet

/** A negotiation callback: `callback(sock, cmd, opt)`; `opt` is `NOOPT` for commands without one. */
export type OptionCallback = (sock: TelnetSocket | null, cmd: Buffer, opt: Buffer) => void;

/**
 * Telnet interface class (Python's `telnetlib.Telnet`).
 *
 * An instance represents a connection to a telnet server. It is initially
 * not connected unless a host is given; `open()` connects. Reads return
 * Buffers. Some reads raise {@link EOFError} at the end of the connection
 * because they can return an empty Buffer for other reasons.
 */
export class Telnet {
  debuglevel: number = DEBUGLEVEL;
  host: string | null;
  port: number | string;
  /** The socket timeout in seconds (null: none). */
  timeout: number | null;
  /** The connection is closed and nothing more will arrive. */
  eof = false;
  /** The negotiation callback, if any. */
  option_callback: OptionCallback | null = null;
  /** Raw bytes received and not yet processed (from `irawq`). */
  rawq: Buffer = EMPTY;
  irawq = 0;
  /** Buffer for an IAC sequence in progress. */
  iacseq: Buffer = EMPTY;
  /** 1 inside SB ... SE. */
  sb = 0;

  private sockObj: TelnetSocket | null = null;
  private core: ChannelCore<Buffer> | null = null;
  private readonly cooked = new ByteQueue();
  private sbdata: Buffer = EMPTY;

  /**
   * When called without arguments, create an unconnected instance. With a
   * host, connect it; port (0 → 23) and timeout (seconds; null for none)
   * are optional.
   */
  constructor(host: string | null = null, port: number | string = 0, timeout: number | null = null) {
    this.host = host;
    this.port = port;
    this.timeout = timeout;
    if (host !== null && host !== undefined) this.open(host, port, timeout);
  }

  /**
   * Connect to a host. The port defaults to the standard telnet port (23);
   * the timeout (seconds) bounds the connect and every later receive.
   */
  open(host: string, port: number | string = 0, timeout: number | null = null): void {
    this.eof = false;
    if (!port) port = TELNET_PORT;
    this.host = host;
    this.port = port;
    this.timeout = timeout;
    if (this.core !== null) this.core.close(); // Python would leak the old socket; we release it.
    const portNumber = Number(port);
    const seconds = timeout === null || timeout === undefined ? undefined : Math.max(1, timeout * 1000);
    let conn: ReturnType<typeof connectRaw>;
    try {
      conn = connectRaw(host, portNumber, seconds, deadlineOf(timeout));
    } catch (err) {
      if (err instanceof TelnetTimeoutError) throw new TimeoutError('timed out');
      throw err;
    }
    const { core, fd } = conn;
    this.core = core;
    this.sockObj = new TelnetSocket(core, timeout, fd);
  }

  /** The socket-like object (null when not connected): Python's `self.sock`. */
  get sock(): TelnetSocket | null {
    return this.sockObj;
  }

  /** The cooked queue (processed data not yet read), as a copy. */
  get cookedq(): Buffer {
    return Buffer.from(this.cooked.view());
  }

  /** Data of the last subnegotiation not yet read (`read_sb_data()`), as a copy. */
  get sbdataq(): Buffer {
    return Buffer.from(this.sbdata);
  }

  /**
   * Print a debug message when the debug level is > 0. With extra
   * arguments, they are substituted Python-style (`%s`, `%r`, `%d`).
   */
  msg(msg: string, ...args: unknown[]): void {
    if (this.debuglevel > 0) {
      const head = `Telnet(${pyStr(this.host ?? null)},${pyStr(this.port)}):`;
      process.stdout.write(`${head} ${args.length > 0 ? percentFormat(msg, args) : msg}\n`);
    }
  }

  /** Set the debug level: the higher it is, the more debug output you get (on stdout). */
  set_debuglevel(debuglevel: number): void {
    this.debuglevel = debuglevel;
  }

  /** Close the connection. */
  close(): void {
    const core = this.core;
    this.core = null;
    this.sockObj = null;
    this.eof = true;
    this.iacseq = EMPTY;
    this.sb = 0;
    if (core !== null) core.close();
  }

  /** Return the socket object used internally (null when closed). */
  get_socket(): TelnetSocket | null {
    return this.sockObj;
  }

  /** Return the fileno() of the socket object used internally (see {@link TelnetSocket.fileno}). */
  fileno(): number {
    if (this.sockObj === null) throw notOpen('fileno');
    return this.sockObj.fileno();
  }

  /**
   * Write bytes to the socket, doubling any IAC characters. Can block while
   * the connection is blocked. Strings are refused, as Python refuses str.
   */
  write(buffer: Uint8Array): void {
    let data = toBytes(buffer, 'write');
    data = escapeIac(data);
    this.msg('send %r', data);
    if (this.sockObj === null) throw notOpen('write');
    this.sockObj.sendall(data);
  }

  /**
   * Read until a given byte string is encountered or until timeout
   * (seconds; null waits forever). When no match is found, return whatever
   * is available instead, possibly empty. Raise EOFError if the connection
   * is closed and no cooked data is available.
   */
  read_until(match: Uint8Array, timeout: number | null = null): Buffer {
    const needle = toBytes(match, 'read_until');
    const n = needle.length;
    this.process_rawq();
    let i = this.cooked.indexOf(needle);
    if (i >= 0) return this.cooked.take(i + n);
    const deadline = deadlineOf(timeout);
    while (!this.eof) {
      if (this.select(deadline)) {
        i = Math.max(0, this.cooked.length - n);
        this.fill_rawq();
        this.process_rawq();
        i = this.cooked.indexOf(needle, i);
        if (i >= 0) return this.cooked.take(i + n);
      }
      if (deadline !== null && deadline - Date.now() < 0) break;
    }
    return this.read_very_lazy();
  }

  /** Read all data until EOF; block until the connection is closed. */
  read_all(): Buffer {
    this.process_rawq();
    while (!this.eof) {
      this.fill_rawq();
      this.process_rawq();
    }
    return this.cooked.takeAll();
  }

  /** Read at least one byte of cooked data unless EOF is hit (then empty). Blocks. */
  read_some(): Buffer {
    this.process_rawq();
    while (this.cooked.length === 0 && !this.eof) {
      this.fill_rawq();
      this.process_rawq();
    }
    return this.cooked.takeAll();
  }

  /**
   * Read everything that is possible without blocking in I/O (eager).
   * Raise EOFError if the connection is closed and no cooked data is
   * available; return empty if no cooked data is available otherwise.
   */
  read_very_eager(): Buffer {
    this.process_rawq();
    while (!this.eof && this.sock_avail()) {
      this.fill_rawq();
      this.process_rawq();
    }
    return this.read_very_lazy();
  }

  /**
   * Read readily available data. Raise EOFError if the connection is
   * closed and no cooked data is available; empty if none otherwise.
   */
  read_eager(): Buffer {
    this.process_rawq();
    while (this.cooked.length === 0 && !this.eof && this.sock_avail()) {
      this.fill_rawq();
      this.process_rawq();
    }
    return this.read_very_lazy();
  }

  /**
   * Process and return data that is already in the queues (lazy), without
   * socket I/O. Raise EOFError if the connection is closed and no data is
   * available; empty if none otherwise.
   */
  read_lazy(): Buffer {
    this.process_rawq();
    return this.read_very_lazy();
  }

  /**
   * Return any data available in the cooked queue (very lazy). Raise
   * EOFError if the connection is closed and no data is available; empty
   * if none otherwise. Never blocks.
   */
  read_very_lazy(): Buffer {
    const buf = this.cooked.takeAll();
    if (buf.length === 0 && this.eof && this.rawq.length - this.irawq <= 0) throw new EOFError('telnet connection closed');
    return buf;
  }

  /**
   * Return any data available in the SB ... SE queue (empty if none). Call
   * it after seeing an SB or SE command; a new SB discards unread old data.
   */
  read_sb_data(): Buffer {
    const buf = this.sbdata;
    this.sbdata = EMPTY;
    return buf;
  }

  /**
   * Provide a callback called after each receipt of a telnet command:
   * `callback(sock, cmd, opt)`, with `opt` = NOOPT when there is no option.
   * No other action is then taken by this class (nothing is refused for you).
   */
  set_option_negotiation_callback(callback: OptionCallback | null): void {
    this.option_callback = callback;
  }

  /**
   * Transfer from the raw queue to the cooked queue, interpreting IAC
   * sequences (CPython's state machine, over spans of bytes). Never blocks:
   * a sequence split across arrivals resumes on the next call.
   */
  process_rawq(): void {
    const buf: [Buffer[], Buffer[]] = [[], []];
    let raw = this.rawq;
    let i = this.irawq;
    let n = raw.length;
    let nextIac = -1;
    let nextNul = -1;
    let nextXon = -1;
    while (i < n) {
      if (this.iacseq.length === 0) {
        // Plain bytes up to the next IAC, NUL or XON go out as one span.
        if (nextIac < i) { nextIac = raw.indexOf(I_IAC, i); if (nextIac === -1) nextIac = n; }
        if (nextNul < i) { nextNul = raw.indexOf(0, i); if (nextNul === -1) nextNul = n; }
        if (nextXon < i) { nextXon = raw.indexOf(I_XON, i); if (nextXon === -1) nextXon = n; }
        const stop = Math.min(nextIac, nextNul, nextXon);
        if (stop > i) buf[this.sb as 0 | 1].push(raw.subarray(i, stop));
        if (stop === n) { i = n; break; }
        i = stop + 1;
        if (raw[stop] === I_IAC) this.iacseq = IAC;
        continue; // NUL and XON are dropped
      }
      const c = raw[i]!;
      i += 1;
      if (this.iacseq.length === 1) {
        // IAC CMD [OPTION only for WILL/WONT/DO/DONT]
        if (c === I_DO || c === I_DONT || c === I_WILL || c === I_WONT) {
          this.iacseq = Buffer.from([I_IAC, c]);
          continue;
        }
        this.iacseq = EMPTY;
        if (c === I_IAC) {
          buf[this.sb as 0 | 1].push(IAC);
          continue;
        }
        if (c === I_SB) {
          // SB ... SE start.
          this.sb = 1;
          this.sbdata = EMPTY;
        } else if (c === I_SE) {
          this.sb = 0;
          this.sbdata = Buffer.concat([this.sbdata, ...buf[1]]);
          buf[1] = [];
        }
        if (this.option_callback !== null) {
          // The callback is supposed to look into the sbdataq.
          this.irawq = i;
          this.option_callback(this.sockObj, byte(c), NOOPT);
          ({ raw, i, n } = this.resync(raw, i, n));
          nextIac = nextNul = nextXon = -1;
        } else {
          // We can't offer automatic processing of suboptions. Alas, we
          // should not get any unless we did a WILL/DO before.
          this.msg(`IAC ${c} not recognized`);
        }
        continue;
      }
      // len(iacseq) == 2: IAC verb option
      const cmd = this.iacseq[1]!;
      this.iacseq = EMPTY;
      const opt = byte(c);
      const asked = cmd === I_DO || cmd === I_DONT; // the peer asks about our side
      this.msg('IAC %s %d', cmd === I_DO ? 'DO' : cmd === I_DONT ? 'DONT' : cmd === I_WILL ? 'WILL' : 'WONT', c);
      if (this.option_callback !== null) {
        this.irawq = i;
        this.option_callback(this.sockObj, byte(cmd), opt);
        ({ raw, i, n } = this.resync(raw, i, n));
        nextIac = nextNul = nextXon = -1;
      } else {
        // Without a callback every request is refused, as the stdlib does.
        this.sockObj?.sendall(Buffer.concat([IAC, asked ? WONT : DONT, opt]));
      }
    }
    // Everything in the raw queue has been consumed.
    if (this.rawq === raw) {
      this.rawq = EMPTY;
      this.irawq = 0;
    }
    for (const span of buf[0]) this.cooked.append(span);
    if (buf[1].length > 0) this.sbdata = Buffer.concat([this.sbdata, ...buf[1]]);
  }

  /** After a callback (which may have read and so processed the queue itself), pick up where the queue now is. */
  private resync(raw: Buffer, i: number, n: number): { raw: Buffer; i: number; n: number } {
    if (this.rawq !== raw || this.irawq !== i) return { raw: this.rawq, i: this.irawq, n: this.rawq.length };
    return { raw, i, n };
  }

  /**
   * Get the next byte from the raw queue (a 1-byte Buffer). Blocks if none
   * is immediately available; raises EOFError when the connection is closed.
   */
  rawq_getchar(): Buffer {
    if (this.rawq.length - this.irawq <= 0) {
      this.fill_rawq();
      if (this.eof) throw new EOFError();
    }
    const c = this.rawq.subarray(this.irawq, this.irawq + 1);
    this.irawq += 1;
    if (this.irawq >= this.rawq.length) {
      this.rawq = EMPTY;
      this.irawq = 0;
    }
    return Buffer.from(c);
  }

  /**
   * Fill the raw queue from one receive: block until something arrives (or
   * the socket timeout runs out: {@link TimeoutError}); set `eof` when the
   * connection is closed.
   */
  fill_rawq(): void {
    if (this.irawq >= this.rawq.length) {
      this.rawq = EMPTY;
      this.irawq = 0;
    }
    const core = this.core;
    if (core === null) throw notOpen('fill_rawq');
    let data: Buffer;
    try {
      const t = this.sockObj?.gettimeout() ?? null;
      data = core.read(Number.MAX_SAFE_INTEGER, t === null ? null : t * 1000);
    } catch (err) {
      if (err instanceof TelnetClosedError) data = EMPTY;
      else if (err instanceof TelnetTimeoutError) throw new TimeoutError('timed out');
      else throw err;
    }
    this.msg('recv %r', data);
    this.eof = data.length === 0;
    this.rawq = this.rawq.length === 0 ? data : Buffer.concat([this.rawq.subarray(this.irawq), data]);
    if (this.rawq !== data) this.irawq = 0;
  }

  /** Test whether data (or the end of the connection) is waiting on the socket. */
  sock_avail(): boolean {
    const core = this.core;
    if (core === null) throw notOpen('sock_avail');
    return core.hasInput();
  }

  /** Wait until the socket is readable or the deadline passes (selector.select). */
  private select(deadline: number | null): boolean {
    const core = this.core;
    if (core === null) throw notOpen('select');
    return core.waitOn(() => core.hasInput(), deadline);
  }

  /** Interaction function, emulates a very dumb telnet client (stdin lines out, received bytes to stdout). */
  interact(): void {
    if (process.platform === 'win32') {
      this.mt_interact();
      return;
    }
    this.interactLoop(false);
  }

  /** Multithreaded version of interact(): a helper thread reads stdin; returns at the end of stdin. */
  mt_interact(): void {
    this.interactLoop(true);
  }

  /** Helper for mt_interact(): print what arrives until the connection closes. */
  listener(): void {
    for (;;) {
      let data: Buffer;
      try {
        data = this.read_eager();
      } catch (err) {
        if (err instanceof EOFError) {
          process.stdout.write('*** Connection closed by remote host ***\n');
          return;
        }
        throw err;
      }
      if (data.length > 0) process.stdout.write(data);
      else this.select(null);
    }
  }

  private interactLoop(untilStdinEof: boolean): void {
    const core = this.core;
    if (core === null) throw notOpen('interact');
    const stdin = StdinPump.get();
    stdin.resume(core.ch);
    let partial: Buffer = EMPTY;
    let remoteClosed = false;
    try {
      for (;;) {
        core.waitOn(() => (!remoteClosed && this.sock_avail()) || stdin.ready(), null);
        if (!remoteClosed && this.sock_avail()) {
          let text: Buffer;
          try {
            text = this.read_eager();
          } catch (err) {
            if (!(err instanceof EOFError)) throw err;
            process.stdout.write('*** Connection closed by remote host ***\n');
            if (!untilStdinEof) return;
            remoteClosed = true;
            text = EMPTY;
          }
          if (text.length > 0) process.stdout.write(text);
        }
        if (stdin.ready()) {
          const chunk = stdin.read();
          partial = partial.length === 0 ? chunk : Buffer.concat([partial, chunk]);
          let nl: number;
          while ((nl = partial.indexOf(0x0a)) !== -1) {
            const line = partial.subarray(0, nl + 1);
            partial = partial.subarray(nl + 1);
            if (!remoteClosed) this.write(line);
          }
          if (stdin.atEof) {
            if (partial.length > 0 && !remoteClosed) this.write(partial);
            return;
          }
        }
      }
    } finally {
      stdin.pause();
    }
  }

  /**
   * Read until one of a list of regular expressions matches. Patterns are
   * RegExps, or strings / Buffers compiled as regular expressions. The
   * timeout is in seconds (null: none).
   *
   * Returns `[index, match, text]`: the index in the list of the **first
   * pattern in list order** that matches anywhere in the cooked data, its
   * {@link Match}, and the data read up to and including the match. When
   * nothing matches before the timeout or EOF: `[-1, null, text]` with the
   * data received so far (maybe empty after a timeout). EOF with no data at
   * all raises EOFError.
   */
  expect(list: ReadonlyArray<RegExp | string | Uint8Array>, timeout: number | null = null): [number, Match | null, Buffer] {
    const res = list.map((p) => compilePattern(p));
    const deadline = deadlineOf(timeout);
    while (!this.eof) {
      this.process_rawq();
      const view = this.cooked.view();
      const hay = view.toString('latin1');
      for (let i = 0; i < res.length; i++) {
        const re = res[i]!;
        re.lastIndex = 0;
        const m = re.exec(hay);
        if (m !== null) {
          const string = Buffer.from(view);
          const text = this.cooked.take(m.index + m[0].length);
          return [i, new Match(re, string, m), text];
        }
      }
      if (deadline !== null) {
        const ready = this.select(deadline);
        if (!ready) {
          if (deadline - Date.now() < 0) break;
          continue;
        }
      }
      this.fill_rawq();
    }
    const text = this.read_very_lazy();
    if (text.length === 0 && this.eof) throw new EOFError();
    return [-1, null, text];
  }

  /** `using tn = new Telnet(...)`: closed at the end of the block (Python's `with`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Python's `telnetlib.test()`: `[-d] ... [host [port]]` — connect (default
 * localhost, port 23, timeout 0.5 s) and `interact()`; each `-d` raises the
 * debug level.
 */
export function test(argv: readonly string[] = process.argv.slice(2)): void {
  const args = [...argv];
  let debuglevel = 0;
  while (args[0] === '-d') {
    debuglevel++;
    args.shift();
  }
  const host = args[0] ?? 'localhost';
  const port = args[1] === undefined ? 0 : Number(args[1]);
  if (Number.isNaN(port)) throw new TelnetUsageError(`unknown port ${args[1]}`);
  const tn = new Telnet();
  try {
    tn.set_debuglevel(debuglevel);
    tn.open(host, port, 0.5);
    tn.interact();
  } finally {
    tn.close();
  }
}
