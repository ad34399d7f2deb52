/**
 * The session's state machine without the handlers for received
 * subnegotiations, which session.ts adds (the two were one 870-line file).
 * Pure: no sockets, timers or threads. See session.ts for the whole picture.
 */
import { Cmd, Opt, type Verb, cmdName, describeNegotiation, optName } from './constants.js';
import { ProblemCode, type ProtocolProblem, TelnetUsageError } from './errors.js';
import type { SessionEvent } from './events.js';
import { type NegotiationStep, Negotiator, type Role, type Side, defaultPolicy } from './negotiator.js';
import { encodeNvt } from './nvt.js';
import { type ParserHandler, TelnetParser } from './parser.js';
import type { QSide } from './qmethod.js';
import { escapeIac, frameSubnegotiation } from './options/codec.js';
import { encodeNaws } from './options/naws.js';
import { TtypeCycle, encodeTtypeSend } from './options/ttype.js';
import { encodeTspeedSend } from './options/tspeed.js';
import { encodeXdisplocSend } from './options/xdisploc.js';
import { LflowCmd, encodeLflow } from './options/lflow.js';
import { DEFAULT_ENVIRON_REQUEST, type EnvironName, encodeEnvironSend } from './options/environ.js';
import { DEFAULT_CHARSET_OFFER, encodeCharsetRequest } from './options/charset.js';
import { encodeStatusSend } from './options/status.js';
import { LinemodeState } from './linemode-state.js';
import { SlcTable } from './options/slc.js';
import { DEFAULT_GMCP_MODULES, encodeGmcp } from './options/gmcp.js';
import { type MsdpInputValue, encodeMsdp, encodeMsdpOverGmcp } from './options/msdp.js';
import { type MsspInput, encodeMssp } from './options/mssp.js';

let sharedSlcTable: SlcTable | null = null;

/** The default SLC table, shared read-only by sessions that never negotiated SLC. */
function defaultSlcTable(): SlcTable {
  sharedSlcTable ??= new SlcTable();
  return sharedSlcTable;
}

/** Options for {@link TelnetSession}. */
export interface SessionOptions {
  /** `server` or `client`: picks the default policy and automatic replies. */
  role: Role;
  /** Largest accepted subnegotiation payload (default 16 KiB). */
  maxSubnegotiation?: number;
  /** Let the parser rewrite received chunks in place (see `ParserOptions.inPlace`). Default false. */
  inPlace?: boolean;
  /** Replace the role's default set of options we agree to enable on our side. */
  acceptLocal?: Iterable<number>;
  /** Replace the role's default set of options we let the peer enable. */
  acceptRemote?: Iterable<number>;
  /** Accept these on our side and offer them (WILL) at {@link TelnetSession.start}. */
  alwaysWill?: Iterable<number>;
  /** Accept these from the peer and ask for them (DO) at {@link TelnetSession.start}. */
  alwaysDo?: Iterable<number>;
  /** Refuse these on our side even if natively supported. */
  alwaysWont?: Iterable<number>;
  /** Refuse these from the peer even if natively supported. */
  alwaysDont?: Iterable<number>;
  /** Accept these from the peer when offered, without asking (telnetlib3 `passive_do`). */
  passiveDo?: Iterable<number>;
  /** Send the role's automatic requests when options become enabled (default true). */
  autoRequest?: boolean;

  /** Client: terminal type, or a list to cycle through (the last repeats). Default `unknown`. */
  term?: string | readonly string[];
  /** Client: window width sent by NAWS (default 80). */
  cols?: number;
  /** Client: window height sent by NAWS (default 25). */
  rows?: number;
  /** Client: terminal speeds `[rx, tx]` for TSPEED (default 38400, 38400). */
  tspeed?: readonly [number, number];
  /** Client: X display for XDISPLOC (default empty). */
  xdisploc?: string;
  /** Client: values it may send in NEW_ENVIRON replies (never read from process.env here). */
  environ?: Readonly<Record<string, string>>;
  /** Client: which of those names it will reveal (default TERM, LANG, COLUMNS, LINES, COLORTERM). */
  sendEnviron?: Iterable<string>;
  /** Client: preferred character set for CHARSET, or null for no preference. */
  charset?: string | null;
  /** Client: whether a character set name can be used (default: accept any name). */
  isCharsetSupported?: (name: string) => boolean;

  /** Server: names asked for with NEW_ENVIRON SEND (default telnetlib3's list). */
  environRequest?: readonly EnvironName[];
  /** Server: names accepted from the client's environment (default telnetlib3's request names + CHARSET). */
  environAllow?: Iterable<string>;
  /** Server: character sets offered in CHARSET REQUEST. */
  charsetOffer?: readonly string[];
  /** Server: the LINEMODE mode proposed when the client agrees to LINEMODE (default LIT_ECHO, remote editing). */
  linemode?: number;
  /** Server: report SLC characters typed in kludge/remote mode as `slc` events (default true). */
  slcSimulation?: boolean;

  /**
   * MCCP compression (MCCP2 server to client, MCCP3 client to server).
   * `true`: a server offers WILL MCCP2 and WILL MCCP3 at
   * {@link TelnetSession.start}, a client asks DO MCCP2; both accept and
   * compress. `'accept'`: accepted and used when the peer asks or offers
   * (the engine's default for clients, as telnetlib3). `false` or unset
   * (the core's default): refused; an application that negotiates MCCP2 /
   * MCCP3 itself starts it with {@link TelnetSession.beginCompression}.
   * Compressed bytes never reach the session: see the `compress` event and
   * the return value of {@link TelnetSession.receive}.
   */
  compression?: boolean | 'accept';
  /** Server: offer these MUD options (WILL GMCP, MSDP, MSSP) at start. */
  mudOffer?: Iterable<number>;
  /** Server: the MSSP table sent when the client says DO MSSP (none by default: the application sends it). */
  mssp?: MsspInput;
  /**
   * Client: the modules announced with GMCP `Core.Supports.Set` once GMCP is
   * enabled (default telnetlib3's list), after `Core.Hello`; `false` sends neither.
   */
  gmcpModules?: readonly string[] | false;
  /** Client: the data of GMCP `Core.Hello` (default `{ client: 'telnetlib3', version: '4.0.5' }`). */
  gmcpHello?: Readonly<Record<string, string>>;
}

/** MCCP2 (server to client) and MCCP3 (client to server). */
const MCCP_OPTIONS = [Opt.MCCP2, Opt.MCCP3];

/** telnetlib3's terminal-mode names, see {@link TelnetSession.mode}. */
export type TerminalMode = 'local' | 'remote' | 'kludge';

const EMPTY_SET: ReadonlySet<number> = new Set();

/**
 * Everything of a session but the handling of received subnegotiations
 * (session.ts): state, negotiation, sending, and the option side effects.
 * {@link TelnetSession} is the class to use.
 */
export abstract class SessionCore {
  // The three outputs are prototype methods that do nothing: the owner
  // assigns its own functions (or a subclass overrides them), and a session
  // carries no closures of its own.

  /** Bytes to send to the peer. Set by the owner before {@link receive}. */
  onSend(bytes: Buffer): void {}
  /** In-band data received, as spans (views of the input where possible). */
  onData(span: Buffer): void {}
  /** Every other event. */
  onEvent(event: SessionEvent): void {}
  /** In-band bytes with IAC doubled, for {@link sendData}; an owner may escape into memory of its own. */
  escapeData(data: Buffer): Buffer {
    return escapeIac(data);
  }

  readonly role: Role;
  /** Server: the names the next NEW_ENVIRON request asks for (from `environRequest`). */
  environRequest: readonly EnvironName[];
  protected readonly parser: TelnetParser;
  private readonly negotiator: Negotiator;
  protected readonly opts: SessionOptions;
  protected readonly autoRequest: boolean;
  /** Options whose subnegotiation reply we await (a few at most; null when none). */
  private pendingSb: number[] | null = null;
  private rejectedLocal: Set<number> | null = null;
  private rejectedRemote: Set<number> | null = null;
  protected readonly ttype = new TtypeCycle();
  private linemodeObj: LinemodeState | null = null;
  protected ttypeSent = 0;
  /** NEW_ENVIRON SEND frames still to go, one after each reply (null when none). */
  protected environQueue: Buffer[] | null = null;
  private charsetRequested = false;
  private timingMarks = 0;
  /** Input bytes before the current chunk, and STATUS bytes already spent against them. */
  protected receivedBefore = 0;
  protected statusSpent = 0;
  private nvtAfterCr = false;
  /** Our output goes through the owner's deflate (MCCP2 server, MCCP3 client). */
  protected compressingOut = false;
  /** The peer's input is compressed after the start sequence we saw. */
  protected compressingIn = false;
  protected cols: number;
  protected rows: number;
  private ended = false;

  constructor(options: SessionOptions) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new TelnetUsageError(`role must be 'server' or 'client', got ${String(options.role)}`);
    }
    this.role = options.role;
    this.opts = options;
    this.autoRequest = options.autoRequest ?? true;
    this.environRequest = options.environRequest ?? DEFAULT_ENVIRON_REQUEST;
    this.cols = options.cols ?? 80;
    this.rows = options.rows ?? 25;
    const base = defaultPolicy(options.role);
    const local = new Set(options.acceptLocal ?? base.acceptLocal);
    const remote = new Set(options.acceptRemote ?? base.acceptRemote);
    for (const o of options.alwaysWill ?? []) local.add(o);
    for (const o of options.alwaysDo ?? []) remote.add(o);
    for (const o of options.passiveDo ?? []) remote.add(o);
    const mccp = options.compression === true || options.compression === 'accept';
    for (const o of MCCP_OPTIONS) {
      if (mccp && options.role === 'server') local.add(o);
      else if (mccp) remote.add(o);
      else { local.delete(o); remote.delete(o); }
    }
    for (const o of options.mudOffer ?? []) local.add(o);
    for (const o of options.alwaysWont ?? []) local.delete(o);
    for (const o of options.alwaysDont ?? []) remote.delete(o);
    this.negotiator = new Negotiator({ acceptLocal: local, acceptRemote: remote });
    const parserOptions: { maxSubnegotiation?: number; inPlace?: boolean } = { inPlace: options.inPlace ?? false };
    if (options.maxSubnegotiation !== undefined) parserOptions.maxSubnegotiation = options.maxSubnegotiation;
    this.parser = new TelnetParser(new SessionParserHandler(this), parserOptions);
  }

  // ---------------------------------------------------------------- input

  /**
   * Feed bytes received from the peer. Events and replies happen
   * synchronously. Returns how many bytes were consumed: all of them, except
   * when compression of the input starts inside the chunk (a `compress`
   * event with `direction: 'receive'`), where it returns the offset just past
   * that IAC SB MCCP2/MCCP3 IAC SE. The rest of the chunk is compressed: the
   * owner inflates it and feeds the output here.
   */
  receive(chunk: Buffer): number {
    if (this.ended) return chunk.length;
    let used = chunk.length;
    try {
      used = this.parser.receive(chunk);
    } finally {
      this.receivedBefore += used;
    }
    return used;
  }

  /** The peer closed its side: anything partial is discarded with a warning. */
  end(): void {
    if (this.ended) return;
    this.parser.end();
    this.ended = true;
  }

  /**
   * Send the proactive offers configured with `alwaysWill` / `alwaysDo`.
   * Role sequencing (what a server demands first) belongs to the caller.
   */
  start(): void {
    for (const o of this.opts.alwaysWill ?? []) this.requestLocal(o, true);
    for (const o of this.opts.alwaysDo ?? []) this.requestRemote(o, true);
    for (const o of this.opts.mudOffer ?? []) if (this.role === 'server') this.requestLocal(o, true);
    if (this.opts.compression === true) {
      if (this.role === 'server') for (const o of MCCP_OPTIONS) this.requestLocal(o, true);
      else this.requestRemote(Opt.MCCP2, true);
    }
  }

  /**
   * Emit a `negotiation` event for every verb received (off by default): the
   * fingerprint's loop check counts answers RFC 1143 would silently ignore.
   */
  reportNegotiations = false;

  // ---------------------------------------------------------------- state

  /** True when our side of `opt` is enabled (we said WILL and the peer DO). */
  localEnabled(opt: number): boolean {
    return this.negotiator.enabled('local', opt);
  }

  /** True when the peer's side of `opt` is enabled (it said WILL and we DO). */
  remoteEnabled(opt: number): boolean {
    return this.negotiator.enabled('remote', opt);
  }

  /** True while our request for that side of `opt` awaits an answer. */
  pending(side: Side, opt: number): boolean {
    return this.negotiator.pending(side, opt);
  }

  /** The RFC 1143 state of one side of an option. */
  optionState(side: Side, opt: number): QSide {
    return this.negotiator.state(side, opt);
  }

  /** Options enabled on one side, ascending. */
  enabledOptions(side: Side): number[] {
    return this.negotiator.enabledOptions(side);
  }

  /** Our requests that await an answer, as `[verb, option]`, e.g. `[DO, TTYPE]`. */
  pendingRequests(): Array<[Verb, number]> {
    return this.negotiator.pendingRequests();
  }

  /** True while we wait for the peer's subnegotiation reply for `opt` (TTYPE, NEW_ENVIRON, CHARSET...). */
  pendingSubnegotiation(opt: number): boolean {
    return this.pendingSb !== null && this.pendingSb.includes(opt);
  }

  /** Options whose peer requests we refused, per side (telnetlib3 `rejected_do` / `rejected_will`). */
  refused(side: Side): ReadonlySet<number> {
    return (side === 'local' ? this.rejectedLocal : this.rejectedRemote) ?? EMPTY_SET;
  }

  /** True when no option request and no subnegotiation reply is outstanding. */
  get settled(): boolean {
    return this.negotiator.pendingCount() === 0 && this.pendingSb === null && this.environQueue === null;
  }

  /** The peer sends BINARY to us (RFC 856): received bytes are not NVT text. */
  get inBinary(): boolean {
    return this.remoteEnabled(Opt.BINARY);
  }

  /** We send BINARY to the peer: written bytes are not NVT text. */
  get outBinary(): boolean {
    return this.localEnabled(Opt.BINARY);
  }

  /**
   * telnetlib3's terminal mode: `remote`/`local` when LINEMODE is active
   * (by its EDIT bit), `kludge` when ECHO and SGA make the link
   * character-at-a-time, otherwise `local` (NVT line at a time).
   */
  get mode(): TerminalMode {
    const lmOpt = this.role === 'server' ? this.remoteEnabled(Opt.LINEMODE) : this.localEnabled(Opt.LINEMODE);
    if (lmOpt) return this.linemode.edit ? 'local' : 'remote';
    if (this.role === 'server') {
      if (this.localEnabled(Opt.ECHO) && this.localEnabled(Opt.SGA)) return 'kludge';
    } else if (this.remoteEnabled(Opt.ECHO) && (this.remoteEnabled(Opt.SGA) || this.localEnabled(Opt.SGA))) {
      return 'kludge';
    }
    return 'local';
  }

  /** The LINEMODE mode bits in force (RFC 1184), 0 when LINEMODE is off. */
  get linemodeMask(): number {
    return this.linemodeObj?.mode ?? 0;
  }

  /** The LINEMODE / SLC state (table, forwardmask), created on first use. */
  get linemodeState(): LinemodeState {
    return this.linemode;
  }

  protected get linemode(): LinemodeState {
    // Most connections never use LINEMODE: its SLC table is built on demand.
    this.linemodeObj ??= new LinemodeState(this.role, this.opts.linemode);
    return this.linemodeObj;
  }

  /** Terminal types received so far (server side; `ttype1` is index 0). */
  get terminalTypes(): readonly string[] {
    return this.ttype.names;
  }

  /** True once the server's TTYPE cycle has stopped. */
  get terminalTypeDone(): boolean {
    return this.ttype.done;
  }

  // ---------------------------------------------------------------- output

  /** Send in-band bytes, IAC doubled, with no end-of-line translation (as telnetlib3's `write`). */
  sendData(data: Buffer): void {
    if (data.length === 0) return;
    this.nvtAfterCr = false;
    this.onSend(this.escapeData(data));
  }

  /**
   * Send text bytes with NVT end-of-line rules when we are not in BINARY:
   * LF becomes CR LF and a lone CR becomes CR NUL. IAC is doubled.
   */
  sendText(data: Buffer): void {
    if (data.length === 0) return;
    if (this.outBinary) {
      this.sendData(data);
      return;
    }
    const { out, endsWithCr } = encodeNvt(data, this.nvtAfterCr);
    this.nvtAfterCr = endsWithCr;
    this.onSend(out);
  }

  /** Send a two-byte command (NOP, GA, AYT, IP, BRK, AO, EC, EL, DM, EOR, EOF, SUSP, ABORT). */
  sendCommand(cmd: number): void {
    if (!(cmd >= Cmd.EOF && cmd <= Cmd.GA) || cmd === Cmd.SE) {
      throw new TelnetUsageError(`${cmdName(cmd)} is not a two-byte command`);
    }
    this.onSend(Buffer.from([Cmd.IAC, cmd]));
  }

  /** IAC GA, unless the peer agreed to suppress go-ahead (we WILL SGA). Returns whether it was sent. */
  sendGa(): boolean {
    if (this.localEnabled(Opt.SGA)) return false;
    this.onSend(Buffer.from([Cmd.IAC, Cmd.GA]));
    return true;
  }

  /** IAC EOR, only once the peer said DO EOR. Returns whether it was sent. */
  sendEor(): boolean {
    if (!this.localEnabled(Opt.EOR)) return false;
    this.onSend(Buffer.from([Cmd.IAC, Cmd.EOR]));
    return true;
  }

  /**
   * End a prompt the way MUD clients expect: IAC EOR once the peer agreed to
   * EOR, else IAC GA unless go-ahead is suppressed. Returns what was sent.
   */
  sendPromptEnd(): 'eor' | 'ga' | null {
    if (this.sendEor()) return 'eor';
    return this.sendGa() ? 'ga' : null;
  }

  /** True when GMCP is enabled on either side. */
  get gmcpEnabled(): boolean {
    return this.localEnabled(Opt.GMCP) || this.remoteEnabled(Opt.GMCP);
  }

  /**
   * Send a GMCP message (`Room.Info {"num":1}`), once GMCP is enabled on
   * either side. Returns whether it was sent.
   */
  sendGmcp(pkg: string, data?: unknown): boolean {
    const payload = encodeGmcp(pkg, data);
    if (!this.gmcpEnabled) return false;
    this.sendSubnegotiation(Opt.GMCP, payload);
    return true;
  }

  /**
   * Send MSDP variables: over MSDP when it is enabled on either side, else
   * over GMCP (`MSDP {...}`) when GMCP is. Returns how they went, or null.
   */
  sendMsdp(vars: { readonly [name: string]: MsdpInputValue }): 'msdp' | 'gmcp' | null {
    if (this.localEnabled(Opt.MSDP) || this.remoteEnabled(Opt.MSDP)) {
      this.sendSubnegotiation(Opt.MSDP, encodeMsdp(vars));
      return 'msdp';
    }
    const viaGmcp = encodeMsdpOverGmcp(vars);
    if (!this.gmcpEnabled) return null;
    this.sendSubnegotiation(Opt.GMCP, viaGmcp);
    return 'gmcp';
  }

  /** Server: send an MSSP table, once the client said DO MSSP. Returns whether it was sent. */
  sendMssp(table: MsspInput): boolean {
    const payload = encodeMssp(table);
    if (!this.localEnabled(Opt.MSSP)) return false;
    this.sendSubnegotiation(Opt.MSSP, payload);
    return true;
  }

  /** `IAC SB opt payload IAC SE` with the payload's IAC doubled. */
  sendSubnegotiation(opt: number, payload: Buffer): void {
    this.onSend(frameSubnegotiation(opt, payload));
  }

  /** Ask to enable/disable our side (WILL/WONT). Returns whether bytes were sent. */
  requestLocal(opt: number, enable: boolean): boolean {
    if (opt === Opt.TM) throw new TelnetUsageError('use requestTimingMark() for TIMING-MARK');
    return this.applyStep(this.negotiator.request('local', opt, enable), opt, false);
  }

  /** Ask the peer to enable/disable its side (DO/DONT). Returns whether bytes were sent. */
  requestRemote(opt: number, enable: boolean): boolean {
    if (opt === Opt.TM) throw new TelnetUsageError('use requestTimingMark() for TIMING-MARK');
    return this.applyStep(this.negotiator.request('remote', opt, enable), opt, false);
  }

  /** Change the accept policy for one side of an option. */
  setAccept(side: Side, opt: number, accept: boolean): void {
    this.negotiator.setAccept(side, opt, accept);
  }

  /** Send DO TIMING-MARK; the answer arrives as a `timingMark` event. */
  requestTimingMark(): void {
    this.timingMarks++;
    this.onSend(Buffer.from([Cmd.IAC, Cmd.DO, Opt.TM]));
  }

  /** Client: a new window size; sent by NAWS when enabled and changed. Returns whether it was sent. */
  setWindowSize(cols: number, rows: number): boolean {
    const changed = cols !== this.cols || rows !== this.rows;
    this.cols = cols;
    this.rows = rows;
    if (!changed || !this.localEnabled(Opt.NAWS)) return false;
    this.sendSubnegotiation(Opt.NAWS, encodeNaws(cols, rows));
    return true;
  }

  /** Server: ask for the next terminal type (SB TTYPE SEND). */
  requestTerminalType(): boolean {
    if (!this.remoteEnabled(Opt.TTYPE)) return false;
    this.sbAwait(Opt.TTYPE, true);
    this.ttypeSent++;
    this.sendSubnegotiation(Opt.TTYPE, encodeTtypeSend());
    return true;
  }

  /** Server: ask for the terminal speed (SB TSPEED SEND). */
  requestTerminalSpeed(): boolean {
    if (!this.remoteEnabled(Opt.TSPEED)) return false;
    this.sendSubnegotiation(Opt.TSPEED, encodeTspeedSend());
    return true;
  }

  /** Server: ask for the X display (SB XDISPLOC SEND). */
  requestDisplayLocation(): boolean {
    if (!this.remoteEnabled(Opt.XDISPLOC)) return false;
    this.sendSubnegotiation(Opt.XDISPLOC, encodeXdisplocSend());
    return true;
  }

  /**
   * Server: ask for environment variables. The request is split into SB
   * frames of at most 240 bytes; the next frame goes out after each reply.
   */
  requestEnviron(names: readonly EnvironName[] = this.environRequest): boolean {
    if (!this.remoteEnabled(Opt.NEW_ENVIRON)) return false;
    const frames = encodeEnvironSend(names);
    if (frames.length === 0) return false;
    this.environQueue = frames.length > 1 ? frames.slice(1) : null;
    this.sbAwait(Opt.NEW_ENVIRON, true);
    this.sendSubnegotiation(Opt.NEW_ENVIRON, frames[0]!);
    return true;
  }

  /** Send CHARSET REQUEST with our offer list (either side, once CHARSET is enabled). */
  requestCharset(names: readonly string[] = this.opts.charsetOffer ?? DEFAULT_CHARSET_OFFER): boolean {
    if (!this.remoteEnabled(Opt.CHARSET) && !this.localEnabled(Opt.CHARSET)) return false;
    this.charsetRequested = true;
    this.sbAwait(Opt.CHARSET, true);
    this.sendSubnegotiation(Opt.CHARSET, encodeCharsetRequest([...names]));
    return true;
  }

  /** Ask the peer for its view of the options (SB STATUS SEND). */
  requestStatus(): boolean {
    if (!this.remoteEnabled(Opt.STATUS)) return false;
    this.sendSubnegotiation(Opt.STATUS, encodeStatusSend());
    return true;
  }

  /** Server: set the client's flow control (SB LFLOW ...). */
  sendLflow(cmd: (typeof LflowCmd)[keyof typeof LflowCmd]): boolean {
    if (!this.remoteEnabled(Opt.LFLOW)) return false;
    this.sendSubnegotiation(Opt.LFLOW, encodeLflow(cmd));
    return true;
  }

  /** Server: propose a LINEMODE mode (RFC 1184 bits). */
  sendLinemode(mask: number): boolean {
    if (!this.remoteEnabled(Opt.LINEMODE) || this.role !== 'server') return false;
    this.emitBytes(this.linemode.proposeMode(mask));
    return true;
  }

  // ---------------------------------------------------------------- internals

  protected sbAwait(opt: number, waiting: boolean): void {
    const list = this.pendingSb;
    if (list === null) {
      if (waiting) this.pendingSb = [opt];
      return;
    }
    const at = list.indexOf(opt);
    if (waiting && at === -1) list.push(opt);
    else if (!waiting && at !== -1) {
      if (list.length === 1) this.pendingSb = null;
      else list.splice(at, 1);
    }
  }

  /** @internal */
  emit(event: SessionEvent): void {
    this.onEvent(event);
  }

  protected warn(code: ProblemCode, message: string, option?: number): void {
    const problem: ProtocolProblem = { severity: 'warning', code, message };
    if (option !== undefined) problem.option = option;
    this.emit({ type: 'problem', problem });
  }

  /** A codec warning; codecs prefix the problem code (`TOO_MANY: ...`) when they know it. */
  protected codecWarning(text: string, option: number): void {
    const m = /^([A-Z_]+): (.*)$/s.exec(text);
    const code = m !== null && (Object.values(ProblemCode) as string[]).includes(m[1]!) ? (m[1] as ProblemCode) : ProblemCode.BAD_SB;
    this.warn(code, m !== null ? m[2]! : text, option);
  }

  protected emitBytes(frames: Buffer[]): void {
    for (const f of frames) this.onSend(f);
  }

  /** @internal parser callback */
  deliverData(span: Buffer): void {
    if (this.role === 'server' && this.opts.slcSimulation !== false && this.mode !== 'local') {
      // Each SLC event goes just before its byte, so events and data keep
      // stream order whatever the chunking; the byte is still delivered.
      const table = this.linemodeObj?.table ?? defaultSlcTable();
      let from = 0;
      for (let i = 0; i < span.length; i++) {
        const func = table.functionForByte(span[i]!);
        if (func === 0) continue;
        if (i > from) this.onData(span.subarray(from, i));
        from = i;
        this.emit({ type: 'slc', func, byte: span[i]! });
      }
      if (from > 0) {
        this.onData(span.subarray(from));
        return;
      }
    }
    this.onData(span);
  }

  /** @internal parser callback */
  handleCommand(cmd: number): void {
    this.emit({ type: 'command', command: cmd });
  }

  /** @internal parser callback */
  handleNegotiation(verb: Verb, opt: number): void {
    if (opt === Opt.TM) {
      this.handleTimingMark(verb);
      return;
    }
    if (this.reportNegotiations) this.emit({ type: 'negotiation', verb, option: opt });
    const step = this.negotiator.receive(verb, opt);
    if (step.refused) {
      if (verb === Cmd.DO) (this.rejectedLocal ??= new Set()).add(opt);
      else (this.rejectedRemote ??= new Set()).add(opt);
      this.emit({ type: 'refused', side: verb === Cmd.DO ? 'local' : 'remote', option: opt });
    }
    if (step.error !== null) {
      this.warn(ProblemCode.NEGOTIATION_ERROR, `${describeNegotiation(verb, opt)}: ${step.error}`, opt);
    }
    this.applyStep(step, opt, true);
    if (opt === Opt.LOGOUT && ((verb === Cmd.DO && this.role === 'server') || (verb === Cmd.WILL && this.role === 'client'))) {
      this.emit({ type: 'logout', verb });
    }
  }

  private applyStep(step: NegotiationStep, opt: number, fromPeer: boolean): boolean {
    if (step.send !== null) this.onSend(step.send);
    if (step.changed !== null) this.optionChanged(step.changed.side, opt, step.changed.enabled);
    else if (!fromPeer && step.error !== null) return false;
    return step.send !== null;
  }

  private optionChanged(side: Side, opt: number, enabled: boolean): void {
    if (opt === Opt.BINARY && side === 'remote') this.parser.binary = enabled;
    if (!enabled) {
      this.sbAwait(opt, false);
      if (opt === Opt.NEW_ENVIRON && side === 'remote') this.environQueue = null;
    }
    this.emit({ type: 'option', side, option: opt, enabled });
    if (enabled && this.autoRequest) {
      // Automatic requests go out the first time an option is enabled only:
      // a peer toggling WILL/WONT must not make us send more than it sends.
      if (this.negotiator.firstEnable(side, opt)) {
        this.onEnabled(side, opt);
      }
    }
    if (opt === Opt.LINEMODE && (enabled || this.linemodeObj !== null)) this.linemode.setActive(enabled);
  }

  /** What the role does automatically when an option becomes enabled (telnetlib3's writer). */
  private onEnabled(side: Side, opt: number): void {
    if (this.role === 'server') {
      if (side === 'remote') {
        switch (opt) {
          case Opt.TTYPE: this.requestTerminalType(); break;
          case Opt.TSPEED: this.requestTerminalSpeed(); break;
          case Opt.XDISPLOC: this.requestDisplayLocation(); break;
          case Opt.NEW_ENVIRON: this.requestEnviron(); break;
          case Opt.STATUS: this.requestStatus(); break;
          case Opt.LFLOW: this.sendLflow(LflowCmd.RESTART_XON); break;
          case Opt.LINEMODE: this.emitBytes(this.linemode.onEnabled()); break;
          case Opt.CHARSET:
            // The client agreed to CHARSET: offer our list at once. (Waiting
            // for a reciprocal WILL CHARSET first stalls with clients such as
            // tintin++, which never answer it but do answer a REQUEST.)
            if (!this.charsetRequested) this.requestCharset();
            break;
        }
      } else {
        switch (opt) {
          case Opt.MSSP: if (this.opts.mssp !== undefined) this.sendMssp(this.opts.mssp); break;
          case Opt.MCCP2: this.startCompressing(Opt.MCCP2); break;
        }
      }
    } else if (side === 'local') {
      switch (opt) {
        case Opt.NAWS: this.sendSubnegotiation(Opt.NAWS, encodeNaws(this.cols, this.rows)); break;
        case Opt.LINEMODE: this.emitBytes(this.linemode.onEnabled()); break;
      }
    } else {
      switch (opt) {
        case Opt.GMCP: this.gmcpHello(); break;
        case Opt.MCCP3: this.startCompressing(Opt.MCCP3); break;
      }
    }
  }

  /**
   * We compress from here on (server MCCP2, client MCCP3): the start
   * sequence goes out plain, then the `compress` event tells the owner that
   * every later byte it sends must go through deflate.
   */
  private startCompressing(opt: number, explicit = false): boolean {
    const c = this.opts.compression;
    if (this.compressingOut || c === false || (!explicit && c !== true && c !== 'accept')) return false;
    this.compressingOut = true;
    this.onSend(Buffer.from([Cmd.IAC, Cmd.SB, opt, Cmd.IAC, Cmd.SE]));
    this.emit({ type: 'compress', option: opt, direction: 'send', active: true });
    return true;
  }

  /**
   * Start compressing our output now that the option is agreed (server:
   * our MCCP2 is enabled; client: the server's MCCP3 is), for an
   * application that negotiated it itself (`writer.iac(WILL, MCCP2)`).
   * Automatic with `compression: true` or `'accept'`; refused with `false`.
   * Returns whether compression started.
   */
  beginCompression(): boolean {
    if (this.role === 'server') return this.localEnabled(Opt.MCCP2) && this.startCompressing(Opt.MCCP2, true);
    return this.remoteEnabled(Opt.MCCP3) && this.startCompressing(Opt.MCCP3, true);
  }

  /** True while our output is compressed (MCCP2 server, MCCP3 client). */
  get compressing(): boolean {
    return this.compressingOut;
  }

  /** The owner's compressed output stream ended (or failed): later output is plain again. */
  compressionEnded(direction: 'send' | 'receive'): void {
    if (direction === 'send') this.compressingOut = false;
    else this.compressingIn = false;
  }

  /** Client, GMCP enabled: telnetlib3's Core.Hello and Core.Supports.Set. */
  private gmcpHello(): void {
    const modules = this.opts.gmcpModules ?? DEFAULT_GMCP_MODULES;
    if (modules === false) return;
    this.sendGmcp('Core.Hello', this.opts.gmcpHello ?? { client: 'telnetlib3', version: '4.0.5' });
    this.sendGmcp('Core.Supports.Set', [...modules]);
  }

  private handleTimingMark(verb: Verb): void {
    if (verb === Cmd.DO) {
      // RFC 860: always answered, and the option never stays enabled. The
      // reply is 1:1 with the request; output backpressure bounds it.
      this.onSend(Buffer.from([Cmd.IAC, Cmd.WILL, Opt.TM]));
      this.emit({ type: 'timingMark', verb });
    } else if (verb === Cmd.WILL || verb === Cmd.WONT) {
      if (this.timingMarks > 0) {
        this.timingMarks--;
        this.emit({ type: 'timingMark', verb });
      } else {
        this.warn(ProblemCode.NEGOTIATION_ERROR, `${describeNegotiation(verb, Opt.TM)} without our DO TM: ignored`, Opt.TM);
      }
    }
    // DONT TM needs no answer.
  }

  protected unsolicited(opt: number, why: string): void {
    this.warn(ProblemCode.UNSOLICITED_SB, `SB ${optName(opt)} ${why}: ignored`, opt);
  }

  protected bad(opt: number, reason: string, code: ProblemCode = ProblemCode.BAD_SB): void {
    this.warn(code, `SB ${optName(opt)}: ${reason}`, opt);
  }

  /** @internal parser callback: one received subnegotiation (session.ts). */
  abstract handleSubnegotiation(opt: number, payload: Buffer): void;
}

/** The parser's handler for a session: prototype methods, no per-session closures. */
class SessionParserHandler implements ParserHandler {
  constructor(private readonly session: SessionCore) {}
  onData(span: Buffer): void { this.session.deliverData(span); }
  onCommand(cmd: number): void { this.session.handleCommand(cmd); }
  onNegotiate(verb: Verb, opt: number): void { this.session.handleNegotiation(verb, opt); }
  onSubnegotiation(opt: number, payload: Buffer): void { this.session.handleSubnegotiation(opt, payload); }
  onProblem(problem: ProtocolProblem): void { this.session.emit({ type: 'problem', problem }); }
}
