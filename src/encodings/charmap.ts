/**
 * Single-byte "charmap" codecs built from a 256-entry table of code points
 * (the generated tables of tables.generated.ts): every byte decodes, so
 * decoding never fails; encoding looks characters up in the reverse table,
 * where the lowest byte wins when several bytes share a glyph (ATASCII's
 * inverse-video range, PETSCII's repeated line glyphs), so the normal byte
 * is what gets sent.
 *
 * Decoding writes UTF-16 code units into a typed array and turns it into a
 * string in one native call, as iconv-lite's own single-byte codecs do.
 */
import os from 'node:os';
import { TelnetEncodingError } from '../protocol/errors.js';
import type { ErrorMode, RetroCodec, StreamDecoder, StreamEncoder } from './types.js';

const LITTLE_ENDIAN = os.endianness() === 'LE';
const QUESTION = 0x3f;

/** What makes one charmap codec. */
export interface CharmapSpec {
  name: string;
  aliases: readonly string[];
  /** Code point of each byte 0x00-0xFF. */
  table: readonly number[];
  /**
   * A byte that CR, LF and CR LF all encode to (ATASCII's end of line,
   * 0x9B); LF must be what that byte decodes to.
   */
  eolByte?: number;
}

/** The decode and encode tables of one charmap. */
class Tables {
  /** First UTF-16 unit of each byte. */
  readonly first = new Uint16Array(256);
  /** Second unit (astral code points only), else 0. */
  readonly second = new Uint16Array(256);
  /** `first | second << 16` of each byte. */
  readonly packed = new Uint32Array(256);
  readonly bmpOnly: boolean;
  /** Byte of each BMP code point, -1 when none. */
  readonly reverse = new Int16Array(0x10000).fill(-1);
  readonly astral = new Map<number, number>();
  readonly lossless: boolean;

  constructor(table: readonly number[]) {
    if (table.length !== 256) throw new RangeError(`a charmap needs 256 entries, got ${table.length}`);
    let bmp = true;
    for (let b = 0; b < 256; b++) {
      const cp = table[b]!;
      if (cp > 0xffff) {
        bmp = false;
        const v = cp - 0x10000;
        this.first[b] = 0xd800 + (v >> 10);
        this.second[b] = 0xdc00 + (v & 0x3ff);
        if (!this.astral.has(cp)) this.astral.set(cp, b);
      } else {
        this.first[b] = cp;
        if (this.reverse[cp] === -1) this.reverse[cp] = b;
      }
    }
    for (let b = 0; b < 256; b++) this.packed[b] = (this.first[b]! | (this.second[b]! << 16)) >>> 0;
    this.bmpOnly = bmp;
    this.lossless = new Set(table).size === 256;
  }
}

/**
 * One scratch array for every decode: decoding is synchronous and the
 * string is copied out of it, so no chunk allocates (or zero-fills) its own.
 */
let scratch = new Uint16Array(2 * 65536);

/** The scratch array grows to this many units at most; larger decodes get an array of their own. */
const SCRATCH_MAX = 4 * 65536;

/** A scratch array at least `n` units long. */
export function scratchUnits(n: number): Uint16Array {
  if (n <= scratch.length) return scratch;
  if (n > SCRATCH_MAX) return new Uint16Array(n);
  scratch = new Uint16Array(SCRATCH_MAX);
  return scratch;
}

/**
 * Units per string piece: V8 puts a string of 128 KiB or more in its
 * large-object space, which makes creating it about twenty times slower
 * than creating the same text as a rope of smaller pieces (a 64 KiB socket
 * read of two-byte text is exactly that size). The pieces join as one rope
 * (a cons string); cutting a surrogate pair between two pieces is harmless,
 * as a JS string is a sequence of UTF-16 units.
 */
const PIECE_UNITS = 32768;

/** The first `n` units of `u16` as a string. */
export function units(u16: Uint16Array, n: number): string {
  if (LITTLE_ENDIAN) {
    const bytes = Buffer.from(u16.buffer, u16.byteOffset, n * 2);
    if (n <= PIECE_UNITS) return bytes.toString('utf16le');
    let s = '';
    for (let i = 0; i < n; i += PIECE_UNITS) s += bytes.toString('utf16le', i * 2, Math.min(n, i + PIECE_UNITS) * 2);
    return s;
  }
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...u16.subarray(i, Math.min(n, i + 8192)));
  return s;
}

/** Decode with a charmap: one code unit per byte (two for astral glyphs). */
function decodeWith(t: Tables, buf: Uint8Array): string {
  const n = buf.length;
  if (n === 0) return '';
  const first = t.first;
  if (t.bmpOnly) {
    const out = scratchUnits(n);
    for (let i = 0; i < n; i++) out[i] = first[buf[i]!]!;
    return units(out, n);
  }
  // Both units of a byte in one load: low half first, high half second (0 for BMP).
  const packed = t.packed;
  const out = scratchUnits(n * 2);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = packed[buf[i]!]!;
    out[j++] = v;
    if (v > 0xffff) out[j++] = v >>> 16;
  }
  return units(out, j);
}

function unencodable(name: string, text: string, at: number): TelnetEncodingError {
  const cp = text.codePointAt(at)!;
  return new TelnetEncodingError(`'${name}' codec can't encode character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at position ${at}`);
}

/**
 * Encode with a charmap. `eol` >= 0 makes CR, LF and CR LF one `eol` byte;
 * `afterCr` says the previous chunk ended in CR (a leading LF is then part
 * of that line end). Returns the bytes and whether this text ended in CR.
 */
function encodeWith(t: Tables, name: string, text: string, errors: ErrorMode, eol: number, afterCr: boolean): { bytes: Buffer; endsCr: boolean } {
  const out = Buffer.allocUnsafe(text.length);
  const reverse = t.reverse;
  let j = 0;
  let i = 0;
  if (afterCr && eol >= 0 && text.charCodeAt(0) === 0x0a) i = 1;
  for (; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (eol >= 0 && (c === 0x0d || c === 0x0a)) {
      out[j++] = eol;
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
      continue;
    }
    let b: number;
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        b = t.astral.get(c) ?? -1;
        if (b >= 0) {
          out[j++] = b;
          i++;
          continue;
        }
        if (errors === 'strict') throw unencodable(name, text, i);
        if (errors === 'replace') out[j++] = QUESTION;
        i++;
        continue;
      }
    }
    b = reverse[c]!;
    if (b >= 0) out[j++] = b;
    else if (errors === 'strict') throw unencodable(name, text, i);
    else if (errors === 'replace') out[j++] = QUESTION;
  }
  const endsCr = eol >= 0 && text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d;
  return { bytes: j === out.length ? out : out.subarray(0, j), endsCr };
}

class CharmapDecoder implements StreamDecoder {
  constructor(private readonly t: Tables) {}

  write(buf: Buffer): { text: string; bad: boolean } {
    return { text: decodeWith(this.t, buf), bad: false };
  }

  end(): { text: string; bad: boolean } {
    return { text: '', bad: false };
  }
}

/**
 * The streaming encoder. With an end-of-line byte it remembers a trailing
 * CR, so that CR at the end of one chunk and LF at the start of the next
 * still make one end of line; unlike Python's incremental encoder it does
 * not hold the CR back (the end of line goes out at once, the LF that may
 * follow is dropped).
 */
class CharmapEncoder implements StreamEncoder {
  private afterCr = false;

  constructor(private readonly t: Tables, private readonly name: string, private readonly errors: ErrorMode, private readonly eol: number) {}

  write(text: string): Buffer {
    if (text.length === 0) return Buffer.alloc(0);
    const r = encodeWith(this.t, this.name, text, this.errors, this.eol, this.afterCr);
    this.afterCr = r.endsCr;
    return r.bytes;
  }

  reset(): void {
    this.afterCr = false;
  }

  /** 1 while a CR ended the last chunk (telnetlib3's `getstate()`). */
  getState(): number {
    return this.afterCr ? 1 : 0;
  }

  setState(state: number): void {
    this.afterCr = state !== 0;
  }
}

/** Build a charmap codec from its spec. The tables are built on first use. */
export function charmapCodec(spec: CharmapSpec): RetroCodec {
  let tables: Tables | null = null;
  const t = (): Tables => (tables ??= new Tables(spec.table));
  const eol = spec.eolByte ?? -1;
  const shared: Partial<Record<ErrorMode, StreamDecoder>> = {};
  return {
    name: spec.name,
    aliases: spec.aliases,
    get lossless() { return t().lossless; },
    // Stateless, so one decoder serves every connection.
    decoder: (errors = 'strict') => (shared[errors] ??= new CharmapDecoder(t())),
    encoder: (errors = 'strict') => new CharmapEncoder(t(), spec.name, errors, eol),
    encode: (text, errors = 'strict') => encodeWith(t(), spec.name, text, errors, eol, false).bytes,
    decode: (bytes) => decodeWith(t(), bytes),
  };
}
