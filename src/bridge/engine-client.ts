/**
 * Caller side of the thread boundary: starts the engine worker (compiled JS
 * only) on first use, makes control-plane calls through synckit, and waits
 * on channels with Atomics.wait.
 *
 * Waiting: a blocked caller sleeps in `Atomics.wait` on its channel's
 * CALLER_WAKE word, in slices of at most one second. Between slices it
 * checks the engine's heartbeat; an engine that died or stopped beating for
 * {@link ENGINE_STALL_MS} raises {@link TelnetWorkerError}. So a caller never
 * hangs on a dead engine, and a long wait costs one wake-up a second. Data
 * reads may spin briefly before they sleep (at most 100 µs, and adaptively
 * less: src/bridge/spin.ts).
 */
import { createRequire } from 'node:module';
import { TelnetError, TelnetTimeoutError, TelnetUsageError } from '../protocol/errors.js';
import { C, type Channel, F, H, readCallArea, wake, writeCallArea } from './channel.js';
import { spinWait } from './spin.js';

/** The engine worker died or stopped answering. */
export class TelnetWorkerError extends TelnetError {
  constructor(message = 'The telnet engine worker is not running') {
    super(message, 'ERR_TELNET_WORKER');
  }
}

/** How long the engine may go without a heartbeat before callers give up on it. */
export const ENGINE_STALL_MS = Number(process.env.TELNETLIB3_ENGINE_STALL_MS ?? 5000);
/** Control-plane calls are all quick; this bounds them if the engine is gone. */
const CONTROL_TIMEOUT_MS = Number(process.env.TELNETLIB3_CONTROL_TIMEOUT_MS ?? 15000);
const SLICE_MS = 1000;

type Call = (method: string, ...args: unknown[]) => unknown;
let callFn: Call | null = null;
let status: Int32Array | null = null;
let engineBroken: Error | null = null;

const ENGINE_PATH = new URL('../../workers/engine.js', import.meta.url);

/** A control-plane call into the engine worker (started on first use). */
export function engineCall<T>(method: string, ...args: unknown[]): T {
  if (engineBroken !== null) throw new TelnetWorkerError(`the telnet engine worker failed earlier: ${engineBroken.message}`);
  if (callFn === null) {
    // Loaded on first use only: handler threads never start the engine, and
    // not loading synckit there keeps each of them smaller.
    const { createSyncFn } = createRequire(import.meta.url)('synckit') as typeof import('synckit');
    callFn = createSyncFn(ENGINE_PATH, { timeout: CONTROL_TIMEOUT_MS }) as unknown as Call;
    const hello = callControl<{ status: SharedArrayBuffer }>('hello');
    status = new Int32Array(hello.status);
  }
  return callControl<T>(method, ...args);
}

function callControl<T>(method: string, ...args: unknown[]): T {
  try {
    return callFn!(method, ...args) as T;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_TELNET')) throw rebuild({ message: e.message, code: e.code, name: e.name });
    if (/timed out|Worker|worker|exited/.test(e.message ?? '')) {
      engineBroken = e;
      throw new TelnetWorkerError(`the telnet engine worker did not answer ${method}: ${e.message}`);
    }
    throw err;
  }
}

/**
 * Options sent to the engine thread are copied, so they must be plain data:
 * a function (a logger, a callback) cannot cross and gets a clear error here
 * instead of a DataCloneError from deep inside the call.
 */
export function assertPlainOptions(options: Record<string, unknown>, what: string): void {
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'function' || (key === 'logger' && value !== undefined && value !== null)) {
      throw new TelnetUsageError(
        `${what}: option "${key}" cannot be used here; the connection lives in the engine thread and functions cannot cross to it`,
        'ERR_TELNET_BAD_OPTION',
      );
    }
  }
}

/** Rebuild an error that crossed the boundary as data, with this thread's stack. */
export function rebuild(w: { message: string; code: string; name: string }): Error {
  if (w.code === 'ERR_TELNET_WORKER') return new TelnetWorkerError(w.message);
  if (w.code.startsWith('ERR_TELNET_TIMEOUT') || w.code === 'ERR_TELNET_CONNECT_TIMEOUT' || w.code === 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT') return new TelnetTimeoutError(w.message, w.code);
  return new TelnetError(w.message, w.code);
}

/** The engine's status block, for threads that did not start it (handler threads get it passed in). */
export function engineStatus(): SharedArrayBuffer | null {
  return status === null ? null : (status.buffer as SharedArrayBuffer);
}

/** Use a status block handed over by the thread that started the engine. */
export function adoptEngineStatus(buf: SharedArrayBuffer): void {
  status = new Int32Array(buf);
}

/**
 * Sleep until `ready()` is true or `deadline` (ms since epoch, or null for
 * never) passes; returns false on timeout. Throws {@link TelnetWorkerError}
 * when the engine is dead or silent.
 */
export function waitUntil(ch: Channel, ready: () => boolean, deadline: number | null, spin = false): boolean {
  return sleepUntil(ch.ctrl, C.CALLER_WAKE, ready, deadline, () => (Atomics.load(ch.ctrl, C.FLAGS) & F.DEAD) !== 0, spin);
}

/**
 * {@link waitUntil} on any wake word (`ctrl[idx]` is bumped and notified by
 * the engine). With `spin`, each sleep may be preceded by a short bounded
 * spin on the word ("Spin, then sleep" below); data reads ask for it.
 */
export function sleepUntil(
  ctrl: Int32Array, idx: number, ready: () => boolean, deadline: number | null, dead: () => boolean = () => false, spin = false,
): boolean {
  let lastBeat = status === null ? 0 : Atomics.load(status, H.BEAT);
  let lastBeatAt = Date.now();
  for (;;) {
    const seen = Atomics.load(ctrl, idx);
    if (ready()) return true;
    if (dead() || (status !== null && Atomics.load(status, H.DEAD) !== 0)) {
      throw new TelnetWorkerError('the telnet engine worker exited');
    }
    const now = Date.now();
    if (deadline !== null && now >= deadline) return false;
    const slice = deadline === null ? SLICE_MS : Math.min(SLICE_MS, deadline - now);
    if (spin && spinWait(ctrl, idx, seen, slice, status)) continue;
    const r = Atomics.wait(ctrl, idx, seen, slice);
    if (r !== 'timed-out') continue;
    // A slice that timed out had nothing coming: sleep the next one at once.
    spin = false;
    if (status !== null) {
      const beat = Atomics.load(status, H.BEAT);
      const t = Date.now();
      if (beat !== lastBeat) {
        lastBeat = beat;
        lastBeatAt = t;
      } else if (t - lastBeatAt > ENGINE_STALL_MS) {
        throw new TelnetWorkerError(`the telnet engine worker has not answered for ${t - lastBeatAt} ms`);
      }
    }
  }
}

/** A per-connection call through the channel's call slot (works from any thread). */
export function channelCall<T>(ch: Channel, method: string, args: unknown[] = [], timeoutMs = CONTROL_TIMEOUT_MS): T {
  postCall(ch, method, args);
  return collectCall<T>(ch, method, timeoutMs);
}

/**
 * Place a per-connection call without waiting for its answer; take the
 * answer later with {@link collectCall} (the slot stays busy until then).
 */
export function postCall(ch: Channel, method: string, args: unknown[] = []): void {
  const ctrl = ch.ctrl;
  if ((Atomics.load(ctrl, C.FLAGS) & (F.CLOSED | F.SOCKET_CLOSED)) === (F.CLOSED | F.SOCKET_CLOSED)) {
    // Closed on our side and the socket is gone: the engine has let the channel go, nobody would answer.
    throw new TelnetUsageError('Connection closed', 'ERR_TELNET_CLOSED_LOCALLY');
  }
  if (Atomics.load(ctrl, C.CALL_STATE) !== 0) throw new TelnetError('another call is in progress on this connection', 'ERR_TELNET_CONCURRENT_CALL');
  const len = writeCallArea(ch, { m: method, a: args });
  Atomics.store(ctrl, C.CALL_LEN, len);
  Atomics.store(ctrl, C.CALL_STATE, 1);
  wake(ctrl, C.ENGINE_WAKE);
}

/** Wait for the answer to the call {@link postCall} placed, and free the slot. */
export function collectCall<T>(ch: Channel, method: string, timeoutMs = CONTROL_TIMEOUT_MS): T {
  const ctrl = ch.ctrl;
  let ok: boolean;
  try {
    ok = waitUntil(ch, () => Atomics.load(ctrl, C.CALL_STATE) === 2, Date.now() + timeoutMs);
  } catch (err) {
    Atomics.store(ctrl, C.CALL_STATE, 0);
    throw err;
  }
  if (!ok) {
    Atomics.store(ctrl, C.CALL_STATE, 0);
    throw new TelnetWorkerError(`the telnet engine did not answer ${method} within ${timeoutMs} ms`);
  }
  const reply = readCallArea(ch, Atomics.load(ctrl, C.CALL_LEN)) as { ok?: T; err?: { message: string; code: string; name: string } };
  Atomics.store(ctrl, C.CALL_STATE, 0);
  if (reply.err !== undefined) throw rebuild(reply.err);
  return reply.ok as T;
}
