/**
 * SLC, the Special Linemode Characters of LINEMODE (RFC 1184 section 2.4).
 *
 * Each side keeps a table mapping an editing or signal function (IP, EC, EOF,
 * ...) to the character that triggers it plus a support level:
 *
 *   NOSUPPORT   the function is not supported
 *   CANTCHANGE  supported, but the value is fixed
 *   VARIABLE    supported, and the value may be changed
 *   DEFAULT     "use your default" (in a request), or supported with whatever
 *               value the peer picks (in a table)
 *
 * The sides exchange `<func> <flags> <value>` triplets until they agree; a
 * triplet with the ACK bit confirms the other side's proposal and is never
 * answered, which is what makes the exchange terminate. `processSlc` follows
 * the BSD telnetd rules (the implementation RFC 1184 was written against)
 * and bounds its reply by the table size: one triplet per function at most,
 * whatever the peer sends. Unbounded SLC replies are how telnetd buffers were
 * overflowed (CVE-2005-0469 in the client, CVE-2026-32746 in inetutils).
 *
 * Value conventions: 0xFF (`SLC_NOVALUE`, BSD's `_POSIX_VDISABLE`) marks a
 * disabled character, as it does for unsupported functions in BSD telnetd.
 * 0x00 means "no value yet" for the DEFAULT-level entries (BRK, SYNCH, EOR),
 * as in the BSD defaults. Neither ever maps a received byte to a function:
 * NUL is ordinary data (CR NUL) and 0xFF can only be IAC IAC.
 */
import { LinemodeSub, type SlcTriplet } from './linemode.js';

/** Number of SLC functions this table knows (RFC 1184 plus the later registry). */
export const NSLC = 30;

/** SLC function codes. */
export const Slc = {
  SYNCH: 1,
  BRK: 2,
  IP: 3,
  AO: 4,
  AYT: 5,
  EOR: 6,
  ABORT: 7,
  EOF: 8,
  SUSP: 9,
  EC: 10,
  EL: 11,
  EW: 12,
  RP: 13,
  LNEXT: 14,
  XON: 15,
  XOFF: 16,
  FORW1: 17,
  FORW2: 18,
  MCL: 19,
  MCR: 20,
  MCWL: 21,
  MCWR: 22,
  MCBOL: 23,
  MCEOL: 24,
  INSRT: 25,
  OVER: 26,
  ECR: 27,
  EWR: 28,
  EBOL: 29,
  EEOL: 30,
} as const;

/** SLC flag byte: a support level in the low two bits plus three marker bits. */
export const SlcFlag = {
  NOSUPPORT: 0,
  CANTCHANGE: 1,
  VARIABLE: 2,
  DEFAULT: 3,
  /** Mask of the level in a flags byte. */
  LEVELBITS: 3,
  /** This triplet acknowledges the receiver's own proposal. */
  ACK: 0x80,
  /** The function should flush pending input. */
  FLUSHIN: 0x40,
  /** The function should flush pending output. */
  FLUSHOUT: 0x20,
} as const;

/** The "disabled character" value (BSD `_POSIX_VDISABLE`). */
export const SLC_NOVALUE = 0xff;

/** One table entry: flags (level plus FLUSH bits, never ACK) and character value. */
export interface SlcEntry {
  flags: number;
  value: number;
}

/** Default settings keyed by function code; absent functions are NOSUPPORT. */
export type SlcDefaults = Readonly<Partial<Record<number, Readonly<SlcEntry>>>>;

/** Which end of the connection is processing SLC triplets. */
export type SlcRole = 'server' | 'client';

/** What {@link processSlc} decided. */
export interface SlcResult {
  /** Triplets to send back in one `SB LINEMODE SLC`; empty means send nothing. At most NSLC. */
  reply: SlcTriplet[];
  /** Functions whose flags or value differ from before the call. */
  changed: number[];
  /** Summaries of ignored input, for logs (bounded, not one per triplet). */
  warnings: string[];
}

const SLC_NAMES: string[] = [];
for (const [name, code] of Object.entries(Slc)) SLC_NAMES[code] = name;

/** The name of an SLC function (`"IP"`), or its decimal value when unknown. */
export function slcName(func: number): string {
  return SLC_NAMES[func] ?? String(func);
}

const { NOSUPPORT, CANTCHANGE, VARIABLE, DEFAULT, LEVELBITS, ACK, FLUSHIN, FLUSHOUT } = SlcFlag;

function entry(flags: number, value: number): Readonly<SlcEntry> {
  return Object.freeze({ flags, value });
}

/**
 * The BSD termios defaults (`ttydefaults.h`), the table BSD telnetd and
 * telnetlib3 offer. Sent to a BSD client it needs no reply: their tables
 * match. Every character is VARIABLE so the client's own keys win.
 */
export const BSD_SLC_TABLE: SlcDefaults = Object.freeze({
  [Slc.SYNCH]: entry(DEFAULT, 0),
  [Slc.BRK]: entry(DEFAULT, 0),
  [Slc.IP]: entry(VARIABLE | FLUSHIN | FLUSHOUT, 0x03), // ^C VINTR
  [Slc.AO]: entry(VARIABLE | FLUSHOUT, 0x0f), // ^O VDISCARD
  [Slc.AYT]: entry(VARIABLE, 0x14), // ^T VSTATUS
  [Slc.EOR]: entry(DEFAULT, 0),
  [Slc.ABORT]: entry(VARIABLE | FLUSHIN | FLUSHOUT, 0x1c), // ^\ VQUIT
  [Slc.EOF]: entry(VARIABLE, 0x04), // ^D VEOF
  [Slc.SUSP]: entry(VARIABLE | FLUSHIN, 0x1a), // ^Z VSUSP
  [Slc.EC]: entry(VARIABLE, 0x7f), // DEL VERASE
  [Slc.EL]: entry(VARIABLE, 0x15), // ^U VKILL
  [Slc.EW]: entry(VARIABLE, 0x17), // ^W VWERASE
  [Slc.RP]: entry(VARIABLE, 0x12), // ^R VREPRINT
  [Slc.LNEXT]: entry(VARIABLE, 0x16), // ^V VLNEXT
  [Slc.XON]: entry(VARIABLE, 0x11), // ^Q VSTART
  [Slc.XOFF]: entry(VARIABLE, 0x13), // ^S VSTOP
  [Slc.FORW1]: entry(NOSUPPORT, SLC_NOVALUE),
  [Slc.FORW2]: entry(NOSUPPORT, SLC_NOVALUE),
});

function checkFunc(func: number): void {
  if (!Number.isInteger(func) || func < 1 || func > NSLC) {
    throw new RangeError(`SLC function must be 1..${NSLC}, got ${func}`);
  }
}

function checkByte(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`SLC ${what} must be a byte, got ${n}`);
}

/** Whether a received byte equal to `value` should trigger the function. */
function triggers(flags: number, value: number): boolean {
  return (flags & LEVELBITS) !== NOSUPPORT && value !== 0 && value !== SLC_NOVALUE;
}

/** The current SLC settings of one connection, with their defaults. */
export class SlcTable {
  private readonly defaults: SlcEntry[] = [];
  private readonly flags = new Uint8Array(NSLC + 1);
  private readonly values = new Uint8Array(NSLC + 1);
  /** Byte value -> function (0 = none): data bytes are checked on every read. */
  private readonly byByte = new Uint8Array(256);

  /** A table set to `defaults` (the BSD table unless given). */
  constructor(defaults: SlcDefaults = BSD_SLC_TABLE) {
    for (let f = 1; f <= NSLC; f++) {
      const d = defaults[f] ?? { flags: NOSUPPORT, value: SLC_NOVALUE };
      checkByte('flags', d.flags);
      checkByte('value', d.value);
      // ACK only means something on the wire; a stored default never carries it.
      this.defaults[f] = { flags: d.flags & ~ACK, value: d.value };
    }
    this.reset();
  }

  /** The current setting of `func` (a copy). */
  get(func: number): SlcEntry {
    checkFunc(func);
    return { flags: this.flags[func]!, value: this.values[func]! };
  }

  /** The default setting of `func` (a copy). */
  defaultOf(func: number): SlcEntry {
    checkFunc(func);
    const d = this.defaults[func]!;
    return { flags: d.flags, value: d.value };
  }

  /** Change the setting of `func`, keeping the byte lookup in step. */
  set(func: number, flags: number, value: number): void {
    checkFunc(func);
    checkByte('flags', flags);
    checkByte('value', value);
    const old = this.values[func]!;
    this.flags[func] = flags;
    this.values[func] = value;
    this.rescan(old);
    if (value !== old) this.rescan(value);
  }

  /** Restore every function to its default. */
  reset(): void {
    for (let f = 1; f <= NSLC; f++) {
      const d = this.defaults[f]!;
      this.flags[f] = d.flags;
      this.values[f] = d.value;
    }
    this.byByte.fill(0);
    // Walk down so that the lowest function wins when two share a character.
    for (let f = NSLC; f >= 1; f--) {
      if (triggers(this.flags[f]!, this.values[f]!)) this.byByte[this.values[f]!] = f;
    }
  }

  /** Every function 1..NSLC with its current flags and value. */
  entries(): SlcTriplet[] {
    const out: SlcTriplet[] = [];
    for (let f = 1; f <= NSLC; f++) out.push({ func: f, flags: this.flags[f]!, value: this.values[f]! });
    return out;
  }

  /**
   * The triplets we advertise: the current setting of every function our
   * defaults support. Functions we never support are left out, as BSD
   * telnetd does, since announcing them only invites pointless replies.
   */
  tableTriplets(): SlcTriplet[] {
    return this.entries().filter((e) => (this.defaults[e.func]!.flags & LEVELBITS) !== NOSUPPORT);
  }

  /** The `[SLC, triplets...]` payload of {@link tableTriplets}, the answer to `(0, DEFAULT|VARIABLE, 0)`. */
  encodeAll(): Buffer {
    return slcEncode(this.tableTriplets());
  }

  /** The supported function bound to a received byte, or 0. Constant time. */
  functionForByte(byte: number): number {
    return this.byByte[byte & 0xff]!;
  }

  private rescan(byte: number): void {
    let func = 0;
    for (let f = 1; f <= NSLC && func === 0; f++) {
      if (this.values[f] === byte && triggers(this.flags[f]!, byte)) func = f;
    }
    this.byByte[byte] = func;
  }
}

/** The `[SLC, f, flags, value, ...]` payload for `triplets`. */
export function slcEncode(triplets: readonly SlcTriplet[]): Buffer {
  const out = Buffer.allocUnsafe(1 + triplets.length * 3);
  out[0] = LinemodeSub.SLC;
  let at = 1;
  for (const t of triplets) {
    checkByte('function', t.func);
    checkByte('flags', t.flags);
    checkByte('value', t.value);
    out[at++] = t.func;
    out[at++] = t.flags;
    out[at++] = t.value;
  }
  return out;
}

interface Tally {
  outOfRange: number;
  badRequest: number;
  ackMismatch: number;
  invalid: number;
  droppedReplies: number;
}

/**
 * The peer proposes a setting we do not have and did not ACK: settle it
 * (BSD `change_slc`). What we may do is decided by our default level, not
 * the current one, so a peer cannot talk us out of a CANTCHANGE value.
 */
function change(table: SlcTable, func: number, flags: number, value: number): SlcTriplet {
  const def = table.defaultOf(func);
  const myLevel = def.flags & LEVELBITS;
  const hisLevel = flags & LEVELBITS;
  if (hisLevel === NOSUPPORT) {
    table.set(func, flags, SLC_NOVALUE);
    return { func, flags: flags | ACK, value };
  }
  if (hisLevel === DEFAULT) {
    // "Use your default": for a function whose default is merely DEFAULT we
    // have no real value to offer, so say NOSUPPORT rather than loop.
    const f = myLevel === DEFAULT ? NOSUPPORT : def.flags;
    table.set(func, f, def.value);
    return { func, flags: f, value: def.value };
  }
  if (myLevel === VARIABLE || myLevel === DEFAULT) {
    table.set(func, flags, value);
    return { func, flags: flags | ACK, value };
  }
  if (hisLevel === CANTCHANGE && myLevel === CANTCHANGE) {
    // Neither side can move: the function degenerates to NOSUPPORT.
    const f = (flags & ~LEVELBITS) | NOSUPPORT;
    table.set(func, f, table.get(func).value);
    return { func, flags: f, value };
  }
  // Refuse by stating our level, and for CANTCHANGE the value we insist on.
  const f = (flags & ~LEVELBITS) | myLevel;
  const v = myLevel === CANTCHANGE ? def.value : table.get(func).value;
  table.set(func, f, v);
  return { func, flags: f, value: v };
}

/** One in-range, non-zero function (BSD `process_slc`); null = no reply. */
function processOne(table: SlcTable, t: SlcTriplet, role: SlcRole, tally: Tally): SlcTriplet | null {
  const cur = table.get(t.func);
  const hisLevel = t.flags & LEVELBITS;
  const sameLevel = hisLevel === (cur.flags & LEVELBITS);
  if (t.flags & ACK) {
    // Never answer an ACK: that is what keeps two peers from ping-ponging.
    if (!sameLevel) {
      tally.ackMismatch++;
    } else if (role === 'client' && t.value !== cur.value) {
      // The server confirmed a level we share but with its own value: the
      // server has the final word on the client (BSD telnet does the same).
      table.set(t.func, t.flags & ~ACK, t.value);
    }
    return null;
  }
  if (sameLevel && t.value === cur.value) return null;
  return change(table, t.func, t.flags, t.value);
}

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xff;
}

/**
 * Apply a peer's SLC triplets to `table` per RFC 1184 and work out the
 * answer.
 *
 * - `(0, DEFAULT, 0)` resets the table and answers with all of it;
 *   `(0, VARIABLE, 0)` answers with all of the current table.
 * - A triplet matching what we have, or carrying ACK, gets no answer.
 * - A change we can take is adopted and answered with ACK; one we cannot is
 *   answered with our own level and value.
 * - Functions above NSLC are answered NOSUPPORT (unless they already say so).
 *
 * The reply holds at most one triplet per function and at most NSLC in all:
 * for a function named twice the later answer replaces the earlier one, and
 * out-of-range answers only fill what room is left.
 */
export function processSlc(table: SlcTable, triplets: readonly SlcTriplet[], role: SlcRole): SlcResult {
  const before = table.entries();
  const replies = new Map<number, SlcTriplet>();
  const outOfRange = new Map<number, SlcTriplet>();
  const tally: Tally = { outOfRange: 0, badRequest: 0, ackMismatch: 0, invalid: 0, droppedReplies: 0 };
  let sendTable = false;

  for (const t of triplets) {
    if (!isByte(t.func) || !isByte(t.flags) || !isByte(t.value)) {
      tally.invalid++;
      continue;
    }
    if (t.func === 0) {
      const level = t.flags & LEVELBITS;
      if (level === DEFAULT) {
        table.reset();
        // Earlier answers described settings the reset just discarded.
        replies.clear();
        sendTable = true;
      } else if (level === VARIABLE) {
        sendTable = true;
      } else {
        tally.badRequest++;
      }
      continue;
    }
    if (t.func > NSLC) {
      tally.outOfRange++;
      if (!(t.flags & ACK) && (t.flags & LEVELBITS) !== NOSUPPORT) {
        outOfRange.set(t.func, { func: t.func, flags: NOSUPPORT, value: 0 });
      }
      continue;
    }
    const answer = processOne(table, t, role, tally);
    if (answer) replies.set(t.func, answer);
  }

  const reply: SlcTriplet[] = [];
  if (sendTable) {
    for (const e of table.tableTriplets()) {
      reply.push(replies.get(e.func) ?? e);
      replies.delete(e.func);
    }
  }
  for (const r of replies.values()) reply.push(r);
  for (const r of outOfRange.values()) {
    if (reply.length >= NSLC) {
      tally.droppedReplies++;
      continue;
    }
    reply.push(r);
  }

  const changed: number[] = [];
  for (const b of before) {
    const now = table.get(b.func);
    if (now.flags !== b.flags || now.value !== b.value) changed.push(b.func);
  }
  return { reply, changed, warnings: summarize(tally) };
}

function summarize(tally: Tally): string[] {
  const w: string[] = [];
  if (tally.invalid) w.push(`SLC: ${tally.invalid} triplet(s) with non-byte fields ignored`);
  if (tally.outOfRange) w.push(`SLC: ${tally.outOfRange} triplet(s) for functions above ${NSLC} answered NOSUPPORT`);
  if (tally.droppedReplies) w.push(`SLC: ${tally.droppedReplies} NOSUPPORT answer(s) dropped to keep the reply within ${NSLC} triplets`);
  if (tally.badRequest) w.push(`SLC: ${tally.badRequest} function-0 triplet(s) that are neither DEFAULT nor VARIABLE ignored`);
  if (tally.ackMismatch) w.push(`SLC: ${tally.ackMismatch} ACK(s) for a level we do not have ignored`);
  return w;
}
