/**
 * NEW-ENVIRON (RFC 1572, option 39) and the old ENVIRON (RFC 1408, option 36)
 * with the RFC 1571 interoperability heuristics.
 *
 * Payload layouts (the bytes between `IAC SB <opt>` and `IAC SE`):
 *
 *   SEND [ VAR name | USERVAR name ]...                 server -> client
 *   IS   [ VAR name [ VALUE value ] | USERVAR ... ]...  client -> server (reply)
 *   INFO [ same as IS ]                                 client -> server (update)
 *
 *   IS = 0, SEND = 1, INFO = 2;  VAR = 0, VALUE = 1, ESC = 2, USERVAR = 3.
 *
 * A name runs to the next type byte (VAR, VALUE, USERVAR); a byte 0-3 inside
 * a name or value is sent prefixed with ESC. In SEND, a type with an empty
 * name asks for every variable of that type. In IS/INFO a variable with no
 * VALUE is undefined, and one with an empty VALUE is defined but empty.
 *
 * Text is carried as latin1 (ISO-8859-1): one byte per character, so any
 * byte sequence survives a decode/encode round trip unchanged. RFC 1572 asks
 * for ASCII, which is the common subset; callers that negotiated another
 * charset can transcode with `Buffer.from(s, 'latin1')`. On encode,
 * characters above U+00FF become `?` rather than being silently truncated to
 * their low byte (which could forge a type byte).
 *
 * RFC 1408 gives VAR = 0 and VALUE = 1 as RFC 1572 does, but the BSD
 * implementation it documented uses them swapped; see {@link decodeEnviron}.
 *
 * Policy helpers: {@link filterEnviron} (server: allow-list, upper-case,
 * bounded, control characters stripped) and {@link clientEnvironReply}
 * (client: answer only allow-listed names; never "send everything", see
 * CVE-2026-32772). Nothing here reads `process.env`.
 */
import { ProblemCode, TelnetUsageError } from '../errors.js';
import { type Decoded, fail, ok } from './codec.js';

/** NEW-ENVIRON / ENVIRON subnegotiation commands. */
export const EnvCmd = { IS: 0, SEND: 1, INFO: 2 } as const;

/** Type bytes inside an environment payload. */
export const EnvType = { VAR: 0, VALUE: 1, ESC: 2, USERVAR: 3 } as const;

/** Well-known (`VAR`) or user-defined (`USERVAR`) variable. */
export type EnvironVarType = 'VAR' | 'USERVAR';

/** A variable name as requested in SEND; an empty name means "all of this type". */
export interface EnvironName {
  type: EnvironVarType;
  name: string;
}

/** A decoded variable. `value` is `null` when the peer sent no VALUE (undefined). */
export interface EnvironVar {
  type: EnvironVarType;
  name: string;
  value: string | null;
}

/** A variable to send in IS/INFO; `type` defaults to `VAR`. */
export interface EnvironEntry {
  name: string;
  value: string | null;
  type?: EnvironVarType;
}

/** A decoded environment message. */
export interface EnvironMessage {
  kind: 'IS' | 'SEND' | 'INFO';
  /** For SEND every `value` is `null`, and an empty `name` means "send all". */
  vars: EnvironVar[];
  /** Old ENVIRON only: the peer uses BSD's swapped VAR/VALUE codes (RFC 1571). */
  reversed: boolean;
}

/** Largest SEND payload, counted after IAC doubling (GNU inetutils telnet has a 256-byte SB buffer). */
export const ENVIRON_SEND_MAX = 240;

/** Default cap on variables decoded from one message. */
export const ENVIRON_MAX_VARS = 64;

/** Default cap on an accepted value's length in {@link filterEnviron}. */
export const ENVIRON_MAX_VALUE = 256;

/** A Set whose mutators throw, so a shared default allow-list cannot be widened at run time. */
function frozenSet(items: readonly string[]): ReadonlySet<string> {
  const set = new Set(items);
  const refuse = (): never => {
    throw new TelnetUsageError('default environment allow-lists are read-only; build your own Set');
  };
  Object.defineProperties(set, { add: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(set);
}

const SERVER_REQUEST_NAMES = [
  'USER', 'LOGNAME', 'DISPLAY', 'LANG', 'TERM', 'TERM_PROGRAM',
  'COLUMNS', 'LINES', 'COLORTERM', 'EDITOR', 'IPADDRESS',
] as const;

/**
 * The names a server accepts by default: those it asks for, plus `CHARSET`.
 * Names are upper-case; {@link filterEnviron} compares upper-cased names.
 */
export const DEFAULT_ENVIRON_ALLOW: ReadonlySet<string> = frozenSet([...SERVER_REQUEST_NAMES, 'CHARSET']);

/**
 * The server's default SEND list, in telnetlib3's order, ending with a bare
 * VAR and USERVAR so that clients which volunteer extra variables may do so.
 * Servers talking to Microsoft telnet (ttype ANSI then VT100) should drop
 * `USER`, which crashes that client.
 */
export const DEFAULT_ENVIRON_REQUEST: readonly EnvironName[] = Object.freeze([
  ...SERVER_REQUEST_NAMES.map((name) => Object.freeze({ type: 'VAR' as const, name })),
  Object.freeze({ type: 'VAR' as const, name: '' }),
  Object.freeze({ type: 'USERVAR' as const, name: '' }),
]);

/** The names a client answers by default (telnetlib3 `--send-environ`). */
export const DEFAULT_CLIENT_ENVIRON_ALLOW: ReadonlySet<string> = frozenSet(['TERM', 'LANG', 'COLUMNS', 'LINES', 'COLORTERM']);

/** Type byte for a variable type, honouring BSD's swapped codes when asked. */
function typeByte(type: EnvironVarType, reversed: boolean): number {
  if (type === 'USERVAR') return EnvType.USERVAR;
  return reversed ? EnvType.VALUE : EnvType.VAR;
}

/** latin1 bytes of `text` with bytes 0-3 ESC-prefixed; characters above U+00FF become `?`. */
function escapedBytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c > 0xff) c = 0x3f;
    if (c <= EnvType.USERVAR) out.push(EnvType.ESC);
    out.push(c);
  }
  return out;
}

/** Bytes a run takes on the wire once the framer doubles IAC. */
function wireLength(bytes: readonly number[]): number {
  let n = bytes.length;
  for (const b of bytes) if (b === 0xff) n++;
  return n;
}

/** Options for {@link encodeEnvironSend}. */
export interface EnvironSendOptions {
  /** Largest payload in bytes, counted with IAC doubled (default {@link ENVIRON_SEND_MAX}). */
  maxPayload?: number;
  /** With no names, return one bare `SEND` ("send your default environment"); otherwise none. */
  allowEmpty?: boolean;
  /** Old ENVIRON peer known to use BSD's swapped codes: send VAR as 1. */
  reversed?: boolean;
}

/**
 * SEND payloads asking for `names`, in order, split so that no payload is
 * longer than `maxPayload` bytes (IAC counted twice): older telnet clients
 * overflow or drop longer subnegotiations. Send the next payload after each
 * IS/INFO reply. An entry with an empty name is a bare type ("send all").
 *
 * @throws TelnetUsageError if one name alone cannot fit in a payload.
 */
export function encodeEnvironSend(names: readonly EnvironName[], opts: EnvironSendOptions = {}): Buffer[] {
  const max = opts.maxPayload ?? ENVIRON_SEND_MAX;
  if (!Number.isInteger(max) || max < 2) throw new TelnetUsageError(`maxPayload must be an integer >= 2, got ${max}`);
  if (names.length === 0) return opts.allowEmpty ? [Buffer.from([EnvCmd.SEND])] : [];
  const payloads: Buffer[] = [];
  let current: number[] = [EnvCmd.SEND];
  let size = 1;
  for (const { type, name } of names) {
    const entry = [typeByte(type, opts.reversed === true), ...escapedBytes(name)];
    const len = wireLength(entry);
    if (1 + len > max) {
      throw new TelnetUsageError(`environment name of ${name.length} characters cannot fit a ${max}-byte SEND`);
    }
    if (size + len > max) {
      payloads.push(Buffer.from(current));
      current = [EnvCmd.SEND];
      size = 1;
    }
    current.push(...entry);
    size += len;
  }
  payloads.push(Buffer.from(current));
  return payloads;
}

/**
 * An IS (reply) or INFO (spontaneous update) payload. A `null` value sends
 * the name with no VALUE (the variable is undefined); `''` sends an empty
 * VALUE. Pass `reversed` when answering an old-ENVIRON peer that
 * {@link decodeEnviron} found to use BSD's swapped codes.
 *
 * @throws TelnetUsageError for an empty name, which peers cannot tell from noise.
 */
export function encodeEnvironIs(
  vars: readonly EnvironEntry[],
  kind: 'IS' | 'INFO' = 'IS',
  opts: { reversed?: boolean } = {},
): Buffer {
  const reversed = opts.reversed === true;
  const out: number[] = [kind === 'IS' ? EnvCmd.IS : EnvCmd.INFO];
  for (const v of vars) {
    if (v.name === '') throw new TelnetUsageError('an environment variable in IS/INFO needs a name');
    out.push(typeByte(v.type ?? 'VAR', reversed), ...escapedBytes(v.name));
    if (v.value !== null) out.push(reversed ? EnvType.VAR : EnvType.VALUE, ...escapedBytes(v.value));
  }
  return Buffer.from(out);
}

/** One run of a payload: its type byte as received and its unescaped text. */
interface Token {
  code: number;
  text: string;
}

/** Split a payload (after the command byte) into type-delimited runs, undoing ESC. */
function tokenize(payload: Buffer): { tokens: Token[]; leading: number; trailingEsc: boolean } {
  const tokens: Token[] = [];
  let leading = 0;
  let cur: Token | null = null;
  let trailingEsc = false;
  for (let i = 1; i < payload.length; i++) {
    let b = payload[i]!;
    if (b === EnvType.VAR || b === EnvType.VALUE || b === EnvType.USERVAR) {
      cur = { code: b, text: '' };
      tokens.push(cur);
      continue;
    }
    if (b === EnvType.ESC) {
      if (i + 1 >= payload.length) {
        trailingEsc = true;
        break;
      }
      b = payload[++i]!;
    }
    if (cur === null) leading++;
    else cur.text += String.fromCharCode(b);
  }
  return { tokens, leading, trailingEsc };
}

/** RFC 1572's well-known variables, used by the last RFC 1571 heuristic. */
const WELL_KNOWN = new Set(['USER', 'JOB', 'ACCT', 'PRINTER', 'SYSTEMTYPE', 'DISPLAY']);

/**
 * RFC 1571 section 3, in its order: which meaning an old-ENVIRON IS/INFO
 * gives to bytes 0 and 1. True when the sender uses BSD's swapped codes.
 */
function looksReversed(tokens: readonly Token[], leading: number): boolean {
  if (tokens.length === 0) return false;
  if (leading === 0) {
    // IS/INFO may legally be followed only by VAR or USERVAR.
    if (tokens[0]!.code === EnvType.VAR) return false;
    if (tokens[0]!.code === EnvType.VALUE) return true;
  }
  // Two VALUEs in a row or an empty VAR are illegal under the RFC codes;
  // two VARs in a row (undefined variable) or an empty VALUE are legal.
  let prev = -1;
  for (const t of tokens) {
    if (t.code === EnvType.VAR) {
      if (prev === EnvType.VAR) return false;
      if (t.text === '') return true;
    } else if (t.code === EnvType.VALUE) {
      if (prev === EnvType.VALUE) return true;
      if (t.text === '') return false;
    }
    prev = t.code;
  }
  let nVar = 0;
  let nValue = 0;
  let nUser = 0;
  for (const t of tokens) {
    if (t.code === EnvType.VAR) nVar++;
    else if (t.code === EnvType.VALUE) nValue++;
    else nUser++;
  }
  if (nUser + nVar === nValue) return false;
  if (nUser + nValue === nVar) return true;
  if (tokens.some((t) => t.code === EnvType.VAR && WELL_KNOWN.has(t.text.toUpperCase()))) return false;
  if (tokens.some((t) => t.code === EnvType.VALUE && WELL_KNOWN.has(t.text.toUpperCase()))) return true;
  return false;
}

/** Options for {@link decodeEnviron}. */
export interface EnvironDecodeOptions {
  /** The payload is for the old ENVIRON option (36): apply the RFC 1571 heuristics. */
  old?: boolean;
  /** Most variables kept; the rest are dropped with a `TOO_MANY` warning (default 64). */
  maxVars?: number;
}

/**
 * Decode a NEW-ENVIRON or ENVIRON payload, leniently: a VALUE with no
 * variable before it is ignored, variables with empty names are skipped in
 * IS/INFO (tintin++ sends `VAR VAR`), a trailing ESC is ignored, and past
 * `maxVars` the rest is dropped. Each leniency adds a warning. In SEND, empty
 * names are kept: they mean "send all variables of this type".
 *
 * For the old ENVIRON (`old: true`) the RFC 1571 heuristics decide whether
 * the peer swapped VAR (0) and VALUE (1), reported as `reversed`:
 * - SEND: VALUE bytes and no VAR bytes mean swapped (a SEND holds only VARs);
 *   if both appear the message is taken as unswapped and the VALUEs ignored.
 * - IS/INFO: swapped if the first type is VALUE; unswapped if it is VAR;
 *   otherwise two consecutive VARs or an empty VALUE mean unswapped, two
 *   consecutive VALUEs or an empty VAR mean swapped; then counts (VAR+USERVAR
 *   equal to VALUE means unswapped, VALUE+USERVAR equal to VAR swapped);
 *   then a well-known name (USER, DISPLAY, ...) under VAR or VALUE; else
 *   unswapped.
 */
export function decodeEnviron(payload: Buffer, opts: EnvironDecodeOptions = {}): Decoded<EnvironMessage> {
  if (payload.length === 0) return fail('empty ENVIRON payload');
  const cmd = payload[0]!;
  const kind = cmd === EnvCmd.IS ? 'IS' : cmd === EnvCmd.SEND ? 'SEND' : cmd === EnvCmd.INFO ? 'INFO' : null;
  if (kind === null) return fail(`ENVIRON command ${cmd} is not IS, SEND or INFO`);
  const maxVars = opts.maxVars ?? ENVIRON_MAX_VARS;
  const { tokens, leading, trailingEsc } = tokenize(payload);
  const warnings: string[] = [];
  if (leading > 0) warnings.push(`${ProblemCode.BAD_SB}: ignored ${leading} bytes before the first variable`);
  if (trailingEsc) warnings.push(`${ProblemCode.BAD_SB}: ignored a trailing ESC`);

  let reversed = false;
  if (opts.old === true) {
    if (kind === 'SEND') {
      reversed = tokens.some((t) => t.code === EnvType.VALUE) && !tokens.some((t) => t.code === EnvType.VAR);
    } else {
      reversed = looksReversed(tokens, leading);
    }
  }
  const varCode = reversed ? EnvType.VALUE : EnvType.VAR;

  const vars: EnvironVar[] = [];
  let orphans = 0;
  let empties = 0;
  let truncated = false;
  let cur: EnvironVar | null = null;
  for (const t of tokens) {
    const isName = t.code === varCode || t.code === EnvType.USERVAR;
    if (!isName) {
      // A VALUE: legal only once, right after a named variable in IS/INFO.
      if (kind !== 'SEND' && cur !== null && cur.value === null) cur.value = t.text;
      else orphans++;
      continue;
    }
    cur = null;
    if (t.text === '' && kind !== 'SEND') {
      empties++;
      continue;
    }
    if (vars.length >= maxVars) {
      truncated = true;
      break;
    }
    cur = { type: t.code === EnvType.USERVAR ? 'USERVAR' : 'VAR', name: t.text, value: null };
    vars.push(cur);
  }
  if (orphans > 0) warnings.push(`${ProblemCode.BAD_SB}: ignored ${orphans} misplaced VALUE`);
  if (empties > 0) warnings.push(`${ProblemCode.BAD_SB}: skipped ${empties} variables with empty names`);
  if (truncated) warnings.push(`${ProblemCode.TOO_MANY}: more than ${maxVars} variables; kept the first ${maxVars}`);
  return ok({ kind, vars, reversed }, warnings);
}

/**
 * A peer's value made safe to store: C0 control characters and DEL removed,
 * cut at `max` characters. Characters 0x80-0xFF are kept because latin1-decoded
 * values may hold UTF-8 bytes that the caller will transcode.
 */
export function sanitizeEnvironValue(value: string, max = ENVIRON_MAX_VALUE): string {
  return value.replace(/[\x00-\x1f\x7f]/g, '').slice(0, max);
}

/** Printable-ASCII rendering of a peer's name, for logs of dropped variables. */
function logName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/** Result of {@link filterEnviron}. */
export interface FilteredEnviron {
  /** Allow-listed names (upper-case) and sanitized values; frozen. */
  accepted: Readonly<Record<string, string>>;
  /** Names refused (not allow-listed, or empty value), upper-cased and log-safe. */
  dropped: string[];
}

/**
 * The server's view of a client's IS/INFO: names upper-cased, only names in
 * `allow` kept (a client can never set `LD_PRELOAD`, `PATH`, `IFS`, ...),
 * values with control characters removed and cut at `maxValueLength`, and
 * empty or undefined values dropped as telnetlib3 does. A later duplicate
 * replaces an earlier one.
 */
export function filterEnviron(
  vars: readonly { name: string; value: string | null }[],
  allow: ReadonlySet<string> = DEFAULT_ENVIRON_ALLOW,
  opts: { maxValueLength?: number } = {},
): FilteredEnviron {
  // A plain object (frozen objects with a null prototype each get a hidden
  // class of their own, hundreds of bytes per connection). Names are
  // upper-cased, so `__proto__` can never be one of its keys.
  const accepted: Record<string, string> = {};
  const dropped: string[] = [];
  for (const v of vars) {
    const name = v.name.toUpperCase();
    const value = v.value === null ? '' : sanitizeEnvironValue(v.value, opts.maxValueLength);
    if (!allow.has(name) || value === '') dropped.push(logName(name));
    else accepted[name] = value;
  }
  return { accepted: Object.freeze(accepted), dropped };
}

/**
 * The client's IS entries for a server's SEND: each explicitly requested
 * name, once, in request order and with the requested type and spelling.
 * A name in `allow` (compared upper-case) gets its value from `available`
 * (looked up upper-case); any other requested name is answered with an empty
 * value, as telnetlib3 does, so the server sees a reply for each name. A bare
 * VAR/USERVAR ("send all") adds nothing: enumerating an environment lets a
 * server harvest secrets (CVE-2026-32772). An empty result still deserves an
 * (empty) IS so the server does not wait.
 */
export function clientEnvironReply(
  requested: readonly EnvironName[],
  available: Readonly<Record<string, string>>,
  allow: ReadonlySet<string> = DEFAULT_CLIENT_ENVIRON_ALLOW,
): Array<{ type: EnvironVarType; name: string; value: string }> {
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(available)) values.set(k.toUpperCase(), v);
  const seen = new Set<string>();
  const reply: Array<{ type: EnvironVarType; name: string; value: string }> = [];
  for (const { type, name } of requested) {
    if (name === '') continue;
    const upper = name.toUpperCase();
    const key = `${type}:${upper}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const value = allow.has(upper) ? values.get(upper) ?? '' : '';
    reply.push({ type, name, value });
  }
  return reply;
}
