/**
 * stdin for blocking interactive loops (compat/telnetlib's `interact()`): a
 * helper thread (workers/stdin.ts) reads fd 0 without blocking any event
 * loop and puts what it reads into a shared ring, waking a connection's
 * caller word so that one wait covers both the socket and stdin. One per
 * process, created on first use, unref'd, paused between interactions.
 */
import { Worker } from 'node:worker_threads';
import { type Channel, ringRead, ringUsed } from './channel.js';

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
    return ringUsed(this.ctrl, W.HEAD, W.TAIL) > 0 || Atomics.load(this.ctrl, W.EOF) !== 0;
  }

  /** What arrived (empty at EOF when nothing is left: check {@link atEof}). */
  read(): Buffer {
    const out = ringRead(this.ctrl, this.ring, W.HEAD, W.TAIL);
    if (Atomics.load(this.ctrl, W.WANTS_ROOM) !== 0) {
      Atomics.store(this.ctrl, W.WANTS_ROOM, 0);
      this.worker.postMessage({ type: 'more' });
    }
    return out;
  }

  /** True once stdin ended and everything read was taken. */
  get atEof(): boolean {
    return Atomics.load(this.ctrl, W.EOF) !== 0 && ringUsed(this.ctrl, W.HEAD, W.TAIL) === 0;
  }
}
