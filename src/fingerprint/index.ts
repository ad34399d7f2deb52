/**
 * Fingerprinting (telnetlib3 4.0.5's `fingerprinting.py` and
 * `server_fingerprinting.py`): identify a Telnet client or server by what
 * it negotiates. See docs/fingerprint.md.
 *
 * - {@link makeFingerprintShell}: the server-side shell that probes each connecting client;
 * - {@link probeServer}: the client-side probe of a server;
 * - records in telnetlib3's JSON layout, saved under the data directory ({@link saveClientRecord}, {@link saveServerRecord}).
 */
export * from './options.js';
export { canonicalJson, hashFingerprint } from './hash.js';
export { PROBE_TIMEOUT_MS, LOOP_TIMEOUT_MS, type ProbeResult, type ProbeResults, probeOptions, probeLoops } from './probe.js';
export { type ClientFingerprintRecord, buildClientRecord, clientProtocolFingerprint, clientSessionIdentity } from './client-record.js';
export { type FingerprintShellOptions, fingerprintShell, isMaybeMsTelnet, isMaybeMud, makeFingerprintShell, probeClient } from './server-shell.js';
export { type ServerFingerprintRecord, type ServerProbeOptions, parseMssp, probeServer } from './server-probe.js';
export {
  DEFAULT_MAX_FILES, DEFAULT_MAX_FINGERPRINTS, UNKNOWN_TERMINAL_HASH, loadFingerprintNames, resolveDataDir, saveClientRecord, saveFingerprintName,
  saveServerRecord, sortedJson,
} from './store.js';
export { renderTable, summarizeClient, summarizeServer } from './summary.js';
export { SYNCTERM_FONT_ENCODINGS, VirtualTerminal, promptReply } from './terminal-answers.js';
