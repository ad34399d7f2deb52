/**
 * The Telnet byte-stream parser (RFC 854, RFC 855).
 *
 * One state machine takes chunks of any size, split anywhere, and reports:
 * - data as **spans** (subarrays of the chunk, never a call per byte),
 * - two-byte commands (NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, EOR, SUSP,
 *   ABORT, EOF),
 * - negotiations (IAC WILL/WONT/DO/DONT option),
 * - subnegotiations (IAC SB option payload IAC SE, with IAC IAC unescaped),
 * - problems (warnings and limit errors), after which parsing goes on.
 *
 * Fast path: in the data state the next IAC (and, in NVT mode, the next NUL)
 * is found with `indexOf`, so a chunk of plain text is one span. Binary data
 * of a kilobyte or more, when the parser may rewrite its chunks, is
 * unescaped by WebAssembly SIMD instead (options/iac-simd.ts): random bytes
 * hold an 0xFF every 256 bytes, and a native call per 0xFF cost twice the
 * SIMD pass with its two copies.
 *
 * NVT receive rules (when the peer has not agreed to BINARY): NUL bytes are
 * no-ops and are dropped, so CR NUL arrives as a bare CR; CR LF, lone CR and
 * lone LF pass through for the reader's line logic. In BINARY mode every data
 * byte passes unchanged.
 *
 * Limits: a subnegotiation payload (escaped IAC counted once per data byte)
 * may not exceed `maxSubnegotiation`; past it the SB is discarded up to its
 * IAC SE and one `SB_OVERFLOW` error is reported. Memory per parser is
 * bounded by that cap.
 */
import { Cmd, type Verb, cmdName, optName } from './constants.js';
import { ProblemCode, type ProtocolProblem } from './errors.js';
import { unescapeIacSimd } from './options/iac-simd.js';

/** Where the parser's output goes. */
export interface ParserHandler {
  /** A run of in-band data. The span may be a view of the input chunk. */
  onData(span: Buffer): void;
  /** A two-byte command such as GA or AYT. */
  onCommand(cmd: number): void;
  /** IAC WILL/WONT/DO/DONT option. */
  onNegotiate(verb: Verb, opt: number): void;
  /** A complete subnegotiation; `payload` excludes the option byte and is a private copy. */
  onSubnegotiation(opt: number, payload: Buffer): void;
  /** A peer misbehaviour; parsing continues. */
  onProblem(problem: ProtocolProblem): void;
}

/** Parser limits. */
export interface ParserOptions {
  /** Largest accepted SB payload in bytes (default 16 KiB). */
  maxSubnegotiation?: number;
  /** Start in BINARY receive mode (NUL bytes kept). Default false. */
  binary?: boolean;
  /**
   * Let the parser rewrite the chunks it is given: escaped 0xFF pairs and
   * NVT NULs are squeezed out in place, so each run of data between
   * commands is one span instead of one span per 0xFF. Only for callers that
   * own their chunks (the engine does, for socket reads). Default false.
   */
  inPlace?: boolean;
}

/** Default cap on one subnegotiation payload. */
export const DEFAULT_MAX_SUBNEGOTIATION = 16 * 1024;

const IAC = Cmd.IAC;

/** From this many bytes on, binary data is unescaped in place by WebAssembly SIMD (iac-simd.ts). */
const SIMD_UNESCAPE_MIN = 1024;
/** Where {@link unescapeIacSimd} stopped; one per thread, reused. */
const simdStop = new Int32Array(1);

const enum State {
  Data,
  Iac,
  Verb,
  SbOption,
  Sb,
  SbIac,
}

/** A resumable Telnet stream parser. Pure: no I/O, timers or threads. */
export class TelnetParser {
  /**
   * Whether received data is BINARY (RFC 856). When false, NUL bytes are
   * dropped as NVT no-ops. The session flips this as negotiation changes;
   * it takes effect from the next byte.
   */
  binary: boolean;
  readonly maxSubnegotiation: number;
  /** See {@link ParserOptions.inPlace}. */
  readonly inPlace: boolean;
  /**
   * During `onSubnegotiation`: the offset in the current chunk just past the
   * IAC SE, so a caller can account for input consumed so far whatever the
   * chunking.
   */
  sbEnd = 0;

  private readonly handler: ParserHandler;
  private state: State = State.Data;
  private verb: Verb = Cmd.WILL;
  private sbOption = -1;
  private sbBuffer: Buffer | null = null;
  private sbLength = 0;
  private sbDiscard = false;
  private halted = false;

  constructor(handler: ParserHandler, options: ParserOptions = {}) {
    this.handler = handler;
    this.binary = options.binary ?? false;
    this.inPlace = options.inPlace ?? false;
    const max = options.maxSubnegotiation ?? DEFAULT_MAX_SUBNEGOTIATION;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxSubnegotiation must be a positive integer, got ${max}`);
    }
    this.maxSubnegotiation = max;
  }

  /** True when the parser is between sequences (nothing partial is held). */
  get idle(): boolean {
    return this.state === State.Data;
  }

  /**
   * Stop after the subnegotiation being reported: called from
   * `onSubnegotiation`, it makes {@link receive} return just past that
   * IAC SE (MCCP: what follows is compressed and not Telnet yet).
   */
  halt(): void {
    this.halted = true;
  }

  /**
   * Feed one chunk. Handlers run synchronously, in stream order. Returns how
   * many bytes were consumed: the whole chunk unless a handler called
   * {@link halt}.
   */
  receive(chunk: Buffer): number {
    const n = chunk.length;
    const h = this.handler;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.Data:
          i = this.data(chunk, i);
          break;
        case State.Iac: {
          const b = chunk[i]!;
          i += 1;
          this.command(b);
          break;
        }
        case State.Verb: {
          const opt = chunk[i]!;
          i += 1;
          this.state = State.Data;
          h.onNegotiate(this.verb, opt);
          break;
        }
        case State.SbOption: {
          const b = chunk[i]!;
          i += 1;
          if (b === IAC) {
            // IAC SB IAC ...: no option byte at all.
            this.sbOption = -1;
            this.state = State.SbIac;
          } else {
            this.sbOption = b;
            this.state = State.Sb;
          }
          break;
        }
        case State.Sb: {
          let j = chunk.indexOf(IAC, i);
          if (j === -1) j = n;
          if (j > i) this.appendSb(chunk, i, j);
          if (j === n) return n;
          i = j + 1;
          this.state = State.SbIac;
          break;
        }
        case State.SbIac: {
          const b = chunk[i]!;
          if (b === IAC) {
            i += 1;
            this.appendSb(chunk, i - 1, i);
            this.state = State.Sb;
          } else if (b === Cmd.SE) {
            i += 1;
            this.state = State.Data;
            this.sbEnd = i;
            this.finishSb();
            if (this.halted) {
              this.halted = false;
              return i;
            }
          } else if (b < Cmd.EOF) {
            // IAC and a byte that is no command: a 0xFF the peer forgot to
            // double (WinTin++ sends NAWS 255 this way). Keep both as payload.
            i += 1;
            this.problem('warning', ProblemCode.BAD_SB,
              `undoubled IAC inside SB ${this.sbOptionName()}: taken as a 0xFF data byte`);
            this.state = State.Sb;
            this.appendSb(Buffer.from([IAC, b]), 0, 2);
          } else {
            // Any other command ends the SB (which is dropped) and is then
            // processed as a command in its own right.
            this.problem('warning', ProblemCode.SB_INTERRUPTED,
              `IAC ${cmdName(b)} inside SB ${this.sbOptionName()}: subnegotiation dropped`);
            this.resetSb();
            this.state = State.Iac;
          }
          break;
        }
      }
    }
    return n;
  }

  /**
   * The data state: report the run of data up to the next command. The next
   * IAC (and, in NVT mode, NUL) is found with `indexOf`; positions are
   * cached so a chunk is scanned once. An escaped 0xFF or an NVT NUL either
   * ends a span (the default: spans are views of the chunk) or, with
   * `inPlace`, is squeezed out with `copyWithin` so the whole run is one span.
   * Returns the index after the run; the state becomes Iac if a command follows.
   */
  private data(chunk: Buffer, from: number): number {
    const n = chunk.length;
    const inPlace = this.inPlace;
    if (inPlace && this.binary && n - from >= SIMD_UNESCAPE_MIN) {
      // Up to the first IAC nothing moves: find it by memchr (a chunk of
      // text holds none), and unescape only from there.
      const first = chunk.indexOf(IAC, from);
      if (first === -1) {
        this.handler.onData(chunk.subarray(from, n));
        return n;
      }
      const written = n - first >= SIMD_UNESCAPE_MIN ? unescapeIacSimd(chunk, first, n, simdStop) : null;
      if (written !== null) {
        const end = first + written;
        if (end > from) this.handler.onData(chunk.subarray(from, end));
        const stop = simdStop[0]!;
        if (stop === n) return n;
        this.state = State.Iac;
        return stop + 1;
      }
    }
    let i = from;
    let start = from; // first byte of the span being built
    let w = from; // end of that span
    let nextIac = -1;
    let nextNul = -1;
    for (;;) {
      if (nextIac < i) {
        nextIac = chunk.indexOf(IAC, i);
        if (nextIac === -1) nextIac = n;
      }
      let stop = nextIac;
      if (!this.binary) {
        if (nextNul < i) {
          nextNul = chunk.indexOf(0, i);
          if (nextNul === -1) nextNul = n;
        }
        if (nextNul < stop) stop = nextNul;
      }
      if (inPlace && w !== i && stop > i) chunk.copyWithin(w, i, stop);
      w += stop - i;
      if (stop === n) {
        i = n;
        break;
      }
      if (stop !== nextIac) {
        // NVT NUL: dropped.
        if (!inPlace) {
          if (w > start) this.handler.onData(chunk.subarray(start, w));
          start = w = stop + 1;
        }
        i = stop + 1;
        continue;
      }
      if (stop + 1 < n && chunk[stop + 1] === IAC) {
        // Escaped 0xFF: keep one byte.
        if (inPlace) {
          chunk[w++] = IAC;
        } else {
          this.handler.onData(chunk.subarray(start, stop + 1));
          start = w = stop + 2;
        }
        i = stop + 2;
        continue;
      }
      i = stop + 1;
      this.state = State.Iac;
      break;
    }
    if (w > start) this.handler.onData(chunk.subarray(start, w));
    return i;
  }

  /**
   * The stream has ended. A dangling IAC or an unterminated subnegotiation
   * is discarded with a `TRUNCATED` warning.
   */
  end(): void {
    if (this.state !== State.Data) {
      const what = this.state === State.Sb || this.state === State.SbIac || this.state === State.SbOption
        ? `an unterminated SB ${this.sbOptionName()}`
        : 'a partial IAC sequence';
      this.problem('warning', ProblemCode.TRUNCATED, `stream ended inside ${what}; discarded`);
    }
    this.reset();
  }

  /** Forget any partial sequence. */
  reset(): void {
    this.state = State.Data;
    this.resetSb();
    this.sbBuffer = null;
  }

  private command(b: number): void {
    const h = this.handler;
    this.state = State.Data;
    if (b === IAC) {
      // Only reached when the first IAC ended the previous chunk.
      h.onData(Buffer.from([IAC]));
    } else if (b >= Cmd.WILL && b <= Cmd.DONT) {
      this.verb = b as Verb;
      this.state = State.Verb;
    } else if (b === Cmd.SB) {
      this.resetSb();
      this.state = State.SbOption;
    } else if (b === Cmd.SE) {
      this.problem('warning', ProblemCode.SE_WITHOUT_SB, 'IAC SE outside a subnegotiation: ignored');
    } else if (b >= Cmd.EOF) {
      h.onCommand(b);
    } else {
      this.problem('warning', ProblemCode.UNKNOWN_COMMAND, `IAC ${b} is not a Telnet command: ignored`);
    }
  }

  private appendSb(chunk: Buffer, start: number, end: number): void {
    if (this.sbDiscard) return;
    const len = end - start;
    const needed = this.sbLength + len;
    if (needed > this.maxSubnegotiation) {
      this.sbDiscard = true;
      this.problem('error', ProblemCode.SB_OVERFLOW,
        `SB ${this.sbOptionName()} exceeds ${this.maxSubnegotiation} bytes: discarded up to its IAC SE`);
      return;
    }
    let buf = this.sbBuffer;
    if (buf === null || buf.length < needed) {
      // The first run usually is the whole payload (its IAC SE follows).
      let size = buf === null ? Math.max(16, needed) : buf.length * 2;
      while (size < needed) size *= 2;
      size = Math.min(size, this.maxSubnegotiation);
      const grown = Buffer.allocUnsafe(size);
      if (buf !== null && this.sbLength > 0) buf.copy(grown, 0, 0, this.sbLength);
      this.sbBuffer = buf = grown;
    }
    chunk.copy(buf, this.sbLength, start, end);
    this.sbLength = needed;
  }

  private finishSb(): void {
    const opt = this.sbOption;
    const discarded = this.sbDiscard;
    const buf = this.sbBuffer;
    const len = this.sbLength;
    // The buffer is handed over as the payload, never kept between
    // subnegotiations: an idle connection holds none (a small pooled one
    // would pin its whole 8 KiB pool slab). It grows by doubling, so it is
    // less than twice the payload.
    this.sbBuffer = null;
    this.resetSb();
    if (discarded) return;
    const payload = len === 0 || buf === null ? Buffer.alloc(0) : buf.subarray(0, len);
    if (opt < 0) {
      this.problem('warning', ProblemCode.EMPTY_SB, 'IAC SB IAC SE with no option: ignored');
      return;
    }
    this.handler.onSubnegotiation(opt, payload);
  }

  private resetSb(): void {
    this.sbOption = -1;
    this.sbLength = 0;
    this.sbDiscard = false;
  }

  private sbOptionName(): string {
    return this.sbOption < 0 ? '(no option)' : optName(this.sbOption);
  }

  private problem(severity: 'warning' | 'error', code: ProblemCode, message: string): void {
    const p: ProtocolProblem = { severity, code, message };
    if (this.sbOption >= 0) p.option = this.sbOption;
    this.handler.onProblem(p);
  }
}
