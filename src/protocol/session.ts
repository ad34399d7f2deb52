/**
 * A Telnet session: the parser, the RFC 1143 negotiator and every option
 * codec composed into one object with a small surface.
 *
 *   session.receive(bytes)      bytes from the peer
 *   session.onSend(bytes)       bytes to write to the peer
 *   session.onData(span)        in-band data, as spans
 *   session.onEvent(event)      everything else, typed (see events.ts)
 *
 * It is pure: no sockets, timers or threads. Time-based rules (negotiation
 * deadlines, idle timeouts) live in the engine, which asks {@link settled}.
 *
 * The role (`server` or `client`) picks telnetlib3's defaults: which options
 * each side accepts, and what is requested or answered automatically once
 * an option is enabled (a server asks for TTYPE, TSPEED, XDISPLOC and the
 * environment; a client answers them and sends NAWS).
 *
 * This file holds what a session does with each received subnegotiation;
 * the rest of the state machine (negotiation, sending, option side
 * effects) is session-core.ts.
 */
import { Opt, optName } from './constants.js';
import { ProblemCode, TelnetUsageError } from './errors.js';
import { frameSubnegotiation } from './options/codec.js';
import { decodeNaws } from './options/naws.js';
import { decodeTtype, encodeTtypeIs } from './options/ttype.js';
import { decodeTspeed, encodeTspeedIs } from './options/tspeed.js';
import { decodeXdisploc, encodeXdisplocIs } from './options/xdisploc.js';
import { decodeSndloc } from './options/sndloc.js';
import { decodeLflow } from './options/lflow.js';
import {
  DEFAULT_CLIENT_ENVIRON_ALLOW, DEFAULT_ENVIRON_ALLOW, DEFAULT_ENVIRON_REQUEST, clientEnvironReply, decodeEnviron, encodeEnvironIs, filterEnviron,
} from './options/environ.js';
import {
  DEFAULT_CHARSET_OFFER, DEFAULT_CLIENT_CHARSET_OFFER, chooseCharset, normalizeCharsetName, decodeCharset, encodeCharsetAccepted, encodeCharsetRejected,
  encodeTtableRejected,
} from './options/charset.js';
import { decodeStatus, encodeStatusIs } from './options/status.js';
import { decodeGmcp } from './options/gmcp.js';
import { decodeMsdp, msdpFromJson } from './options/msdp.js';
import { decodeMssp } from './options/mssp.js';
import { SessionCore } from './session-core.js';

export type { SessionOptions, TerminalMode } from './session-core.js';

const KNOWN_CHARSETS = new Set([...DEFAULT_CHARSET_OFFER, ...DEFAULT_CLIENT_CHARSET_OFFER].map((n) => normalizeCharsetName(n)));

/**
 * The core's default answer to "can we use this character set?": only the
 * well-known names telnetlib3 offers. The engine passes its codec check.
 */
function isKnownCharset(name: string): boolean {
  return KNOWN_CHARSETS.has(normalizeCharsetName(name));
}

/** Most STATUS reply bytes owed to a peer at once (each reply is paid for by bytes it sent). */
const STATUS_CREDIT_CAP = 64 * 1024;

/** A pure Telnet session. See the module comment. */
export class TelnetSession extends SessionCore {
  /** @internal parser callback */
  handleSubnegotiation(opt: number, payload: Buffer): void {
    try {
      this.dispatchSubnegotiation(opt, payload);
    } catch (err) {
      // Peer input must never break receive(); a codec that throws is a bug
      // to report, not a reason to lose the rest of the chunk.
      if (err instanceof TelnetUsageError) this.warn(ProblemCode.BAD_SB, `SB ${optName(opt)}: ${err.message}`, opt);
      else throw err;
    }
  }

  private dispatchSubnegotiation(opt: number, payload: Buffer): void {
    switch (opt) {
      case Opt.NAWS: return this.sbNaws(payload);
      case Opt.TTYPE: return this.sbTtype(payload);
      case Opt.TSPEED: return this.sbTspeed(payload);
      case Opt.XDISPLOC: return this.sbXdisploc(payload);
      case Opt.SNDLOC: return this.sbSndloc(payload);
      case Opt.NEW_ENVIRON:
      case Opt.OLD_ENVIRON: return this.sbEnviron(opt, payload);
      case Opt.CHARSET: return this.sbCharset(payload);
      case Opt.STATUS: return this.sbStatus(payload);
      case Opt.LFLOW: return this.sbLflow(payload);
      case Opt.LINEMODE: return this.sbLinemode(payload);
      case Opt.GMCP: return this.sbGmcp(payload);
      case Opt.MSDP: return this.sbMsdp(payload);
      case Opt.MSSP: return this.sbMssp(payload);
      case Opt.MCCP2:
      case Opt.MCCP3: return this.sbMccp(opt, payload);
      default:
        if (this.localEnabled(opt) || this.remoteEnabled(opt)) {
          this.emit({ type: 'subnegotiation', option: opt, payload });
        } else {
          this.unsolicited(opt, 'for an option that is not enabled');
        }
    }
  }

  private sbGmcp(payload: Buffer): void {
    if (!this.gmcpEnabled) return this.unsolicited(Opt.GMCP, 'while GMCP is not enabled');
    const d = decodeGmcp(payload);
    if (!d.ok) return this.bad(Opt.GMCP, d.reason, ProblemCode.BAD_VALUE);
    const msg = d.value;
    if (msg.package.toUpperCase() === 'MSDP' && typeof msg.data === 'object' && msg.data !== null && !Array.isArray(msg.data)) {
      this.emit({ type: 'msdp', vars: msdpFromJson(msg.data), viaGmcp: true });
      return;
    }
    this.emit({ type: 'gmcp', package: msg.package, data: msg.data });
  }

  private sbMsdp(payload: Buffer): void {
    if (!this.localEnabled(Opt.MSDP) && !this.remoteEnabled(Opt.MSDP)) return this.unsolicited(Opt.MSDP, 'while MSDP is not enabled');
    const d = decodeMsdp(payload);
    if (!d.ok) return this.bad(Opt.MSDP, d.reason);
    for (const w of d.warnings) this.warn(ProblemCode.BAD_SB, w, Opt.MSDP);
    this.emit({ type: 'msdp', vars: d.value, viaGmcp: false });
  }

  private sbMssp(payload: Buffer): void {
    if (this.role !== 'client' || !this.remoteEnabled(Opt.MSSP)) return this.unsolicited(Opt.MSSP, 'without DO MSSP');
    const d = decodeMssp(payload);
    if (!d.ok) return this.bad(Opt.MSSP, d.reason);
    for (const w of d.warnings) this.warn(ProblemCode.BAD_SB, w, Opt.MSSP);
    this.emit({ type: 'mssp', table: d.value });
  }

  /**
   * The peer's compression start: MCCP2 from a server (client side), MCCP3
   * from a client (server side). Only on a negotiated option: an unsolicited
   * start (B29) is ignored and the bytes after it stay Telnet data.
   */
  private sbMccp(opt: number, payload: Buffer): void {
    const ours = (this.role === 'client' && opt === Opt.MCCP2 && this.remoteEnabled(opt))
      || (this.role === 'server' && opt === Opt.MCCP3 && this.localEnabled(opt));
    if (!ours) return this.unsolicited(opt, 'compression start that was not negotiated');
    if (payload.length > 0) this.warn(ProblemCode.BAD_SB, `SB ${optName(opt)} with ${payload.length} payload bytes: ignored`, opt);
    if (this.compressingIn) return this.warn(ProblemCode.BAD_SB, `SB ${optName(opt)} while already compressed: ignored`, opt);
    this.compressingIn = true;
    this.parser.halt();
    this.emit({ type: 'compress', option: opt, direction: 'receive', active: true });
  }

  private sbNaws(payload: Buffer): void {
    if (this.role !== 'server') return this.unsolicited(Opt.NAWS, 'sent to a client');
    const d = decodeNaws(payload);
    if (!d.ok) return this.bad(Opt.NAWS, d.reason, ProblemCode.BAD_NAWS);
    if (!this.remoteEnabled(Opt.NAWS)) {
      // telnetlib3 tolerates NAWS without WILL NAWS; so do we, with a warning.
      this.warn(ProblemCode.UNSOLICITED_SB, 'SB NAWS without WILL NAWS: accepted', Opt.NAWS);
    }
    this.cols = d.value.cols;
    this.rows = d.value.rows;
    this.emit({ type: 'naws', cols: d.value.cols, rows: d.value.rows });
  }

  private sbTtype(payload: Buffer): void {
    const d = decodeTtype(payload);
    if (!d.ok) return this.bad(Opt.TTYPE, d.reason);
    for (const w of d.warnings) this.warn(ProblemCode.BAD_VALUE, w, Opt.TTYPE);
    if (d.value.kind === 'send') {
      if (this.role !== 'client' || !this.localEnabled(Opt.TTYPE)) return this.unsolicited(Opt.TTYPE, 'SEND without WILL TTYPE');
      const list = this.opts.term ?? 'unknown';
      const names = typeof list === 'string' ? [list] : list.length > 0 ? list : ['unknown'];
      const name = names[Math.min(this.ttypeSent, names.length - 1)]!;
      this.ttypeSent++;
      this.sendSubnegotiation(Opt.TTYPE, encodeTtypeIs(name));
      return;
    }
    if (this.role !== 'server' || !this.remoteEnabled(Opt.TTYPE)) return this.unsolicited(Opt.TTYPE, 'IS without DO TTYPE');
    this.sbAwait(Opt.TTYPE, false);
    const step = this.ttype.next(d.value.name);
    const names = this.ttype.names;
    // The name as stored (a repeated name is one shared string).
    this.emit({ type: 'ttype', name: names[names.length - 1]!, index: names.length, term: step.term, done: !step.again });
    if (step.again && this.autoRequest) this.requestTerminalType();
  }

  private sbTspeed(payload: Buffer): void {
    const d = decodeTspeed(payload);
    if (!d.ok) return this.bad(Opt.TSPEED, d.reason);
    if (d.value.kind === 'send') {
      if (this.role !== 'client' || !this.localEnabled(Opt.TSPEED)) return this.unsolicited(Opt.TSPEED, 'SEND without WILL TSPEED');
      const [rx, tx] = this.opts.tspeed ?? [38400, 38400];
      this.sendSubnegotiation(Opt.TSPEED, encodeTspeedIs(rx, tx));
      return;
    }
    if (this.role !== 'server' || !this.remoteEnabled(Opt.TSPEED)) return this.unsolicited(Opt.TSPEED, 'IS without DO TSPEED');
    this.emit({ type: 'tspeed', rx: d.value.rx, tx: d.value.tx });
  }

  private sbXdisploc(payload: Buffer): void {
    const d = decodeXdisploc(payload);
    if (!d.ok) return this.bad(Opt.XDISPLOC, d.reason);
    if (d.value.kind === 'send') {
      if (this.role !== 'client' || !this.localEnabled(Opt.XDISPLOC)) return this.unsolicited(Opt.XDISPLOC, 'SEND without WILL XDISPLOC');
      this.sendSubnegotiation(Opt.XDISPLOC, encodeXdisplocIs(this.opts.xdisploc ?? ''));
      return;
    }
    if (this.role !== 'server' || !this.remoteEnabled(Opt.XDISPLOC)) return this.unsolicited(Opt.XDISPLOC, 'IS without DO XDISPLOC');
    this.emit({ type: 'xdisploc', display: d.value.display });
  }

  private sbSndloc(payload: Buffer): void {
    if (this.role !== 'server' || !this.remoteEnabled(Opt.SNDLOC)) return this.unsolicited(Opt.SNDLOC, 'without DO SNDLOC');
    const d = decodeSndloc(payload);
    if (d.ok) this.emit({ type: 'sndloc', location: d.value });
  }

  private sbEnviron(opt: number, payload: Buffer): void {
    const d = decodeEnviron(payload, { old: opt === Opt.OLD_ENVIRON });
    if (!d.ok) return this.bad(opt, d.reason);
    for (const w of d.warnings) this.codecWarning(w, opt);
    const msg = d.value;
    if (msg.kind === 'SEND') {
      if (this.role !== 'client' || !this.localEnabled(opt)) return this.unsolicited(opt, 'SEND without WILL');
      const allow = new Set([...(this.opts.sendEnviron ?? DEFAULT_CLIENT_ENVIRON_ALLOW)].map((n) => n.toUpperCase()));
      const reply = clientEnvironReply(msg.vars, this.opts.environ ?? {}, allow);
      this.sendSubnegotiation(opt, encodeEnvironIs(reply, 'IS', { reversed: msg.reversed }));
      this.emit({
        type: 'environRequest',
        requested: msg.vars.map((v) => v.name),
        sent: reply.filter((r) => r.value !== '').map((r) => r.name),
      });
      return;
    }
    if (this.role !== 'server' || !this.remoteEnabled(opt)) return this.unsolicited(opt, `${msg.kind} without DO`);
    // Without an explicit allow-list, accept the default names plus whatever we asked for.
    const allow = this.opts.environAllow
      ? new Set([...this.opts.environAllow].map((n) => n.toUpperCase()))
      : this.environRequest === DEFAULT_ENVIRON_REQUEST
        ? DEFAULT_ENVIRON_ALLOW
        : new Set([...DEFAULT_ENVIRON_ALLOW, ...this.environRequest.filter((n) => n.name !== '').map((n) => n.name.toUpperCase())]);
    const { accepted, dropped } = filterEnviron(msg.vars, allow);
    if (msg.kind === 'IS') {
      const queue = this.environQueue;
      const next = queue?.shift();
      if (queue !== null && queue.length === 0) this.environQueue = null;
      if (next !== undefined) this.sendSubnegotiation(opt, next);
      else this.sbAwait(opt, false);
    }
    this.emit({ type: 'environ', vars: accepted, dropped });
  }

  private sbCharset(payload: Buffer): void {
    if (!this.localEnabled(Opt.CHARSET) && !this.remoteEnabled(Opt.CHARSET)) {
      return this.unsolicited(Opt.CHARSET, 'while CHARSET is not enabled');
    }
    const d = decodeCharset(payload);
    if (!d.ok) return this.bad(Opt.CHARSET, d.reason);
    for (const w of d.warnings) this.codecWarning(w, Opt.CHARSET);
    const msg = d.value;
    switch (msg.kind) {
      case 'request': {
        if (msg.ttable) {
          // TTABLE is not supported; RFC 2066 lets us refuse the table and
          // still pick from the names.
          if (msg.names.length === 0) return this.sendSubnegotiation(Opt.CHARSET, encodeTtableRejected());
        }
        const isSupported = this.opts.isCharsetSupported ?? isKnownCharset;
        const choice = chooseCharset(msg.names, this.opts.charset ?? null, isSupported);
        let accepted: Buffer | null = null;
        if (choice !== null) {
          try {
            accepted = encodeCharsetAccepted(choice);
          } catch {
            accepted = null; // a name we cannot repeat on the wire (a space in it, say)
          }
        }
        if (accepted === null || choice === null) {
          this.sendSubnegotiation(Opt.CHARSET, encodeCharsetRejected());
        } else {
          this.sendSubnegotiation(Opt.CHARSET, accepted);
          this.emit({ type: 'charset', charset: choice });
        }
        return;
      }
      case 'accepted': {
        if (!this.pendingSubnegotiation(Opt.CHARSET)) {
          return this.warn(ProblemCode.UNSOLICITED_SB, `CHARSET ACCEPTED ${msg.name} without our REQUEST: ignored`, Opt.CHARSET);
        }
        this.sbAwait(Opt.CHARSET, false);
        const offered = (this.opts.charsetOffer ?? DEFAULT_CHARSET_OFFER).map((n) => n.toLowerCase());
        if (!offered.includes(msg.name.toLowerCase())) {
          return this.warn(ProblemCode.BAD_VALUE, `CHARSET ACCEPTED ${msg.name}, which we did not offer: ignored`, Opt.CHARSET);
        }
        this.emit({ type: 'charset', charset: msg.name });
        return;
      }
      case 'rejected':
        this.sbAwait(Opt.CHARSET, false);
        this.emit({ type: 'charsetRejected' });
        return;
      default:
        // TTABLE-IS and friends: we never accept a translation table.
        if (msg.cmd === 4) this.sendSubnegotiation(Opt.CHARSET, encodeTtableRejected());
        return;
    }
  }

  private sbStatus(payload: Buffer): void {
    const d = decodeStatus(payload);
    if (!d.ok) return this.bad(Opt.STATUS, d.reason);
    if (d.value.kind === 'send') {
      if (!this.localEnabled(Opt.STATUS)) return this.unsolicited(Opt.STATUS, 'SEND without WILL STATUS');
      const local = this.enabledOptions('local').filter((o) => o !== Opt.STATUS);
      const remote = this.enabledOptions('remote').filter((o) => o !== Opt.STATUS);
      const frame = frameSubnegotiation(Opt.STATUS, encodeStatusIs(local, remote));
      // Never send more STATUS bytes than the peer has sent us.
      // Credit: input consumed up to this SEND's IAC SE (independent of how TCP split it).
      const consumed = this.receivedBefore + this.parser.sbEnd;
      if (this.statusSpent > consumed) this.statusSpent = consumed; // never owe more than was sent
      this.statusSpent = Math.max(this.statusSpent, consumed - STATUS_CREDIT_CAP);
      if (frame.length > consumed - this.statusSpent) {
        return this.warn(ProblemCode.TOO_MANY, 'STATUS SEND faster than replies are allowed: ignored', Opt.STATUS);
      }
      this.statusSpent += frame.length;
      this.onSend(frame);
      return;
    }
    if (!this.remoteEnabled(Opt.STATUS)) return this.unsolicited(Opt.STATUS, 'IS without DO STATUS');
    this.emit({ type: 'status', entries: d.value.entries });
  }

  private sbLflow(payload: Buffer): void {
    if (this.role !== 'client' || !this.localEnabled(Opt.LFLOW)) return this.unsolicited(Opt.LFLOW, 'without WILL LFLOW');
    const d = decodeLflow(payload);
    if (!d.ok) return this.bad(Opt.LFLOW, d.reason);
    if (d.value.kind === 'flow') this.emit({ type: 'lflow', enabled: d.value.enabled });
    else this.emit({ type: 'lflow', restartAny: d.value.any });
  }

  private sbLinemode(payload: Buffer): void {
    const active = this.role === 'server' ? this.remoteEnabled(Opt.LINEMODE) : this.localEnabled(Opt.LINEMODE);
    if (!active) return this.unsolicited(Opt.LINEMODE, 'while LINEMODE is not enabled');
    const result = this.linemode.receive(payload, this.inBinary);
    for (const w of result.warnings) this.warn(ProblemCode.BAD_SB, w, Opt.LINEMODE);
    this.emitBytes(result.send);
    for (const ev of result.events) this.emit(ev);
  }
}
