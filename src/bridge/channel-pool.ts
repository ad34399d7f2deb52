/**
 * Channels of closed client connections, kept for the thread's next
 * connect().
 *
 * A channel is one SharedArrayBuffer of about 1.3 MiB (rings and call
 * area). Allocating one per connection is costly in a loop of connections:
 * once glibc's malloc has seen a large block freed it serves the next ones
 * from its heap, zero-filling each (all 1.3 MiB touched), and the freed
 * buffers wait for a garbage collection. 3,000 sequential connections then
 * took the process from 60 MiB to over 3 GiB of resident memory and
 * slowed each connect. So a closed connection parks its channel here; once
 * the engine marks it RELEASED (nothing of the engine's touches it any
 * more), the next connect() in this thread takes it instead of a new one.
 * The closed connection that owned it is detached first: it keeps a
 * private copy of the control block (flags and option states, for
 * `atEof` and `writer`) and the answer to its close, and never looks at the
 * shared buffer again.
 *
 * Only channels handed out by {@link takeChannel} are parked: the
 * default-size channels of client connections (TelnetConnection and the
 * raw ones of compat/telnetlib), at most {@link MAX_PARKED} per thread
 * (beyond that the oldest is left to the garbage collector). Shared memory
 * and Atomics stay in src/bridge.
 */
import { C, type Channel, F, createChannel } from './channel.js';

/** Parked channels per thread, at most. */
export const MAX_PARKED = 8;

interface Parked {
  ch: Channel;
  /** Make the closed connection that owned `ch` stop using it. */
  detach: () => void;
}

const parked: Parked[] = [];
/** Every channel takeChannel() handed out: only these go back to the pool. */
const fromPool = new WeakSet<Channel>();

/** Stats for tests and diagnostics: channels made and reused by this thread. */
export const poolCounters = { created: 0, reused: 0 };

/** A default-size channel for a new client connection: a released parked one, or a new one. */
export function takeChannel(): Channel {
  // Newest first: its pages are the ones most likely still in cache.
  for (let i = parked.length - 1; i >= 0; i--) {
    const p = parked[i]!;
    if ((Atomics.load(p.ch.ctrl, C.FLAGS) & F.RELEASED) === 0) continue;
    parked.splice(i, 1);
    p.detach();
    resetChannel(p.ch);
    poolCounters.reused++;
    return p.ch;
  }
  poolCounters.created++;
  const ch = createChannel();
  fromPool.add(ch);
  return ch;
}

/** Park the channel of a connection that was just closed here, if it came from {@link takeChannel}. */
export function parkChannel(ch: Channel, detach: () => void): void {
  if (!fromPool.has(ch)) return;
  parked.push({ ch, detach });
  if (parked.length > MAX_PARKED) parked.shift();
}

/**
 * Clear every control word for the next connection. The two wake counters
 * keep counting (nobody waits on them now, and a counter that only grows
 * can never look unchanged to a late waiter).
 */
function resetChannel(ch: Channel): void {
  const ctrl = ch.ctrl;
  for (let i = 0; i < ctrl.length; i++) {
    if (i !== C.CALLER_WAKE && i !== C.ENGINE_WAKE) Atomics.store(ctrl, i, 0);
  }
}

/** A private copy of a channel's control block, with no rings (what a detached connection keeps). */
export function detachedCopy(ch: Channel): Channel {
  const sab = new SharedArrayBuffer(ch.ctrl.byteLength);
  const ctrl = new Int32Array(sab);
  for (let i = 0; i < ctrl.length; i++) ctrl[i] = Atomics.load(ch.ctrl, i);
  // The rings are gone: what the caller left unread is dropped (it had closed).
  ctrl[C.RECV_TAIL] = ctrl[C.RECV_HEAD]!;
  ctrl[C.SEND_TAIL] = ctrl[C.SEND_HEAD]!;
  ctrl[C.DIRECT_FD] = 0;
  const empty = new Uint8Array(0);
  return { sab, ctrl, recv: empty, send: empty, call: empty };
}
