/**
 * LINEMODE (RFC 1184), option 34: client-side line editing with
 * server-chosen special characters.
 *
 * Once the client said WILL LINEMODE and the server DO LINEMODE, three
 * suboptions travel inside `IAC SB LINEMODE ... IAC SE` (payloads below are
 * what follows the option byte, before IAC doubling):
 *
 *   MODE         1 <mask>
 *                  mask bits: EDIT 0x01, TRAPSIG 0x02, ACK 0x04,
 *                  SOFT_TAB 0x08, LIT_ECHO 0x10. The server proposes, the
 *                  client answers with the mode it adopted and ACK set.
 *
 *   FORWARDMASK  DO 2 <mask0> ... <mask31>   server -> client, 1..32 bytes;
 *                                            byte i bit 7 stands for
 *                                            character 8*i, bit 0 for 8*i+7
 *                DONT 2                      server -> client
 *                WILL 2 / WONT 2             client -> server (answer)
 *
 *   SLC          3 <func> <flags> <value> [<func> <flags> <value> ...]
 *                  Special Linemode Character triplets, see `slc.ts`.
 *
 * Peer input is decoded leniently: a trailing partial SLC triplet is dropped
 * with a warning (a peer that sent one ought not to cost us the rest of the
 * table), anything else malformed fails and is ignored.
 */
import { Cmd, cmdName } from '../constants.js';
import { type Decoded, fail, ok } from './codec.js';
import type { SlcTable } from './slc.js';

/** LINEMODE suboption codes (the first payload byte). */
export const LinemodeSub = {
  MODE: 1,
  FORWARDMASK: 2,
  SLC: 3,
} as const;

/** Bits of the LINEMODE MODE mask. */
export const ModeBit = {
  /** The client edits lines locally (clear: the server does the editing). */
  EDIT: 0x01,
  /** The client maps interrupt characters to Telnet commands (IAC IP, ...). */
  TRAPSIG: 0x02,
  /** Set by the client when it acknowledges a mode the server proposed. */
  ACK: 0x04,
  /** The client expands horizontal tabs to spaces. */
  SOFT_TAB: 0x08,
  /** The client echoes non-printable characters literally. */
  LIT_ECHO: 0x10,
} as const;

/** One SLC triplet: function code, flags (level and ACK/FLUSH bits), character value. */
export interface SlcTriplet {
  func: number;
  flags: number;
  value: number;
}

/** A decoded LINEMODE subnegotiation. */
export type LinemodeMessage =
  | { kind: 'mode'; mask: number }
  | { kind: 'forwardmask'; verb: number; mask: Buffer }
  | { kind: 'slc'; triplets: SlcTriplet[] }
  | { kind: 'unknown'; sub: number };

/** Longest FORWARDMASK: one bit for each of the 256 byte values. */
const FORWARDMASK_MAX = 32;
const KNOWN_MODE_BITS = 0x1f;

/** The MODE payload `[MODE, mask]`; `mask` must be a byte. */
export function encodeMode(mask: number): Buffer {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xff) {
    throw new RangeError(`LINEMODE MODE mask must be a byte, got ${mask}`);
  }
  return Buffer.from([LinemodeSub.MODE, mask]);
}

/**
 * The server's `[DO, FORWARDMASK, ...mask]` payload. The mask must hold 1 to
 * 32 bytes; anything else is a caller bug (RangeError).
 */
export function encodeForwardmask(mask: Buffer): Buffer {
  if (mask.length < 1 || mask.length > FORWARDMASK_MAX) {
    throw new RangeError(`FORWARDMASK must be 1..${FORWARDMASK_MAX} bytes, got ${mask.length}`);
  }
  return Buffer.concat([Buffer.from([Cmd.DO, LinemodeSub.FORWARDMASK]), mask]);
}

/**
 * A bare `[verb, FORWARDMASK]` payload: the server's DONT, or the client's
 * WILL/WONT answer to a DO FORWARDMASK. DO needs a mask, so it is refused
 * here (use {@link encodeForwardmask}).
 */
export function encodeForwardmaskVerb(verb: typeof Cmd.DONT | typeof Cmd.WILL | typeof Cmd.WONT): Buffer {
  if (verb !== Cmd.DONT && verb !== Cmd.WILL && verb !== Cmd.WONT) {
    throw new RangeError(`FORWARDMASK verb must be DONT, WILL or WONT, got ${cmdName(verb)}`);
  }
  return Buffer.from([verb, LinemodeSub.FORWARDMASK]);
}

/**
 * The FORWARDMASK for an SLC table: one bit for every character that is
 * bound to a supported SLC function, so the client sends its buffer as soon
 * as one is typed. 16 bytes cover 7-bit input; in BINARY mode all 256 values
 * are possible and the mask is 32 bytes.
 */
export function forwardmaskFromSlc(table: Pick<SlcTable, 'functionForByte'>, binary: boolean): Buffer {
  const size = binary ? 32 : 16;
  const mask = Buffer.alloc(size);
  for (let ch = 0; ch < size * 8; ch++) {
    if (table.functionForByte(ch) !== 0) mask[ch >> 3] |= 0x80 >> (ch & 7);
  }
  return mask;
}

function decodeForwardmask(payload: Buffer): Decoded<LinemodeMessage> {
  const verb = payload[0]!;
  if (payload.length < 2 || payload[1] !== LinemodeSub.FORWARDMASK) {
    return fail(`LINEMODE ${cmdName(verb)} must be followed by FORWARDMASK`);
  }
  const mask = payload.subarray(2);
  if (verb === Cmd.DO) {
    if (mask.length < 1 || mask.length > FORWARDMASK_MAX) {
      return fail(`LINEMODE DO FORWARDMASK needs 1..${FORWARDMASK_MAX} mask bytes, got ${mask.length}`);
    }
    return ok({ kind: 'forwardmask', verb, mask: Buffer.from(mask) });
  }
  // Only DO carries a mask; stray bytes after the others are harmless.
  const warnings = mask.length > 0
    ? [`${mask.length} byte(s) after LINEMODE ${cmdName(verb)} FORWARDMASK ignored`]
    : [];
  return ok({ kind: 'forwardmask', verb, mask: Buffer.alloc(0) }, warnings);
}

/**
 * Decode a LINEMODE payload. Unknown suboptions decode as `unknown` so the
 * caller can log them; an empty payload or a malformed MODE/FORWARDMASK fails.
 */
export function decodeLinemode(payload: Buffer): Decoded<LinemodeMessage> {
  if (payload.length === 0) return fail('empty LINEMODE subnegotiation');
  const sub = payload[0]!;
  switch (sub) {
    case LinemodeSub.MODE: {
      if (payload.length < 2) return fail('LINEMODE MODE without a mask');
      const mask = payload[1]!;
      const warnings: string[] = [];
      if (payload.length > 2) warnings.push(`${payload.length - 2} byte(s) after LINEMODE MODE mask ignored`);
      if (mask & ~KNOWN_MODE_BITS) warnings.push(`LINEMODE MODE has undefined bits set: ${describeMode(mask)}`);
      return ok({ kind: 'mode', mask }, warnings);
    }
    case LinemodeSub.SLC: {
      const count = Math.floor((payload.length - 1) / 3);
      const triplets: SlcTriplet[] = new Array(count);
      for (let i = 0, at = 1; i < count; i++, at += 3) {
        triplets[i] = { func: payload[at]!, flags: payload[at + 1]!, value: payload[at + 2]! };
      }
      const extra = (payload.length - 1) % 3;
      const warnings = extra === 0
        ? []
        : [`LINEMODE SLC: trailing partial triplet of ${extra} byte(s) dropped`];
      return ok({ kind: 'slc', triplets }, warnings);
    }
    case Cmd.DO:
    case Cmd.DONT:
    case Cmd.WILL:
    case Cmd.WONT:
      return decodeForwardmask(payload);
    default:
      return ok({ kind: 'unknown', sub });
  }
}

const MODE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [ModeBit.EDIT, 'EDIT'],
  [ModeBit.TRAPSIG, 'TRAPSIG'],
  [ModeBit.ACK, 'ACK'],
  [ModeBit.SOFT_TAB, 'SOFT_TAB'],
  [ModeBit.LIT_ECHO, 'LIT_ECHO'],
];

/**
 * A MODE mask for logs: `EDIT|TRAPSIG`, `NONE` for 0 (server-side editing),
 * undefined bits shown in hex (`EDIT|0x40`).
 */
export function describeMode(mask: number): string {
  const parts: string[] = [];
  for (const [bit, name] of MODE_NAMES) if (mask & bit) parts.push(name);
  const rest = mask & ~KNOWN_MODE_BITS;
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : 'NONE';
}
