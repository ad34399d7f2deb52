/**
 * The reading half of a connection: in-band data from the protocol core,
 * decoded to text (or kept as bytes when `encoding: false`), buffered, and
 * handed out by `read`, `readline`, `readUntil` and `readexactly`.
 *
 * Text is decoded as it arrives, with the incoming encoding in force at that
 * moment (US-ASCII until BINARY is agreed in that direction, unless
 * `forceBinary`), by a streaming decoder so that a multi-byte character split
 * across packets decodes right.
 *
 * Flow control: when more than twice `limit` units are buffered the reader
 * asks its owner to pause the socket, and to resume once at most `limit`
 * remain, so a slow reader never makes memory grow.
 */
import { TelnetClosedError, TelnetEncodingError, TelnetLimitError, TelnetUsageError } from '../protocol/errors.js';
import { type EncodingErrors, type TextDecoderLike, makeDecoder } from './encoding.js';
import { decodeInPieces } from './utf8-decoder.js';

/** Default reader limit in units (characters or bytes). */
export const DEFAULT_READER_LIMIT = 64 * 1024;

type Unit = string | Buffer;

/** What `readUntil` may look for. */
export type Separator = string | Buffer | RegExp;

interface Waiter {
  wake: () => void;
}

/** Options for {@link TelnetReader}. */
export interface ReaderOptions {
  /** `false` for a byte reader; otherwise the initial incoming encoding (normalised name). */
  encoding: string | false;
  /** Decoding error handling for text readers (default `replace`). */
  encodingErrors?: EncodingErrors;
  /** Size limit in units (default 64 Ki). */
  limit?: number;
}

/** A Telnet reader: text (`T = string`) or bytes (`T = Buffer`). */
export class TelnetReader<T extends Unit = Unit> {
  /** Called when the buffer is over twice the limit: stop reading the socket. */
  onPause: () => void = () => {};
  /** Called when the buffer drained back to the limit: read the socket again. */
  onResume: () => void = () => {};

  readonly limit: number;
  private readonly isText: boolean;
  private readonly errors: EncodingErrors;
  private encodingName: string | null;
  private decoder: TextDecoderLike | null;
  private parts: Unit[] = [];
  private head: Unit;
  private size = 0;
  private eof = false;
  private error: Error | null = null;
  private pendingDecodeError: string | null = null;
  private waiter: Waiter | null = null;
  private busy = false;
  private paused = false;
  private swallowLf = false;
  private inspector: ((data: Buffer, feed: (part: Buffer, asLatin1?: boolean) => void) => void) | null = null;

  constructor(options: ReaderOptions) {
    this.limit = options.limit ?? DEFAULT_READER_LIMIT;
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new TelnetUsageError(`limit must be a positive integer, got ${options.limit}`);
    this.isText = options.encoding !== false;
    this.errors = options.encodingErrors ?? 'replace';
    this.encodingName = options.encoding === false ? null : options.encoding;
    this.decoder = this.encodingName === null ? null : makeDecoder(this.encodingName, this.errors);
    this.head = this.isText ? '' : Buffer.alloc(0);
  }

  /** True for a byte reader (`encoding: false`). */
  get binary(): boolean {
    return !this.isText;
  }

  /** The incoming encoding in force (null for a byte reader). */
  get encoding(): string | null {
    return this.encodingName;
  }

  /** Units buffered and not yet read. */
  get buffered(): number {
    return this.size;
  }

  /** True once EOF was fed and the buffer is empty. */
  atEof(): boolean {
    return this.eof && this.size === 0;
  }

  /** Switch the incoming encoding; bytes already decoded keep their old meaning. */
  setEncoding(name: string): void {
    if (!this.isText || name === this.encodingName) return;
    if (this.decoder !== null) this.pushText(this.decoder.end());
    this.encodingName = name;
    this.decoder = makeDecoder(name, this.errors);
  }

  /**
   * @internal Look at in-band bytes before they are decoded (a text reader
   * only): `inspect` hands the chunk on in parts through `feed`, and may
   * switch the encoding between parts (font-switch.ts). `feed(part, true)`
   * takes a part as latin-1 text whatever the encoding (an ASCII control
   * sequence that the current codec would turn into glyphs).
   */
  setInspector(inspect: ((data: Buffer, feed: (part: Buffer, asLatin1?: boolean) => void) => void) | null): void {
    this.inspector = this.isText ? inspect : null;
  }

  /** In-band bytes from the protocol core. */
  feedData(data: Buffer): void {
    if (this.eof || data.length === 0) return;
    const inspect = this.inspector;
    if (inspect !== null) {
      inspect(data, (part, asLatin1) => {
        if (part.length === 0) return;
        if (!asLatin1) {
          this.feedDecoded(part);
          return;
        }
        // What the decoder holds came before this part: flush it first (a
        // fresh decoder then, since not every codec may be reused after end()).
        if (this.decoder !== null && this.encodingName !== null) {
          this.pushText(this.decoder.end());
          this.decoder = makeDecoder(this.encodingName, this.errors);
        }
        this.pushText({ text: part.toString('latin1'), bad: false });
      });
      return;
    }
    this.feedDecoded(data);
  }

  private feedDecoded(data: Buffer): void {
    const decoder = this.decoder;
    if (decoder === null) {
      this.push(data);
      return;
    }
    decodeInPieces(decoder, data, (r) => this.pushText(r));
  }

  /**
   * A text reader keeps strings, never the chunks it is given, so its
   * client socket may read into a shared buffer (static-reads.ts); a byte
   * reader keeps the chunks themselves.
   */
  get copiesData(): boolean {
    return this.isText;
  }

  /** The peer closed: pending and future reads see EOF once the buffer drains. */
  feedEof(): void {
    if (this.eof) return;
    if (this.decoder !== null) this.pushText(this.decoder.end());
    this.eof = true;
    this.wake();
  }

  /** The connection failed: reads reject with `err` once the buffer drains. */
  setException(err: Error): void {
    this.error = err;
    this.eof = true;
    this.wake();
  }

  /**
   * Up to `n` units (at least one, waiting for it); `n < 0` reads until EOF.
   * Returns an empty value at EOF.
   */
  async read(n = -1): Promise<T> {
    this.enter(false);
    try {
      if (n === 0) return this.take(0);
      if (n < 0) {
        // Move what arrives out of the buffer as we go: waiting with the data
        // left in it would pause the socket at twice the limit and never see EOF.
        const got: Unit[] = [];
        for (;;) {
          if (this.size > 0) got.push(this.take(this.size));
          if (this.eof) break;
          await this.wait();
        }
        if (got.length === 0) {
          this.throwIfFailedAndEmpty();
          return this.take(0);
        }
        if (got.length === 1) return got[0] as T;
        return (this.isText ? (got as string[]).join('') : Buffer.concat(got as Buffer[])) as T;
      }
      while (this.size === 0 && !this.eof) await this.wait();
      this.throwIfFailedAndEmpty();
      return this.take(this.wholeChars(Math.min(n, this.size)));
    } finally {
      this.busy = false;
    }
  }

  /** Exactly `n` units; at EOF first, rejects with {@link TelnetClosedError} carrying the partial data. */
  async readexactly(n: number): Promise<T> {
    this.enter(false);
    try {
      while (this.size < n && !this.eof) await this.wait();
      if (this.size < n) {
        const partial = this.take(this.size);
        throw new TelnetClosedError(`Connection closed after ${this.len(partial)} of ${n} units`, partial);
      }
      return this.take(n);
    } finally {
      this.busy = false;
    }
  }

  /**
   * One line including its end: CR LF, LF, or a lone CR (CR NUL arrives as a
   * CR). At EOF, the unterminated rest, or an empty value when nothing is
   * left. A CR that ends the buffer is returned at once (an interactive peer
   * in BINARY mode sends `hello\r` and waits); if an LF or NUL then follows
   * it is taken as part of that line end, not as an empty line.
   */
  async readline(): Promise<T> {
    this.enter(true);
    try {
      for (;;) {
        if (this.swallowLf && this.size > 0) {
          this.swallowLf = false;
          const first = this.unitAt(0);
          if (first === 0x0a || first === 0x00) this.take(1);
        }
        const flat = this.flatten();
        const end = this.lineEnd(flat);
        if (end !== -1) return this.take(end);
        if (this.eof) {
          this.throwIfFailedAndEmpty();
          return this.take(this.size);
        }
        if (this.size > this.limit) throw new TelnetLimitError(`no line end within ${this.limit} units`);
        await this.wait();
      }
    } finally {
      this.busy = false;
    }
  }

  /** Everything up to and including `separator`. See {@link readUntilMatch}. */
  async readUntil(separator: Separator): Promise<T> {
    return (await this.readUntilMatch(separator)).data;
  }

  /** telnetlib3's name for {@link readUntil}. */
  async readuntil(separator: Separator = '\n'): Promise<T> {
    return this.readUntil(separator);
  }

  /**
   * Everything up to and including the first match of `separator` (a
   * string, Buffer or RegExp; on a byte reader a RegExp runs over the bytes
   * as latin1 text, one character per byte), with the RegExp match.
   * Rejects with {@link TelnetLimitError} when `limit` units arrive without a
   * match (the data stays buffered) and with {@link TelnetClosedError} at EOF
   * (carrying and consuming the partial data).
   */
  async readUntilMatch(separator: Separator): Promise<{ data: T; match: RegExpExecArray | null }> {
    const sep = this.normalizeSeparator(separator);
    this.enter(false);
    try {
      let from = 0;
      for (;;) {
        const flat = this.flatten();
        if (sep instanceof RegExp) {
          const hay = typeof flat === 'string' ? flat : flat.toString('latin1');
          sep.lastIndex = 0;
          const m = sep.exec(hay);
          if (m !== null) return { data: this.take(m.index + m[0].length), match: m };
        } else {
          const at = typeof flat === 'string' ? flat.indexOf(sep as string, from) : flat.indexOf(sep as Buffer, from);
          if (at !== -1) return { data: this.take(at + (sep as string | Buffer).length), match: null };
          from = Math.max(0, this.size - (sep as string | Buffer).length + 1);
        }
        if (this.eof) {
          this.throwIfFailedAndEmpty();
          const partial = this.take(this.size);
          throw new TelnetClosedError('Connection closed before match found', partial);
        }
        if (this.size > this.limit) throw new TelnetLimitError(`separator not found within ${this.limit} units`);
        await this.wait();
      }
    } finally {
      this.busy = false;
    }
  }

  /** Lines until EOF. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const line = await this.readline();
      if (this.len(line) === 0) return;
      yield line;
    }
  }

  /** Throw (once) a decode error reported with `encodingErrors: 'strict'`. */
  private checkDecodeError(): void {
    if (this.pendingDecodeError !== null) {
      const msg = this.pendingDecodeError;
      this.pendingDecodeError = null;
      throw new TelnetEncodingError(msg);
    }
  }

  /**
   * Start a read (each read method ends with `finally { busy = false }`).
   * Kept synchronous, without a wrapper closure, so a waiting read costs one
   * suspended frame per connection.
   */
  private enter(lineRead: boolean): void {
    if (this.busy) throw new TelnetUsageError('another read is already waiting on this reader', 'ERR_TELNET_CONCURRENT_READ');
    // A CR line end held open for a following LF only matters to readline.
    if (!lineRead) this.swallowLf = false;
    this.checkDecodeError();
    this.busy = true;
  }

  private normalizeSeparator(separator: Separator): Separator {
    if (separator instanceof RegExp) return separator;
    if (typeof separator === 'string') {
      if (separator.length === 0) throw new TelnetUsageError('separator must not be empty');
      return this.isText ? separator : Buffer.from(separator, 'utf8');
    }
    if (separator.length === 0) throw new TelnetUsageError('separator must not be empty');
    return this.isText ? separator.toString('utf8') : separator;
  }

  private lineEnd(flat: Unit): number {
    let cr: number;
    let lf: number;
    if (typeof flat === 'string') {
      cr = flat.indexOf('\r');
      lf = flat.indexOf('\n');
    } else {
      cr = flat.indexOf(0x0d);
      lf = flat.indexOf(0x0a);
    }
    if (lf !== -1 && (cr === -1 || lf < cr)) return lf + 1;
    if (cr === -1) return -1;
    if (cr + 1 < this.size) {
      const next = this.unitAt(cr + 1);
      if (next === 0x0a) return cr + 2;
      if (next === 0x00) {
        // CR NUL in BINARY mode: the NUL belongs to the line end.
        this.swallowLf = true;
      }
      return cr + 1;
    }
    this.swallowLf = true;
    return cr + 1;
  }

  /**
   * `k` units moved off the middle of a surrogate pair, so that a text read
   * never returns half a character (`read(1)` of an emoji returns both units).
   */
  private wholeChars(k: number): number {
    if (!this.isText || k === 0 || k >= this.size) return k;
    const hi = this.unitAt(k - 1);
    if (hi < 0xd800 || hi > 0xdbff) return k;
    const lo = this.unitAt(k);
    if (lo < 0xdc00 || lo > 0xdfff) return k;
    return k > 1 ? k - 1 : k + 1;
  }

  private unitAt(i: number): number {
    const flat = this.flatten(i + 1);
    return typeof flat === 'string' ? flat.charCodeAt(i) : flat[i]!;
  }

  private pushText(r: { text: string; bad: boolean }): void {
    if (r.bad && this.errors === 'strict' && this.pendingDecodeError === null) {
      this.pendingDecodeError = `received bytes that are not valid ${this.encodingName}`;
    }
    if (r.text.length > 0) this.push(r.text);
    else if (r.bad) this.wake();
  }

  private push(u: Unit): void {
    this.parts.push(u);
    this.size += u.length;
    if (!this.paused && this.size > 2 * this.limit) {
      this.paused = true;
      this.onPause();
    }
    this.wake();
  }

  /**
   * The head with the parts joined onto it: all of them, or (`atLeast`) only
   * as many as it takes for the head to hold that many units, so that a
   * small read from a large buffer joins (and the caller flattens or
   * copies) only what it takes.
   */
  private flatten(atLeast = Infinity): Unit {
    if (this.parts.length > 0 && this.head.length < atLeast) {
      let k = 0;
      for (let have = this.head.length; k < this.parts.length && have < atLeast; k++) have += this.parts[k]!.length;
      const joined = k === this.parts.length ? this.parts : this.parts.slice(0, k);
      if (this.isText) {
        // A rope, not join(): see DECODE_PIECE in utf8-decoder.ts.
        let text = this.head as string;
        for (const p of joined as string[]) text += p;
        this.head = text;
      } else {
        const bufs = this.head.length > 0 ? [this.head as Buffer, ...(joined as Buffer[])] : (joined as Buffer[]);
        this.head = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
      }
      this.parts = k === this.parts.length ? [] : this.parts.slice(k);
    }
    return this.head;
  }

  private take(n: number): T {
    let out: Unit;
    if (this.head.length === 0 && this.parts.length > 0 && this.parts[0]!.length === n) {
      // Common bulk case: hand out a whole chunk without copying.
      out = this.parts.shift()!;
    } else {
      const flat = this.flatten(n);
      if (typeof flat === 'string') {
        out = flat.slice(0, n);
        this.head = flat.slice(n);
      } else {
        out = flat.subarray(0, n);
        this.head = flat.subarray(n);
      }
    }
    this.size -= n;
    if (this.paused && this.size <= this.limit) {
      this.paused = false;
      this.onResume();
    }
    return out as T;
  }

  private len(u: Unit): number {
    return u.length;
  }

  private throwIfFailedAndEmpty(): void {
    if (this.error !== null && this.size === 0) throw this.error;
  }

  private wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiter = { wake: resolve };
    });
  }

  private wake(): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.wake();
    }
  }
}
