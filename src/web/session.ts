/**
 * One browser session: a WebSocket on one side, a Telnet client connection
 * (the async engine's `openConnection`) on the other.
 *
 * - The Telnet connection goes to the operator's host and port; the page
 *   only supplies its terminal size (the first NAWS) and keystrokes.
 * - TTYPE is `xterm-256color` (configurable), NAWS follows the page's
 *   resizes (merged over 50 ms, as the CLI client does).
 * - The local mode follows the server exactly as `telnetlib3-client` picks
 *   it (`autoMode` of src/client-shell.ts), re-checked whenever the server
 *   sends something; the page is told with a `mode` message and does line
 *   editing and local echo itself in the line modes.
 * - Backpressure: after each frame, when the WebSocket's `bufferedAmount` is
 *   over the high-water mark, the pump stops reading the Telnet reader until
 *   the socket flushed. The reader then fills to twice its limit and pauses
 *   the TCP socket, so a slow browser costs at most about highWaterMark +
 *   the reader's buffer per session and pushes back on the Telnet server.
 */
import type { WebSocket } from 'ws';
import { Cmd, Opt } from '../protocol/constants.js';
import { TelnetEncodingError, TelnetError } from '../protocol/errors.js';
import { type LocalMode, type ModeChoice, autoMode } from '../client-shell.js';
import { openConnection } from '../client.js';
import { normalizeEncoding } from '../engine/encoding.js';
import type { Logger } from '../engine/logger.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import type { MsspTable } from '../protocol/options/mssp.js';
import { type ClientMessage, type ServerMessage, parseClientMessage } from './protocol.js';

/** What a session needs from its gateway (all resolved, no defaults here). */
export interface SessionConfig {
  telnetHost: string;
  telnetPort: number;
  term: string;
  encoding: string | false;
  mode: ModeChoice;
  connectTimeout: number;
  connectMaxwait: number;
  idleTimeout: number;
  highWaterMark: number;
  logger: Logger;
}

/** Why a session ended (for the gateway's counters and the log). */
export type SessionEnd = 'browser' | 'telnet' | 'idle' | 'connect-failed' | 'bad-input' | 'shutdown';

/** WebSocket close codes used (RFC 6455 section 7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED: 1003,
  POLICY: 1008,
  INTERNAL: 1011,
  TRY_AGAIN: 1013,
} as const;

/**
 * How much one read may take from the Telnet reader (characters). Small
 * enough that what a read returns is one flat string or a short rope: V8
 * turns a rope into bytes (Buffer.from) by flattening it first, and a
 * flattened rope of 128 KiB or more lands in its large-object space, which
 * made a 1 Mi read cost about 6 ms/MiB against under 1 for 64 Ki.
 */
const READ_CHUNK = 64 * 1024;
/** NAWS updates closer together than this are merged (as the CLI client). */
const RESIZE_DEBOUNCE_MS = 50;

/** Whether an encoding implies BINARY from the start (as the CLI: anything but ASCII). */
function impliesBinary(encoding: string | false): boolean {
  return encoding !== false && normalizeEncoding(encoding) !== 'us-ascii';
}

/** A live browser session. @internal created by the gateway. */
export class WebSession {
  private reader: TelnetReader<any> | null = null;
  private writer: TelnetWriter | null = null;
  private mode: LocalMode | null = null;
  private ending: SessionEnd | null = null;
  private lastInput = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  private resizeTimer: NodeJS.Timeout | null = null;
  private size: { cols: number; rows: number };
  private flushWaiter: (() => void) | null = null;
  /** Settles once openConnection did (either way): a session ends only after its Telnet side. */
  private connectSettled: Promise<void> = Promise.resolve();
  /** Resolves once the WebSocket and the Telnet connection are both closed. */
  readonly ended: Promise<SessionEnd>;
  private resolveEnded!: (why: SessionEnd) => void;
  readonly target: string;

  constructor(private readonly ws: WebSocket, private readonly cfg: SessionConfig, cols: number, rows: number) {
    this.size = { cols, rows };
    this.target = `${cfg.telnetHost}:${cfg.telnetPort}`;
    this.ended = new Promise((r) => { this.resolveEnded = r; });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('error', (err) => {
      // ws closes the socket itself after a protocol error (oversized frame: 1009).
      cfg.logger.warn(`web session ${this.target}: WebSocket error: ${err.message}`);
    });
    ws.on('close', () => this.finish('browser'));
    this.armIdle();
  }

  /** Connect to the Telnet host and relay until either side ends. */
  async start(): Promise<void> {
    const { cfg } = this;
    this.sendJson({ type: 'status', state: 'connecting', message: `Connecting to ${this.target}...`, target: this.target });
    let streams: { reader: TelnetReader<any>; writer: TelnetWriter };
    let settled!: () => void;
    this.connectSettled = new Promise((r) => { settled = r; });
    try {
      streams = await openConnection(cfg.telnetHost, cfg.telnetPort, {
        term: cfg.term,
        cols: this.size.cols,
        rows: this.size.rows,
        encoding: cfg.encoding,
        forceBinary: impliesBinary(cfg.encoding),
        connectTimeout: cfg.connectTimeout,
        connectMaxwait: cfg.connectMaxwait,
        environ: { COLORTERM: 'truecolor' },
        // A MUD client in the browser: GMCP and MSSP feed the side panel.
        passiveDo: [Opt.GMCP, Opt.MSSP],
        logger: cfg.logger,
      });
    } catch (err) {
      const why = err instanceof TelnetError ? err.message : String(err);
      cfg.logger.warn(`web session: ${why}`);
      this.sendJson({ type: 'status', state: 'error', message: `The telnet host ${this.target} is not reachable (${why}).`, target: this.target });
      this.closeWs(CloseCode.INTERNAL, 'telnet host unreachable');
      this.finish('connect-failed');
      settled();
      return;
    }
    this.reader = streams.reader;
    this.writer = streams.writer;
    settled();
    if (this.ending !== null) {
      // The browser left while we were connecting.
      streams.writer.close();
      return;
    }
    this.sendJson({ type: 'status', state: 'connected', message: `Connected to ${this.target}.`, target: this.target });
    this.forwardMud(streams.writer);
    this.checkMode();
    void this.watchMode(streams.writer);
    await this.pump();
  }

  /** Stop the session from the gateway (shutdown). */
  shutdown(): void {
    this.sendJson({ type: 'status', state: 'closed', message: 'The gateway is shutting down.' });
    this.closeWs(CloseCode.GOING_AWAY, 'gateway shutting down');
    this.finish('shutdown');
  }

  // ---------------------------------------------------------------- telnet -> browser

  private async pump(): Promise<void> {
    const reader = this.reader!;
    for (;;) {
      let data: string | Buffer;
      try {
        data = await reader.read(READ_CHUNK);
      } catch (err) {
        if (err instanceof TelnetEncodingError) continue;
        data = '';
      }
      if (data.length === 0 || this.ending !== null) break;
      this.checkMode();
      // Byte connections (encoding false) are shown as latin-1.
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.toString('latin1'), 'utf8');
      const sent = this.sendBinary(bytes);
      if (sent === false) break;
      if (sent !== null) await sent;
    }
    if (this.ending === null) {
      this.sendJson({ type: 'status', state: 'closed', message: 'Connection closed by foreign host.', target: this.target });
      this.closeWs(CloseCode.NORMAL, 'telnet connection closed');
      this.finish('telnet');
    }
  }

  /**
   * Send one output frame. When it takes the WebSocket's bufferedAmount over
   * the high-water mark, returns a promise that resolves once that frame
   * (and so everything before it) was written to the socket, or the session
   * ended; null when the pump may go on at once, false when the socket is gone.
   */
  private sendBinary(bytes: Buffer): Promise<void> | null | false {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount + bytes.length <= this.cfg.highWaterMark) {
      ws.send(bytes, { binary: true });
      return null;
    }
    return new Promise<void>((resolve) => {
      const done = (): void => { this.flushWaiter = null; resolve(); };
      this.flushWaiter = done;
      ws.send(bytes, { binary: true }, done);
    });
  }

  /**
   * GMCP and MSSP for the page's side panel: what arrived while negotiating
   * (kept as extra info), then each message as it comes.
   */
  private forwardMud(w: TelnetWriter): void {
    const mssp = w.getExtraInfo('mssp') as MsspTable | undefined;
    if (mssp !== undefined) this.sendJson({ type: 'mssp', variables: msspVariables(mssp) });
    const gmcp = w.getExtraInfo('gmcp') as Record<string, unknown> | undefined;
    if (gmcp !== undefined) for (const [pkg, data] of Object.entries(gmcp)) this.sendJson({ type: 'gmcp', package: pkg, data });
    w.onGmcp((pkg, data) => this.sendJson({ type: 'gmcp', package: pkg, data }));
    w.onMssp((table) => this.sendJson({ type: 'mssp', variables: msspVariables(table) }));
  }

  private sendJson(msg: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
  }

  private wantedMode(w: TelnetWriter): LocalMode {
    return this.cfg.mode === 'line' ? 'line' : this.cfg.mode === 'raw' ? 'raw' : autoMode(w);
  }

  /**
   * Follow option changes that come without data (a WILL ECHO after the
   * prompt): the engine re-checks the condition after every received chunk
   * and option change.
   */
  private async watchMode(w: TelnetWriter): Promise<void> {
    if (this.cfg.mode !== 'auto') return;
    try {
      for (;;) {
        await w.waitForCondition(() => this.ending !== null || this.wantedMode(w) !== this.mode);
        if (this.ending !== null) return;
        this.checkMode();
      }
    } catch {
      // The connection closed: nothing left to follow.
    }
  }

  private checkMode(): void {
    const w = this.writer;
    if (w === null) return;
    const mode = this.wantedMode(w);
    if (mode === this.mode) return;
    this.mode = mode;
    this.cfg.logger.debug(`web session ${this.target}: local mode ${mode}`);
    this.sendJson({ type: 'mode', mode });
  }

  // ---------------------------------------------------------------- browser -> telnet

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ending !== null) return;
    if (isBinary) {
      this.cfg.logger.warn(`web session ${this.target}: binary frame from the page (${data.length} bytes): closing`);
      this.closeWs(CloseCode.UNSUPPORTED, 'binary frames are not accepted');
      this.finish('bad-input');
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.cfg.logger.warn(`web session ${this.target}: bad message from the page: ${parsed.error}: closing`);
      this.closeWs(CloseCode.POLICY, `bad message: ${parsed.error}`.slice(0, 120));
      this.finish('bad-input');
      return;
    }
    this.lastInput = Date.now();
    this.handle(parsed.message);
  }

  private handle(msg: ClientMessage): void {
    const w = this.writer;
    switch (msg.type) {
      case 'resize':
        this.size = { cols: msg.cols, rows: msg.rows };
        if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
        this.resizeTimer = setTimeout(() => {
          this.resizeTimer = null;
          if (this.writer !== null && !this.writer.isClosing()) this.writer.setWindowSize(this.size.cols, this.size.rows);
        }, RESIZE_DEBOUNCE_MS);
        return;
      case 'input':
        // Character mode: CR is sent as CR NUL (CR in BINARY), as BSD telnet and the CLI do.
        if (w !== null) this.write(w, msg.data.replace(/\r/g, w.outbinary ? '\r' : '\r\0'));
        return;
      case 'line':
        if (w !== null) this.write(w, `${msg.data.replace(/\r?\n/g, '\r\n')}\r\n`);
        return;
      case 'command':
        if (w !== null && !w.isClosing()) w.sendCommand(msg.name === 'ip' ? Cmd.IP : msg.name === 'brk' ? Cmd.BRK : Cmd.AYT);
        return;
    }
  }

  private write(w: TelnetWriter, text: string): void {
    if (text.length === 0 || w.isClosing()) return;
    w.write(w.binary ? Buffer.from(text, 'latin1') : text);
  }

  // ---------------------------------------------------------------- ending

  private armIdle(): void {
    const ms = this.cfg.idleTimeout;
    if (ms <= 0) return;
    // One timer per session, re-armed lazily: input only stamps lastInput.
    const check = (): void => {
      this.idleTimer = null;
      if (this.ending !== null) return;
      const left = this.lastInput + ms - Date.now();
      if (left > 0) {
        this.idleTimer = setTimeout(check, left);
        return;
      }
      this.sendJson({ type: 'status', state: 'closed', message: `Closed after ${Math.round(ms / 1000)} s without input.`, target: this.target });
      this.closeWs(CloseCode.NORMAL, 'idle timeout');
      this.finish('idle');
    };
    this.idleTimer = setTimeout(check, ms);
  }

  private closeWs(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the socket.
    const t = setTimeout(() => this.ws.terminate(), 5000);
    t.unref();
    this.ws.once('close', () => clearTimeout(t));
  }

  private finish(why: SessionEnd): void {
    if (this.ending !== null) return;
    this.ending = why;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    this.flushWaiter?.();
    const w = this.writer;
    if (w !== null) w.close();
    if (this.ws.readyState !== this.ws.CLOSED) this.closeWs(CloseCode.NORMAL, '');
    const wsClosed = this.ws.readyState === this.ws.CLOSED ? Promise.resolve() : new Promise<void>((r) => this.ws.once('close', () => r()));
    // The browser may leave while the Telnet connection is being opened: wait for that too.
    const telnetClosed = this.connectSettled.then(() => this.writer?.waitClosed());
    void Promise.all([wsClosed, telnetClosed]).then(() => this.resolveEnded(why));
  }
}

/** MSSP values as the page's protocol carries them: a list per variable. */
function msspVariables(table: MsspTable): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(table)) out[name] = Array.isArray(value) ? [...value] : [value];
  return out;
}
