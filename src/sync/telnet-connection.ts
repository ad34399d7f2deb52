/**
 * `TelnetConnection`: a blocking Telnet client for scripts that do not want
 * async. The connection lives in the engine worker; this object only holds
 * its shared-memory channel, so every read, write and wait here runs
 * without a message round trip.
 */
import { TelnetError, TelnetTimeoutError, TelnetUsageError } from '../protocol/errors.js';
import type { ClientOptions } from '../client.js';
import type { WaitForSpec } from '../engine/options-view.js';
import { C, F, createChannel } from '../bridge/channel.js';
import { takeChannel } from '../bridge/channel-pool.js';
import { assertPlainOptions, channelCall, engineCall, rebuild, waitUntil } from '../bridge/engine-client.js';
import { checkLogLevel } from '../bridge/engine-log.js';
import type { LogLevel } from '../engine/logger.js';
import { ChannelCore, type ExpectResult, type SyncWriterView } from './core.js';
import type { MudMessage } from '../bridge/mud-queue.js';

/** Options for {@link TelnetConnection}. */
export interface TelnetConnectionOptions extends Omit<ClientOptions, 'shell' | 'logger' | 'isCharsetSupported' | 'onProtocolError' | 'onError'> {
  /** Default timeout (ms) for connect and every later call; undefined waits forever. */
  timeout?: number;
  /** Size limit of searches (readUntil, readline, expect) in units (default 1 MiB). */
  limit?: number;
  /** Receive ring size in bytes (power of two, default 1 MiB). */
  ringSize?: number;
  /**
   * What the engine thread logs for this connection to standard error
   * (`LEVEL message` lines, as the blocking server's `logLevel`):
   * `warn` by default (a peer's protocol errors), `debug` adds negotiation,
   * `silent` turns it off.
   */
  logLevel?: LogLevel;
}

/** A blocking Telnet client connection. */
export class TelnetConnection<T extends string | Buffer = string> {
  readonly host: string;
  readonly port: number;
  private readonly options: TelnetConnectionOptions;
  private core: ChannelCore<T> | null = null;
  private closed = false;

  constructor(host: string, port = 23, options: TelnetConnectionOptions = {}) {
    this.host = host;
    this.port = port;
    this.options = { ...options };
  }

  /** True for a byte connection (`encoding: false`), as the async reader's `binary`. */
  get binary(): boolean {
    return this.options.encoding === false;
  }

  /** Connect and wait for negotiation (at most `connectMaxwait`, default 3 s). */
  connect(): void {
    if (this.core !== null || this.closed) throw new TelnetUsageError('Already connected', 'ERR_TELNET_ALREADY_CONNECTED');
    const { timeout, limit, ringSize, ...open } = this.options;
    assertPlainOptions(open, 'TelnetConnection');
    checkLogLevel(open.logLevel);
    // Default-size channels are reused from this thread's closed connections (channel-pool.ts).
    const ch = ringSize === undefined ? takeChannel() : createChannel(ringSize);
    engineCall<number>('open', ch.sab, this.host, this.port, open);
    const text = open.encoding !== false;
    this.core = new ChannelCore<T>(ch, text, limit);
    const deadline = timeout === undefined ? null : Date.now() + timeout;
    const ok = waitUntil(ch, () => (Atomics.load(ch.ctrl, C.FLAGS) & (F.READY | F.ERROR)) !== 0, deadline);
    if (!ok) {
      this.close();
      throw new TelnetTimeoutError('Connection timed out');
    }
    if ((Atomics.load(ch.ctrl, C.FLAGS) & F.ERROR) !== 0) {
      const err = channelCall<{ message: string; code: string; name: string } | null>(ch, 'error');
      // Release the engine's side of the channel; a later connect() makes a new one.
      try { channelCall(ch, 'close'); } catch { /* the engine is gone */ }
      this.core = null;
      throw err === null ? new TelnetError('connection failed', 'ERR_TELNET_CONNECT') : rebuild(err);
    }
  }

  /** Up to `n` units (all until EOF when `n < 0`); at EOF with nothing buffered, TelnetClosedError. */
  read(n = -1, timeout?: number): T {
    return this.c().read(n, this.t(timeout));
  }

  /** Whatever is available, as soon as anything is. */
  readSome(timeout?: number): T {
    return this.c().read(Number.MAX_SAFE_INTEGER, this.t(timeout));
  }

  /** One line including its end (CR LF, LF or lone CR). */
  readline(timeout?: number): T {
    return this.c().readline(this.t(timeout));
  }

  /** Everything up to and including `match` (string, Buffer or RegExp). */
  readUntil(match: string | Buffer | RegExp, timeout?: number): T {
    return this.c().readUntil(match, this.t(timeout));
  }

  /** Wait for the first of several patterns: `{ index, match, text }`. */
  expect(patterns: ReadonlyArray<string | Buffer | RegExp>, timeout?: number): ExpectResult<T> {
    return this.c().expect(patterns, this.t(timeout));
  }

  /** Send text (text connections) or bytes; IAC is doubled, no newline conversion. */
  write(data: string | Buffer): void {
    this.c().write(data);
  }

  /** Wait until everything written was handed to the network. */
  flush(timeout?: number): void {
    this.c().flush(this.t(timeout));
  }

  /** Close (idempotent). */
  close(): void {
    this.closed = true;
    this.core?.close();
  }

  /** telnetlib3's extra info (`term`, `cols`, `rows`, `charset`, `lang`, `peername`, ...). */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.c(true).getExtraInfo(name, defaultValue);
  }

  // MUD protocols (docs/mud.md)

  /** Send a GMCP message (`sendGmcp('Core.Ping')`, `sendGmcp('Char.Login', { name })`) once GMCP is enabled. */
  sendGmcp(pkg: string, data?: unknown): boolean {
    return this.c().sendGmcp(pkg, data);
  }

  /** Send MSDP variables (over GMCP when only GMCP is enabled); returns how, or null. */
  sendMsdp(vars: Record<string, unknown>): 'msdp' | 'gmcp' | null {
    return this.c().sendMsdp(vars);
  }

  /** Server: send an MSSP table once the client said DO MSSP. */
  sendMssp(table: Record<string, unknown>): boolean {
    return this.c().sendMssp(table);
  }

  /** End a prompt with IAC EOR (once agreed) or IAC GA. */
  endPrompt(): 'eor' | 'ga' | null {
    return this.c().endPrompt();
  }

  /**
   * The next received GMCP / MSDP / MSSP message, oldest first, waiting up
   * to `timeout` ms (0: no wait); null when none came in time or the
   * connection ended. Nothing is lost between calls: messages queue.
   */
  readMudMessage(timeout?: number): MudMessage | null {
    return this.c().readMudMessage(this.t(timeout));
  }

  /** Every received MUD message queued now, without waiting. */
  readMudMessages(): MudMessage[] {
    return this.c().readMudMessages();
  }

  /** Block until the option states hold (`{ remote: { ECHO: true } }`). */
  waitFor(spec: WaitForSpec, timeout?: number): void {
    this.c().waitFor(spec, this.t(timeout));
  }

  /** Negotiation state: `mode`, `localOption.enabled()`, `remoteOption.enabled()`. */
  get writer(): SyncWriterView {
    return this.c(true).writerView();
  }

  /** True once the peer closed and everything was read. */
  get atEof(): boolean {
    return this.c(true).atEof;
  }

  /** `using conn = new TelnetConnection(...)` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  private c(allowClosed = false): ChannelCore<T> {
    if (this.core === null) {
      if (this.closed && !allowClosed) throw new TelnetUsageError('Connection closed', 'ERR_TELNET_CLOSED_LOCALLY');
      throw new TelnetUsageError('Not connected', 'ERR_TELNET_NOT_CONNECTED');
    }
    return this.core;
  }

  private t(timeout: number | undefined): number | null {
    const v = timeout ?? this.options.timeout;
    return v === undefined ? null : v;
  }
}

