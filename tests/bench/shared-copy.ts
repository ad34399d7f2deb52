/**
 * copy.shared: 64 KiB copies from plain memory into a SharedArrayBuffer ring
 * at every offset, as the blocking API's rings take them, in MB/s:
 *
 * - copy.shared.into: `copyIntoShared` (src/bridge/shared-copy.ts) against
 *   a plain `TypedArray.set` into the same offsets (V8 copies shared memory
 *   byte by byte when the two addresses differ mod 8).
 * - copy.shared.out: a copy out of the ring into a buffer from
 *   `allocAlignedTo`, against one into `Buffer.allocUnsafe`.
 *
 * CPU ms per MiB of each side is noted beside the rates.
 */
import { allocAlignedTo, copyIntoShared } from '../../src/bridge/shared-copy.js';
import { type Benchmark, note } from './harness.js';

const PIECE = 64 * 1024;
const COPIES = 4096;
const MiB = (PIECE * COPIES) / 2 ** 20;

const ring = new Uint8Array(new SharedArrayBuffer(1 << 20));
const src = Buffer.alloc(PIECE + 8, 0x5a);

/** CPU ms for `COPIES` copies done by `copy(i)`. */
function cpuMs(copy: (i: number) => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < COPIES; i++) copy(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Ring offsets that walk every alignment, as packet-sized writes do. */
const offsetOf = (i: number): number => (i * (PIECE + 3)) & ((1 << 20) - 1 - PIECE);
const pieceOf = (i: number): Uint8Array => src.subarray(i & 7, (i & 7) + PIECE);

function bench(name: string, ours: (i: number) => void, plain: (i: number) => void): Benchmark {
  return {
    name,
    unit: 'MB/s',
    runs: 5,
    async warmup() { cpuMs(ours); cpuMs(plain); },
    async run() {
      const p = cpuMs(plain);
      const o = cpuMs(ours);
      note(`${name}: CPU ms/MiB ${(o / MiB).toFixed(3)} (plain set ${(p / MiB).toFixed(3)})`);
      return { value: (PIECE * COPIES) / 1e6 / (o / 1000), baseline: (PIECE * COPIES) / 1e6 / (p / 1000) };
    },
  };
}

export const benchmarks: Benchmark[] = [
  bench('copy.shared.into', (i) => copyIntoShared(ring, offsetOf(i), pieceOf(i)), (i) => ring.set(pieceOf(i), offsetOf(i))),
  bench('copy.shared.out',
    (i) => { const at = offsetOf(i); allocAlignedTo(ring, at, PIECE).set(ring.subarray(at, at + PIECE)); },
    (i) => { const at = offsetOf(i); Buffer.allocUnsafe(PIECE).set(ring.subarray(at, at + PIECE)); }),
];
