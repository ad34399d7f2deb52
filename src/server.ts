/**
 * `createServer`: a Telnet server on the async engine. Each connection
 * negotiates in telnetlib3's order (see engine/negotiation.ts), then runs the
 * `shell(reader, writer)` callback; when the shell returns (or throws) the
 * connection is closed. Idle connections get `\r\nTimeout.\r\n` and are
 * closed after `timeout` ms (default 300,000; 0 disables).
 */
import net from 'node:net';
import type tls from 'node:tls';
import { TelnetClosedError, TelnetError } from './protocol/errors.js';
import { silentLogger } from './engine/logger.js';
import { type DataSink, type EngineOptions, EngineConnection, sessionOptionsFor } from './engine/connection.js';
import type { SessionOptions } from './protocol/session.js';
import { type NegotiationOutcome, ServerNegotiation } from './engine/negotiation.js';
import type { TelnetReader } from './engine/reader.js';
import type { TelnetWriter } from './engine/writer.js';
import { type TlsServerOptions, TlsServerLayer, recordTlsInfo } from './engine/tls.js';
import { type ClusterOptions, ClusterPrimary, clusterRole, joinCluster } from './cluster.js';
import { type ProxyInfo, type ProxyProtocolOptions, ProxyProtocolGate } from './engine/proxy-protocol.js';

/** A connection's two halves, as handed to shells. */
export interface TelnetStreams {
  reader: TelnetReader<any>;
  writer: TelnetWriter;
}

/** A server shell: runs once negotiation settles; the connection closes when it returns. */
export type Shell = (reader: TelnetReader<any>, writer: TelnetWriter) => unknown;

/** Options for {@link createServer}. */
export interface ServerOptions extends EngineOptions, TlsServerOptions {
  /** Interface to bind (default `localhost`). */
  host?: string;
  /** Port (default 6023; 0 picks a free one). */
  port?: number;
  /** The shell run for each connection; without one, only negotiation happens. */
  shell?: Shell;
  /** Idle timeout in ms (default 300,000; 0 disables). */
  timeout?: number;
  /** The longest negotiation may take before the shell starts anyway (default 4,000 ms). */
  connectMaxwait?: number;
  /** Never send IAC GA: `writer.sendGa()` becomes a no-op on every connection. */
  neverSendGa?: boolean;
  /** Leave the client in NVT line mode: never WILL SGA or WILL ECHO. */
  lineMode?: boolean;
  /** Most simultaneous connections; more are closed at accept (default 10,000). */
  maxConnections?: number;
  /** listen() backlog (default 511). */
  backlog?: number;
  /**
   * Expect a PROXY protocol v1/v2 header (from HAProxy, nginx, a cloud load
   * balancer) first on every connection: the real client becomes
   * `peername`; the header is the `proxy` extra info. See also `proxyFrom`
   * and `proxyTimeout` (engine/proxy-protocol.ts).
   */
  proxyProtocol?: boolean;
  /** With `proxyProtocol`: addresses/CIDRs allowed to connect (default any). */
  proxyFrom?: ProxyProtocolOptions['proxyFrom'];
  /** With `proxyProtocol`: ms a connection has to send its header (default 5,000). */
  proxyTimeout?: number;
  /**
   * @internal The blocking API's engine host: supplies each connection's
   * data sink (a shared-memory ring) instead of a reader.
   */
  sinkFactory?: (encoding: string | false) => { sink: DataSink; bind: (conn: EngineConnection) => void };
  /** @internal Called once a connection's negotiation finished. */
  onNegotiated?: (conn: EngineConnection) => void;
}

/** Default bind address and port of the server (as telnetlib3's CLI). */
export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 6023;

/** The idle text written before an idle connection is closed. */
export const TIMEOUT_MESSAGE = '\r\nTimeout.\r\n';

const CLIENT_QUEUE_MAX = 1000;

/** A listening Telnet server. */
export class TelnetServer {
  /** Options this server was created with. */
  readonly options: Readonly<ServerOptions>;
  private readonly server: net.Server;
  private readonly live = new Set<EngineConnection>();
  private readonly ready: TelnetStreams[] = [];
  private readonly readyWaiters: Array<{ resolve: (s: TelnetStreams) => void; reject: (e: Error) => void }> = [];
  private closing = false;
  private graceTimer: NodeJS.Timeout | null = null;
  /** The TLS step between accept and attach (null: plain). */
  private readonly tls: TlsServerLayer | null;
  /** Reads the PROXY header before a connection starts (`proxyProtocol`). */
  private readonly proxy: ProxyProtocolGate | null = null;

  /** Built once and shared by every connection (per-connection copies cost memory). */
  private readonly engineOptions: EngineOptions;
  private readonly sessionOptions: Readonly<SessionOptions>;
  /** The same without MCCP, for connections that came in over TLS. */
  private readonly tlsSessionOptions: Readonly<SessionOptions>;

  /** @internal use {@link createServer}. */
  constructor(options: ServerOptions) {
    this.options = Object.freeze({ ...options });
    const {
      host: _h, port: _p, shell: _s, timeout: _t, connectMaxwait: _c, lineMode: _l, maxConnections: _m, backlog: _b,
      neverSendGa: _n, sinkFactory: _sf, onNegotiated: _on, tls: _tls, tlsAuto: _ta, tlsHandshakeTimeout: _tht,
      proxyProtocol: _pp, proxyFrom: _pf, proxyTimeout: _pt, ...engine
    } = this.options;
    this.tls = TlsServerLayer.fromOptions(this.options, this.options.logger ?? silentLogger);
    if (options.proxyProtocol === true) this.proxy = new ProxyProtocolGate(options);
    this.engineOptions = Object.freeze(engine);
    this.sessionOptions = sessionOptionsFor('server', engine);
    this.tlsSessionOptions = sessionOptionsFor('server', engine, true);
    if (this.tls !== null && engine.compression === true) {
      (this.options.logger ?? silentLogger).info('MCCP is not offered on TLS connections (CRIME/BREACH)');
    }
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  /** @internal */
  listen(): Promise<void> {
    const { host = DEFAULT_HOST, port = DEFAULT_PORT, backlog = 511 } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new TelnetError(`cannot listen on ${host}:${port}: ${err.message}`, 'ERR_TELNET_LISTEN', { cause: err }));
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => (this.options.logger?.error ?? (() => {}))(`server error: ${err.message}`));
        resolve();
      });
    });
  }

  /** The bound address (`port` is the real one when 0 was asked). */
  get address(): { address: string; port: number; family: string } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new TelnetError('server is not listening', 'ERR_TELNET_NOT_LISTENING');
    return { address: a.address, port: a.port, family: a.family };
  }

  /** The bound port. */
  get port(): number {
    return this.address.port;
  }

  /** Live connections (negotiating or in their shell). */
  get clients(): TelnetStreams[] {
    return [...this.live].map((c) => ({ reader: c.reader, writer: c.writer }));
  }

  /** True while listening. */
  isServing(): boolean {
    return this.server.listening;
  }

  /**
   * The next connection whose negotiation finished (FIFO; at most 1,000 are
   * kept, the oldest dropped first, and one that closes while it waits is
   * dropped). Rejects with `TelnetClosedError` once
   * the server is closed, so an accept loop ends.
   */
  waitForClient(): Promise<TelnetStreams> {
    const next = this.ready.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.closing) return Promise.reject(new TelnetClosedError('Server closed'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * Stop listening and close every connection: gracefully at once, then by
   * force after `graceMs` (default 1,000 ms).
   */
  close(graceMs = 1000): void {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
    this.proxy?.close();
    for (const w of this.readyWaiters.splice(0)) w.reject(new TelnetClosedError('Server closed'));
    this.tls?.closeAll();
    for (const c of this.live) c.writer.close();
    if (this.live.size > 0) {
      this.graceTimer = setTimeout(() => { for (const c of this.live) c.destroy(); }, graceMs);
      this.graceTimer.unref();
    }
  }

  /** Resolves when the listener and every connection are closed. */
  async waitClosed(): Promise<void> {
    if (this.server.listening) await new Promise<void>((resolve) => this.server.once('close', () => resolve()));
    await Promise.all([...this.live].map((c) => c.closed));
  }

  /** One function for every connection of this server: forget a closed connection. */
  private readonly connectionClosed = (conn: EngineConnection): void => {
    this.live.delete(conn);
    // A connection nobody took from the queue must not be kept once it closed.
    if (this.ready.length > 0) {
      const at = this.ready.findIndex((r) => r.writer === conn.writer);
      if (at !== -1) this.ready.splice(at, 1);
    }
    // Everything closed within the grace period: no timer may outlive the server.
    if (this.live.size === 0 && this.graceTimer !== null) { clearTimeout(this.graceTimer); this.graceTimer = null; }
  };

  /** A TCP connection arrived: prepare its socket (TLS / tls-auto), then attach. */
  private accept(socket: net.Socket): void {
    const max = this.options.maxConnections ?? 10000;
    if (this.closing || this.live.size + (this.proxy?.waiting ?? 0) + (this.tls?.pendingCount ?? 0) >= max) {
      socket.destroy();
      return;
    }
    // The PROXY header comes first on the wire, then TLS (or tls-auto's peek).
    if (this.proxy !== null) this.proxy.accept(socket, (s, info) => { if (!this.closing) this.prepare(s, info); else s.destroy(); });
    else this.prepare(socket, null);
  }

  /** After the PROXY header (if any): the TLS step, then attach. */
  private prepare(socket: net.Socket, proxied: ProxyInfo | null): void {
    if (this.tls === null) { this.attachSocket(socket, proxied); return; }
    // After a PROXY header the socket is paused with what followed it put
    // back: the TLS step reads it from there (a flowing socket with no
    // listener would drop it, ClientHello and all).
    this.tls.prepare(socket, (s) => {
      if (this.closing) { s.destroy(); return; }
      this.attachSocket(s, proxied);
    });
  }

  /** Start the engine connection on a ready socket. */
  private attachSocket(socket: net.Socket, proxied: ProxyInfo | null): void {
    const { timeout = 300000, connectMaxwait = 4000, lineMode = false, neverSendGa = false } = this.options;
    const custom = this.options.sinkFactory?.(this.options.encoding ?? 'utf8');
    const overTls = (socket as Partial<tls.TLSSocket>).encrypted === true;
    const conn = new EngineConnection('server', this.engineOptions, overTls ? this.tlsSessionOptions : this.sessionOptions, custom?.sink);
    custom?.bind(conn);
    conn.writer.neverSendGa = neverSendGa;
    this.live.add(conn);
    conn.closeHook = this.connectionClosed;
    conn.attach(socket);
    if (this.tls !== null) recordTlsInfo(conn.extra, socket);
    if (proxied === null) conn.logger.info(`connection from ${socket.remoteAddress}:${socket.remotePort}`);
    else {
      conn.extra.set('proxy', proxied);
      if (proxied.source !== null) conn.extra.set('peername', proxied.source);
      const from = proxied.source === null ? `${proxied.command === 'local' ? 'LOCAL' : 'UNKNOWN'} ${socket.remoteAddress}:${socket.remotePort}` : `${proxied.source.address}:${proxied.source.port}`;
      conn.logger.info(`connection from ${from} (PROXY v${proxied.version} via ${proxied.via.address}:${proxied.via.port})`);
      socket.resume();
    }
    if (timeout > 0) conn.setIdleTimeout(timeout, idleTimeout);
    const neg = new ServerNegotiation(conn, { lineMode, maxwait: connectMaxwait });
    neg.start();
    void neg.done.then((outcome) => this.negotiated(conn, outcome));
  }

  private negotiated(conn: EngineConnection, outcome: NegotiationOutcome): void {
    if (outcome === 'closed') return;
    if (this.options.onNegotiated !== undefined) {
      this.options.onNegotiated(conn);
      return;
    }
    const streams: TelnetStreams = { reader: conn.reader, writer: conn.writer };
    this.announce(streams);
    const shell = this.options.shell;
    if (shell !== undefined) conn.runShell(shell);
  }

  private announce(streams: TelnetStreams): void {
    const w = this.readyWaiters.shift()?.resolve;
    if (w !== undefined) { w(streams); return; }
    this.ready.push(streams);
    if (this.ready.length > CLIENT_QUEUE_MAX) this.ready.shift();
  }
}

/** The idle timeout of every server connection. */
function idleTimeout(conn: EngineConnection): void {
  conn.logger.info(`idle timeout after ${conn.idleTimeout} ms`);
  conn.writer.write(conn.binary ? Buffer.from(TIMEOUT_MESSAGE, 'latin1') : TIMEOUT_MESSAGE);
  conn.writer.close();
}

/** {@link createServer} options with `cluster`: N worker processes share the port (see cluster.ts). */
export interface ClusteredServerOptions extends ServerOptions {
  /** Worker processes (node:cluster), or their options; the primary gets a {@link ClusterPrimary}. */
  cluster: number | ClusterOptions;
}

/**
 * Create a Telnet server and start listening. With `cluster`, the primary
 * process forks that many workers running the same script and resolves to
 * a {@link ClusterPrimary} once they all listen; in each worker the same
 * call resolves to the worker's own TelnetServer.
 */
export async function createServer(options: ClusteredServerOptions): Promise<TelnetServer | ClusterPrimary>;
export async function createServer(options?: ServerOptions): Promise<TelnetServer>;
export async function createServer(options: ServerOptions | ClusteredServerOptions = {}): Promise<TelnetServer | ClusterPrimary> {
  if ('cluster' in options && options.cluster !== undefined) {
    const { cluster: c, ...plain } = options;
    const role = clusterRole();
    if (role === 'primary') return new ClusterPrimary(c, options.logger).start();
    const server = await createServer(plain);
    if (role === 'worker') joinCluster(server, c);
    return server;
  }
  const server = new TelnetServer(options);
  await server.listen();
  return server;
}
