/**
 * IAC doubling in WebAssembly SIMD, for large writes of binary data.
 *
 * Random bytes hold an 0xFF every 256 bytes on average. The JavaScript
 * escaper (`escapeIac` in codec.ts) pays a native call to find each one and
 * another to move the stretch after it; at that density those calls cost
 * more than the copying, and a sender of binary data spends as much time
 * escaping as the kernel spends sending. This module looks at sixteen bytes
 * per step instead and copies in and out of its own memory once each way.
 *
 * The module is assembled from iac-simd.wat (beside this file) and embedded
 * below; tests/protocol/options/iac-simd.test.ts re-assembles the source and
 * checks the two agree. Where WebAssembly or its SIMD extension is missing,
 * {@link escapeIacSimd} returns null and the JavaScript escaper is used.
 */

/** iac-simd.wat, assembled by wabt's `wat2wasm` (base64). */
export const IAC_SIMD_WASM = 'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQAEBxMCBm1lbW9yeQIABmVzY2FwZQAACtgBAdUBAwJ/AXsCfwJAA0AgA0EQaiABSw0BIAAgA2r9AAQAIQUgAiAEaiAF/QsEACAFQf8B/Q/9I/1TBEAgA0EQaiEGA0AgACADai0AACEHIAIgBGogBzoAACACIARqIAc6AAEgBEEBIAdB/wFGamohBCADQQFqIQMgAyAGSQ0ACwUgA0EQaiEDIARBEGohBAsMAAsLAkADQCADIAFPDQEgACADai0AACEHIAIgBGogBzoAACACIARqIAc6AAEgBEEBIAdB/wFGamohBCADQQFqIQMMAAsLIAQL';

/** Input bytes escaped per call; the output region after it holds 2 * PIECE + 1. */
const PIECE = 64 * 1024;
const IN = 0;
const OUT = PIECE;

interface Escaper {
  escape(src: number, len: number, dst: number): number;
  heap: Uint8Array;
}

// The global exists in every Node.js this package supports; @types/node does not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer }; escape: Escaper['escape'] } };
};

/** Undefined until first use; null when this runtime cannot run the module. */
let escaper: Escaper | null | undefined;

function load(): Escaper | null {
  try {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(IAC_SIMD_WASM, 'base64')));
    // The memory never grows, so one view of it stays valid.
    return { escape: exports.escape, heap: new Uint8Array(exports.memory.buffer) };
  } catch {
    return null;
  }
}

/**
 * `buf` with every 0xFF doubled, in a new buffer; null when WebAssembly
 * SIMD is not available here. Worth calling for buffers of a kilobyte or
 * more that are known to hold an 0xFF.
 */
export function escapeIacSimd(buf: Buffer): Buffer | null {
  if (escaper === undefined) escaper = load();
  if (escaper === null) return null;
  const { escape, heap } = escaper;
  const n = buf.length;
  if (n <= PIECE) {
    heap.set(buf, IN);
    const m = escape(IN, n, OUT);
    const out = Buffer.allocUnsafe(m);
    out.set(heap.subarray(OUT, OUT + m));
    return out;
  }
  // Larger buffers go through in pieces, into one output sized for a
  // random-data density of 0xFF and grown if the data holds more.
  let out = Buffer.allocUnsafe(n + (n >>> 6) + 64);
  let w = 0;
  for (let off = 0; off < n; off += PIECE) {
    const end = Math.min(n, off + PIECE);
    heap.set(buf.subarray(off, end), IN);
    const m = escape(IN, end - off, OUT);
    if (w + m > out.length) {
      const grown = Buffer.allocUnsafe(w + m + 2 * (n - end));
      grown.set(out.subarray(0, w));
      out = grown;
    }
    out.set(heap.subarray(OUT, OUT + m), w);
    w += m;
  }
  return out.subarray(0, w);
}
