/**
 * NAWS, Negotiate About Window Size (RFC 1073), option 31.
 *
 * The client says WILL NAWS, the server DO NAWS; then the client sends its
 * size whenever it changes:
 *
 *   IAC SB NAWS <width-hi> <width-lo> <height-hi> <height-lo> IAC SE
 *
 * Width and height are 16-bit big-endian; 0 means "unknown". A 255 byte in
 * the payload is doubled on the wire (the parser undoes that), so a payload
 * that is not exactly 4 bytes after unescaping is malformed and ignored.
 */
import { type Decoded, fail, ok } from './codec.js';

/** A window size in character cells; 0 means unknown. */
export interface WindowSize {
  cols: number;
  rows: number;
}

function clamp16(n: number): number {
  if (!Number.isFinite(n)) return n > 0 ? 0xffff : 0;
  return Math.max(0, Math.min(0xffff, Math.trunc(n)));
}

/** The NAWS payload for a size; values are clamped to 0..65535. */
export function encodeNaws(cols: number, rows: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(clamp16(cols), 0);
  out.writeUInt16BE(clamp16(rows), 2);
  return out;
}

/** Decode a NAWS payload; anything but 4 bytes is rejected. */
export function decodeNaws(payload: Buffer): Decoded<WindowSize> {
  if (payload.length !== 4) {
    return fail(`NAWS payload must be 4 bytes, got ${payload.length}`);
  }
  return ok({ cols: payload.readUInt16BE(0), rows: payload.readUInt16BE(2) });
}
