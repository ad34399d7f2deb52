/**
 * TERMINAL-TYPE (RFC 1091, superseding RFC 930), option 24.
 *
 *   server -> client: IAC SB TTYPE SEND IAC SE          (SEND = 1)
 *   client -> server: IAC SB TTYPE IS <name> IAC SE     (IS = 0)
 *
 * Each SEND asks for the next name in the client's list; a client signals
 * the end of its list by repeating the last name. {@link TtypeCycle} holds
 * the server's cycling rules as telnetlib3 defines them: ask again until the
 * reply equals the first name (looped), equals the previous one (repeated),
 * is empty, more than {@link TTYPE_LOOPMAX} names were seen, or the third
 * name is an MTTS bit field (`MTTS 137`), in which case the second name is
 * the terminal type.
 */
import { type Decoded, fail, ok } from './codec.js';

/** TTYPE subnegotiation commands. */
export const TtypeCmd = { IS: 0, SEND: 1 } as const;

/** The most names a server asks for before it stops cycling. */
export const TTYPE_LOOPMAX = 8;

/** Longest terminal name kept (RFC 1091 allows 40; some clients send more). */
export const TTYPE_MAX_LENGTH = 64;

/** A decoded TTYPE message. */
export type TtypeMessage = { kind: 'send' } | { kind: 'is'; name: string };

/** `SEND`, the server's request for the next name. */
export function encodeTtypeSend(): Buffer {
  return Buffer.from([TtypeCmd.SEND]);
}

/** `IS <name>`; the name is sent as ASCII. */
export function encodeTtypeIs(name: string): Buffer {
  return Buffer.concat([Buffer.from([TtypeCmd.IS]), Buffer.from(name, 'latin1')]);
}

/**
 * Decode a TTYPE payload. The name keeps only `[A-Za-z0-9._+-/ ]` and is cut
 * at {@link TTYPE_MAX_LENGTH}, with a warning, so a hostile name can never
 * reach a terminal or log raw.
 */
export function decodeTtype(payload: Buffer): Decoded<TtypeMessage> {
  if (payload.length === 0) return fail('empty TTYPE payload');
  const cmd = payload[0];
  if (cmd === TtypeCmd.SEND) return ok({ kind: 'send' });
  if (cmd !== TtypeCmd.IS) return fail(`TTYPE command ${cmd} is neither IS nor SEND`);
  const raw = payload.subarray(1);
  const warnings: string[] = [];
  if (raw.length > TTYPE_MAX_LENGTH) warnings.push(`TTYPE name of ${raw.length} bytes cut to ${TTYPE_MAX_LENGTH}`);
  const text = raw.subarray(0, TTYPE_MAX_LENGTH).toString('latin1');
  // Terminal names are letters, digits and . _ + - / and space; anything
  // else (escape sequences, NUL, 8-bit bytes) is dropped so a hostile name
  // never reaches a terminal, a log or a child's TERM raw.
  const name = text.replace(/[^A-Za-z0-9._+\-/ ]/g, '');
  if (name !== text) warnings.push('TTYPE name held characters outside [A-Za-z0-9._+-/ ]; removed');
  return ok({ kind: 'is', name }, warnings);
}

/** What the server does after a TTYPE IS. */
export interface TtypeStep {
  /** Ask for another name (send SEND again). */
  again: boolean;
  /** The terminal type chosen so far (the `TERM` value). */
  term: string;
}

/**
 * The server's TTYPE cycle. Feed each received name to {@link next}; it says
 * whether to ask again and which name is the terminal type. As in telnetlib3,
 * the newest non-empty name is the terminal type even when it arrives
 * unsolicited after the cycle stopped (it then replaces the last slot).
 */
export class TtypeCycle {
  /** Grown one exact-size copy per name: a pushed-to array keeps 17 slots. */
  private list: string[] | null = null;
  private count = 1;
  private finished = false;
  private term = '';

  /** Every name received, in order (`ttype1` is `names[0]`). */
  get names(): string[] {
    return this.list ??= [];
  }

  /** True once the cycle has stopped. */
  get done(): boolean {
    return this.finished;
  }

  /** The terminal type decided so far (empty before the first non-empty reply). */
  get terminal(): string {
    return this.term;
  }

  /** Record one reply and decide whether to ask again. */
  next(name: string): TtypeStep {
    const count = this.count;
    let names = this.names;
    // A repeated name keeps one string (clients repeat the last one to end the cycle).
    const seen = names.indexOf(name);
    if (seen !== -1) name = names[seen]!;
    if (count - 1 < names.length) {
      names[count - 1] = name;
    } else {
      const grown = new Array<string>(names.length + 1);
      for (let i = 0; i < names.length; i++) grown[i] = names[i]!;
      grown[names.length] = name;
      this.list = names = grown;
    }
    if (name !== '') this.term = name;
    if (this.finished) return { again: false, term: this.term };
    const previous = count > 1 ? names[count - 2] : undefined;
    let again = false;
    if (count !== 1 && name === names[0]) {
      // looped back to the first name
    } else if (name === '' || count > TTYPE_LOOPMAX) {
      // empty reply, or the client will not stop
    } else if (count === 3 && name.toUpperCase().startsWith('MTTS ')) {
      // Mud Terminal Type Standard: the third reply is a bit field and the
      // second is the client's terminal type.
      this.term = names[1] ?? this.term;
    } else if (name === previous) {
      // repeated: the end of the client's list
    } else {
      again = true;
      this.count += 1;
    }
    if (!again) this.finished = true;
    return { again, term: this.term };
  }
}
