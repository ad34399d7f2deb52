/**
 * TLS ("telnets") as a stream layer under the engine, on Node's own `tls`.
 * The whole connection is TLS (not the START_TLS option): the server wraps
 * each accepted TCP socket in a `tls.TLSSocket` before the engine attaches to
 * it, the client wraps its connected TCP socket before negotiation starts.
 * A `tls.TLSSocket` is a `net.Socket`, so the engine above sees no difference.
 *
 * Server side ({@link TlsServerLayer}):
 * - TLS only: every connection must complete a handshake within
 *   `tlsHandshakeTimeout` ms.
 * - `tlsAuto`: plain Telnet and TLS on one port. The first bytes the client
 *   sends decide: a TLS handshake record starts with 0x16, which no Telnet
 *   client sends first (it is not IAC and not printable). Node has no
 *   MSG_PEEK, so the first chunk is read and put back (`unshift`) before the
 *   socket is handed on: TLS reads it as the start of the ClientHello, a plain
 *   connection receives it as its first input; no byte is lost. A client
 *   that sends nothing (an RFC 854 client waits for the server to speak) is
 *   treated as plain after `tlsAuto` ms (500 by default), which is the
 *   deadlock telnetlib3 fixed.
 * - A failed handshake is a logged warning with a stable code
 *   ({@link TlsProblemCode}); the socket is destroyed and the server goes on.
 *
 * Client side ({@link startClientTls}): certificate verification is on by
 * default (Node's CA store, or `ca`), the server name is the host, and a
 * failed verification rejects with `ERR_TELNET_TLS_CERT`. The explicit
 * opt-out is Node's own `rejectUnauthorized: false`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { TelnetError, TelnetTimeoutError, TelnetUsageError } from '../protocol/errors.js';
import type { Logger } from './logger.js';

/** The first byte of a TLS record carrying a handshake message (ClientHello). */
export const TLS_HANDSHAKE_BYTE = 0x16;
/** How long `tlsAuto: true` waits for a client's first byte before treating it as plain (telnetlib3: 0.5 s). */
export const DEFAULT_TLS_AUTO_WAIT = 500;
/** Default bound of a TLS handshake, both sides (ms). */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT = 10000;

/**
 * Stable codes of the server's TLS warnings (and of the errors the client rejects with):
 * - `ERR_TELNET_TLS_NOT_TLS`: the peer sent something that is not TLS to a TLS-only port.
 * - `ERR_TELNET_TLS_HANDSHAKE`: the handshake failed (garbage or truncated ClientHello, no shared cipher, ...).
 * - `ERR_TELNET_TLS_HANDSHAKE_TIMEOUT`: no finished handshake within the timeout.
 * - `ERR_TELNET_TLS_HANDSHAKE_ABORTED`: the peer closed or reset the connection mid-handshake.
 * - `ERR_TELNET_TLS_CERT`: certificate verification failed (self-signed, unknown CA, expired, wrong host name).
 */
export type TlsProblemCode =
  | 'ERR_TELNET_TLS_NOT_TLS' | 'ERR_TELNET_TLS_HANDSHAKE' | 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT'
  | 'ERR_TELNET_TLS_HANDSHAKE_ABORTED' | 'ERR_TELNET_TLS_CERT';

/** A TLS failure; `reason` is the underlying OpenSSL/Node code (`DEPTH_ZERO_SELF_SIGNED_CERT`, ...). */
export class TelnetTlsError extends TelnetError {
  readonly reason: string | undefined;
  constructor(message: string, code: TlsProblemCode, reason?: string, options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'TelnetTlsError';
    this.reason = reason;
  }
}

/** The TLS options of a server ({@link ServerOptions} extends this). */
export interface TlsServerOptions {
  /**
   * Serve TLS: Node's `tls.createSecureContext` / `TLSSocket` options
   * (`cert` and `key` as PEM strings or Buffers, `ca`, `requestCert`, ...),
   * or a ready `secureContext`.
   */
  tls?: tls.TlsOptions;
  /**
   * Accept plain Telnet and TLS on the same port: `true` waits 500 ms for a
   * silent client's first byte, a number waits that many ms. Needs `tls`.
   */
  tlsAuto?: boolean | number;
  /** Longest a TLS handshake may take before the connection is dropped (default 10,000 ms). */
  tlsHandshakeTimeout?: number;
}

/** The TLS options of a client ({@link ClientOptions} extends this). */
export interface TlsClientOptions {
  /**
   * Connect over TLS: `true` for Node's defaults (verify against the system
   * CAs, server name = host), or `tls.ConnectionOptions` (`ca`, `servername`,
   * `rejectUnauthorized: false` to skip verification, client `cert`/`key`, ...).
   */
  tls?: boolean | tls.ConnectionOptions;
  /** Longest the TLS handshake may take (default 10,000 ms). */
  tlsHandshakeTimeout?: number;
}

const CERT_REASON = /CERT|SIGNATURE|ISSUER|LEAF|HOSTNAME|ALTNAME|INVALID_CA|PURPOSE|PATH_LENGTH|CRL/;
const NOT_TLS_REASON = /WRONG_VERSION_NUMBER|HTTP_REQUEST|HTTPS_PROXY_REQUEST|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/;
const ABORT_REASON = /^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE)$/;

/** Classify a handshake error by its Node/OpenSSL code. */
export function classifyTlsError(err: NodeJS.ErrnoException): TlsProblemCode {
  const reason = err.code ?? '';
  if (CERT_REASON.test(reason)) return 'ERR_TELNET_TLS_CERT';
  if (NOT_TLS_REASON.test(reason)) return 'ERR_TELNET_TLS_NOT_TLS';
  if (ABORT_REASON.test(reason)) return 'ERR_TELNET_TLS_HANDSHAKE_ABORTED';
  return 'ERR_TELNET_TLS_HANDSHAKE';
}

const noop = (): void => {};

/**
 * Record a TLS socket's facts in a connection's extra info, under
 * telnetlib3's names where it has them: `ssl_object` (the `TLSSocket`),
 * `peercert` (the peer's certificate, absent when it sent none), `cipher`
 * (`{ name, standardName, version }`), and `tlsVersion` (`TLSv1.3`, ...).
 */
export function recordTlsInfo(extra: Map<string, unknown>, socket: net.Socket): void {
  if (!(socket instanceof tls.TLSSocket)) return;
  extra.set('ssl_object', socket);
  const cert = socket.getPeerCertificate();
  if (cert !== null && cert !== undefined && Object.keys(cert).length > 0) extra.set('peercert', cert);
  const cipher = socket.getCipher();
  if (cipher !== undefined && cipher !== null) extra.set('cipher', cipher);
  const version = socket.getProtocol();
  if (version !== null) extra.set('tlsVersion', version);
}

/**
 * An extra-info value as plain data (for the blocking API, whose answers
 * cross threads as JSON): a `TLSSocket` becomes a summary of itself.
 */
export function plainExtraValue(value: unknown): unknown {
  if (!(value instanceof tls.TLSSocket)) return value;
  return {
    tlsVersion: value.getProtocol(),
    cipher: value.getCipher(),
    authorized: value.authorized,
    authorizationError: value.authorizationError === undefined ? null : String(value.authorizationError),
    alpnProtocol: value.alpnProtocol === false ? null : value.alpnProtocol ?? null,
  };
}

/** The peer of a socket, for log lines. */
function peerOf(socket: net.Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/**
 * The server's TLS step between accept and attach: it turns an accepted TCP
 * socket into the socket the engine attaches to (a `TLSSocket` after its
 * handshake, or the same socket for a plain `tlsAuto` client), or drops it.
 */
export class TlsServerLayer {
  private readonly socketOptions: tls.TLSSocketOptions;
  private readonly autoWait: number;
  private readonly handshakeTimeout: number;
  /** Sockets accepted but not yet handed on (peeking or handshaking). */
  private readonly pending = new Set<net.Socket>();
  /** Counters of dropped connections by code (for tests and status lines). */
  readonly failures: Record<TlsProblemCode, number> = {
    ERR_TELNET_TLS_NOT_TLS: 0, ERR_TELNET_TLS_HANDSHAKE: 0, ERR_TELNET_TLS_HANDSHAKE_TIMEOUT: 0,
    ERR_TELNET_TLS_HANDSHAKE_ABORTED: 0, ERR_TELNET_TLS_CERT: 0,
  };

  /** Validate the options; null when the server is plain. */
  static fromOptions(options: TlsServerOptions, logger: Logger): TlsServerLayer | null {
    const { tls: tlsOptions, tlsAuto = false, tlsHandshakeTimeout = DEFAULT_TLS_HANDSHAKE_TIMEOUT } = options;
    if (tlsOptions === undefined || tlsOptions === null) {
      if (tlsAuto !== false && tlsAuto !== 0) throw new TelnetUsageError('tlsAuto needs tls options (a certificate and key)', 'ERR_TELNET_BAD_OPTION');
      return null;
    }
    const autoWait = tlsAuto === true ? DEFAULT_TLS_AUTO_WAIT : tlsAuto === false ? 0 : tlsAuto;
    if (!Number.isFinite(autoWait) || autoWait < 0) throw new TelnetUsageError(`tlsAuto must be a boolean or a wait in ms >= 0, not ${String(tlsAuto)}`, 'ERR_TELNET_BAD_OPTION');
    if (!Number.isFinite(tlsHandshakeTimeout) || tlsHandshakeTimeout <= 0) {
      throw new TelnetUsageError(`tlsHandshakeTimeout must be > 0 ms, not ${String(tlsHandshakeTimeout)}`, 'ERR_TELNET_BAD_OPTION');
    }
    return new TlsServerLayer(tlsOptions, tlsAuto !== false && tlsAuto !== 0 ? Math.max(1, autoWait) : 0, tlsHandshakeTimeout, logger);
  }

  private constructor(options: tls.TlsOptions, autoWait: number, handshakeTimeout: number, private readonly logger: Logger) {
    let context: tls.SecureContext;
    try {
      context = options.secureContext ?? tls.createSecureContext(options);
    } catch (err) {
      throw new TelnetUsageError(`bad tls options: ${(err as Error).message}`, 'ERR_TELNET_TLS_CONFIG');
    }
    this.socketOptions = {
      isServer: true,
      secureContext: context,
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
    };
    if (options.ALPNProtocols !== undefined) this.socketOptions.ALPNProtocols = options.ALPNProtocols;
    this.autoWait = autoWait;
    this.handshakeTimeout = handshakeTimeout;
  }

  /** Connections still peeking or handshaking (they count against maxConnections). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Prepare `socket`: call `ready` with the socket to attach to (paused
   * with its first input still unread), or drop it with a logged warning.
   */
  prepare(socket: net.Socket, ready: (socket: net.Socket) => void): void {
    this.pending.add(socket);
    if (this.autoWait > 0) this.detect(socket, ready);
    else this.handshake(socket, ready, null);
  }

  /** Destroy every connection still in its TLS step (the server is closing). */
  closeAll(): void {
    for (const s of [...this.pending]) s.destroy();
    this.pending.clear();
  }

  /** tlsAuto: the first chunk (or its absence) decides TLS or plain. */
  private detect(socket: net.Socket, ready: (socket: net.Socket) => void): void {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onGone);
    };
    const onData = (chunk: Buffer): void => {
      done();
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_BYTE) {
        this.handshake(socket, ready, chunk);
      } else {
        this.logger.debug(`tls-auto: plain client ${peerOf(socket)} (first byte 0x${chunk[0]!.toString(16).padStart(2, '0')})`);
        this.handOn(socket, ready);
      }
    };
    // EOF (or an error) before any byte: nothing to serve.
    const onGone = (): void => { done(); this.pending.delete(socket); socket.destroy(); };
    const timer = setTimeout(() => {
      done();
      socket.pause();
      this.logger.debug(`tls-auto: ${peerOf(socket)} sent nothing in ${this.autoWait} ms, treating it as plain`);
      this.handOn(socket, ready);
    }, this.autoWait);
    socket.on('data', onData);
    socket.once('end', onGone);
    socket.once('close', onGone);
    socket.once('error', onGone);
    // A socket the PROXY gate paused (its bytes after the header put back) flows again.
    socket.resume();
  }

  private handOn(socket: net.Socket, ready: (socket: net.Socket) => void): void {
    this.pending.delete(socket);
    if (socket.destroyed) return;
    ready(socket);
    // Paused by the peek: the engine's listeners are on now.
    socket.resume();
  }

  /** Wrap in a TLSSocket and wait for its handshake. `first` is the peeked chunk, if any. */
  private handshake(raw: net.Socket, ready: (socket: net.Socket) => void, first: Buffer | null): void {
    const peer = peerOf(raw);
    // The raw socket's own errors surface on the TLSSocket; one must not crash the process.
    raw.on('error', noop);
    const socket = new tls.TLSSocket(raw, this.socketOptions);
    this.pending.delete(raw);
    this.pending.add(socket);
    let settled = false;
    const fail = (code: TlsProblemCode, detail: string): void => {
      if (settled) return;
      settled = true;
      cleanup();
      this.failures[code]++;
      this.logger.warn(`TLS handshake from ${peer} failed (${code}): ${detail}`);
      socket.destroy();
      raw.destroy();
    };
    const onSecure = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      this.logger.debug(`TLS handshake from ${peer} done: ${socket.getProtocol() ?? '?'} ${socket.getCipher()?.name ?? ''}`);
      this.pending.delete(socket);
      ready(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      let code = classifyTlsError(err);
      if (code === 'ERR_TELNET_TLS_HANDSHAKE' && first === null && this.autoWait === 0) {
        // A TLS-only port: a first record that is not a handshake means plain Telnet (or HTTP, ...).
        code = /RECORD|VERSION|PROTOCOL/.test(err.code ?? '') ? 'ERR_TELNET_TLS_NOT_TLS' : code;
      }
      fail(code, `${err.code ?? ''} ${err.message}`.trim());
    };
    const onClose = (): void => fail('ERR_TELNET_TLS_HANDSHAKE_ABORTED', 'closed before the handshake finished');
    const timer = setTimeout(() => fail('ERR_TELNET_TLS_HANDSHAKE_TIMEOUT', `no handshake within ${this.handshakeTimeout} ms`), this.handshakeTimeout);
    const cleanup = (): void => {
      clearTimeout(timer);
      this.pending.delete(socket);
      socket.off('secure', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onClose);
    };
    socket.on('secure', onSecure);
    socket.on('error', onError);
    socket.on('close', onClose);
    // A peeked first chunk waits in raw's read buffer: the TLSSocket reads it from there.
    socket.on('end', onClose);
  }
}

/** A client's TLS connection options, with the server name defaulting to the host. */
export function clientTlsOptions(host: string, option: true | tls.ConnectionOptions): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = option === true ? {} : { ...option };
  // The identity check uses `host`; SNI must not carry an IP address (RFC 6066).
  opts.host ??= host;
  if (opts.servername === undefined && net.isIP(host) === 0) opts.servername = host;
  return opts;
}

/**
 * Run the client's TLS handshake over a connected TCP socket; resolves
 * with the TLSSocket once the handshake (and verification) succeeded.
 */
export function startClientTls(raw: net.Socket, host: string, port: number, option: true | tls.ConnectionOptions, timeoutMs = DEFAULT_TLS_HANDSHAKE_TIMEOUT): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const opts = clientTlsOptions(host, option);
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ ...opts, socket: raw });
    } catch (err) {
      raw.destroy();
      reject(new TelnetUsageError(`bad tls options: ${(err as Error).message}`, 'ERR_TELNET_TLS_CONFIG'));
      return;
    }
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err === null) { resolve(socket); return; }
      socket.destroy();
      raw.destroy();
      reject(err);
    };
    const where = `${host}:${port}`;
    const onSecure = (): void => finish(null);
    const onError = (err: NodeJS.ErrnoException): void => {
      const code = classifyTlsError(err);
      const what = code === 'ERR_TELNET_TLS_CERT' ? 'certificate verification failed' : 'TLS handshake failed';
      finish(new TelnetTlsError(`${what} with ${where}: ${err.message}${err.code !== undefined ? ` (${err.code})` : ''}`, code, err.code, { cause: err }));
    };
    const onClose = (): void => finish(new TelnetTlsError(`${where} closed the connection during the TLS handshake`, 'ERR_TELNET_TLS_HANDSHAKE_ABORTED'));
    const timer = setTimeout(() => {
      const e = new TelnetTimeoutError(`TLS handshake with ${where} timed out after ${timeoutMs} ms`, 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT');
      finish(e);
    }, timeoutMs);
    socket.once('secureConnect', onSecure);
    socket.on('error', onError);
    socket.once('close', onClose);
  });
}
