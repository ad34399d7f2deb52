/**
 * The shared-memory channel of one blocking connection: a control block and
 * two single-producer/single-consumer byte rings in one SharedArrayBuffer.
 *
 *   ctrl (Int32 × 64)
 *     RECV_HEAD / RECV_TAIL   receive ring: the engine writes, the caller reads
 *     SEND_HEAD / SEND_TAIL   send ring: the caller writes, the engine reads
 *     FLAGS                   EOF, CLOSED, ERROR, DEAD, ...
 *     CALLER_WAKE             bumped + notified by the engine when the caller may proceed
 *     ENGINE_WAKE             bumped + notified by the caller when the engine has work
 *     STATE_SEQ               bumped on every option-state change
 *     LOCAL/REMOTE/PENDING    256-bit option bitmaps (8 words each)
 *   recv ring bytes | send ring bytes | call area (JSON requests/responses)
 *
 * Head and tail are free-running 32-bit counters: `(head - tail) | 0` is the
 * fill level, so no index arithmetic ever touches a buffer out of bounds.
 * Only this folder (and workers/) uses SharedArrayBuffer and Atomics.
 */
import { allocAlignedTo, copyIntoShared } from './shared-copy.js';

/** Control word indices. */
export const C = {
  RECV_HEAD: 0,
  RECV_TAIL: 1,
  SEND_HEAD: 2,
  SEND_TAIL: 3,
  FLAGS: 4,
  CALLER_WAKE: 5,
  ENGINE_WAKE: 6,
  STATE_SEQ: 7,
  /** Bytes the engine has handed to the socket that are still unsent (for flush). */
  UNSENT: 8,
  /** Number of times the send side was drained to empty (for flush). */
  DRAIN_SEQ: 9,
  /** Per-connection call slot: 0 idle, 1 request written, 2 response written. */
  CALL_STATE: 10,
  /** Length in bytes of the request or response in the call area. */
  CALL_LEN: 11,
  /** Set by the engine while it holds received data the ring had no room for. */
  RECV_WAIT: 12,
  /** Set by the caller while it waits for room in the send ring. */
  SEND_WAIT: 13,
  /** Set by the caller while it waits in flush() (for the send ring and UNSENT to empty). */
  FLUSH_WAIT: 14,
  LOCAL: 16,
  REMOTE: 24,
  PENDING: 32,
  /** Who may write to the socket now (direct-write.ts: FREE, CALLER, ENGINE, OFF). */
  WRITE_LOCK: 40,
  /** The socket's descriptor + 1 while direct writes are possible, else 0. */
  DIRECT_FD: 41,
  /** What a direct write's bytes must be to go out unchanged (direct-write.ts `D`). */
  DIRECT_MODE: 42,
  /** Bytes the caller wrote directly (wraps at 2^32; for the engine's tx count). */
  DIRECT_TX: 43,
  /** Set by the engine while it processes a received chunk (no direct writes meanwhile). */
  ENGINE_BUSY: 44,
  /** Received MUD messages (GMCP, MSDP, MSSP) waiting in the engine's queue (mud-queue.ts). */
  MUD_QUEUED: 60,
} as const;

/** FLAGS bits. */
export const F = {
  /** The peer closed: no more data will be added to the receive ring. */
  EOF: 1,
  /** The caller closed the connection. */
  CLOSED: 2,
  /** The connection failed; details via the control plane. */
  ERROR: 4,
  /** The engine is gone: every wait must end with a worker error. */
  DEAD: 8,
  /** Negotiation finished (or gave up at its deadline). */
  READY: 16,
  /** The socket is fully closed. */
  SOCKET_CLOSED: 32,
  /** The engine let go of a closed client connection's channel for good: its thread may reuse it. */
  RELEASED: 64,
} as const;

const CTRL_WORDS = 64;
const CTRL_BYTES = CTRL_WORDS * 4;

/** Default ring sizes (bytes, powers of two). */
export const DEFAULT_RECV_RING = 1024 * 1024;
export const DEFAULT_SEND_RING = 256 * 1024;
/** Size of the call area (one JSON request or response at a time). */
export const CALL_AREA = 64 * 1024;

/** The views over one channel's SharedArrayBuffer. */
export interface Channel {
  readonly sab: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly recv: Uint8Array;
  readonly send: Uint8Array;
  readonly call: Uint8Array;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 16 && (n & (n - 1)) === 0;
}

/** Allocate a channel (the caller side does this and hands the buffer to the engine). */
export function createChannel(recvSize = DEFAULT_RECV_RING, sendSize = DEFAULT_SEND_RING): Channel {
  if (!isPowerOfTwo(recvSize) || !isPowerOfTwo(sendSize)) throw new RangeError('ring sizes must be powers of two >= 16');
  const sab = new SharedArrayBuffer(CTRL_BYTES + 8 + recvSize + sendSize + CALL_AREA);
  // Two header words after ctrl record the ring sizes so either side can map the buffer.
  const sizes = new Int32Array(sab, CTRL_BYTES, 2);
  sizes[0] = recvSize;
  sizes[1] = sendSize;
  return openChannel(sab);
}

/** Map an existing channel buffer (the engine side, or a handler thread). */
export function openChannel(sab: SharedArrayBuffer): Channel {
  const sizes = new Int32Array(sab, CTRL_BYTES, 2);
  const recvSize = sizes[0]!;
  const sendSize = sizes[1]!;
  return {
    sab,
    ctrl: new Int32Array(sab, 0, CTRL_WORDS),
    recv: new Uint8Array(sab, CTRL_BYTES + 8, recvSize),
    send: new Uint8Array(sab, CTRL_BYTES + 8 + recvSize, sendSize),
    call: new Uint8Array(sab, CTRL_BYTES + 8 + recvSize + sendSize, CALL_AREA),
  };
}

/** Bytes waiting in a ring. */
export function ringUsed(ctrl: Int32Array, headIdx: number, tailIdx: number): number {
  return (Atomics.load(ctrl, headIdx) - Atomics.load(ctrl, tailIdx)) | 0;
}

/**
 * Producer: copy as much of `src` as fits into the ring; returns the number
 * of bytes written. Publishes the new head with a store-release.
 */
export function ringWrite(ctrl: Int32Array, ring: Uint8Array, headIdx: number, tailIdx: number, src: Uint8Array): number {
  const size = ring.length;
  const head = Atomics.load(ctrl, headIdx);
  const tail = Atomics.load(ctrl, tailIdx);
  const free = size - ((head - tail) | 0);
  const n = Math.min(free, src.length);
  if (n <= 0) return 0;
  const at = head & (size - 1);
  const first = Math.min(n, size - at);
  copyIntoShared(ring, at, first === src.length ? src : src.subarray(0, first));
  if (n > first) copyIntoShared(ring, 0, src.subarray(first, n));
  Atomics.store(ctrl, headIdx, (head + n) | 0);
  return n;
}

/** Consumer: copy out up to `max` bytes (a new Buffer), advancing the tail. */
export function ringRead(ctrl: Int32Array, ring: Uint8Array, headIdx: number, tailIdx: number, max = Infinity): Buffer {
  const n = Math.min(ringUsed(ctrl, headIdx, tailIdx), max);
  if (n <= 0) return Buffer.alloc(0);
  // Aligned with the first part's start; the second part (from the ring's
  // start, after size - at bytes) is then aligned too, as size is a power of two.
  const out = allocAlignedTo(ring, Atomics.load(ctrl, tailIdx) & (ring.length - 1), n);
  let w = 0;
  ringDrain(ctrl, ring, headIdx, tailIdx, (part) => { out.set(part, w); w += part.length; }, n);
  return out;
}

/**
 * Consumer without a copy: hand `consume` up to `max` waiting bytes as up
 * to two views into the ring (valid only during the call), then advance the
 * tail. Returns the number of bytes consumed.
 */
export function ringDrain(
  ctrl: Int32Array, ring: Uint8Array, headIdx: number, tailIdx: number, consume: (part: Uint8Array) => void, max = Infinity,
): number {
  const size = ring.length;
  const head = Atomics.load(ctrl, headIdx);
  const tail = Atomics.load(ctrl, tailIdx);
  const n = Math.min((head - tail) | 0, max);
  if (n <= 0) return 0;
  const at = tail & (size - 1);
  const first = Math.min(n, size - at);
  consume(ring.subarray(at, at + first));
  if (n > first) consume(ring.subarray(0, n - first));
  Atomics.store(ctrl, tailIdx, (tail + n) | 0);
  return n;
}

/** Bump a wake word and wake every waiter on it. */
export function wake(ctrl: Int32Array, idx: number): void {
  Atomics.add(ctrl, idx, 1);
  Atomics.notify(ctrl, idx);
}

/**
 * Wake the caller for send-side progress (ring emptied, UNSENT changed) only
 * when it waits in flush(): a caller blocked in a read must not be woken for
 * every write the engine completes.
 */
export function wakeFlusher(ctrl: Int32Array): void {
  if (Atomics.load(ctrl, C.FLUSH_WAIT) !== 0) wake(ctrl, C.CALLER_WAKE);
}

/** Set flag bits and wake the caller. */
export function setFlags(ctrl: Int32Array, bits: number): void {
  Atomics.or(ctrl, C.FLAGS, bits);
  wake(ctrl, C.CALLER_WAKE);
}

/** True when every bit of `bits` is set. */
export function hasFlags(ctrl: Int32Array, bits: number): boolean {
  return (Atomics.load(ctrl, C.FLAGS) & bits) === bits;
}

/** Write a 256-bit option bitmap (8 words from `base`) from a list of enabled options. */
export function writeBitmap(ctrl: Int32Array, base: number, options: readonly number[]): void {
  const words = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const o of options) words[(o >> 5) & 7]! |= 1 << (o & 31);
  for (let i = 0; i < 8; i++) Atomics.store(ctrl, base + i, words[i]!);
}

/** Read one bit of an option bitmap. */
export function readBit(ctrl: Int32Array, base: number, option: number): boolean {
  return (Atomics.load(ctrl, base + ((option >> 5) & 7)) & (1 << (option & 31))) !== 0;
}

/** Write a JSON message into the call area; returns its length, or throws if it does not fit. */
export function writeCallArea(ch: Channel, message: unknown): number {
  const bytes = Buffer.from(JSON.stringify(message), 'utf8');
  if (bytes.length > ch.call.length) throw new RangeError(`call message of ${bytes.length} bytes exceeds ${ch.call.length}`);
  ch.call.set(bytes, 0);
  return bytes.length;
}

/** Read the JSON message of `len` bytes from the call area. */
export function readCallArea(ch: Channel, len: number): unknown {
  return JSON.parse(Buffer.from(ch.call.subarray(0, len)).toString('utf8')) as unknown;
}

/**
 * The process-wide status block the engine keeps alive: heartbeat, dead,
 * four spin leases and the number of them in use (engine-client.ts, "Spin,
 * then sleep").
 */
export const H = { BEAT: 0, DEAD: 1, SPIN: 2, SPIN_SLOTS: 6 } as const;
/** Bytes of the status block. */
export const STATUS_BYTES = 8 * 4;
