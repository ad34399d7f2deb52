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

/** Both sides of all 256 options, and the policy that answers requests. */
export class Negotiator {
  private readonly us: QSide[] = new Array<QSide>(256).fill(Q_NO);
  private readonly him: QSide[] = new Array<QSide>(256).fill(Q_NO);
  private readonly acceptLocal = new Uint8Array(256);
  private readonly acceptRemote = new Uint8Array(256);
  /** Options whose state is not NO on some side (so `pendingCount` is cheap). */
  private readonly touched = new Set<number>();

  constructor(policy: NegotiationPolicy) {
    for (const o of policy.acceptLocal) this.acceptLocal[o & 0xff] = 1;
    for (const o of policy.acceptRemote) this.acceptRemote[o & 0xff] = 1;
  }

  /** Change the policy for one side of one option. */
  setAccept(side: Side, opt: number, accept: boolean): void {
    (side === 'local' ? this.acceptLocal : this.acceptRemote)[opt & 0xff] = accept ? 1 : 0;
  }

  /** Whether a peer request for this side of the option would be accepted. */
  accepts(side: Side, opt: number): boolean {
    return (side === 'local' ? this.acceptLocal : this.acceptRemote)[opt & 0xff] === 1;
  }

  /** The RFC 1143 state of one side. */
  state(side: Side, opt: number): QSide {
    return (side === 'local' ? this.us : this.him)[opt & 0xff]!;
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
    let n = 0;
    for (const o of this.touched) {
      if (isPending(this.us[o]!)) n++;
      if (isPending(this.him[o]!)) n++;
    }
    return n;
  }

  /** Options enabled on a side, ascending. */
  enabledOptions(side: Side): number[] {
    const table = side === 'local' ? this.us : this.him;
    return [...this.touched].filter((o) => isEnabled(table[o]!)).sort((a, b) => a - b);
  }

  /** Every option side that awaits an answer, as `[verb we sent, option]`. */
  pendingRequests(): Array<[Verb, number]> {
    const out: Array<[Verb, number]> = [];
    for (const o of [...this.touched].sort((a, b) => a - b)) {
      const u = this.us[o]!;
      const h = this.him[o]!;
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
    this.us.fill(Q_NO);
    this.him.fill(Q_NO);
    this.touched.clear();
  }

  private apply(side: Side, opt: number, tr: QTransition, refused: boolean): NegotiationStep {
    const o = opt & 0xff;
    const table = side === 'local' ? this.us : this.him;
    table[o] = tr.next;
    if (tr.next.state !== 'NO') this.touched.add(o);
    else if (this.us[o]!.state === 'NO' && this.him[o]!.state === 'NO') this.touched.delete(o);
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
