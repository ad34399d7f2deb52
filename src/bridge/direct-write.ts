/**
 * Direct writes: a blocking caller writes small outgoing data straight to
 * the connection's socket descriptor (`fs.writeSync` on a non-blocking
 * socket) instead of going through the send ring and waking the engine
 * thread. A round trip then pays one thread hop instead of two.
 *
 * Who may write to the socket is decided by one shared word, WRITE_LOCK:
 *
 *   FREE    nobody is writing and the engine has nothing queued for the
 *           socket: the caller may take the word (CAS FREE -> CALLER)
 *   CALLER  the caller is inside one non-blocking write(2)
 *   ENGINE  the engine has output queued in the socket (or just wrote):
 *           callers use the send ring, which the engine sends in order
 *   OFF     closing, closed, or never enabled: callers use the ring
 *
 * The engine never blocks on the word: output it makes while the caller
 * holds CALLER (a negotiation reply, say) is kept and sent as soon as the
 * caller lets go (Atomics.waitAsync). When the socket ends or its
 * descriptor is about to close (every close goes through the socket
 * handle's close(), which is wrapped here) the engine turns the word OFF;
 * a close that finds the caller inside its write waits until it leaves.
 * So a caller never writes to a closed descriptor or to one the process
 * has reused for another file. A caller whose thread is terminated inside
 * its write never lets go: after CALLER_GONE_MS the engine takes the word.
 *
 * The caller writes directly only what needs no work from the engine: the
 * send ring is empty, the bytes are a short write, and they go out
 * unchanged (a byte connection's data without 0xFF, or text when the
 * outgoing encoding is UTF-8, or US-ASCII and the text is ASCII). DIRECT_FD
 * and DIRECT_MODE say when that holds; the engine keeps them current.
 * Shared memory and Atomics stay in src/bridge.
 */
import { isAscii } from 'node:buffer';
import { writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { SocketGate } from '../engine/connection.js';
import { C, ringUsed } from './channel.js';

/** Values of the WRITE_LOCK word. */
export const W = { FREE: 0, CALLER: 1, ENGINE: 2, OFF: 3 } as const;

/** DIRECT_MODE values: what the caller's bytes must be to go out unchanged. */
export const D = {
  /** Direct writes are off (the engine transcodes, or a partial character is pending). */
  NONE: 0,
  /** A byte connection: data without 0xFF (IAC would need doubling). */
  BYTES: 1,
  /** Text, outgoing UTF-8: every UTF-8 string passes unchanged. */
  UTF8: 2,
  /** Text, outgoing US-ASCII: ASCII strings pass unchanged. */
  ASCII: 3,
  /** A raw connection (compat/): every byte passes unchanged. */
  RAW: 4,
} as const;

/** Writes longer than this always go through the ring (and its back-pressure). */
export const DIRECT_MAX = 64 * 1024;

/** Set `TELNETLIB3_DIRECT_WRITE=0` to send every write through the engine (for comparison). */
const ENABLED = process.env.TELNETLIB3_DIRECT_WRITE !== '0';

type HandleWithClose = { fd?: unknown; close: (...args: unknown[]) => unknown };

/**
 * A caller that holds the lock this long is taken to be gone: its thread
 * was terminated inside a write (a handler thread ended by shutdown()).
 * A live caller holds it for one non-blocking write(2), microseconds.
 */
const CALLER_GONE_MS = 2000;

/**
 * Engine side: every write the connection makes to its socket goes through
 * here, so it is ordered with the caller's direct writes. The engine thread
 * never blocks on the caller: what must wait for it (kept output, the
 * descriptor's close) waits with Atomics.waitAsync.
 */
export class DirectWriteGate implements SocketGate {
  private deferred: Buffer[] | null = null;
  private waiting = false;
  private holds = 0;
  /** Set once the socket ends or closes: the lock must reach OFF. */
  private shuttingDown = false;
  /** Descriptor closes that wait for the caller to leave its write. */
  private closers: Array<() => void> | null = null;
  /** When the engine started waiting for the caller (0: not waiting). */
  private callerSince = 0;

  /** Returns null when the socket has no usable descriptor (direct writes stay off). */
  static attach(ctrl: Int32Array, socket: Socket): DirectWriteGate | null {
    if (!ENABLED) return null;
    // A TLSSocket's handle reports the TCP descriptor, but bytes written there would bypass the encryption.
    if ((socket as { encrypted?: boolean }).encrypted === true) return null;
    const handle = (socket as unknown as { _handle?: HandleWithClose | null })._handle;
    if (handle === null || handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.close !== 'function') return null;
    const gate = new DirectWriteGate(ctrl, socket);
    const close = handle.close;
    // Every descriptor close (destroy(), an error, a reset) passes here
    // first; while the caller is inside a write(2) on it, the close waits.
    handle.close = function closeAfterGate(this: unknown, ...args: unknown[]): unknown {
      if (gate.shutdown()) return close.apply(this, args);
      gate.afterCaller(() => { close.apply(this, args); });
      return undefined;
    };
    Atomics.store(ctrl, C.WRITE_LOCK, socket.writableLength > 0 ? W.ENGINE : W.FREE);
    Atomics.store(ctrl, C.DIRECT_FD, handle.fd + 1);
    return gate;
  }

  private constructor(private readonly ctrl: Int32Array, private readonly socket: Socket) {}

  /** Write for the engine, after anything the caller wrote directly. */
  write(bytes: Buffer): void {
    if (this.deferred !== null) {
      this.deferred.push(bytes);
      return;
    }
    if (!this.acquire()) {
      // Kept until the caller lets go; meanwhile the caller must not write
      // directly again (it would overtake these), so hold until they are out.
      this.deferred = [bytes];
      this.hold();
      this.waitForCaller();
      return;
    }
    this.socket.write(bytes);
    this.giveBack();
  }

  /** The socket drained: the caller may write directly again. */
  drained(): void {
    this.giveBack();
  }

  /**
   * Keep the caller off the socket while the engine works on something
   * whose output must go first: the replies to a received chunk, or the
   * send ring's contents between taking them and writing them.
   */
  hold(): void {
    if (this.holds++ === 0) Atomics.store(this.ctrl, C.ENGINE_BUSY, 1);
  }

  /** That output is written (or kept): the caller may go on. */
  release(): void {
    if (--this.holds > 0) return;
    this.holds = 0;
    Atomics.store(this.ctrl, C.ENGINE_BUSY, 0);
    this.giveBack();
  }

  /**
   * The socket is ending or closing: no direct write may start any more,
   * and what was kept goes out now (before the FIN). Returns true when no
   * direct write can be in flight either (the lock is OFF); false while the
   * caller is still inside one, in which case the lock turns OFF as soon
   * as it leaves.
   */
  shutdown(): boolean {
    this.shuttingDown = true;
    Atomics.store(this.ctrl, C.DIRECT_FD, 0);
    this.flushDeferred();
    if (this.tryOff()) return true;
    this.waitForCaller();
    return false;
  }

  /** Run `fn` once the caller has left its write (the lock is OFF). */
  afterCaller(fn: () => void): void {
    if (this.tryOff()) { fn(); return; }
    (this.closers ??= []).push(fn);
    this.waitForCaller();
  }

  /** Take the socket for the engine; false while the caller is writing. */
  private acquire(): boolean {
    const v = Atomics.compareExchange(this.ctrl, C.WRITE_LOCK, W.FREE, W.ENGINE);
    return v !== W.CALLER;
  }

  /** Turn the lock OFF unless the caller holds it; true once it is OFF. */
  private tryOff(): boolean {
    for (;;) {
      const v = Atomics.load(this.ctrl, C.WRITE_LOCK);
      if (v === W.OFF) return true;
      if (v === W.CALLER) return false;
      if (Atomics.compareExchange(this.ctrl, C.WRITE_LOCK, v, W.OFF) === v) return true;
    }
  }

  /** Give the socket back once nothing of ours is queued in it. */
  private giveBack(): void {
    if (this.deferred === null && this.socket.writableLength === 0 && Atomics.load(this.ctrl, C.ENGINE_BUSY) === 0) {
      Atomics.compareExchange(this.ctrl, C.WRITE_LOCK, W.ENGINE, W.FREE);
    }
  }

  /** Wait (without blocking the engine) for the caller to let go, then do what waited. */
  private waitForCaller(): void {
    if (this.waiting) return;
    this.waiting = true;
    if (this.callerSince === 0) this.callerSince = Date.now();
    const w = Atomics.waitAsync(this.ctrl, C.WRITE_LOCK, W.CALLER, CALLER_GONE_MS);
    if (w.async) void w.value.then(() => this.callerLeft());
    else queueMicrotask(() => this.callerLeft());
  }

  private callerLeft(): void {
    this.waiting = false;
    if (Atomics.load(this.ctrl, C.WRITE_LOCK) === W.CALLER) {
      if (Date.now() - this.callerSince < CALLER_GONE_MS) { this.waitForCaller(); return; }
      // The caller's thread died inside its write: take the lock from it.
      Atomics.compareExchange(this.ctrl, C.WRITE_LOCK, W.CALLER, this.shuttingDown ? W.OFF : W.ENGINE);
    }
    this.callerSince = 0;
    if (this.deferred !== null) {
      if (!this.acquire()) { this.waitForCaller(); return; }
      this.flushDeferred();
    }
    if (this.shuttingDown) {
      if (!this.tryOff()) { this.waitForCaller(); return; }
      const fns = this.closers;
      this.closers = null;
      if (fns !== null) for (const fn of fns) fn();
    }
  }

  /** Write what was kept, then drop the hold taken when it was kept. */
  private flushDeferred(): void {
    const d = this.deferred;
    if (d === null) return;
    this.deferred = null;
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(d.length === 1 ? d[0]! : Buffer.concat(d));
    this.release();
  }
}

/**
 * Engine side: publish whether the caller's bytes may go out unchanged
 * (see {@link D}).
 */
export function publishDirectMode(ctrl: Int32Array, mode: number): void {
  if (Atomics.load(ctrl, C.DIRECT_MODE) !== mode) Atomics.store(ctrl, C.DIRECT_MODE, mode);
}

/**
 * Caller side: true when everything this caller wrote has reached the
 * kernel (nothing in the send ring, in the engine's hands, or queued in
 * the socket), as far as the write lock can tell. Only meaningful while
 * direct writes are on; false otherwise. The loads go in the order that
 * makes the answer safe: the ring, then ENGINE_BUSY (set before the engine
 * takes from the ring), then the lock (held while the socket has a queue).
 */
export function nothingQueued(ctrl: Int32Array): boolean {
  if (Atomics.load(ctrl, C.DIRECT_FD) === 0) return false;
  if (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) !== 0) return false;
  if (Atomics.load(ctrl, C.ENGINE_BUSY) !== 0) return false;
  return Atomics.load(ctrl, C.WRITE_LOCK) === W.FREE;
}

/**
 * Caller side: write `bytes` straight to the socket when allowed. Returns
 * how many bytes went out (0 when the caller must use the send ring; a
 * short count when the socket buffer filled: the rest goes through the
 * ring, after these).
 */
export function tryDirectWrite(ctrl: Int32Array, bytes: Buffer): number {
  if (bytes.length === 0 || bytes.length > DIRECT_MAX) return 0;
  const fd = Atomics.load(ctrl, C.DIRECT_FD) - 1;
  if (fd < 0) return 0;
  const mode = Atomics.load(ctrl, C.DIRECT_MODE);
  if (mode === D.NONE) return 0;
  if (mode === D.BYTES ? bytes.indexOf(0xff) !== -1 : mode === D.ASCII && !isAscii(bytes)) return 0;
  // (D.UTF8 and D.RAW: any bytes.)
  if (Atomics.compareExchange(ctrl, C.WRITE_LOCK, W.FREE, W.CALLER) !== W.FREE) return 0;
  let n = 0;
  try {
    // Earlier writes still in the ring go first (the engine sends them), and
    // so does output the engine is working on (ENGINE_BUSY). The order of
    // the two loads matters: the engine sets ENGINE_BUSY before it takes
    // data from the ring, so seeing the ring empty because the engine just
    // took our data means seeing ENGINE_BUSY set too.
    if (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) === 0 && Atomics.load(ctrl, C.ENGINE_BUSY) === 0) n = writeSync(fd, bytes);
  } catch {
    // EAGAIN (socket buffer full), or the peer is gone: the ring path sends
    // or drops it as it would any write, and the engine sees the error.
    n = 0;
  } finally {
    // CALLER -> FREE only: a lock the engine took meanwhile (it thought this thread dead) stays taken.
    Atomics.compareExchange(ctrl, C.WRITE_LOCK, W.CALLER, W.FREE);
    Atomics.notify(ctrl, C.WRITE_LOCK);
  }
  if (n > 0) Atomics.add(ctrl, C.DIRECT_TX, n);
  return n;
}
