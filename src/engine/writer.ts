/**
 * The writing half of a connection, and the handle on its negotiation state
 * (telnetlib3's `TelnetWriter`): write text or bytes, drain, close, send
 * commands and option requests, register callbacks, and wait for option
 * states.
 */
import { Cmd, Opt, cmdName, optName } from '../protocol/constants.js';
import { TelnetUsageError } from '../protocol/errors.js';
import type { SessionEvent } from '../protocol/events.js';
import type { TelnetSession, TerminalMode } from '../protocol/session.js';
import type { EngineConnection } from './connection.js';
import type { MsdpInputValue, MsdpTable } from '../protocol/options/msdp.js';
import type { MsspInput, MsspTable } from '../protocol/options/mssp.js';
import type { MccpStats } from './mccp.js';
import { encodeText } from './encoding.js';
import { monotonicNow } from './idle-timers.js';
import {
  type OptionKey, type OptionView, type PendingView, type WaitForSpec, resolveOption,
} from './options-view.js';

/** Handler for a two-byte command (`setIacCallback`). */
export type IacCallback = (cmd: number) => void;
/** Handler for an option's subnegotiation result (`setExtCallback`); arguments depend on the option. */
export type ExtCallback = (...args: any[]) => void;
/** Handler for an SLC function typed in kludge/remote mode (`setSlcCallback`). */
export type SlcCallback = (func: number, byte: number) => void;

/** The writer of one connection. */
export class TelnetWriter {
  private readonly conn: EngineConnection;
  // Created on first registration: most connections register none.
  private iacCallbacks: Map<number, IacCallback> | null = null;
  private extCallbacks: Map<number, ExtCallback> | null = null;
  private slcCallbacks: Map<number, SlcCallback> | null = null;
  private closing = false;

  // The option views are made on first use (most shells never look).
  private localView: OptionView | null = null;
  private remoteView: OptionView | null = null;
  private pendingView: PendingView | null = null;

  /** The connection calls {@link dispatch} with every session event. */
  constructor(conn: EngineConnection) {
    this.conn = conn;
  }

  /** Our side of each option. */
  get localOption(): OptionView {
    return this.localView ??= new SideView(this.conn.session, 'local');
  }

  /** The peer's side of each option. */
  get remoteOption(): OptionView {
    return this.remoteView ??= new SideView(this.conn.session, 'remote');
  }

  /** Requests of ours awaiting an answer (either side) and awaited subnegotiation replies. */
  get pendingOption(): PendingView {
    return this.pendingView ??= new PendingOptions(this.conn.session);
  }

  /** The protocol core behind this connection (for anything not wrapped here). */
  get session(): TelnetSession {
    return this.conn.session;
  }

  /** `server` or `client`. */
  get role(): 'server' | 'client' {
    return this.conn.role;
  }

  /** True for a byte writer (`encoding: false`). */
  get binary(): boolean {
    return this.conn.binary;
  }

  /** telnetlib3's mode: `local`, `remote` or `kludge`. */
  get mode(): TerminalMode {
    return this.conn.session.mode;
  }

  /** Whether the echo side is agreed: server `WILL ECHO` accepted, or client `DO ECHO` to the server's WILL. */
  get willEcho(): boolean {
    return this.role === 'server' ? this.conn.session.localEnabled(Opt.ECHO) : this.conn.session.remoteEnabled(Opt.ECHO);
  }

  /** The peer sends BINARY to us. */
  get inbinary(): boolean {
    return this.conn.session.inBinary;
  }

  /** We send BINARY to the peer. */
  get outbinary(): boolean {
    return this.conn.session.outBinary;
  }

  /** Milliseconds since the peer last sent anything. */
  get idle(): number {
    return monotonicNow() - this.conn.lastInput;
  }

  /** Milliseconds since the connection was made. */
  get duration(): number {
    return Date.now() - this.conn.connectedAt;
  }

  /** Bytes received from the peer so far (telnetlib3 `protocol.rx_bytes`). */
  get rxBytes(): number {
    return this.conn.rxBytes;
  }

  /** Bytes sent to the peer so far (telnetlib3 `protocol.tx_bytes`). */
  get txBytes(): number {
    return this.conn.txBytes;
  }

  /**
   * Write text (text connections) or bytes (byte connections). IAC is
   * doubled; there is no end-of-line translation (as telnetlib3). Text is
   * encoded with the outgoing encoding: US-ASCII until BINARY is agreed in
   * that direction (or `forceBinary`), with `encodingErrors` deciding what
   * happens to characters it lacks. Writes after close are ignored.
   * Returns false when the socket's buffer is full: `await drain()` before
   * writing more (as with Node streams).
   */
  write(data: string | Buffer): boolean {
    if (this.closing || this.conn.isClosed) return false;
    this.conn.session.sendData(this.toBytes(data));
    return !this.conn.needsDrain;
  }

  /**
   * Send bytes as they are (IAC doubled) on a text connection as on a byte
   * one, past the codec: the client's retro key codes (ATASCII 0x9B for
   * Enter, PETSCII cursor keys), which no text would encode to reliably.
   */
  writeRaw(data: Buffer): boolean {
    if (this.closing || this.conn.isClosed) return false;
    if (!Buffer.isBuffer(data)) throw new TelnetUsageError('writeRaw() takes a Buffer');
    this.conn.session.sendData(data);
    return !this.conn.needsDrain;
  }

  /** Write several pieces. */
  writelines(lines: Iterable<string | Buffer>): void {
    for (const l of lines) this.write(l);
  }

  /** Echo `data` back to the peer, only when we agreed to echo (server WILL ECHO). */
  echo(data: string | Buffer): void {
    if (this.role === 'server' && this.conn.session.localEnabled(Opt.ECHO)) this.write(data);
  }

  /** Resolves when the socket's buffer has room again (or the connection closed). */
  drain(): Promise<void> {
    return this.conn.drain();
  }

  /** Close the connection after pending output is flushed. Idempotent. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.conn.close();
  }

  /** True once `close()` was called or the connection closed. */
  isClosing(): boolean {
    return this.closing || this.conn.isClosed;
  }

  /** Resolves when the connection is closed. */
  waitClosed(): Promise<void> {
    return this.conn.closed;
  }

  /**
   * Send a negotiation: `iac(Cmd.DO, Opt.NAWS)`. Only DO, DONT, WILL and WONT
   * are accepted; RFC 1143 suppresses requests that would change nothing.
   * Returns whether bytes were sent.
   */
  iac(cmd: number, option: OptionKey): boolean {
    const opt = resolveOption(option);
    let sent: boolean;
    switch (cmd) {
      case Cmd.DO: sent = this.conn.session.requestRemote(opt, true); break;
      case Cmd.DONT: sent = this.conn.session.requestRemote(opt, false); break;
      case Cmd.WILL: sent = this.conn.session.requestLocal(opt, true); break;
      case Cmd.WONT: sent = this.conn.session.requestLocal(opt, false); break;
      default: throw new TelnetUsageError(`iac() takes DO, DONT, WILL or WONT, not ${cmdName(cmd)}`);
    }
    this.conn.checkWaiters();
    return sent;
  }

  /** Send raw bytes, unescaped (they should start with IAC). */
  sendIac(bytes: Buffer): void {
    if (this.closing || this.conn.isClosed) return;
    this.conn.send(bytes);
  }

  /** Send a two-byte command such as AYT or IP. */
  sendCommand(cmd: number): void {
    if (this.closing || this.conn.isClosed) return;
    this.conn.session.sendCommand(cmd);
  }

  /** Never send IAC GA from this connection (set from the server's `neverSendGa`). */
  neverSendGa = false;

  /** IAC GA, unless suppressed by SGA or `neverSendGa`; returns whether sent. */
  sendGa(): boolean {
    return !this.neverSendGa && !this.isClosing() && this.conn.session.sendGa();
  }

  /** IAC EOR, only after DO EOR; returns whether sent. */
  sendEor(): boolean {
    return !this.isClosing() && this.conn.session.sendEor();
  }

  /**
   * End a prompt the way MUD clients expect: IAC EOR once the peer agreed to
   * EOR, else IAC GA (unless SGA or `neverSendGa` suppress it). Returns what was sent.
   */
  endPrompt(): 'eor' | 'ga' | null {
    if (this.isClosing()) return null;
    if (this.conn.session.sendEor()) return 'eor';
    return this.sendGa() ? 'ga' : null;
  }

  /** Send a GMCP message (`sendGmcp('Room.Info', { num: 1 })`) once GMCP is enabled; returns whether sent. */
  sendGmcp(pkg: string, data?: unknown): boolean {
    return !this.isClosing() && this.conn.session.sendGmcp(pkg, data);
  }

  /** Send MSDP variables (over GMCP when only GMCP is enabled); returns how, or null when neither is. */
  sendMsdp(vars: { readonly [name: string]: MsdpInputValue }): 'msdp' | 'gmcp' | null {
    return this.isClosing() ? null : this.conn.session.sendMsdp(vars);
  }

  /** Server: send the MSSP table once the client said DO MSSP; returns whether sent. */
  sendMssp(table: MsspInput): boolean {
    return !this.isClosing() && this.conn.session.sendMssp(table);
  }

  /** Handle received GMCP messages (`data` is null when there was none); `null` removes the handler. */
  onGmcp(fn: ((pkg: string, data: unknown) => void) | null): void {
    this.setExtCallback(Opt.GMCP, fn);
  }

  /** Handle received MSDP variables (also those sent over GMCP); `null` removes the handler. */
  onMsdp(fn: ((vars: MsdpTable, viaGmcp: boolean) => void) | null): void {
    this.setExtCallback(Opt.MSDP, fn);
  }

  /** Client: handle the server's MSSP table (also kept as `getExtraInfo('mssp')`); `null` removes the handler. */
  onMssp(fn: ((table: MsspTable) => void) | null): void {
    this.setExtCallback(Opt.MSSP, fn);
  }

  /**
   * Start MCCP compression of our output after negotiating it yourself
   * (`iac(WILL, MCCP2)` on a server); automatic with the `compression`
   * option. Returns whether it started.
   */
  startCompression(): boolean {
    return !this.isClosing() && this.conn.session.beginCompression();
  }

  /** MCCP byte counts of each direction (`null` when that direction was never compressed). */
  get compression(): { send: MccpStats | null; receive: MccpStats | null } {
    return { send: this.conn.mccpStats('send'), receive: this.conn.mccpStats('receive') };
  }

  /** Client: report a new window size (sent by NAWS when agreed and changed). */
  setWindowSize(cols: number, rows: number): boolean {
    this.conn.extra.set('cols', cols);
    this.conn.extra.set('rows', rows);
    return this.conn.session.setWindowSize(cols, rows);
  }

  /**
   * Watch every session event of this connection (option changes, received
   * negotiations, subnegotiation results); returns a function that stops it.
   */
  onSessionEvent(fn: (ev: SessionEvent) => void): () => void {
    const list = this.conn.listeners;
    list.push(fn);
    return () => { const i = list.indexOf(fn); if (i !== -1) list.splice(i, 1); };
  }

  /** Handle a two-byte command (NOP, AYT, IP, BRK, GA, EOR, ...); `null` removes the handler. */
  setIacCallback(cmd: number, fn: IacCallback | null): void {
    if (fn === null) this.iacCallbacks?.delete(cmd);
    else (this.iacCallbacks ??= new Map()).set(cmd, fn);
  }

  /**
   * Handle an option's results: NAWS `(rows, cols)`, TTYPE `(name)`, TSPEED
   * `(rx, tx)`, XDISPLOC `(display)`, SNDLOC `(location)`, NEW_ENVIRON
   * `(vars)`, CHARSET `(charset)`, LOGOUT `(cmd)`, LINEMODE `(mode)`,
   * STATUS `(entries)`, TM `(verb)`, GMCP `(package, data)`, MSDP
   * `(vars, viaGmcp)`, MSSP `(table)`, and `(payload)` for options without
   * a codec (MXP, ZMP, ...). `null` removes the handler.
   */
  setExtCallback(option: OptionKey, fn: ExtCallback | null): void {
    const opt = resolveOption(option);
    if (fn === null) this.extCallbacks?.delete(opt);
    else (this.extCallbacks ??= new Map()).set(opt, fn);
  }

  /** Handle an SLC function typed in kludge/remote mode (server). `null` removes it. */
  setSlcCallback(func: number, fn: SlcCallback | null): void {
    if (fn === null) this.slcCallbacks?.delete(func);
    else (this.slcCallbacks ??= new Map()).set(func, fn);
  }

  /**
   * Resolve once every listed option state holds: `true` means enabled,
   * `false` means not enabled (or, for `pending`, not outstanding). Rejects
   * with {@link TelnetClosedError} if the connection closes first, and with a
   * usage error for an unknown option name.
   */
  waitFor(spec: WaitForSpec): Promise<true> {
    const checks: Array<() => boolean> = [];
    for (const [key, view] of [['remote', this.remoteOption], ['local', this.localOption], ['pending', this.pendingOption]] as const) {
      for (const [name, want] of Object.entries(spec[key] ?? {})) {
        const code = resolveOption(name);
        checks.push(() => view.enabled(code) === want);
      }
    }
    return this.conn.waitUntil(() => checks.every((c) => c()));
  }

  /** Resolve once `fn(writer)` is true (re-checked after every option change); rejects on close. */
  waitForCondition(fn: (writer: TelnetWriter) => boolean): Promise<true> {
    return this.conn.waitUntil(() => fn(this));
  }

  /**
   * telnetlib3's extra info: `peername`, `sockname`, `term`, `TERM`,
   * `ttype1..N`, `cols`, `rows`, `charset`, `lang`, `tspeed`, `xdisploc`,
   * `timeout`, every accepted NEW_ENVIRON name (upper case), and for MUDs
   * `mssp` (the last MSSP table) and `gmcp` (an object from each GMCP
   * package to its last data, objects merged as telnetlib3's `gmcp_data`).
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T | undefined {
    const v = this.conn.extra.get(name);
    return (v === undefined ? defaultValue : v) as T | undefined;
  }

  /** The encoding used for text we send now (`us-ascii` before BINARY unless forceBinary). */
  get outgoingEncoding(): string {
    return this.conn.outgoingEncoding();
  }

  /** The encoding used for text we receive now. */
  get incomingEncoding(): string {
    return this.conn.incomingEncoding();
  }

  /** A summary like telnetlib3's writer repr. */
  toString(): string {
    const s = this.conn.session;
    const local = s.enabledOptions('local').map(optName).join(',');
    const remote = s.enabledOptions('remote').map(optName).join(',');
    const pend = s.pendingRequests().map(([v, o]) => `${cmdName(v)} ${optName(o)}`).join(',');
    return `<TelnetWriter ${this.role} mode:${this.mode} ${this.role}-will:${local || '-'} peer-will:${remote || '-'}` +
      `${pend ? ` pending:${pend}` : ''}>`;
  }

  private toBytes(data: string | Buffer): Buffer {
    if (typeof data === 'string') {
      if (this.conn.binary) throw new TelnetUsageError('this connection is binary (encoding: false): write Buffers, not strings');
      return encodeText(data, this.conn.outgoingEncoding(), this.conn.encodingErrors);
    }
    if (!Buffer.isBuffer(data)) throw new TelnetUsageError('write() takes a string or a Buffer');
    if (!this.conn.binary) throw new TelnetUsageError('this connection is text: write strings, or open it with encoding: false');
    return data;
  }

  /** @internal A session event, for the registered callbacks. */
  dispatch(ev: SessionEvent): void {
    if (this.iacCallbacks === null && this.extCallbacks === null && this.slcCallbacks === null) return;
    try {
      this.dispatchUnsafe(ev);
    } catch (err) {
      // A throwing callback must not break the protocol engine.
      this.conn.logger.error(`callback for ${ev.type} threw: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private dispatchUnsafe(ev: SessionEvent): void {
    const ext = (opt: number, ...args: unknown[]): void => { this.extCallbacks?.get(opt)?.(...args); };
    switch (ev.type) {
      case 'command': this.iacCallbacks?.get(ev.command)?.(ev.command); break;
      case 'naws': ext(Opt.NAWS, ev.rows, ev.cols); break;
      case 'ttype': ext(Opt.TTYPE, ev.name); break;
      case 'tspeed': ext(Opt.TSPEED, ev.rx, ev.tx); break;
      case 'xdisploc': ext(Opt.XDISPLOC, ev.display); break;
      case 'sndloc': ext(Opt.SNDLOC, ev.location); break;
      case 'environ': ext(Opt.NEW_ENVIRON, ev.vars); break;
      case 'charset': ext(Opt.CHARSET, ev.charset); break;
      case 'logout': ext(Opt.LOGOUT, ev.verb); break;
      case 'linemode': ext(Opt.LINEMODE, ev.mode); break;
      case 'status': ext(Opt.STATUS, ev.entries); break;
      case 'timingMark': ext(Opt.TM, ev.verb); break;
      case 'lflow': ext(Opt.LFLOW, ev); break;
      case 'subnegotiation': ext(ev.option, ev.payload); break;
      case 'gmcp': ext(Opt.GMCP, ev.package, ev.data); break;
      case 'msdp': ext(Opt.MSDP, ev.vars, ev.viaGmcp); break;
      case 'mssp': ext(Opt.MSSP, ev.table); break;
      case 'slc': this.slcCallbacks?.get(ev.func)?.(ev.func, ev.byte); break;
      default: break;
    }
  }
}

/** One side's option states, as a prototype-method object (no closures per connection). */
class SideView implements OptionView {
  constructor(private readonly session: TelnetSession, private readonly side: 'local' | 'remote') {}
  enabled(option: OptionKey): boolean {
    const code = resolveOption(option);
    return this.side === 'local' ? this.session.localEnabled(code) : this.session.remoteEnabled(code);
  }
  list(): number[] {
    return this.session.enabledOptions(this.side);
  }
}

/** Outstanding requests and awaited subnegotiation replies. */
class PendingOptions implements PendingView {
  constructor(private readonly session: TelnetSession) {}
  enabled(option: OptionKey): boolean {
    const code = resolveOption(option);
    const s = this.session;
    return s.pending('local', code) || s.pending('remote', code) || s.pendingSubnegotiation(code);
  }
}
