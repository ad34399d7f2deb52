/**
 * `ServerConnection`: one accepted connection, used from the thread that
 * accepted it or from its handler thread. Blocking reads and writes as
 * `TelnetConnection` (timeouts default to forever), plus miniboa's client
 * attributes (`active`, `address`, `port`, `terminalType`, `columns`, `rows`,
 * `send()`, `addrport()`, `idle()`, `duration()`, `deactivate()`).
 */
import type { WaitForSpec } from '../engine/options-view.js';
import { openChannel, wake } from '../bridge/channel.js';
import { ChannelCore, type ExpectResult, type SyncWriterView } from './core.js';
import type { MudMessage } from '../bridge/mud-queue.js';

/** What the engine tells the accepting thread about a new connection. */
export interface AcceptedConnection {
  id: number;
  sab: SharedArrayBuffer;
  peer: { address: string; port: number };
  text: boolean;
  connectTime: number;
  /** The server's control block, so a handler can ask the server to shut down. */
  serverCtrl?: SharedArrayBuffer;
}

/** Index of the shutdown-request word in a blocking server's control block. */
export const SERVER_SHUTDOWN = 2;

/** Marks a ServerConnection from any copy of this module (handler threads run a bundled copy). */
const BRAND = Symbol.for('telnetlib3.ServerConnection');

/** A blocking, miniboa-compatible server-side connection. */
export class ServerConnection<T extends string | Buffer = string> {
  /**
   * `conn instanceof ServerConnection` holds in a handler thread too, where
   * the connection comes from the thread's bundled copy of this class.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ServerConnection) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** @internal see {@link ServerConnection[Symbol.hasInstance]} */
  readonly [BRAND] = true;
  /** Peer IP address. */
  readonly address: string;
  /** Peer port. */
  readonly port: number;
  /** When the connection was accepted (ms since the epoch). */
  readonly connectTime: number;
  private readonly core: ChannelCore<T>;
  private readonly serverCtrl: Int32Array | null;

  constructor(accepted: AcceptedConnection) {
    this.core = new ChannelCore<T>(openChannel(accepted.sab), accepted.text);
    this.address = accepted.peer.address ?? '';
    this.port = accepted.peer.port ?? 0;
    this.connectTime = accepted.connectTime;
    this.serverCtrl = accepted.serverCtrl === undefined ? null : new Int32Array(accepted.serverCtrl);
  }

  /** Up to `n` units (all until EOF when `n < 0`). */
  read(n = -1, timeout?: number): T {
    return this.core.read(n, timeout ?? null);
  }

  /** Whatever is available, as soon as anything is. */
  readSome(timeout?: number): T {
    return this.core.read(Number.MAX_SAFE_INTEGER, timeout ?? null);
  }

  /** Whatever has arrived, without waiting (empty when nothing has; check `active` for EOF). */
  readAvailable(): T {
    return this.core.readAvailable();
  }

  /** One line including its end. */
  readline(timeout?: number): T {
    return this.core.readline(timeout ?? null);
  }

  /** Everything up to and including `match`. */
  readUntil(match: string | Buffer | RegExp, timeout?: number): T {
    return this.core.readUntil(match, timeout ?? null);
  }

  /** The first of several patterns. */
  expect(patterns: ReadonlyArray<string | Buffer | RegExp>, timeout?: number): ExpectResult<T> {
    return this.core.expect(patterns, timeout ?? null);
  }

  /** Send data as is (IAC doubled). */
  write(data: string | Buffer): void {
    this.core.write(data);
  }

  /**
   * miniboa's send: text with every line end (`\n` or `\r\n`) sent as one
   * CR LF. A Buffer is sent unchanged on a byte connection; on a text
   * connection it is taken as UTF-8 text (with no line-end change).
   */
  send(data: string | Buffer): void {
    if (typeof data === 'string') this.core.write(data.replace(/\r?\n/g, '\r\n'));
    else this.core.write(this.core.text ? data.toString('utf8') : data);
  }

  /**
   * Non-blocking partial write (a poll loop's `socket.send`): puts as much
   * of `data` in the send ring as fits now and returns how many bytes it
   * took, or -1 once the connection cannot send. Bytes are sent untouched.
   */
  writeNow(data: Buffer): number {
    return this.core.writeNow(data);
  }

  /** Whether a read would return at once (data waiting, EOF, or closed here). */
  hasInput(): boolean {
    return this.core.hasInput();
  }

  /** True after `close()` or `deactivate()` in this thread. */
  get closedLocally(): boolean {
    return this.core.isClosedLocally;
  }

  /** Wait until everything written was handed to the network. */
  flush(timeout?: number): void {
    this.core.flush(timeout ?? null);
  }

  /** Close (idempotent). */
  close(): void {
    this.core.close();
  }

  /** miniboa: mark for disconnection (here: close now). */
  deactivate(): void {
    this.close();
  }

  /** miniboa's `active`: false once closed by either side; setting false closes. */
  get active(): boolean {
    return !this.core.isClosedLocally && !this.core.peerClosed();
  }

  set active(value: boolean) {
    if (!value) this.close();
  }

  /** `"IP:PORT"`. */
  addrport(): string {
    return `${this.address}:${this.port}`;
  }

  /** Milliseconds since the last successful read. */
  idle(): number {
    return Date.now() - this.core.lastInputTime;
  }

  /** Milliseconds since the connection was accepted. */
  duration(): number {
    return Date.now() - this.connectTime;
  }

  /** When input was last read (ms since the epoch). */
  get lastInputTime(): number {
    return this.core.lastInputTime;
  }

  /** The client's terminal type, `unknown` before TTYPE. */
  get terminalType(): string {
    return this.core.getExtraInfo<string>('TERM', 'unknown') ?? 'unknown';
  }

  /** Window width (80 until NAWS). */
  get columns(): number {
    return this.core.getExtraInfo<number>('cols', 80) ?? 80;
  }

  /** Window height (25 until NAWS, as telnetlib3's server default). */
  get rows(): number {
    return this.core.getExtraInfo<number>('rows', 25) ?? 25;
  }

  // MUD protocols (docs/mud.md)

  /** Send a GMCP message (`sendGmcp('Core.Ping')`, `sendGmcp('Char.Login', { name })`) once GMCP is enabled. */
  sendGmcp(pkg: string, data?: unknown): boolean {
    return this.core.sendGmcp(pkg, data);
  }

  /** Send MSDP variables (over GMCP when only GMCP is enabled); returns how, or null. */
  sendMsdp(vars: Record<string, unknown>): 'msdp' | 'gmcp' | null {
    return this.core.sendMsdp(vars);
  }

  /** Server: send an MSSP table once the client said DO MSSP. */
  sendMssp(table: Record<string, unknown>): boolean {
    return this.core.sendMssp(table);
  }

  /** End a prompt with IAC EOR (once agreed) or IAC GA. */
  endPrompt(): 'eor' | 'ga' | null {
    return this.core.endPrompt();
  }

  /**
   * The next received GMCP / MSDP / MSSP message, oldest first, waiting up
   * to `timeout` ms (0: no wait); null when none came in time or the
   * connection ended. Nothing is lost between calls: messages queue.
   */
  readMudMessage(timeout?: number): MudMessage | null {
    return this.core.readMudMessage(timeout ?? null);
  }

  /** Every received MUD message queued now, without waiting. */
  readMudMessages(): MudMessage[] {
    return this.core.readMudMessages();
  }

  /** telnetlib3's extra info. */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.core.getExtraInfo(name, defaultValue);
  }

  /** Block until option states hold. */
  waitFor(spec: WaitForSpec, timeout?: number): void {
    this.core.waitFor(spec, timeout ?? null);
  }

  /** Negotiation state. */
  get writer(): SyncWriterView {
    return this.core.writerView();
  }

  /** Ask the `BlockingTelnetServer` running this handler to shut down. */
  shutdownServer(): void {
    if (this.serverCtrl === null) return;
    Atomics.store(this.serverCtrl, SERVER_SHUTDOWN, 1);
    wake(this.serverCtrl, 0);
  }

  /** `using` closes it. */
  [Symbol.dispose](): void {
    this.close();
  }
}
