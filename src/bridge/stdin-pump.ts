/**
 * stdin for blocking interactive loops (compat/telnetlib's `interact()`): a
 * helper thread (workers/stdin.ts) reads fd 0 without blocking any event
 * loop and puts what it reads into a shared ring, waking a connection's
 * caller word so that one wait covers both the socket and stdin. One per
 * process, created on first use, unref'd, paused between interactions.
 * {@link StdinPump.readLine} serves blocking `input()`-style prompts.
 */
import { Worker } from 'node:worker_threads';
import { C, type Channel, ringRead, ringUsed } from './channel.js';

/** Shared block: Int32 [head, tail, eof, waitingForRoom], then the ring. */
const W = { HEAD: 0, TAIL: 1, EOF: 2, WANTS_ROOM: 3 } as const;
const RING = 64 * 1024;
const WORKER_PATH = new URL('../../workers/stdin.js', import.meta.url);

/** The process's stdin, readable from a blocked thread. */
export class StdinPump {
  private static instance: StdinPump | null = null;
  private readonly ctrl: Int32Array;
  private readonly ring: Uint8Array;
  private readonly worker: Worker;
  /** A wake block of our own, for reads that wait on stdin alone. */
  private readonly own = new Int32Array(new SharedArrayBuffer(256));
  /** Read from the ring but not yet taken (what followed a line end). */
  private held: Buffer = Buffer.alloc(0);

  /** The process-wide pump (its thread starts on first use). */
  static get(): StdinPump {
    StdinPump.instance ??= new StdinPump();
    return StdinPump.instance;
  }

  private constructor() {
    const sab = new SharedArrayBuffer(16 + RING);
    this.ctrl = new Int32Array(sab, 0, 4);
    this.ring = new Uint8Array(sab, 16);
    this.worker = new Worker(WORKER_PATH, { workerData: { sab } });
    this.worker.unref();
    // A failed helper counts as the end of stdin, so no loop waits for it forever.
    this.worker.on('error', () => { Atomics.store(this.ctrl, W.EOF, 1); });
  }

  /** Start delivering stdin, waking `ch`'s caller word on arrivals. */
  resume(ch: Channel): void {
    this.worker.postMessage({ type: 'resume', ch: ch.sab });
  }

  /** Stop reading stdin (what was read stays queued). */
  pause(): void {
    this.worker.postMessage({ type: 'pause' });
  }

  /** Bytes waiting, or stdin at its end. */
  ready(): boolean {
    return this.held.length > 0 || ringUsed(this.ctrl, W.HEAD, W.TAIL) > 0 || Atomics.load(this.ctrl, W.EOF) !== 0;
  }

  /** What arrived (empty at EOF when nothing is left: check {@link atEof}). */
  read(): Buffer {
    let out = ringRead(this.ctrl, this.ring, W.HEAD, W.TAIL);
    if (this.held.length > 0) {
      out = out.length === 0 ? this.held : Buffer.concat([this.held, out]);
      this.held = Buffer.alloc(0);
    }
    if (Atomics.load(this.ctrl, W.WANTS_ROOM) !== 0) {
      Atomics.store(this.ctrl, W.WANTS_ROOM, 0);
      this.worker.postMessage({ type: 'more' });
    }
    return out;
  }

  /** True once stdin ended and everything read was taken. */
  get atEof(): boolean {
    return Atomics.load(this.ctrl, W.EOF) !== 0 && ringUsed(this.ctrl, W.HEAD, W.TAIL) === 0 && this.held.length === 0;
  }

  /**
   * Block (sleeping) until a whole line arrived; returns it with its LF, the
   * unterminated rest at the end of stdin, or null at the end of stdin.
   * What follows the line stays for the next read.
   */
  readLine(): Buffer | null {
    this.worker.postMessage({ type: 'resume', ch: this.own.buffer });
    let buf: Buffer = Buffer.alloc(0);
    try {
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl !== -1) {
          // read() took what was held, so the rest of this chunk is all there is.
          this.held = buf.subarray(nl + 1);
          return buf.subarray(0, nl + 1);
        }
        if (this.atEof) return buf.length > 0 ? buf : null;
        // Stdin alone: no engine heartbeat to watch, so a plain wait on our own word.
        for (let seen = Atomics.load(this.own, C.CALLER_WAKE); !this.ready(); seen = Atomics.load(this.own, C.CALLER_WAKE)) {
          Atomics.wait(this.own, C.CALLER_WAKE, seen);
        }
        const chunk = this.read();
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      }
    } finally {
      this.pause();
    }
  }
}
