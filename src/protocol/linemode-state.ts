/**
 * The LINEMODE (RFC 1184) negotiation state of one session: the mode in
 * force, the SLC table, and the forward mask. The wire codecs are in
 * `options/linemode.ts` and `options/slc.ts`; this file holds the rules for
 * when to answer what, so that no exchange can loop:
 *
 * - MODE without ACK that differs from ours is adopted and acknowledged
 *   (mask | ACK); an identical re-proposal is not re-acknowledged.
 * - MODE with ACK is adopted only if it is the mode we proposed (server) and
 *   ignored otherwise.
 * - SLC triplets go through `processSlc`, whose reply is bounded by the table
 *   size (30 functions) whatever the input; ACKed triplets get no reply.
 * - The server sends its whole SLC table once (on a DEFAULT request or after
 *   its first MODE is acknowledged) and then its FORWARDMASK.
 */
import { Cmd, Opt } from './constants.js';
import type { SessionEvent } from './events.js';
import type { Role } from './negotiator.js';
import { frameSubnegotiation } from './options/codec.js';
import {
  ModeBit, decodeLinemode, encodeForwardmask, encodeForwardmaskVerb, encodeMode,
  forwardmaskFromSlc,
} from './options/linemode.js';
import { SlcFlag, SlcTable, processSlc, slcEncode } from './options/slc.js';

/** What one received LINEMODE subnegotiation produced. */
export interface LinemodeResult {
  /** Complete frames to send. */
  send: Buffer[];
  events: SessionEvent[];
  warnings: string[];
}

/** The server's default proposal: remote editing with literal echo (telnetlib3's writer default). */
export const DEFAULT_SERVER_LINEMODE = ModeBit.LIT_ECHO;

function frame(payload: Buffer): Buffer {
  return frameSubnegotiation(Opt.LINEMODE, payload);
}

/** LINEMODE state for one session. */
export class LinemodeState {
  /** The SLC table (also used for kludge-mode SLC simulation). */
  readonly table = new SlcTable();
  /** The forward mask the server sent us (client), or null. */
  forwardmask: Buffer | null = null;
  private readonly role: Role;
  private readonly proposal: number;
  private current = 0;
  private proposed: number | null = null;
  private active = false;
  private slcTableSent = false;
  private forwardmaskSent = false;
  private lastTable: Buffer | null = null;

  constructor(role: Role, defaultMode: number = DEFAULT_SERVER_LINEMODE) {
    this.role = role;
    this.proposal = defaultMode & ~ModeBit.ACK & 0xff;
  }

  /** The mode bits in force (ACK never included); 0 when LINEMODE is off. */
  get mode(): number {
    return this.active ? this.current : 0;
  }

  /** True when the EDIT bit is set: the client edits lines locally. */
  get edit(): boolean {
    return (this.mode & ModeBit.EDIT) !== 0;
  }

  /** True while LINEMODE is enabled. */
  get enabled(): boolean {
    return this.active;
  }

  /** The LINEMODE option was enabled or disabled. */
  setActive(enabled: boolean): void {
    this.active = enabled;
    if (!enabled) {
      this.current = 0;
      this.proposed = null;
      this.forwardmask = null;
      this.slcTableSent = false;
      this.forwardmaskSent = false;
    }
  }

  /** Frames to send when LINEMODE becomes enabled. */
  onEnabled(): Buffer[] {
    this.active = true;
    if (this.role === 'server') return this.proposeMode(this.proposal);
    // The client asks for the server's defaults: (0, SLC_DEFAULT, 0).
    return [frame(slcEncode([{ func: 0, flags: SlcFlag.DEFAULT, value: 0 }]))];
  }

  /** Server: propose a mode (ACK bit stripped). */
  proposeMode(mask: number): Buffer[] {
    const m = mask & ~ModeBit.ACK & 0xff;
    this.proposed = m;
    return [frame(encodeMode(m))];
  }

  /** Handle one received LINEMODE payload. */
  receive(payload: Buffer, binary: boolean): LinemodeResult {
    const out: LinemodeResult = { send: [], events: [], warnings: [] };
    const d = decodeLinemode(payload);
    if (!d.ok) {
      out.warnings.push(d.reason);
      return out;
    }
    out.warnings.push(...d.warnings);
    const msg = d.value;
    switch (msg.kind) {
      case 'mode': this.receiveMode(msg.mask, binary, out); break;
      case 'forwardmask': this.receiveForwardmask(msg.verb, msg.mask, out); break;
      case 'slc': this.receiveSlc(msg.triplets, binary, out); break;
      default: out.warnings.push(`unknown LINEMODE subcommand ${msg.sub}: ignored`);
    }
    return out;
  }

  private receiveMode(mask: number, binary: boolean, out: LinemodeResult): void {
    const m = mask & ~ModeBit.ACK & 0xff;
    if ((mask & ModeBit.ACK) !== 0) {
      if (this.role === 'server' && this.proposed === m) {
        this.proposed = null;
        if (this.current !== m) {
          this.current = m;
          out.events.push({ type: 'linemode', mode: m });
        }
        this.sendTableOnce(binary, out);
      } else if (m !== this.current) {
        out.warnings.push(`MODE ACK ${m} does not match a mode we proposed: ignored`);
      }
      return;
    }
    if (m === this.current) return; // identical re-proposal: no re-ack (loop guard)
    this.current = m;
    out.send.push(frame(encodeMode(m | ModeBit.ACK)));
    out.events.push({ type: 'linemode', mode: m });
  }

  private receiveForwardmask(verb: number, mask: Buffer, out: LinemodeResult): void {
    if (this.role === 'client') {
      if (verb === Cmd.DO) {
        if (mask.length < 1 || mask.length > 32) {
          out.warnings.push(`FORWARDMASK of ${mask.length} bytes: ignored`);
          return;
        }
        const first = this.forwardmask === null;
        this.forwardmask = Buffer.from(mask);
        if (first) out.send.push(frame(encodeForwardmaskVerb(Cmd.WILL)));
        out.events.push({ type: 'forwardmask', mask: this.forwardmask });
      } else if (verb === Cmd.DONT) {
        this.forwardmask = null;
      } else {
        out.warnings.push('FORWARDMASK WILL/WONT sent to a client: ignored');
      }
    } else if (verb === Cmd.DO || verb === Cmd.DONT) {
      out.warnings.push('FORWARDMASK DO/DONT sent to a server: ignored');
    }
  }

  private receiveSlc(triplets: Array<{ func: number; flags: number; value: number }>, binary: boolean, out: LinemodeResult): void {
    const sendsWholeTable = triplets.some((t) => t.func === 0);
    const result = processSlc(this.table, triplets, this.role);
    out.warnings.push(...result.warnings);
    if (result.reply.length > 0) {
      const reply = frame(slcEncode(result.reply));
      // A peer asking for the same unchanged table again and again gets it
      // once: replies must not outgrow requests.
      if (sendsWholeTable && result.changed.length === 0 && this.lastTable !== null && reply.equals(this.lastTable)) {
        out.warnings.push('repeated SLC table request with nothing changed: not answered again');
      } else {
        out.send.push(reply);
      }
      if (sendsWholeTable) {
        this.slcTableSent = true;
        this.lastTable = reply;
      }
    }
    if (result.changed.length > 0) out.events.push({ type: 'slcChange', functions: result.changed });
    if (this.role === 'server' && this.slcTableSent) this.sendForwardmaskOnce(binary, out);
  }

  private sendTableOnce(binary: boolean, out: LinemodeResult): void {
    if (this.role !== 'server') return;
    if (!this.slcTableSent) {
      this.slcTableSent = true;
      out.send.push(frame(this.table.encodeAll()));
    }
    this.sendForwardmaskOnce(binary, out);
  }

  private sendForwardmaskOnce(binary: boolean, out: LinemodeResult): void {
    if (this.forwardmaskSent) return;
    this.forwardmaskSent = true;
    out.send.push(frame(encodeForwardmask(forwardmaskFromSlc(this.table, binary))));
  }
}


