/**
 * STATUS (RFC 859), option 5.
 *
 * Payload layouts (the bytes between `IAC SB STATUS` and `IAC SE`):
 *
 *   SEND                                   sent by the side that sent DO STATUS
 *   IS [ WILL opt | DO opt | SB opt ... SE ]...   sent by the side that sent WILL
 *
 *   IS = 0, SEND = 1.
 *
 * Inside IS the verbs are used as in ordinary negotiation but without IAC,
 * and an SB section ends with a bare SE. A data byte equal to SE (240),
 * including an option numbered 240, is therefore sent doubled as `SE SE`.
 * IAC doubling is left to the framer (`frameSubnegotiation`). Options not
 * listed are in their default (disabled) state, so an IS lists only WILL for
 * options we perform and DO for options the peer performs. telnetlib3 also
 * sends WONT/DONT entries; this encoder follows RFC 859, and the decoder
 * accepts all four verbs.
 *
 * A peer's IS is informational only: callers should log disagreements, never
 * renegotiate from it (that path leads to negotiation loops), and should
 * answer SEND at a bounded rate.
 */
import { Cmd, Opt } from '../constants.js';
import { ProblemCode, TelnetUsageError } from '../errors.js';
import { type Decoded, fail, ok } from './codec.js';

/** STATUS subnegotiation commands. */
export const StatusCmd = { IS: 0, SEND: 1 } as const;

/** One option state reported in an IS: a verb (WILL, WONT, DO or DONT) and an option. */
export interface StatusEntry {
  verb: number;
  option: number;
}

/** A decoded STATUS message. */
export type StatusMessage = { kind: 'send' } | { kind: 'is'; entries: StatusEntry[] };

/** Default cap on entries decoded from one IS (4 verbs x 256 options). */
export const STATUS_MAX_ENTRIES = 1024;

/** `SEND`: ask the peer for its view of the options. */
export function encodeStatusSend(): Buffer {
  return Buffer.from([StatusCmd.SEND]);
}

/** Append `verb opt` for each distinct option, doubling an option byte equal to SE. */
function pushEntries(out: number[], verb: number, options: readonly number[]): void {
  const seen = new Set<number>();
  for (const opt of options) {
    if (!Number.isInteger(opt) || opt < 0 || opt > 255) {
      throw new TelnetUsageError(`option code must be an integer 0-255, got ${opt}`);
    }
    // STATUS describes the other options; telnetlib3 leaves itself out.
    if (opt === Opt.STATUS || seen.has(opt)) continue;
    seen.add(opt);
    out.push(verb, opt);
    if (opt === Cmd.SE) out.push(Cmd.SE);
  }
}

/**
 * `IS WILL o... DO o...`: WILL for each option we have enabled
 * (`localEnabled`), DO for each option the peer has enabled
 * (`remoteEnabled`). STATUS itself and duplicates are left out.
 *
 * @throws TelnetUsageError for an option code outside 0-255.
 */
export function encodeStatusIs(localEnabled: readonly number[], remoteEnabled: readonly number[]): Buffer {
  const out: number[] = [StatusCmd.IS];
  pushEntries(out, Cmd.WILL, localEnabled);
  pushEntries(out, Cmd.DO, remoteEnabled);
  return Buffer.from(out);
}

/**
 * Decode a STATUS payload. In IS, `SE SE` stands for a data byte 240.
 * SB sections are legal but describe option details nobody here needs, so
 * they are skipped up to their bare SE. Stray bytes are skipped, and an
 * unpaired SE where an option is expected is read as option 240, since
 * some senders do not double it. Work is linear in the payload and at most
 * `maxEntries` entries are kept; each leniency adds one warning.
 */
export function decodeStatus(payload: Buffer, opts: { maxEntries?: number } = {}): Decoded<StatusMessage> {
  if (payload.length === 0) return fail('empty STATUS payload');
  const cmd = payload[0]!;
  if (cmd === StatusCmd.SEND) {
    return ok({ kind: 'send' }, payload.length > 1 ? [`${ProblemCode.BAD_SB}: ignored ${payload.length - 1} bytes after STATUS SEND`] : []);
  }
  if (cmd !== StatusCmd.IS) return fail(`STATUS command ${cmd} is neither IS nor SEND`);
  const maxEntries = opts.maxEntries ?? STATUS_MAX_ENTRIES;
  const entries: StatusEntry[] = [];
  const warnings: string[] = [];
  let stray = 0;
  let undoubled = 0;
  let i = 1;
  while (i < payload.length) {
    const b = payload[i]!;
    if (b >= Cmd.WILL && b <= Cmd.DONT) {
      if (i + 1 >= payload.length) {
        warnings.push(`${ProblemCode.BAD_SB}: STATUS IS ends after a verb`);
        break;
      }
      let option = payload[i + 1]!;
      i += 2;
      if (option === Cmd.SE) {
        if (payload[i] === Cmd.SE) i++;
        else undoubled++;
        option = Cmd.SE;
      }
      if (entries.length >= maxEntries) {
        warnings.push(`${ProblemCode.TOO_MANY}: STATUS IS has more than ${maxEntries} entries; kept the first ${maxEntries}`);
        break;
      }
      entries.push({ verb: b, option });
    } else if (b === Cmd.SB) {
      // Skip `SB opt ...` up to the first SE that is not part of an SE SE
      // pair; RFC 859 defines their content per option, and none is needed.
      let j = payload[i + 1] === Cmd.SE && payload[i + 2] === Cmd.SE ? i + 3 : i + 2;
      for (; j < payload.length; j++) {
        if (payload[j] !== Cmd.SE) continue;
        if (payload[j + 1] === Cmd.SE) j++;
        else break;
      }
      if (j >= payload.length) {
        warnings.push(`${ProblemCode.BAD_SB}: STATUS IS has an SB section without its SE`);
        break;
      }
      i = j + 1;
    } else {
      stray++;
      i++;
    }
  }
  if (undoubled > 0) warnings.push(`${ProblemCode.BAD_SB}: ${undoubled} option bytes 240 were not doubled`);
  if (stray > 0) warnings.push(`${ProblemCode.BAD_SB}: skipped ${stray} stray bytes in STATUS IS`);
  return ok({ kind: 'is', entries }, warnings);
}
