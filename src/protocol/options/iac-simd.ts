/**
 * IAC doubling in WebAssembly SIMD, for large writes of binary data, and
 * its undoing for large reads ({@link unescapeIacSimd}, the parser's).
 *
 * Random bytes hold an 0xFF every 256 bytes on average. The JavaScript
 * escaper (`escapeIac` in codec.ts) pays a native call to find each one and
 * another to move the stretch after it; at that density those calls cost
 * more than the copying, and a sender of binary data spends as much time
 * escaping as the kernel spends sending. This module looks at sixteen bytes
 * per step instead and copies in and out of its own memory once each way,
 * or not at all for data read into {@link simdReadArea}.
 *
 * The module is assembled from iac-simd.wat (beside this file) and embedded
 * below; tests/protocol/options/iac-simd.test.ts re-assembles the source and
 * checks the two agree. Where WebAssembly or its SIMD extension is missing,
 * {@link escapeIacSimd} and {@link unescapeIacSimd} return null and the
 * JavaScript paths are used.
 */

/** iac-simd.wat, assembled by wabt's `wat2wasm` (base64). */
export const IAC_SIMD_WASM = 'AGFzbQEAAAABCAFgA39/fwF/AwMCAAAFAwEABAYGAX8BQQALBygEBm1lbW9yeQIAB3N0b3BwZWQDAAZlc2NhcGUAAAh1bmVzY2FwZQABCq4DAtUBAwJ/AXsCfwJAA0AgA0EQaiABSw0BIAAgA2r9AAQAIQUgAiAEaiAF/QsEACAFQf8B/Q/9I/1TBEAgA0EQaiEGA0AgACADai0AACEHIAIgBGogBzoAACACIARqIAc6AAEgBEEBIAdB/wFGamohBCADQQFqIQMgAyAGSQ0ACwUgA0EQaiEDIARBEGohBAsMAAsLAkADQCADIAFPDQEgACADai0AACEHIAIgBGogBzoAACACIARqIAc6AAEgBEEBIAdB/wFGamohBCADQQFqIQMMAAsLIAQL1AEDAn8BewJ/AkADQCADQRBqIAFLBEAgASEGBSAAIANq/QAEACEFIAVB/wH9D/0j/VNFBEAgAiAEaiAF/QsEACADQRBqIQMgBEEQaiEEDAILIANBEGohBgsCQANAIAMgBk8NASAAIANqLQAAIQcgB0H/AUcEQCACIARqIAc6AAAgA0EBaiEDIARBAWohBAwBCyADQQFqIAFPDQMgACADai0AAUH/AUcNAyACIARqQf8BOgAAIANBAmohAyAEQQFqIQQMAAsLIAMgAUkNAAsLIAMkACAECw==';

/** Input bytes escaped per call; the output region after it holds 2 * PIECE + 1. */
const PIECE = 64 * 1024;
const IN = 0;
const OUT = PIECE;

export interface Escaper {
  escape(src: number, len: number, dst: number): number;
  unescape(src: number, len: number, dst: number): number;
  /** Where the last `unescape` stopped reading. */
  stopped: { value: number };
  heap: Uint8Array;
}

// The global exists in every Node.js this package supports; @types/node does not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => {
    exports: { memory: { buffer: ArrayBuffer; grow(pages: number): number }; escape: Escaper['escape']; unescape: Escaper['unescape']; stopped: Escaper['stopped'] };
  };
};

/** A WebAssembly memory page. */
const PAGE = 64 * 1024;

/** Undefined until first use; null when this runtime cannot run the module. */
let escaper: Escaper | null | undefined;

function load(): Escaper | null {
  return createSimdEscaper(0)?.escaper ?? null;
}

/**
 * A SIMD escaper of its own, for an owner that keeps escaped output in the
 * module's memory (the engine's escape arena). Its memory is the module's
 * 256 KiB plus `extraBytes` (rounded up to whole pages) from `base` on, and
 * never grows again, so views of it stay valid. The scratch input area is
 * `[0, PIECE)`; `escape(0, n, dst)` needs `2 * n + 1` bytes at `dst`.
 * Null where WebAssembly SIMD is missing.
 */
export function createSimdEscaper(extraBytes: number): { escaper: Escaper; buffer: ArrayBuffer; base: number } | null {
  try {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(IAC_SIMD_WASM, 'base64')));
    const base = exports.memory.buffer.byteLength;
    if (extraBytes > 0) exports.memory.grow(Math.ceil(extraBytes / PAGE));
    const buffer = exports.memory.buffer;
    return { escaper: { escape: exports.escape, unescape: exports.unescape, stopped: exports.stopped, heap: new Uint8Array(buffer) }, buffer, base };
  } catch {
    return null;
  }
}

/** The thread's read area (see {@link simdReadArea}); undefined until asked for, null where SIMD is missing. */
let readArea: { escaper: Escaper; buffer: ArrayBuffer; view: Buffer } | null | undefined;

/**
 * A buffer of `bytes` inside a SIMD module's memory of its own, for socket
 * reads (the engine's static reads): {@link unescapeIacSimd} unescapes a
 * chunk that lies in it in place, with no copy in or out of the module.
 * One per thread, made on the first call (later calls get the same one,
 * whatever `bytes`); null where WebAssembly SIMD is missing.
 */
export function simdReadArea(bytes: number): Buffer | null {
  if (readArea === undefined) {
    const made = createSimdEscaper(bytes);
    readArea = made === null ? null : { escaper: made.escaper, buffer: made.buffer, view: Buffer.from(made.buffer, made.base, bytes) };
  }
  return readArea?.view ?? null;
}

/** Input bytes the scratch area of a {@link createSimdEscaper} memory takes per call. */
export const SIMD_PIECE = PIECE;

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

/**
 * The data at the start of `chunk[from, end)`, unescaped in place: each
 * 0xFF 0xFF becomes one 0xFF, up to the first 0xFF that starts a command
 * (or is the last byte). Returns the bytes written at `from`; `stop[0]` is
 * set to the offset in `chunk` where reading stopped (`end`, or that
 * 0xFF's offset). Null where WebAssembly SIMD is not available here.
 * Worth calling for a kilobyte or more of binary data.
 */
export function unescapeIacSimd(chunk: Buffer, from: number, end: number, stop: Int32Array): number | null {
  const area = readArea;
  if (area != null && chunk.buffer === area.buffer && end > from) {
    // The chunk lies in the read area's module memory: unescape where it lies.
    const at = chunk.byteOffset + from;
    const m = area.escaper.unescape(at, end - from, at);
    stop[0] = from + area.escaper.stopped.value;
    return m;
  }
  if (escaper === undefined) escaper = load();
  if (escaper === null) return null;
  const { unescape, stopped, heap } = escaper;
  let r = from;
  let w = from;
  while (r < end) {
    const len = Math.min(PIECE, end - r);
    heap.set(chunk.subarray(r, r + len), IN);
    const m = unescape(IN, len, OUT);
    chunk.set(heap.subarray(OUT, OUT + m), w);
    w += m;
    const read = stopped.value;
    r += read;
    // Stopped at a command, or at a trailing 0xFF whose partner may be the
    // next piece's first byte: the caller (or the next round) looks at it.
    if (read < len) {
      if (r + 1 < end && chunk[r + 1] === 0xff) {
        chunk[w++] = 0xff;
        r += 2;
        continue;
      }
      break;
    }
  }
  stop[0] = r;
  return w - from;
}
