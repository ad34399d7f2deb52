/**
 * What each role demands after connecting, and when negotiation counts as
 * settled (telnetlib3's `begin_negotiation` / `check_negotiation`).
 *
 * Server: `DO TTYPE` first. On the first answer to anything it sends WILL
 * SGA (not in line mode), WILL BINARY, DO NAWS and DO CHARSET (text
 * connections); DO BINARY once the client accepted our BINARY. WILL ECHO
 * waits for the first terminal type (not in line mode, nor for MUD
 * clients); DO NEW_ENVIRON waits for the first terminal type (the second
 * when the first is `ANSI`, which is how Microsoft telnet starts: it then
 * gets a request without `USER`, which crashes it). Negotiation is settled
 * when nothing we asked is outstanding; at `connectMaxwait` the shell starts
 * anyway with whatever was agreed, so a silent or half-answering peer cannot
 * stall a session.
 *
 * Client: answers what the server asks; settled once the server has spoken,
 * nothing of ours is outstanding and `connectMinwait` has passed, or at
 * `connectMaxwait` against a silent server.
 */
import { Opt } from '../protocol/constants.js';
import { DEFAULT_ENVIRON_REQUEST } from '../protocol/options/environ.js';
import type { SessionEvent } from '../protocol/events.js';
import type { ConnectionDriver, EngineConnection } from './connection.js';

/** Client names that mark a MUD client (no WILL ECHO for them). */
const MUD_TERMINALS = new Set([
  'mudlet', 'cmud', 'zmud', 'mushclient', 'atlantis', 'tintin++', 'tt++', 'blowtorch',
  'mudrammer', 'kildclient', 'portal', 'beip', 'savitar',
]);
const MUD_OPTIONS = [Opt.GMCP, Opt.MSDP, Opt.MXP, Opt.MSP, Opt.ATCP, Opt.AARDWOLF];

/** How negotiation ended (`eof`: the peer sent FIN, so it can answer nothing more). */
export type NegotiationOutcome = 'settled' | 'timeout' | 'closed' | 'eof';

/** Options for the server's negotiation. */
export interface ServerNegotiationOptions {
  lineMode: boolean;
  maxwait: number;
}

/**
 * Drives a server connection's option demands; `done` resolves when the
 * shell may start. It is the connection's driver (told of events, chunks
 * and the close) until the connection settles or closes, then lets go, so
 * an idle connection keeps nothing of it.
 */
export class ServerNegotiation implements ConnectionDriver {
  readonly done: Promise<NegotiationOutcome>;
  private resolve!: (o: NegotiationOutcome) => void;
  private advanced = false;
  private echoAsked = false;
  private environAsked = false;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly conn: EngineConnection, private readonly opts: ServerNegotiationOptions) {
    this.done = new Promise((r) => { this.resolve = r; });
    conn.driver = this;
  }

  /** Send the opening demand and arm the deadline. */
  start(): void {
    const s = this.conn.session;
    s.requestRemote(Opt.TTYPE, true);
    // The configured offers: alwaysWill / alwaysDo, MCCP (`compression`), MUD options (`mudOffer`).
    s.start();
    this.timer = setTimeout(timedOut, this.opts.maxwait, this);
  }

  /** @internal ConnectionDriver */
  onSessionEvent(ev: SessionEvent): void {
    this.onEvent(ev);
  }

  /** @internal ConnectionDriver */
  afterReceive(): void {
    this.check();
  }

  /** @internal ConnectionDriver */
  onConnectionClosed(): void {
    this.finish('closed');
  }

  /** @internal the deadline passed. */
  timedOut(): void {
    this.timer = null;
    this.finish('timeout');
  }

  /** Called after each received chunk: advance the sequence and check for completion. */
  check(): void {
    // After the peer's FIN no answer can come: start the shell now, not at maxwait.
    if (this.conn.peerEnded) { this.finish('eof'); return; }
    const s = this.conn.session;
    if (!this.advanced && (!s.pending('remote', Opt.TTYPE) || s.enabledOptions('remote').length > 0)) this.advance();
    if (!this.advanced) return;
    const ttypeOpen = s.remoteEnabled(Opt.TTYPE) && !s.terminalTypeDone;
    if (!ttypeOpen) {
      // TTYPE refused or its cycle is over: nothing more to wait for before these.
      this.askEcho();
      this.askEnviron();
    }
    if (s.settled && !ttypeOpen && this.echoAsked && this.environAsked) {
      if (this.finished) this.detach();
      else this.finish('settled');
    }
  }

  private advance(): void {
    this.advanced = true;
    const s = this.conn.session;
    if (!this.opts.lineMode) s.requestLocal(Opt.SGA, true);
    s.requestLocal(Opt.BINARY, true);
    s.requestRemote(Opt.NAWS, true);
    if (!this.conn.binary) s.requestRemote(Opt.CHARSET, true);
  }

  private isMud(): boolean {
    const s = this.conn.session;
    if (MUD_OPTIONS.some((o) => s.remoteEnabled(o))) return true;
    return s.terminalTypes.slice(0, 3).some((t) => MUD_TERMINALS.has(t.toLowerCase()));
  }

  private askEcho(): void {
    if (this.echoAsked) return;
    this.echoAsked = true;
    if (!this.opts.lineMode && !this.isMud()) this.conn.session.requestLocal(Opt.ECHO, true);
  }

  private askEnviron(names = DEFAULT_ENVIRON_REQUEST): void {
    if (this.environAsked) return;
    this.environAsked = true;
    this.conn.session.environRequest = names;
    this.conn.session.requestRemote(Opt.NEW_ENVIRON, true);
  }

  private detach(): void {
    if (this.conn.driver === this) this.conn.driver = null;
  }

  private onEvent(ev: SessionEvent): void {
    const s = this.conn.session;
    if (ev.type === 'option' && ev.side === 'local' && ev.option === Opt.BINARY && ev.enabled && !s.remoteEnabled(Opt.BINARY)) {
      s.requestRemote(Opt.BINARY, true);
    }
    if (ev.type === 'ttype') {
      this.askEcho();
      const names = s.terminalTypes;
      if (names[0]?.toUpperCase() !== 'ANSI') this.askEnviron();
      else if (names.length >= 2 || ev.done) {
        // Microsoft telnet: ANSI then VT100. It crashes when asked for USER.
        const ms = names[1]?.toUpperCase() === 'VT100';
        this.askEnviron(ms ? DEFAULT_ENVIRON_REQUEST.filter((n) => n.name !== 'USER') : DEFAULT_ENVIRON_REQUEST);
      }
    }
  }

  private finish(outcome: NegotiationOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // Late answers (a TTYPE cycle finishing after the deadline) still start ECHO and NEW_ENVIRON,
    // so keep listening until the connection is settled; otherwise let go of the connection.
    if (outcome !== 'timeout') this.detach();
    if (outcome === 'timeout') {
      const pending = this.conn.session.pendingRequests().map(([v, o]) => `${v}:${o}`).join(' ');
      this.conn.logger.debug(`negotiation incomplete after ${this.opts.maxwait} ms; pending ${pending || 'subnegotiation replies'}`);
    }
    this.resolve(outcome);
  }
}

function timedOut(neg: ServerNegotiation): void {
  neg.timedOut();
}

/** Options for the client's negotiation. */
export interface ClientNegotiationOptions {
  minwait: number;
  maxwait: number;
}

/** Decides when a client connection is ready to hand to the caller. */
export class ClientNegotiation {
  readonly done: Promise<NegotiationOutcome>;
  private resolve!: (o: NegotiationOutcome) => void;
  private finished = false;
  private heard = false;
  private readonly startedAt = Date.now();
  private maxTimer: NodeJS.Timeout | null = null;
  private minTimer: NodeJS.Timeout | null = null;

  constructor(private readonly conn: EngineConnection, private readonly opts: ClientNegotiationOptions) {
    this.done = new Promise((r) => { this.resolve = r; });
  }

  /** Arm the deadlines and send the configured proactive offers. */
  start(): void {
    this.conn.session.start();
    this.maxTimer = setTimeout(() => this.finish('timeout'), this.opts.maxwait);
    void this.conn.closed.then(() => this.finish('closed'));
  }

  /** Called after each received chunk. */
  check(): void {
    if (this.finished) return;
    if (this.conn.rxBytes > 0) this.heard = true;
    if (!this.heard || !this.conn.session.settled) return;
    const left = this.opts.minwait - (Date.now() - this.startedAt);
    if (left <= 0) {
      this.finish('settled');
    } else if (this.minTimer === null) {
      this.minTimer = setTimeout(() => { this.minTimer = null; this.check(); }, left);
    }
  }

  private finish(outcome: NegotiationOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.maxTimer !== null) clearTimeout(this.maxTimer);
    if (this.minTimer !== null) clearTimeout(this.minTimer);
    this.resolve(outcome);
  }
}
