/**
 * MSSP, MUD Server Status Protocol (option 70). The server says WILL MSSP;
 * once the client says DO it sends one table:
 *
 *   IAC SB MSSP ( MSSP_VAR <name> ( MSSP_VAL <value> )+ )* IAC SE
 *
 *   MSSP_VAR 1, MSSP_VAL 2; names and values are text (UTF-8 here) that
 *   contains neither byte 1 nor byte 2 (nor NUL, IAC: not in the spec's text).
 *
 * A variable with several values (`PORT 4000 PORT 4001`, or
 * `VAR PORT VAL 4000 VAL 4001`) decodes to an array, as telnetlib3's
 * `mssp_decode`; a VAR with no VAL has the value `''`. An empty payload is an empty table. Bytes before the first
 * VAR and a VAL with no VAR are dropped with a warning.
 */
import { type Decoded, ok } from './codec.js';
import { hasOwn, setOwn } from './mud-record.js';

export const MSSP_VAR = 1;
export const MSSP_VAL = 2;

/** A decoded MSSP table: one value, or several. */
export type MsspTable = Record<string, string | string[]>;

/** What {@link encodeMssp} takes: strings, numbers, or lists of them. */
export type MsspInput = Readonly<Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>>;

function text(v: string | number | boolean, what: string): Buffer {
  const s = String(v);
  if (/[\x00-\x02\xff]/.test(s)) throw new TypeError(`MSSP ${what} ${JSON.stringify(s)} contains a reserved byte`);
  return Buffer.from(s, 'utf8');
}

/** The MSSP payload for a table. */
export function encodeMssp(table: MsspInput): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(table)) {
    if (name === '') throw new TypeError('MSSP variable name must not be empty');
    parts.push(Buffer.of(MSSP_VAR), text(name, 'name'));
    const values = Array.isArray(value) ? value : [value];
    for (const v of values as Array<string | number | boolean>) parts.push(Buffer.of(MSSP_VAL), text(v, 'value'));
  }
  return Buffer.concat(parts);
}

/** Decode an MSSP payload. Never throws on peer input. */
export function decodeMssp(payload: Buffer): Decoded<MsspTable> {
  const table: MsspTable = {};
  const warnings: string[] = [];
  let name: string | null = null;
  let gotVal = true;
  let i = 0;
  const n = payload.length;
  if (n > 0 && payload[0] !== MSSP_VAR) {
    warnings.push('MSSP data before the first VAR: dropped');
    while (i < n && payload[i] !== MSSP_VAR) i++;
  }
  while (i < n) {
    const kind = payload[i]!;
    let j = i + 1;
    while (j < n && payload[j] !== MSSP_VAR && payload[j] !== MSSP_VAL) j++;
    const s = payload.toString('utf8', i + 1, j);
    if (kind === MSSP_VAR) {
      if (!gotVal && name !== null && !hasOwn(table, name)) setOwn(table, name, '');
      name = s;
      gotVal = false;
      if (name === '') warnings.push('MSSP VAR with an empty name');
    } else if (name === null) {
      warnings.push('MSSP VAL without a VAR: dropped');
    } else if ((gotVal = true) && !hasOwn(table, name)) {
      setOwn(table, name, s);
    } else {
      const old = table[name]!;
      if (Array.isArray(old)) old.push(s);
      else setOwn(table, name, [old, s]);
    }
    i = j;
  }
  if (!gotVal && name !== null && !hasOwn(table, name)) setOwn(table, name, '');
  return ok(table, warnings);
}
