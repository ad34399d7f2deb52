/**
 * big5bbs: the byte stream of Taiwanese BBSes (PTT, DreamBBS; the PCMan
 * clients' "Big5" mode). Big5 Chinese text is mixed with single-byte
 * half-width art whose bytes (0xA1-0xFE) are Big5 lead bytes, typically
 * right before an ANSI escape. telnetlib3 4.0.5's rules:
 *
 * - a lead byte (0xA1-0xFE) followed by a trail byte (0x40-0x7E or
 *   0xA1-0xFE) that together name a Big5 character decode as that character;
 * - any other lead byte (before ESC, before a non-trail byte, or starting an
 *   undefined pair such as 0xF9 0xF9) decodes alone through CP437, and the
 *   byte after it is looked at afresh;
 * - bytes below 0xA1 (and 0xFF) decode as latin-1;
 * - a lead byte at the end of a chunk waits for the next chunk (at the end
 *   of input it decodes through CP437).
 *
 * Encoding tries Big5, then CP437. Nothing ever fails to decode.
 *
 * The Big5 table is iconv-lite's cp950 without Microsoft's additions to
 * Big5 (0xF9D6-0xF9FE, 0xA3E1 euro sign), which Big5 proper (Unicode's
 * OBSOLETE/EASTASIA/OTHER/BIG5.TXT, Python's `big5`) leaves undefined: on a
 * BBS 0xF9 0xF9 is a run of CP437 bullets, not a box-drawing character. The
 * CP437 table is iconv-lite's cp437 (Unicode's VENDORS/MICSFT/PC/CP437.TXT),
 * used for lead bytes only, so all of it is above 0x7F. Both tables are
 * built from iconv-lite on first use (~40 ms).
 */
import iconv from 'iconv-lite';
import { TelnetEncodingError } from '../protocol/errors.js';
import { scratchUnits, units } from './charmap.js';
import type { ErrorMode, RetroCodec, StreamDecoder, StreamEncoder } from './types.js';

const TRAILS = 157; // 0x40-0x7E (63) and 0xA1-0xFE (94)

/** Index of a trail byte in a row of the pair table, or -1. */
function trailIndex(b: number): number {
  if (b >= 0x40 && b <= 0x7e) return b - 0x40;
  if (b >= 0xa1 && b <= 0xfe) return b - 0xa1 + 63;
  return -1;
}

interface Big5Tables {
  /** Code unit of each (lead - 0xA1) * 157 + trailIndex pair; 0 when undefined. */
  pairs: Uint16Array;
  /** CP437 code unit of each byte. */
  cp437: Uint16Array;
  /** Big5 pair (lead << 8 | trail) of each BMP code point, 0 when none. */
  toBig5: Uint16Array;
  /** CP437 byte of each BMP code point, -1 when none. */
  toCp437: Int16Array;
}

let tables: Big5Tables | null = null;

/** Whether a cp950 pair belongs to Big5 proper. */
function inBig5(lead: number, trail: number): boolean {
  if (lead === 0xf9 && trail >= 0xd6) return false; // ETEN/Microsoft box drawing additions
  if (lead === 0xa3 && trail === 0xe1) return false; // euro sign
  return lead <= 0xf9;
}

function buildTables(): Big5Tables {
  // Decode every structurally valid pair in one call, each followed by LF
  // (never a trail byte): a defined pair gives exactly one character before it.
  const bytes: number[] = [];
  for (let lead = 0xa1; lead <= 0xfe; lead++) {
    for (let t = 0; t < TRAILS; t++) bytes.push(lead, t < 63 ? 0x40 + t : 0xa1 + t - 63, 0x0a);
  }
  const pieces = iconv.decode(Buffer.from(bytes), 'cp950').split('\n');
  const pairs = new Uint16Array(94 * TRAILS);
  const toBig5 = new Uint16Array(0x10000);
  for (let i = 0; i < pairs.length; i++) {
    const s = pieces[i]!;
    const lead = 0xa1 + Math.floor(i / TRAILS);
    const t = i % TRAILS;
    const trail = t < 63 ? 0x40 + t : 0xa1 + t - 63;
    if (s.length !== 1 || s === '\ufffd' || !inBig5(lead, trail)) continue;
    const u = s.charCodeAt(0);
    pairs[i] = u;
    if (toBig5[u] === 0) toBig5[u] = (lead << 8) | trail;
  }
  const cp437 = new Uint16Array(256);
  const toCp437 = new Int16Array(0x10000).fill(-1);
  const all = Buffer.alloc(256);
  for (let b = 0; b < 256; b++) all[b] = b;
  const text = iconv.decode(all, 'cp437');
  for (let b = 0; b < 256; b++) {
    const u = text.charCodeAt(b);
    cp437[b] = u;
    if (toCp437[u] === -1) toCp437[u] = b;
  }
  return { pairs, cp437, toBig5, toCp437 };
}


/** The streaming decoder; holds at most one pending lead byte. */
export class Big5BbsDecoder implements StreamDecoder {
  private pending = -1;
  private readonly t = (tables ??= buildTables());

  write(buf: Buffer): { text: string; bad: boolean } {
    const n = buf.length;
    if (n === 0) return { text: '', bad: false };
    const { pairs, cp437 } = this.t;
    const out = scratchUnits(n + 1);
    let j = 0;
    let i = 0;
    let lead = this.pending;
    this.pending = -1;
    for (;;) {
      if (lead >= 0) {
        if (i >= n) {
          this.pending = lead; // wait for its trail byte
          break;
        }
        const ti = trailIndex(buf[i]!);
        const u = ti >= 0 ? pairs[(lead - 0xa1) * TRAILS + ti]! : 0;
        if (u !== 0) {
          out[j++] = u;
          i++;
        } else {
          out[j++] = cp437[lead]!; // lone half-width byte; look at the next one afresh
        }
        lead = -1;
        continue;
      }
      if (i >= n) break;
      const b = buf[i++]!;
      if (b >= 0xa1 && b <= 0xfe) lead = b;
      else out[j++] = b;
    }
    return { text: units(out, j), bad: false };
  }

  end(): { text: string; bad: boolean } {
    const lead = this.pending;
    this.pending = -1;
    return { text: lead >= 0 ? String.fromCharCode(this.t.cp437[lead]!) : '', bad: false };
  }

  /** The pending lead byte (empty when none), as telnetlib3's `getstate()[0]`. */
  get pendingBytes(): Buffer {
    return this.pending >= 0 ? Buffer.from([this.pending]) : Buffer.alloc(0);
  }

  /** Restore a pending lead byte (telnetlib3's `setstate`). */
  setPending(bytes: Buffer): void {
    this.pending = bytes.length > 0 ? bytes[bytes.length - 1]! : -1;
  }

  reset(): void {
    this.pending = -1;
  }
}

function encodeBig5Bbs(text: string, errors: ErrorMode): Buffer {
  const { toBig5, toCp437 } = (tables ??= buildTables());
  const out = Buffer.allocUnsafe(text.length * 2);
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
      continue;
    }
    const pair = toBig5[c]!;
    if (pair !== 0) {
      out[j++] = pair >> 8;
      out[j++] = pair & 0xff;
      continue;
    }
    const b = toCp437[c]!;
    if (b >= 0) {
      out[j++] = b;
      continue;
    }
    const surrogatePair = c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (errors === 'strict') {
      throw new TelnetEncodingError(`'big5bbs' codec can't encode character U+${text.codePointAt(i)!.toString(16).toUpperCase().padStart(4, '0')} at position ${i}`);
    }
    if (errors === 'replace') out[j++] = 0x3f;
    if (surrogatePair) i++;
  }
  return out.subarray(0, j);
}

/** The big5bbs codec. */
export const BIG5BBS: RetroCodec = {
  name: 'big5bbs',
  aliases: ['big5-bbs', 'big5_bbs', 'big5_pcman', 'big5_pcmanx', 'big5_ptt'],
  lossless: false,
  decoder: () => new Big5BbsDecoder(),
  encoder: (errors = 'strict'): StreamEncoder => ({
    write: (text) => encodeBig5Bbs(text, errors),
    reset: () => {},
    getState: () => 0,
    setState: () => {},
  }),
  encode: (text, errors = 'strict') => encodeBig5Bbs(text, errors),
  decode: (bytes) => {
    const d = new Big5BbsDecoder();
    return d.write(bytes).text + d.end().text;
  },
};
