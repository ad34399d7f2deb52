/**
 * The blocking form of the server fingerprint:
 * `fingerprintServer(host, port, opts)` returns the same record as the
 * async `probeServer` (it runs there, in the engine worker), blocking the
 * calling thread until the probe ends. The probe is bounded by its own
 * `totalTimeout` (default 60 s) and connect timeout; this call gives up
 * 10 s after both.
 */
import { runFingerprintJob } from '../bridge/fingerprint-job.js';
import type { ServerFingerprintRecord, ServerProbeOptions } from '../fingerprint/server-probe.js';

/** Fingerprint the server at host:port, blocking until the record is ready. */
export function fingerprintServer(host: string, port = 23, options: ServerProbeOptions = {}): ServerFingerprintRecord {
  const limit = (options.totalTimeout ?? 60000) + (options.connectTimeout ?? 10000) + 10000;
  return runFingerprintJob<ServerFingerprintRecord>(host, port, { ...options }, limit);
}
