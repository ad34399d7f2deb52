/**
 * The stdin helper thread of src/bridge/stdin-pump.ts (compat/telnetlib's
 * `interact()` uses it): reads fd 0 without blocking any thread (a TTY or
 * pipe handle in this thread's event loop), copies what arrives into a shared ring and wakes the interacting
 * thread through its connection's caller word, so that thread sleeps in one
 * `Atomics.wait` for both the socket and stdin.
 *
 * Shared block: Int32 [head, tail, eof, waitingForRoom] then a 64 KiB ring.
 * Messages: `{type: 'resume', ch}` (start reading, wake `ch`), `{type:
 * 'pause'}`, `{type: 'more'}` (the ring has room again).
 */
import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { C, ringWrite, wake } from '../src/bridge/channel.js';

const { sab } = workerData as { sab: SharedArrayBuffer };
const ctrl = new Int32Array(sab, 0, 4);
const ring = new Uint8Array(sab, 16);
let target: Int32Array | null = null;
const held: Buffer[] = [];
let wanted = false;

function notify(): void {
  if (target !== null) wake(target, C.CALLER_WAKE);
}

function open(): Readable {
  if (tty.isatty(0)) return new tty.ReadStream(0);
  const st = fs.fstatSync(0);
  if (st.isFIFO() || st.isSocket()) return new net.Socket({ fd: 0, readable: true, writable: false });
  return fs.createReadStream('', { fd: 0, autoClose: false });
}

let stream: Readable | null = null;
/** The stream ended; EOF is published once `held` is in the ring too. */
let ended = false;

function finish(): void {
  // 'end' can come while the ring is full and `held` still has the last of
  // the input (pausing in the last 'data' does not hold 'end' back): the
  // reader must not see EOF before it has read all of that.
  ended = true;
  if (held.length > 0) return;
  Atomics.store(ctrl, 2, 1);
  notify();
}

function push(): void {
  while (held.length > 0) {
    const head = held[0]!;
    const n = ringWrite(ctrl, ring, 0, 1, head);
    if (n > 0) notify();
    if (n < head.length) {
      held[0] = head.subarray(n);
      Atomics.store(ctrl, 3, 1);
      stream?.pause();
      return;
    }
    held.shift();
  }
  if (ended) finish();
  else if (wanted) stream?.resume();
}

function start(): void {
  if (stream !== null) return;
  try {
    stream = open();
  } catch {
    finish();
    return;
  }
  stream.on('data', (chunk: Buffer | string) => {
    held.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    push();
  });
  stream.on('end', finish);
  stream.on('error', finish);
}

parentPort!.on('message', (m: { type: string; ch?: SharedArrayBuffer }) => {
  if (m.type === 'resume') {
    target = m.ch === undefined ? null : new Int32Array(m.ch, 0, 64);
    wanted = true;
    start();
    if (held.length === 0) stream?.resume();
    if (Atomics.load(ctrl, 2) !== 0) notify();
  } else if (m.type === 'pause') {
    wanted = false;
    stream?.pause();
  } else if (m.type === 'more') {
    push();
  }
});
