/**
 * Per-option negotiation state for both sides, driven by the RFC 1143
 * transition function in `qmethod.ts`, plus the accept/refuse policy table.
 *
 * "local" is our side of an option (we say WILL/WONT, the peer DO/DONT);
 * "remote" is the peer's side (the peer says WILL/WONT, we DO/DONT).
 *
 * The default policies follow telnetlib3: each role accepts the options it
 * implements in the direction that makes sense for it and refuses the rest,
 * including requests in the wrong direction (RFC 1123 "be conservative"):
 * a server refuses DO TTYPE, a client refuses WILL NAWS, and so on.
 */
import { Cmd, Opt, type Verb } from './constants.js';
import {
  type QSide, type QTransition, Q_NO, isEnabled, isPending,
  receiveNegative, receivePositive, requestDisable, requestEnable,
} from './qmethod.js';

/** Which end of the connection we are. */
export type Role = 'server' | 'client';

/** Which side of an option: ours (`local`) or the peer's (`remote`). */
export type Side = 'local' | 'remote';

/** Accept/refuse sets for each side of each option. */
export interface NegotiationPolicy {
  /** Options we agree to enable on our side when the peer says DO. */
  acceptLocal: Iterable<number>;
  /** Options we agree to let the peer enable when it says WILL. */
  acceptRemote: Iterable<number>;
}

/** MUD options telnetlib3's server accepts in both directions. */
const MUD_OPTIONS = [Opt.GMCP, Opt.MSDP, Opt.MSSP];

/** The default policy for a role (telnetlib3 4.0.5's supported lists). */
export function defaultPolicy(role: Role): { acceptLocal: number[]; acceptRemote: number[] } {
  if (role === 'server') {
    return {
      acceptLocal: [Opt.BINARY, Opt.ECHO, Opt.SGA, Opt.STATUS, Opt.EOR, Opt.CHARSET, Opt.LOGOUT, ...MUD_OPTIONS],
      acceptRemote: [
        Opt.BINARY, Opt.SGA, Opt.NAWS, Opt.LINEMODE, Opt.TTYPE, Opt.TSPEED, Opt.XDISPLOC,
        Opt.NEW_ENVIRON, Opt.LFLOW, Opt.SNDLOC, Opt.STATUS, Opt.CHARSET, Opt.EOR, ...MUD_OPTIONS,
      ],
    };
  }
  return {
    acceptLocal: [
      Opt.BINARY, Opt.SGA, Opt.TTYPE, Opt.NAWS, Opt.TSPEED, Opt.XDISPLOC, Opt.NEW_ENVIRON,
      Opt.CHARSET, Opt.LINEMODE, Opt.LFLOW, Opt.STATUS, Opt.EOR,
    ],
    acceptRemote: [Opt.BINARY, Opt.SGA, Opt.ECHO, Opt.STATUS, Opt.EOR, Opt.CHARSET],
  };
}

/** The outcome of a received verb or of a request of ours. */
export interface NegotiationStep {
  /** The three bytes to send, if any. */
  send: Buffer | null;
  /** The side whose enabled state changed, and to what. */
  changed: { side: Side; enabled: boolean } | null;
  /** An RFC 1143 error (peer misbehaviour or redundant request). */
  error: string | null;
  /** True when we refused a peer's request. */
  refused: boolean;
}

function bytes(verb: number, opt: number): Buffer {
  return Buffer.from([Cmd.IAC, verb, opt]);
}

const STATES: readonly QSide['state'][] = ['NO', 'YES', 'WANTNO', 'WANTYES'];
/** The eight possible sides, shared by every negotiator: code = state index * 2 + opposite. */
const SIDES: readonly QSide[] = STATES.flatMap((state) => [
  state === 'NO' ? Q_NO : Object.freeze({ state, opposite: false }),
  Object.freeze({ state, opposite: true }),
]);

function encodeSide(q: QSide): number {
  return STATES.indexOf(q.state) * 2 + (q.opposite ? 1 : 0);
}

const LOCAL = 0;
const REMOTE = 256;

/**
 * Accept tables are the same for every connection of a role unless the
 * caller overrides them, so identical ones are shared (copied on first
 * write): a server with 10,000 connections keeps one.
 */
const sharedTables = new Map<string, Uint8Array>();

function acceptTable(policy: NegotiationPolicy): Uint8Array {
  const local = [...new Set([...policy.acceptLocal].map((o) => o & 0xff))].sort((a, b) => a - b);
  const remote = [...new Set([...policy.acceptRemote].map((o) => o & 0xff))].sort((a, b) => a - b);
  const key = `${local.join(',')}|${remote.join(',')}`;
  let table = sharedTables.get(key);
  if (table === undefined) {
    table = new Uint8Array(512);
    for (const o of local) table[LOCAL + o] = 1;
    for (const o of remote) table[REMOTE + o] = 1;
    if (sharedTables.size < 64) sharedTables.set(key, table);
  }
  return table;
}

/** The per-option byte: our side's state code in bits 0-2, the peer's in bits 4-6. */
const STATE_MASK = 0x77;
/** Bits 3 and 7: that side has been enabled at least once (see {@link Negotiator.firstEnable}). */
const EVER_MASK = 0x88;
/** Options below this live in the always-present table (every option a server negotiates by default). */
const LOW = 64;

/** Both sides of all 256 options, and the policy that answers requests. */
export class Negotiator {
  /**
   * One byte per option for both sides (see STATE_MASK and EVER_MASK):
   * options [0, 64) here (64 bytes stay inside the V8 heap object), the
   * rest in {@link high}, created when one of them is first touched.
   */
  private readonly low = new Uint8Array(LOW);
  private high: Uint8Array | null = null;
  private accept: Uint8Array;
  private acceptShared = true;
  /** How many sides are WANTYES/WANTNO, kept up to date by `apply`. */
  private pendingSides = 0;

  constructor(policy: NegotiationPolicy) {
    this.accept = acceptTable(policy);
  }

  private byteOf(o: number): number {
    if (o < LOW) return this.low[o]!;
    return this.high === null ? 0 : this.high[o - LOW]!;
  }

  private setByte(o: number, b: number): void {
    if (o < LOW) this.low[o] = b;
    else if (this.high !== null) this.high[o - LOW] = b;
    else if (b !== 0) (this.high = new Uint8Array(256 - LOW))[o - LOW] = b;
  }

  private code(side: Side, opt: number): number {
    const b = this.byteOf(opt & 0xff);
    return (side === 'local' ? b : b >> 4) & 7;
  }

  /** Change the policy for one side of one option. */
  setAccept(side: Side, opt: number, accept: boolean): void {
    const i = (side === 'local' ? LOCAL : REMOTE) + (opt & 0xff);
    if (this.accept[i] === (accept ? 1 : 0)) return;
    if (this.acceptShared) {
      this.accept = Uint8Array.from(this.accept);
      this.acceptShared = false;
    }
    this.accept[i] = accept ? 1 : 0;
  }

  /** Whether a peer request for this side of the option would be accepted. */
  accepts(side: Side, opt: number): boolean {
    return this.accept[(side === 'local' ? LOCAL : REMOTE) + (opt & 0xff)] === 1;
  }

  /** The RFC 1143 state of one side. */
  state(side: Side, opt: number): QSide {
    return SIDES[this.code(side, opt)]!;
  }

  /** True when that side of the option is enabled. */
  enabled(side: Side, opt: number): boolean {
    return isEnabled(this.state(side, opt));
  }

  /** True while a request of ours for that side awaits its answer. */
  pending(side: Side, opt: number): boolean {
    return isPending(this.state(side, opt));
  }

  /** How many option sides await an answer. */
  pendingCount(): number {
    return this.pendingSides;
  }

  /**
   * Record that this side of the option is enabled; true the first time
   * only (for automatic follow-up requests). {@link reset} keeps the record.
   */
  firstEnable(side: Side, opt: number): boolean {
    const o = opt & 0xff;
    const bit = side === 'local' ? 0x08 : 0x80;
    const b = this.byteOf(o);
    if ((b & bit) !== 0) return false;
    this.setByte(o, b | bit);
    return true;
  }

  /** Options whose state is not NO on some side, ascending. */
  private touched(): number[] {
    const out: number[] = [];
    for (let o = 0; o < 256; o++) {
      if (o === LOW && this.high === null) break;
      if ((this.byteOf(o) & STATE_MASK) !== 0) out.push(o);
    }
    return out;
  }

  /** Options enabled on a side, ascending. */
  enabledOptions(side: Side): number[] {
    return this.touched().filter((o) => this.enabled(side, o));
  }

  /** Every option side that awaits an answer, as `[verb we sent, option]`. */
  pendingRequests(): Array<[Verb, number]> {
    const out: Array<[Verb, number]> = [];
    for (const o of this.touched()) {
      const u = this.state('local', o);
      const h = this.state('remote', o);
      if (isPending(u)) out.push([u.state === 'WANTYES' ? Cmd.WILL : Cmd.WONT, o]);
      if (isPending(h)) out.push([h.state === 'WANTYES' ? Cmd.DO : Cmd.DONT, o]);
    }
    return out;
  }

  /** Apply a received WILL/WONT/DO/DONT. */
  receive(verb: Verb, opt: number): NegotiationStep {
    const side: Side = verb === Cmd.WILL || verb === Cmd.WONT ? 'remote' : 'local';
    const current = this.state(side, opt);
    const positive = verb === Cmd.WILL || verb === Cmd.DO;
    const tr = positive ? receivePositive(current, this.accepts(side, opt)) : receiveNegative(current);
    const refused = positive && current.state === 'NO' && tr.send === 'negative';
    return this.apply(side, opt, tr, refused);
  }

  /** Ask to enable or disable one side of an option. */
  request(side: Side, opt: number, enable: boolean): NegotiationStep {
    const current = this.state(side, opt);
    const tr = enable ? requestEnable(current) : requestDisable(current);
    return this.apply(side, opt, tr, false);
  }

  /** Forget everything (for example after the connection restarts). */
  reset(): void {
    for (let o = 0; o < LOW; o++) this.low[o]! &= EVER_MASK;
    if (this.high !== null) for (let o = 0; o < 256 - LOW; o++) this.high[o]! &= EVER_MASK;
    this.pendingSides = 0;
  }

  private apply(side: Side, opt: number, tr: QTransition, refused: boolean): NegotiationStep {
    const o = opt & 0xff;
    const shift = side === 'local' ? 0 : 4;
    const b = this.byteOf(o);
    const wasPending = isPending(SIDES[(b >> shift) & 7]!);
    this.setByte(o, (b & ~(7 << shift)) | (encodeSide(tr.next) << shift));
    this.pendingSides += (isPending(tr.next) ? 1 : 0) - (wasPending ? 1 : 0);
    let send: Buffer | null = null;
    if (tr.send !== null) {
      const verb = side === 'local'
        ? (tr.send === 'positive' ? Cmd.WILL : Cmd.WONT)
        : (tr.send === 'positive' ? Cmd.DO : Cmd.DONT);
      send = bytes(verb, o);
    }
    return {
      send,
      changed: tr.changed === null ? null : { side, enabled: tr.changed },
      error: tr.error,
      refused,
    };
  }
}
