/**
 * Conventions shared by every option codec in this folder.
 *
 * - `encode*` functions return an SB **payload**: the bytes between
 *   `IAC SB <option>` and `IAC SE`, not IAC-escaped (the session frames and
 *   escapes them, see `frameSubnegotiation`).
 * - `decode*` functions take such a payload (already unescaped by the parser)
 *   and return a {@link Decoded} result. They never throw on peer input.
 */
import { Cmd } from '../constants.js';
import { escapeIacSimd } from './iac-simd.js';

/** The result of decoding a peer's payload. */
export type Decoded<T> =
  | { ok: true; value: T; warnings: string[] }
  | { ok: false; reason: string };

/** A successful decode, with optional lenient-parse warnings. */
export function ok<T>(value: T, warnings: string[] = []): Decoded<T> {
  return { ok: true, value, warnings };
}

/** A failed decode: the payload is ignored. */
export function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Positions of 0xFF found by {@link escapeIac}; grown on demand, reused. */
let iacPositions = new Int32Array(1024);

/** From this size on, a buffer holding 0xFF is escaped by {@link escapeIacSimd}. */
const SIMD_MIN = 1024;

/**
 * Double every 0xFF byte (IAC IAC), as required for data and SB payloads.
 * A buffer without 0xFF is returned as is.
 */
export function escapeIac(buf: Buffer): Buffer {
  const first = buf.indexOf(Cmd.IAC);
  if (first === -1) return buf;
  if (buf.length >= SIMD_MIN) {
    const out = escapeIacSimd(buf);
    if (out !== null) return out;
  }
  let count = 0;
  for (let i = first; i !== -1; i = buf.indexOf(Cmd.IAC, i + 1)) {
    if (count === iacPositions.length) {
      const grown = new Int32Array(iacPositions.length * 2);
      grown.set(iacPositions);
      iacPositions = grown;
    }
    iacPositions[count++] = i;
  }
  // One bulk copy, then each stretch after an 0xFF moves right by the number
  // of IACs before it, last stretch first (copyWithin allocates nothing,
  // unlike a subarray per stretch).
  const out = Buffer.allocUnsafe(buf.length + count);
  out.set(buf, 0);
  let end = buf.length;
  for (let k = count - 1; k >= 0; k--) {
    const from = iacPositions[k]! + 1;
    if (from < end) out.copyWithin(from + k + 1, from, end);
    out[from + k] = Cmd.IAC;
    end = from;
  }
  return out;
}

/** `IAC SB <opt> <payload, IAC-escaped> IAC SE`. */
export function frameSubnegotiation(opt: number, payload: Buffer): Buffer {
  const body = escapeIac(payload);
  const out = Buffer.allocUnsafe(body.length + 5);
  out[0] = Cmd.IAC;
  out[1] = Cmd.SB;
  out[2] = opt;
  body.copy(out, 3);
  out[body.length + 3] = Cmd.IAC;
  out[body.length + 4] = Cmd.SE;
  return out;
}

/**
 * Text from the peer made safe to store and log: only printable ASCII
 * survives (other bytes become `?`), and it is cut at `max` characters.
 */
export function sanitizeAscii(buf: Buffer, max = 256): string {
  const n = Math.min(buf.length, max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  }
  return s;
}
