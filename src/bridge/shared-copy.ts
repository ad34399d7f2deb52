/**
 * Copies between plain and shared memory at memcpy speed.
 *
 * V8 copies into or out of a SharedArrayBuffer (TypedArray `set`, and
 * Buffer `copy` with it) with relaxed atomic loads and stores: eight bytes
 * at a time when source and destination addresses agree modulo 8, one byte
 * at a time when they do not. A ring's read and write positions move by
 * whatever a packet held, so most copies were of the second kind: 0.29 ms
 * per MiB against 0.04 aligned (64 KiB copies on the 2-CPU machine we
 * measure on), and the largest cost of a blocking binary reader. These
 * helpers line the two sides up first: a copy out of the ring goes to a new
 * buffer placed at the ring's alignment, and a copy into it is staged, when
 * its source is misaligned, in a plain buffer at the ring's alignment (a
 * plain memcpy, then an aligned one).
 */

const WORD = 8;
/** Below this, a byte-by-byte copy costs less than lining up. */
const SMALL = 256;
/** The staging buffer's payload size; larger copies go through it in pieces. */
const STAGE_BYTES = 64 * 1024;

let stage: Buffer | null = null;

/** `target.set(src, at)` for a shared `target`, at word speed. */
export function copyIntoShared(target: Uint8Array, at: number, src: Uint8Array): void {
  const mis = (target.byteOffset + at - src.byteOffset) & (WORD - 1);
  if (mis === 0 || src.length < SMALL) {
    target.set(src, at);
    return;
  }
  if (stage === null) stage = Buffer.allocUnsafeSlow(STAGE_BYTES + WORD);
  // The stage's base is word-aligned (a fresh allocation): a piece placed at
  // `off` shares the target's alignment.
  const off = (target.byteOffset + at - stage.byteOffset) & (WORD - 1);
  for (let done = 0; done < src.length; done += STAGE_BYTES) {
    const piece = src.subarray(done, Math.min(src.length, done + STAGE_BYTES));
    stage.set(piece, off);
    target.set(stage.subarray(off, off + piece.length), at + done);
  }
}

/**
 * A new Buffer of `n` bytes placed so that its start agrees modulo 8 with
 * `source.byteOffset + at` (where the first copy out of a shared `source`
 * will read): copies from `source` into it then run at word speed.
 */
export function allocAlignedTo(source: Uint8Array, at: number, n: number): Buffer {
  if (n < SMALL) return Buffer.allocUnsafe(n);
  const block = Buffer.allocUnsafe(n + WORD - 1);
  const pad = (source.byteOffset + at - block.byteOffset) & (WORD - 1);
  return block.subarray(pad, pad + n);
}
