/**
 * Caller side of a server fingerprint run in the engine worker: start it
 * (`fingerprintStart`), then poll (`fingerprintPoll`) every 50 ms,
 * sleeping in Atomics.wait in between, until the record is ready, the probe
 * failed, or `limitMs` passed.
 */
import { TelnetTimeoutError } from '../protocol/errors.js';
import { engineCall, rebuild } from './engine-client.js';

const POLL_MS = 50;

/** Run the engine's `probeServer(host, port, options)` and block until its record. */
export function runFingerprintJob<R>(host: string, port: number, options: Record<string, unknown>, limitMs: number): R {
  const id = engineCall<number>('fingerprintStart', host, port, options);
  const limit = Date.now() + limitMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const job = engineCall<{ done: boolean; record?: R; error?: { message: string; code: string; name: string } }>('fingerprintPoll', id);
    if (job.done) {
      if (job.error !== undefined) throw rebuild(job.error);
      return job.record as R;
    }
    if (Date.now() > limit) throw new TelnetTimeoutError(`fingerprint of ${host}:${port} did not finish in ${limitMs} ms`, 'ERR_TELNET_TIMEOUT');
    Atomics.wait(sleeper, 0, 0, POLL_MS);
  }
}
