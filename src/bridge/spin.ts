/**
 * Spin, then sleep: bounded, adaptive busy-waiting on a channel word, for
 * the threads on either side of a blocking connection (a caller waiting
 * for its reply, the engine waiting for a caller's answer). Shared memory
 * and Atomics stay in src/bridge.
 */
import { H } from './channel.js';

/*
 * Spin, then sleep: how a blocked read waits for data that is about to come.
 *
 * Waking a thread asleep in `Atomics.wait` is the largest cost of a blocking
 * round trip: on the 2-CPU virtual machine we measure on, a loopback
 * request/response waited 77-85 µs (median) for its reply when the caller
 * slept and 27-29 µs when it spun, since while the caller sleeps the other
 * parties' wake-ups slow down too (docs/design.md, "Where the time goes").
 * So before it sleeps, a read watches its wake word for a short while (at
 * most {@link SPIN_US} µs, 100 by default), which catches the reply of a
 * request/response exchange over loopback or a LAN. The spin is bounded and
 * adaptive, so a caller that waits long still sleeps at once and costs no CPU:
 *
 * - a spin that ends without news doubles a back-off (up to 64 waits that
 *   do not spin); one that catches news resets it. A caller whose peer
 *   answers in milliseconds spins at most once every 64 waits.
 * - only as many threads as the machine has CPUs minus one spin at the same
 *   moment (leases in the engine's status block, so a thread terminated
 *   while spinning loses its lease within a millisecond); the engine and
 *   the peer keep a CPU. On one CPU nothing spins.
 * - only data reads spin (read, readline, readUntil, expect): not connect,
 *   flush, calls or the server's accept, where the engine has work to do.
 *
 * `TELNETLIB3_SPIN_US` sets the budget (0 turns spinning off, at most 1000).
 */

/** The longest a read spins before it sleeps (µs; `TELNETLIB3_SPIN_US`, 0 to 1000). */
export const SPIN_US = Math.min(1000, Math.max(0, Number(process.env.TELNETLIB3_SPIN_US ?? 100) || 0));
const MAX_BACKOFF = 64;

let backoff = 0;
let skip = 0;

/** What this thread's spins did, for diagnostics and tests. */
export const spinCounters = { caught: 0, missed: 0, skipped: 0, noLease: 0 };

/** Forget this thread's back-off and counters (tests). */
export function resetSpin(): void {
  backoff = 0;
  skip = 0;
  spinCounters.caught = spinCounters.missed = spinCounters.skipped = spinCounters.noLease = 0;
}

function nowNs(): number {
  const [sec, ns] = process.hrtime();
  return sec * 1e9 + ns;
}

/** A lease expires this many ms after it was taken (Date.now() granularity, so 1-2 ms later than the spin could last). */
const LEASE_MS = Math.ceil(SPIN_US / 1000) + 1;

function takeLease(status: Int32Array, now: number): number {
  // The engine publishes how many threads may spin at once (CPUs - 1, at most 4).
  const slots = Atomics.load(status, H.SPIN_SLOTS);
  for (let i = 0; i < slots; i++) {
    const idx = H.SPIN + i;
    const v = Atomics.load(status, idx);
    // 0: free; otherwise the lease's expiry (ms, wrapping at 2^31).
    if ((v === 0 || ((now - v) | 0) > 0) && Atomics.compareExchange(status, idx, v, ((now + LEASE_MS) | 0) || 1) === v) return idx;
  }
  return -1;
}

/**
 * Watch `ctrl[idx]` until it differs from `seen` or the spin budget (at most
 * `maxMs`) runs out. True when it changed (no need to sleep). `status` is
 * the engine's status block (null: no leases to take, so no spinning).
 */
export function spinWait(ctrl: Int32Array, idx: number, seen: number, maxMs: number, status: Int32Array | null): boolean {
  if (SPIN_US === 0 || status === null) return false;
  if (skip > 0) {
    skip--;
    spinCounters.skipped++;
    return false;
  }
  const lease = takeLease(status, Date.now() & 0x7fffffff);
  if (lease < 0) {
    spinCounters.noLease++;
    return false;
  }
  let changed = false;
  try {
    // process.hrtime, not performance.now: the first use of `performance`
    // loads modules that cost each handler thread about 0.1 MiB.
    const until = nowNs() + Math.min(SPIN_US / 1000, maxMs) * 1e6;
    outer: do {
      for (let i = 0; i < 64; i++) {
        if (Atomics.load(ctrl, idx) !== seen) { changed = true; break outer; }
      }
    } while (nowNs() < until);
  } finally {
    Atomics.store(status, lease, 0);
  }
  if (changed) {
    spinCounters.caught++;
    backoff = 0;
  } else {
    spinCounters.missed++;
    skip = backoff = Math.min(MAX_BACKOFF, backoff === 0 ? 1 : backoff * 2);
  }
  return changed;
}
