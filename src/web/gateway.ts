/**
 * `createWebGateway`: a web front door for one Telnet host. An HTTP server
 * serves the terminal page (dist/src/web/static, built by
 * src/web/page/build.ts) and a WebSocket endpoint at `/ws`; every WebSocket
 * becomes a {@link WebSession} with its own Telnet client connection to the
 * operator's `telnetHost:telnetPort` (the browser never chooses it).
 *
 * Limits: at most `maxSessions` at once (more get a `status` error and close
 * 1013), `idleTimeout` without input from the page, `maxMessageBytes` per
 * WebSocket message (ws closes 1009 beyond it), per-session output
 * backpressure (`highWaterMark`), an Origin check on the upgrade (the page's
 * own origin unless `allowedOrigins` says otherwise), and binding to
 * 127.0.0.1 unless `host` says otherwise.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { TelnetUsageError } from '../protocol/errors.js';
import type { ModeChoice } from '../client-shell.js';
import { type Logger, silentLogger } from '../engine/logger.js';
import { parseDimension, type ServerMessage } from './protocol.js';
import { CloseCode, type SessionConfig, type SessionEnd, WebSession } from './session.js';

/** Options for {@link createWebGateway}. */
export interface WebGatewayOptions {
  /** The Telnet host every session connects to (required; fixed by the operator). */
  telnetHost: string;
  /** Its port (default 23). */
  telnetPort?: number;
  /** Interface the HTTP server binds (default `127.0.0.1`: this machine only). */
  host?: string;
  /** HTTP port (default 8023; 0 picks a free one). */
  port?: number;
  /** Terminal type sent by TTYPE (default `xterm-256color`). */
  term?: string;
  /** Text encoding of the Telnet connection, or false for bytes shown as latin-1 (default `utf8`). */
  encoding?: string | false;
  /** Follow the server's ECHO/SGA (`auto`, default), or force `line` / `raw`. */
  mode?: ModeChoice;
  /** Most sessions at once (default 100). */
  maxSessions?: number;
  /** Close a session after this many ms without input from the page (default 1,800,000; 0 disables). */
  idleTimeout?: number;
  /** Largest WebSocket message accepted from a page, in bytes (default 65,536). */
  maxMessageBytes?: number;
  /** Stop reading the Telnet connection while more than this many bytes wait for the browser (default 1 MiB). */
  highWaterMark?: number;
  /** Origins allowed to open sessions, e.g. `['https://mud.example']` (default: the gateway's own origin). `'*'` allows any. */
  allowedOrigins?: string[];
  /** Telnet connect timeout in ms (default 10,000). */
  connectTimeout?: number;
  /** Longest wait for the Telnet server's negotiation in ms (default 3,000). */
  connectMaxwait?: number;
  logger?: Logger;
}

/** Counters of a gateway. */
export interface WebGatewayStats {
  /** Sessions open now. */
  active: number;
  /** Sessions accepted since start. */
  opened: number;
  /** Upgrades refused: bad Origin, bad path, too many sessions. */
  rejected: number;
  /** Ended sessions by reason. */
  ended: Record<SessionEnd, number>;
}

/** Default HTTP port of `telnetlib3-web`. */
export const DEFAULT_WEB_PORT = 8023;
/** Default bind address: loopback only. */
export const DEFAULT_WEB_HOST = '127.0.0.1';

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** A running gateway (see {@link createWebGateway}). */
export class WebGateway {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<WebSession>();
  private readonly assets = new Map<string, Buffer>();
  private readonly cfg: SessionConfig;
  private readonly maxSessions: number;
  private readonly allowedOrigins: string[] | null;
  private readonly log: Logger;
  private closing: Promise<void> | null = null;
  private readonly counters: WebGatewayStats = {
    active: 0, opened: 0, rejected: 0,
    ended: { browser: 0, telnet: 0, idle: 0, 'connect-failed': 0, 'bad-input': 0, shutdown: 0 },
  };

  /** @internal use {@link createWebGateway}. */
  constructor(readonly options: Readonly<WebGatewayOptions>) {
    if (typeof options.telnetHost !== 'string' || options.telnetHost === '') throw new TelnetUsageError('telnetHost is required');
    const int = (name: keyof WebGatewayOptions, value: unknown, dflt: number, min: number): number => {
      const v = value ?? dflt;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TelnetUsageError(`${name} must be an integer >= ${min}, got ${String(v)}`);
      return v;
    };
    this.log = options.logger ?? silentLogger;
    this.cfg = {
      telnetHost: options.telnetHost,
      telnetPort: int('telnetPort', options.telnetPort, 23, 1),
      term: options.term ?? 'xterm-256color',
      encoding: options.encoding ?? 'utf8',
      mode: options.mode ?? 'auto',
      connectTimeout: int('connectTimeout', options.connectTimeout, 10_000, 0),
      connectMaxwait: int('connectMaxwait', options.connectMaxwait, 3000, 0),
      idleTimeout: int('idleTimeout', options.idleTimeout, 1_800_000, 0),
      highWaterMark: int('highWaterMark', options.highWaterMark, 1024 * 1024, 1),
      logger: this.log,
    };
    this.maxSessions = int('maxSessions', options.maxSessions, 100, 1);
    this.allowedOrigins = options.allowedOrigins ?? null;
    for (const a of new Set(Object.values(ASSETS).map((x) => x.file))) {
      const file = path.join(STATIC_DIR, a);
      if (!fs.existsSync(file)) throw new TelnetUsageError(`the web page is not built: ${file} is missing (run npm run build)`);
      this.assets.set(a, fs.readFileSync(file));
    }
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: int('maxMessageBytes', options.maxMessageBytes, 65536, 16),
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.http = http.createServer((req, res) => this.serveStatic(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'); else socket.destroy(); });
  }

  /** @internal */
  listen(): Promise<void> {
    const { host = DEFAULT_WEB_HOST, port = DEFAULT_WEB_PORT } = this.options;
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => { this.http.off('error', reject); resolve(); });
    });
  }

  /** The bound address and port. */
  address(): { host: string; port: number } {
    const a = this.http.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** The page's URL. */
  get url(): string {
    const { host, port } = this.address();
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  /** Counters (a copy). */
  stats(): WebGatewayStats {
    return { ...this.counters, active: this.sessions.size, ended: { ...this.counters.ended } };
  }

  /** Stop accepting, end every session (the page is told), and close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const ends = [...this.sessions].map((s) => { s.shutdown(); return s.ended; });
      const closed = new Promise<void>((r) => this.http.close(() => r()));
      this.http.closeAllConnections();
      await Promise.all(ends);
      await closed;
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- HTTP

  private serveStatic(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0]!;
    const asset = ASSETS[pathname];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    if (asset === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found\n');
      return;
    }
    const body = this.assets.get(asset.file)!;
    res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // ---------------------------------------------------------------- WebSocket

  /** Whether the Origin header may open a session: the page's own origin, or one listed. */
  private originAllowed(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    // Browsers always send Origin on a WebSocket; other programs are not cross-site attacks.
    if (origin === undefined) return true;
    if (this.allowedOrigins !== null) return this.allowedOrigins.includes('*') || this.allowedOrigins.includes(origin);
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private refuse(socket: Duplex, status: string, why: string): void {
    this.counters.rejected++;
    this.log.warn(`web gateway: refused a WebSocket: ${why}`);
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`);
    socket.on('error', () => {});
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== '/ws') return this.refuse(socket, '404 Not Found', `no WebSocket endpoint at ${url.pathname.slice(0, 80)}`);
    if (!this.originAllowed(req)) return this.refuse(socket, '403 Forbidden', `Origin ${String(req.headers.origin).slice(0, 80)} is not allowed`);
    if (this.closing !== null) return this.refuse(socket, '503 Service Unavailable', 'the gateway is shutting down');
    const cols = parseDimension(url.searchParams.get('cols')) ?? 80;
    const rows = parseDimension(url.searchParams.get('rows')) ?? 24;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSession(ws, cols, rows));
  }

  private onSession(ws: WebSocket, cols: number, rows: number): void {
    if (this.sessions.size >= this.maxSessions || this.closing !== null) {
      // Accepted only to say why: a bare HTTP refusal would leave the page guessing.
      this.counters.rejected++;
      const msg: ServerMessage = { type: 'status', state: 'error', message: `The gateway is full (${this.maxSessions} sessions); try again later.` };
      ws.on('error', () => {});
      ws.send(JSON.stringify(msg));
      ws.close(CloseCode.TRY_AGAIN, 'too many sessions');
      setTimeout(() => ws.terminate(), 5000).unref();
      return;
    }
    const session = new WebSession(ws, this.cfg, cols, rows);
    this.sessions.add(session);
    this.counters.opened++;
    void session.ended.then((why) => {
      this.sessions.delete(session);
      this.counters.ended[why]++;
      this.log.info(`web session ${session.target} ended (${why})`);
    });
    void session.start();
  }
}

/** Start a gateway; resolves once it listens (see {@link WebGateway.url}). */
export async function createWebGateway(options: WebGatewayOptions): Promise<WebGateway> {
  const gw = new WebGateway(options);
  await gw.listen();
  return gw;
}
