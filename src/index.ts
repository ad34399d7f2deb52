/**
 * `telnetlib3`: a complete Telnet client and server library for Node.js.
 *
 * - {@link createServer} / {@link openConnection}: the async engine with
 *   reader/writer streams.
 * - The pure protocol core, also available alone as `telnetlib3/protocol`.
 * - The blocking API is `telnetlib3/sync`; Python-compatible modules are
 *   `telnetlib3/compat/telnetlib` and `telnetlib3/compat/miniboa`.
 */
export * from './protocol/index.js';
export { createServer, TelnetServer, DEFAULT_HOST, DEFAULT_PORT, TIMEOUT_MESSAGE } from './server.js';
export type { ServerOptions, ClusteredServerOptions, Shell, TelnetStreams } from './server.js';
export { ClusterPrimary } from './cluster.js';
export type { ClusterOptions, WorkerStatus } from './cluster.js';
export { ProxyRefusal } from './engine/proxy-protocol.js';
export type { ProxyInfo } from './engine/proxy-protocol.js';
export { openConnection, DEFAULT_LOCALE } from './client.js';
export type { ClientOptions } from './client.js';
export { TelnetTlsError, DEFAULT_TLS_AUTO_WAIT, DEFAULT_TLS_HANDSHAKE_TIMEOUT } from './engine/tls.js';
export type { TlsServerOptions, TlsClientOptions, TlsProblemCode } from './engine/tls.js';
export { TelnetReader, DEFAULT_READER_LIMIT } from './engine/reader.js';
export type { ReaderOptions, Separator } from './engine/reader.js';
export { TelnetWriter } from './engine/writer.js';
export type { IacCallback, ExtCallback, SlcCallback } from './engine/writer.js';
export type { EngineOptions } from './engine/connection.js';
export { MAX_PENDING_OUTPUT } from './engine/connection.js';
export type { OptionKey, OptionView, PendingView, WaitForSpec } from './engine/options-view.js';
export { resolveOption } from './engine/options-view.js';
export type { Logger, LogLevel } from './engine/logger.js';
export { silentLogger, hexdump, makeLogger, LOG_LEVELS } from './engine/logger.js';
export type { EncodingErrors } from './engine/encoding.js';
export { encodingFromLang, isEncodingSupported, normalizeEncoding } from './engine/encoding.js';
export { telsh } from './shells/telsh.js';
export type { MccpStats } from './engine/mccp.js';
export { DEFAULT_MAX_INFLATE_RATIO, INFLATE_SLACK } from './engine/mccp.js';
export { ATARIST, ATASCII, BIG5BBS, PETSCII, RETRO_CODECS, lookupRetroCodec } from './encodings/index.js';
export type { ErrorMode, RetroCodec, StreamDecoder, StreamEncoder } from './encodings/index.js';
export { SYNCTERM_FONT_ENCODINGS } from './encodings/syncterm-fonts.js';
