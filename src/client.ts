/**
 * `openConnection`: a Telnet client on the async engine. It connects,
 * answers the server's requests (TTYPE, NAWS, TSPEED, XDISPLOC, NEW_ENVIRON,
 * CHARSET, STATUS, TM, LINEMODE/SLC) and resolves once negotiation settled
 * (see engine/negotiation.ts), with the reader and writer.
 */
import net from 'node:net';
import { TelnetError, TelnetTimeoutError } from './protocol/errors.js';
import { type DataSink, type EngineOptions, EngineConnection, sessionOptionsFor } from './engine/connection.js';
import { isEncodingSupported, normalizeEncoding } from './engine/encoding.js';
import { watchSyncTermFonts } from './engine/font-switch.js';
import { ClientNegotiation } from './engine/negotiation.js';
import { connectWithStaticReads } from './engine/static-reads.js';
import { type TlsClientOptions, recordTlsInfo, startClientTls } from './engine/tls.js';
import type { Shell, TelnetStreams } from './server.js';

/** Options for {@link openConnection}. */
export interface ClientOptions extends EngineOptions, TlsClientOptions {
  /** Give up on the TCP connect after this many ms (default: no limit). */
  connectTimeout?: number;
  /** Wait at least this long for the server's negotiation (default 0 ms). */
  connectMinwait?: number;
  /** Resolve after this long even if the server never negotiates (default 3,000 ms). */
  connectMaxwait?: number;
  /** Run this with the reader and writer once negotiated; the connection closes when it returns. */
  shell?: Shell;
  /** Local address to bind. */
  localAddress?: string;
  /** Address family (4 or 6), or 0 for either. */
  family?: number;
  /**
   * Follow SyncTERM font switches (`CSI Ps1 ; Ps2 SP D`): the encoding
   * becomes the font's (0 cp437, 32-35 petscii, 36 atascii, ...) in both
   * directions (default false; the client CLI turns it on unless
   * `--encoding` is given). See engine/font-switch.ts.
   */
  syncTermFonts?: boolean;
}

/** The language part of the LANG the client sends (telnetlib3 `DEFAULT_LOCALE`). */
export const DEFAULT_LOCALE = 'en_US';

/**
 * Open a TCP connection (bounded by `connectTimeout`), rejecting with a
 * TelnetError whose code says what failed. @internal shared with raw links.
 */
export async function tcpConnectOrFail(host: string, port: number, options: Pick<ClientOptions, 'connectTimeout' | 'localAddress' | 'family'>, staticReads = false): Promise<net.Socket> {
  try {
    return await tcpConnect(host, port, options, staticReads);
  } catch (err) {
    if (err instanceof TelnetError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new TelnetError(`cannot connect to ${host}:${port}: ${e.message}`, e.code === 'ECONNREFUSED' ? 'ERR_TELNET_CONNECTION_REFUSED' : 'ERR_TELNET_CONNECT', { cause: err });
  }
}

function tcpConnect(host: string, port: number, options: Pick<ClientOptions, 'connectTimeout' | 'localAddress' | 'family'>, staticReads: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const opts: net.NetConnectOpts = { host, port, noDelay: true, allowHalfOpen: true };
    if (options.localAddress !== undefined) opts.localAddress = options.localAddress;
    if (options.family !== undefined && options.family !== 0) opts.family = options.family;
    const socket = staticReads ? connectWithStaticReads(opts) : net.connect(opts);
    let timer: NodeJS.Timeout | null = null;
    const fail = (err: Error): void => {
      if (timer !== null) clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      if (timer !== null) clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
    if (options.connectTimeout !== undefined && options.connectTimeout > 0) {
      timer = setTimeout(() => fail(new TelnetTimeoutError(
        `TCP connection to ${host}:${port} timed out after ${options.connectTimeout} ms`, 'ERR_TELNET_CONNECT_TIMEOUT')),
      options.connectTimeout);
    }
  });
}

/**
 * Connect and negotiate; resolves with the engine connection once
 * negotiation settled. `sink` replaces the reader as the consumer of
 * in-band data (the blocking API's shared-memory ring uses this).
 * @internal the public entry point is {@link openConnection}.
 */
export async function connectEngine(host: string, port: number, options: ClientOptions = {}, sink?: DataSink): Promise<EngineConnection> {
  const {
    connectTimeout: _ct, connectMinwait = 0, connectMaxwait = 3000, shell: _sh, localAddress: _la, family: _f,
    tls: tlsOption, tlsHandshakeTimeout, syncTermFonts = false, ...engine
  } = options;
  const enc = engine.encoding ?? 'utf8';
  const cols = engine.cols ?? 80;
  const rows = engine.rows ?? 25;
  const term = engine.term ?? 'unknown';
  const normalized = enc === false ? null : normalizeEncoding(enc);
  const environ: Record<string, string> = {
    TERM: typeof term === 'string' ? term : term[0] ?? 'unknown',
    LANG: normalized === null ? 'C' : `${DEFAULT_LOCALE}.${normalized === 'utf-8' ? 'UTF-8' : normalized}`,
    COLUMNS: String(cols),
    LINES: String(rows),
    ...(engine.environ ?? {}),
  };
  const engineOptions: EngineOptions = {
    ...engine,
    environ,
    charset: engine.charset ?? normalized,
    isCharsetSupported: engine.isCharsetSupported ?? isEncodingSupported,
  };
  const tlsWanted = tlsOption === undefined || tlsOption === false ? null : tlsOption;
  // Over TLS the client answers DONT MCCP2 / WONT MCCP3 (as telnetlib3: CRIME / BREACH).
  const conn = new EngineConnection('client', engineOptions, sessionOptionsFor('client', engineOptions, tlsWanted !== null), sink);
  if (tlsWanted !== null && engine.compression === true) conn.logger.info('MCCP is not used over TLS (CRIME/BREACH)');
  if (syncTermFonts && sink === undefined) watchSyncTermFonts(conn);
  // Static reads are a net.Socket feature: a TLSSocket emits 'data' (its own buffers).
  const tcp = await tcpConnectOrFail(host, port, options, conn.sink.copiesData === true && tlsWanted === null);
  const socket = tlsWanted === null ? tcp : await startClientTls(tcp, host, port, tlsWanted, tlsHandshakeTimeout);
  conn.attach(socket);
  if (tlsWanted !== null) recordTlsInfo(conn.extra, socket);
  conn.extra.set('lang', environ.LANG);
  const neg = new ClientNegotiation(conn, { minwait: connectMinwait, maxwait: connectMaxwait });
  conn.afterReceive.push(() => neg.check());
  neg.start();
  await neg.done;
  return conn;
}

/** Connect to a Telnet server; resolves once negotiation settled. */
export async function openConnection(host = 'localhost', port = 23, options: ClientOptions = {}): Promise<TelnetStreams> {
  const conn = await connectEngine(host, port, options);
  if (options.shell !== undefined) conn.runShell(options.shell);
  return { reader: conn.reader, writer: conn.writer };
}
