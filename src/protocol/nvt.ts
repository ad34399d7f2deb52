/**
 * NVT output rules (RFC 854, with RFC 5198 for text): outside BINARY, a
 * carriage return must be followed by LF or NUL. So a lone LF is sent as
 * CR LF, a lone CR as CR NUL, and CR LF is left alone. IAC is always doubled.
 */
import { Cmd } from './constants.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Encode text for an NVT (non-BINARY) channel. `afterCr` says the previous
 * write ended with a CR that was already sent as CR NUL, so a leading LF
 * completes that line end and is sent bare.
 * Returns the encoded bytes and whether this buffer ended with a CR.
 */
export function encodeNvt(buf: Buffer, afterCr = false): { out: Buffer; endsWithCr: boolean } {
  const n = buf.length;
  if (n === 0) return { out: buf, endsWithCr: afterCr };
  // Fast path: nothing to change.
  if (buf.indexOf(CR) === -1 && buf.indexOf(LF) === -1 && buf.indexOf(Cmd.IAC) === -1) {
    return { out: buf, endsWithCr: false };
  }
  const out = Buffer.allocUnsafe(n * 2);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === CR) {
      out[w++] = CR;
      const next = i + 1 < n ? buf[i + 1] : -1;
      if (next === LF) {
        out[w++] = LF;
        i++;
      } else {
        out[w++] = 0;
      }
    } else if (b === LF) {
      if (!(i === 0 && afterCr)) out[w++] = CR;
      out[w++] = LF;
    } else if (b === Cmd.IAC) {
      out[w++] = Cmd.IAC;
      out[w++] = Cmd.IAC;
    } else {
      out[w++] = b;
    }
  }
  return { out: out.subarray(0, w), endsWithCr: buf[n - 1] === CR };
}
