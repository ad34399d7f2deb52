/**
 * `telnetlib3/sync`: the blocking API. The async engine runs in one worker
 * thread per process; these classes block the calling thread (sleeping in
 * Atomics.wait, using no CPU, after a read's bounded spin of at most 100 µs)
 * until data, a timeout or EOF.
 *
 * Durations are milliseconds. Errors: `TelnetTimeoutError`
 * (`ERR_TELNET_TIMEOUT`), `TelnetClosedError` (`ERR_TELNET_CLOSED`, EOF),
 * `TelnetWorkerError` (`ERR_TELNET_WORKER`), and `TelnetUsageError` for misuse
 * (`ERR_TELNET_NOT_CONNECTED`, `ERR_TELNET_ALREADY_CONNECTED`, ...).
 */
export { TelnetConnection } from './telnet-connection.js';
export type { TelnetConnectionOptions } from './telnet-connection.js';
export { ServerConnection, SERVER_SHUTDOWN } from './server-connection.js';
export type { AcceptedConnection } from './server-connection.js';
export { BlockingTelnetServer, resolveHandler } from './blocking-server.js';
export type { BlockingServerOptions, HandlerSpec } from './blocking-server.js';
export type { ExpectResult, SyncWriterView } from './core.js';
export { DEFAULT_SYNC_LIMIT } from './core.js';
export { readStdinLine } from './stdin.js';
export { fingerprintServer } from './fingerprint.js';
export type { ServerFingerprintRecord, ServerProbeOptions } from '../fingerprint/server-probe.js';
export { TelnetWorkerError } from '../bridge/engine-client.js';
export {
  TelnetError, TelnetTimeoutError, TelnetClosedError, TelnetUsageError, TelnetLimitError, TelnetEncodingError,
} from '../protocol/errors.js';
export type { MudMessage } from '../bridge/mud-queue.js';
