/**
 * CHARSET (RFC 2066), option 42.
 *
 * Payload layouts (the bytes between `IAC SB CHARSET` and `IAC SE`):
 *
 *   REQUEST [ "[TTABLE]" <version> ] <sep> <charset> [ <sep> <charset> ]...
 *   ACCEPTED <charset>
 *   REJECTED
 *   TTABLE-IS <version> <sep> <charset> ... | TTABLE-REJECTED | TTABLE-ACK | TTABLE-NAK
 *
 *   REQUEST = 1, ACCEPTED = 2, REJECTED = 3, TTABLE-IS = 4,
 *   TTABLE-REJECTED = 5, TTABLE-ACK = 6, TTABLE-NAK = 7.
 *
 * `<sep>` is any byte the sender chooses (usually a space or `;`); it is the
 * first byte after REQUEST (or after the TTABLE version). Charset names are
 * IANA names in ASCII. The side that sent WILL CHARSET sends REQUEST; the
 * receiver answers with ACCEPTED naming exactly one offered charset, or
 * REJECTED. Translation tables are not supported: a TTABLE-IS is answered
 * with TTABLE-REJECTED.
 */
import { TelnetUsageError, ProblemCode } from '../errors.js';
import { type Decoded, fail, ok, sanitizeAscii } from './codec.js';

/** CHARSET subnegotiation commands. */
export const CharsetCmd = {
  REQUEST: 1,
  ACCEPTED: 2,
  REJECTED: 3,
  TTABLE_IS: 4,
  TTABLE_REJECTED: 5,
  TTABLE_ACK: 6,
  TTABLE_NAK: 7,
} as const;

/** A decoded CHARSET message. */
export type CharsetMessage =
  | { kind: 'request'; names: string[]; ttable: boolean }
  | { kind: 'accepted'; name: string }
  | { kind: 'rejected' }
  | { kind: 'ttable'; cmd: number };

/** Longest charset name kept (IANA names are at most 40 characters). */
export const CHARSET_NAME_MAX = 64;

/** Default cap on names decoded from one REQUEST. */
export const CHARSET_MAX_NAMES = 256;

/** The server's default offer, in telnetlib3's order of preference. */
export const DEFAULT_CHARSET_OFFER: readonly string[] = Object.freeze([
  'UTF-8', 'UTF-16', 'LATIN1', 'CP1252', 'ISO-8859-15', 'CP437', 'SHIFT_JIS', 'CP932',
  'BIG5', 'CP950', 'GBK', 'GB2312', 'CP936', 'EUC-KR', 'CP949', 'US-ASCII',
]);

/** The client's offer when it is the side that sends REQUEST. */
export const DEFAULT_CLIENT_CHARSET_OFFER: readonly string[] = Object.freeze(['UTF-8', 'LATIN1', 'US-ASCII']);

const TTABLE_MARK = Buffer.from('[TTABLE]', 'latin1');

/** Bytes of a charset name we send: printable ASCII without spaces, which every peer can parse back. */
function nameBytes(name: string): Buffer {
  if (name.length === 0 || name.length > CHARSET_NAME_MAX || !/^[\x21-\x7e]+$/.test(name)) {
    throw new TelnetUsageError(`charset name must be 1-${CHARSET_NAME_MAX} printable ASCII characters without spaces: ${JSON.stringify(name)}`);
  }
  return Buffer.from(name, 'latin1');
}

/**
 * `REQUEST <sep> name <sep> name ...`. The separator must be one ASCII
 * character that occurs in no name (and not `[`, which would make a name
 * starting with `TTABLE]` look like the translation-table marker).
 *
 * @throws TelnetUsageError for an empty list, a bad name or a bad separator.
 */
export function encodeCharsetRequest(names: readonly string[], sep = ' '): Buffer {
  if (names.length === 0) throw new TelnetUsageError('a CHARSET REQUEST needs at least one charset');
  if (sep.length !== 1 || sep.charCodeAt(0) > 0x7e || sep === '[') {
    throw new TelnetUsageError(`CHARSET separator must be one ASCII character other than '[': ${JSON.stringify(sep)}`);
  }
  const parts: Buffer[] = [Buffer.from([CharsetCmd.REQUEST])];
  const sepByte = Buffer.from(sep, 'latin1');
  for (const name of names) {
    if (name.includes(sep)) throw new TelnetUsageError(`charset name ${JSON.stringify(name)} contains the separator`);
    parts.push(sepByte, nameBytes(name));
  }
  return Buffer.concat(parts);
}

/** `ACCEPTED <name>`; `name` must be one the peer offered, spelled as offered. */
export function encodeCharsetAccepted(name: string): Buffer {
  return Buffer.concat([Buffer.from([CharsetCmd.ACCEPTED]), nameBytes(name)]);
}

/** `REJECTED`: none of the offered charsets will do. */
export function encodeCharsetRejected(): Buffer {
  return Buffer.from([CharsetCmd.REJECTED]);
}

/** `TTABLE-REJECTED`: the answer to a TTABLE-IS, since tables are not supported. */
export function encodeTtableRejected(): Buffer {
  return Buffer.from([CharsetCmd.TTABLE_REJECTED]);
}

/** Decode the name list of a REQUEST body (after the command byte) in one linear pass. */
function decodeRequest(body: Buffer, maxNames: number): Decoded<CharsetMessage> {
  const warnings: string[] = [];
  let rest = body;
  let ttable = false;
  if (rest.length >= TTABLE_MARK.length && rest.subarray(0, TTABLE_MARK.length).equals(TTABLE_MARK)) {
    ttable = true;
    rest = rest.subarray(TTABLE_MARK.length + 1);
  }
  const names: string[] = [];
  if (rest.length === 0) {
    warnings.push(`${ProblemCode.BAD_SB}: CHARSET REQUEST without a separator or names`);
    return ok({ kind: 'request', names, ttable }, warnings);
  }
  const sep = rest[0]!;
  let tooLong = 0;
  let unclean = 0;
  let start = 1;
  while (start <= rest.length) {
    let end = rest.indexOf(sep, start);
    if (end === -1) end = rest.length;
    const len = end - start;
    if (len > CHARSET_NAME_MAX) {
      tooLong++;
    } else if (len > 0) {
      if (names.length >= maxNames) {
        warnings.push(`${ProblemCode.TOO_MANY}: CHARSET REQUEST has more than ${maxNames} names; kept the first ${maxNames}`);
        break;
      }
      const raw = rest.subarray(start, end);
      const name = sanitizeAscii(raw, CHARSET_NAME_MAX);
      if (name !== raw.toString('latin1')) unclean++;
      names.push(name);
    }
    start = end + 1;
  }
  if (tooLong > 0) warnings.push(`${ProblemCode.BAD_VALUE}: dropped ${tooLong} charset names longer than ${CHARSET_NAME_MAX}`);
  if (unclean > 0) warnings.push(`${ProblemCode.BAD_VALUE}: ${unclean} charset names held non-printable bytes; replaced with ?`);
  return ok({ kind: 'request', names, ttable }, warnings);
}

/**
 * Decode a CHARSET payload. REQUEST names are split in time linear in the
 * payload, empty names skipped, names longer than {@link CHARSET_NAME_MAX}
 * dropped, other names reduced to printable ASCII (bad bytes become `?`, so
 * they can never match a real charset), and at most `maxNames` kept. A
 * REQUEST with no separator decodes to no names (answer REJECTED). An
 * ACCEPTED with no name (some peers send it to mean "no") decodes as
 * `rejected`. TTABLE commands are reported as `ttable` for the caller to
 * refuse.
 */
export function decodeCharset(payload: Buffer, opts: { maxNames?: number } = {}): Decoded<CharsetMessage> {
  if (payload.length === 0) return fail('empty CHARSET payload');
  const cmd = payload[0]!;
  const body = payload.subarray(1);
  switch (cmd) {
    case CharsetCmd.REQUEST:
      return decodeRequest(body, opts.maxNames ?? CHARSET_MAX_NAMES);
    case CharsetCmd.ACCEPTED: {
      if (body.length === 0) return ok({ kind: 'rejected' }, [`${ProblemCode.BAD_SB}: CHARSET ACCEPTED without a name, taken as REJECTED`]);
      if (body.length > CHARSET_NAME_MAX) return fail(`CHARSET ACCEPTED name of ${body.length} bytes is too long`);
      const name = sanitizeAscii(body, CHARSET_NAME_MAX);
      const warnings = name === body.toString('latin1') ? [] : [`${ProblemCode.BAD_VALUE}: CHARSET ACCEPTED name held non-printable bytes`];
      return ok({ kind: 'accepted', name }, warnings);
    }
    case CharsetCmd.REJECTED:
      return ok({ kind: 'rejected' }, body.length > 0 ? [`${ProblemCode.BAD_SB}: ignored ${body.length} bytes after REJECTED`] : []);
    case CharsetCmd.TTABLE_IS:
    case CharsetCmd.TTABLE_REJECTED:
    case CharsetCmd.TTABLE_ACK:
    case CharsetCmd.TTABLE_NAK:
      return ok({ kind: 'ttable', cmd });
    default:
      return fail(`unknown CHARSET command ${cmd}`);
  }
}

/** Names that are the same charset under different spellings. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['latin-1', 'latin1'],
  ['latin_1', 'latin1'],
  ['iso-8859-1', 'latin1'],
  ['utf8', 'utf-8'],
  ['ascii', 'us-ascii'],
]);

/**
 * A charset name in a canonical spelling, for comparing names: trimmed,
 * lower-case, runs of spaces as one hyphen, ISO-8859 part numbers without
 * leading zeros (`iso 8859-02` -> `iso-8859-2`), `cp-1250` -> `cp1250`, and
 * the aliases `latin-1`/`iso-8859-1` -> `latin1`, `utf8` -> `utf-8`,
 * `ascii` -> `us-ascii`. Unknown names pass through otherwise unchanged.
 */
export function normalizeCharsetName(name: string): string {
  let n = name.trim().toLowerCase().replace(/\s+/g, '-');
  n = n.replace(/^iso[-_]?8859[-_]?0*(\d+)$/, 'iso-8859-$1');
  n = n.replace(/^cp-(\d+)$/, 'cp$1');
  return ALIASES.get(n) ?? n;
}

/**
 * The client's answer to a REQUEST, per telnetlib3's policy:
 * - the preferred charset is offered -> accept it;
 * - the preference is latin1 (a weak default) -> the first viable offer;
 * - another preferred charset is not offered -> `null` (send REJECTED);
 * - no usable preference (`null`, empty, or unsupported) -> the first viable offer;
 * - nothing viable -> `null`.
 *
 * Names are compared with {@link normalizeCharsetName}; `isSupported` is
 * called with normalized names (a throwing callback counts as "no"). The
 * offer is returned as the peer spelled it, as ACCEPTED must repeat it.
 */
export function chooseCharset(
  offered: readonly string[],
  preferred: string | null,
  isSupported: (name: string) => boolean,
): string | null {
  const supported = (name: string): boolean => {
    try {
      return isSupported(name);
    } catch {
      return false;
    }
  };
  const pref = preferred ? normalizeCharsetName(preferred) : '';
  const usable = pref !== '' && supported(pref) ? pref : '';
  const strict = usable !== '' && usable !== 'latin1';
  let firstViable: string | null = null;
  for (const offer of offered) {
    const n = normalizeCharsetName(offer);
    if (n === '') continue;
    if (usable !== '' && n === usable) return offer;
    if (!strict && firstViable === null && supported(n)) firstViable = offer;
  }
  return strict ? null : firstViable;
}
