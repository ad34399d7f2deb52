/**
 * IAC doubling for large binary writes, into memory that is reused.
 *
 * `escapeIac` (protocol/options/codec.ts) returns each escaped write in a
 * new buffer. At 64 KiB per write that is a fresh allocation per write, and
 * the allocator hands most of them back to the system between collections:
 * a binary sender spent more CPU faulting those pages in than the kernel
 * spent sending them (0.6-1.1 ms per MiB against 0.25-0.3 for the send).
 *
 * The arena escapes into the memory of its own WebAssembly SIMD escaper and
 * hands the socket a view of it. A region stays taken until the socket's
 * write callback says the bytes have left (Node.js calls it on success and
 * on error or destroy alike), so the memory is never reused under a pending
 * write. The memory never grows, so views stay valid. Regions are handed
 * out in a ring and come back in any order; the ring moves on when its
 * oldest region is back. When the ring is full (many connections with
 * unsent output, or a writer that ignores backpressure), or the write is too
 * small, too large or holds no 0xFF, it falls back to `escapeIac`.
 *
 * One arena per thread, made on first use. Only {@link EngineConnection}'s
 * plain socket path asks for views; every other path (MCCP, the blocking
 * API's direct writes, a batch of replies) escapes with `escapeIac`.
 */
import { escapeIac } from '../protocol/options/codec.js';
import { Cmd } from '../protocol/constants.js';
import { type Escaper, SIMD_PIECE, createSimdEscaper } from '../protocol/options/iac-simd.js';

/** Bytes of the ring. */
export const ARENA_BYTES = 4 * 1024 * 1024;
/** Writes from this size up go through the arena (smaller ones cost more to track than to allocate). */
export const ARENA_MIN = 4096;

/** A taken stretch of the ring, as {@link EscapeArena.regionOf} hands it out. */
export interface ArenaRegion {
  readonly free: boolean;
}

interface Region extends ArenaRegion {
  start: number;
  end: number;
  free: boolean;
}

/** A ring of escaped output in WebAssembly memory; see the module comment. */
export class EscapeArena {
  /** Regions in the order they were taken; `first` is the oldest live one. */
  private readonly regions: Region[] = [];
  private first = 0;
  /** Live regions by start offset (relative to the ring). */
  private readonly byStart = new Map<number, Region>();
  /** Next free offset in the ring. */
  private head = 0;

  private constructor(
    private readonly escaper: Escaper,
    /** The memory every view returned by {@link escape} lies in. */
    readonly buffer: ArrayBuffer,
    /** Where the ring starts in that memory. */
    private readonly base: number,
    private readonly size: number,
  ) {}

  /** An arena with a ring of `bytes`, or null where WebAssembly SIMD is missing. */
  static create(bytes = ARENA_BYTES): EscapeArena | null {
    const made = createSimdEscaper(bytes);
    return made === null ? null : new EscapeArena(made.escaper, made.buffer, made.base, bytes);
  }

  /**
   * `data` with every 0xFF doubled. A view of the arena (find its region
   * with {@link regionOf} at once, and give it back with {@link release})
   * when the arena took it; otherwise `data` itself (no 0xFF) or a new
   * buffer.
   */
  escape(data: Buffer): Buffer {
    const n = data.length;
    if (n < ARENA_MIN || n > SIMD_PIECE) return escapeIac(data);
    // Text and most data hold no 0xFF: one scan, and the input goes out as it is.
    if (data.indexOf(Cmd.IAC) === -1) return data;
    const start = this.take(2 * n + 1);
    if (start === -1) return escapeIac(data);
    const { heap, escape } = this.escaper;
    heap.set(data, 0);
    const m = escape(0, n, this.base + start);
    const region: Region = { start, end: start + m, free: false };
    this.regions.push(region);
    this.byStart.set(start, region);
    this.head = region.end;
    return Buffer.from(this.buffer, this.base + start, m);
  }

  /** The region of a view this arena handed out (null for any other buffer), to {@link release} later. */
  regionOf(buf: Buffer): ArenaRegion | null {
    if (buf.buffer !== this.buffer) return null;
    return this.byStart.get(buf.byteOffset - this.base) ?? null;
  }

  /** Give a region back: its bytes may be overwritten from now on. Releasing twice does nothing. */
  release(region: ArenaRegion): void {
    const r = region as Region;
    if (r.free) return;
    r.free = true;
    this.byStart.delete(r.start);
    const rs = this.regions;
    while (this.first < rs.length && rs[this.first]!.free) this.first++;
    if (this.first === rs.length) {
      rs.length = 0;
      this.first = 0;
      this.head = 0;
    } else if (this.first > 64 && this.first * 2 > rs.length) {
      rs.splice(0, this.first);
      this.first = 0;
    }
  }

  /** Regions handed out and not yet released. */
  get pending(): number {
    return this.byStart.size;
  }

  /** Ring offset for `need` contiguous bytes, or -1 when there is no room. */
  private take(need: number): number {
    if (this.first === this.regions.length) return need <= this.size ? 0 : -1;
    const oldest = this.regions[this.first]!.start;
    if (this.head > oldest) {
      // Live regions lie in [oldest, head): room after head, or from 0 up to oldest.
      if (this.size - this.head >= need) return this.head;
      return oldest >= need ? 0 : -1;
    }
    // Wrapped: live regions lie in [oldest, size) and [0, head).
    return oldest - this.head >= need ? this.head : -1;
  }
}

/** This thread's arena: undefined until first asked for, null where it cannot be made. */
let shared: EscapeArena | null | undefined;

/** The arena of this thread if one was made, else null (for code that only gives views back). */
export function madeArena(): EscapeArena | null {
  return shared ?? null;
}

/** The arena of this thread, made on first use; null where WebAssembly SIMD is missing. */
export function threadArena(): EscapeArena | null {
  if (shared === undefined) shared = EscapeArena.create();
  return shared;
}
