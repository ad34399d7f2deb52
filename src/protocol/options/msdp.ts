/**
 * MSDP, MUD Server Data Protocol (option 69). Either side sends, once the
 * option is enabled:
 *
 *   IAC SB MSDP <pair>+ IAC SE
 *
 *   pair   = MSDP_VAR <name> ( MSDP_VAL <value> )+
 *   value  = <text>
 *          | MSDP_TABLE_OPEN <pair>* MSDP_TABLE_CLOSE
 *          | MSDP_ARRAY_OPEN ( MSDP_VAL <value> )* MSDP_ARRAY_CLOSE
 *
 *   MSDP_VAR 1, MSDP_VAL 2, TABLE_OPEN 3, TABLE_CLOSE 4, ARRAY_OPEN 5,
 *   ARRAY_CLOSE 6. Text is UTF-8 and holds none of the bytes 0-6 or 255.
 *
 * Example: VAR "ROOM" VAL TABLE_OPEN VAR "VNUM" VAL "6008" VAR "EXITS" VAL
 * TABLE_OPEN VAR "n" VAL "6011" TABLE_CLOSE TABLE_CLOSE decodes to
 * `{ ROOM: { VNUM: '6008', EXITS: { n: '6011' } } }`.
 *
 * A variable given several VALs decodes to an array (as telnetlib3's
 * `msdp_decode`). Numbers and booleans are sent as their text. Nesting is
 * limited to {@link MSDP_MAX_DEPTH}; a malformed payload decodes as far as
 * it is well formed, with warnings (unclosed tables and arrays are closed
 * at the end).
 *
 * MSDP over GMCP: the same data as the GMCP message `MSDP <json object>`,
 * tables as JSON objects and arrays as JSON arrays ({@link encodeMsdpOverGmcp},
 * {@link msdpFromJson}).
 */
import { type Decoded, ok } from './codec.js';
import { encodeGmcp } from './gmcp.js';
import { hasOwn, setOwn } from './mud-record.js';

export const MSDP_VAR = 1;
export const MSDP_VAL = 2;
export const MSDP_TABLE_OPEN = 3;
export const MSDP_TABLE_CLOSE = 4;
export const MSDP_ARRAY_OPEN = 5;
export const MSDP_ARRAY_CLOSE = 6;

/** Deepest nesting of tables and arrays decoded; deeper levels are dropped with a warning. */
export const MSDP_MAX_DEPTH = 32;

/** A decoded MSDP value. */
export type MsdpValue = string | MsdpValue[] | MsdpTable;
/** A decoded MSDP table (also the top level of a message). */
export interface MsdpTable { [name: string]: MsdpValue }

/** What {@link encodeMsdp} takes: strings, numbers, booleans, arrays and objects, nested. */
export type MsdpInputValue = string | number | boolean | readonly MsdpInputValue[] | { readonly [name: string]: MsdpInputValue };

function text(v: string | number | boolean, what: string): Buffer {
  const s = String(v);
  if (/[\x00-\x06\xff]/.test(s)) throw new TypeError(`MSDP ${what} ${JSON.stringify(s)} contains a reserved byte`);
  return Buffer.from(s, 'utf8');
}

function encodeValue(v: MsdpInputValue, out: Buffer[], depth: number): void {
  if (depth > MSDP_MAX_DEPTH) throw new TypeError(`MSDP value nested deeper than ${MSDP_MAX_DEPTH}`);
  if (Array.isArray(v)) {
    out.push(Buffer.of(MSDP_ARRAY_OPEN));
    for (const item of v as readonly MsdpInputValue[]) {
      out.push(Buffer.of(MSDP_VAL));
      encodeValue(item, out, depth + 1);
    }
    out.push(Buffer.of(MSDP_ARRAY_CLOSE));
  } else if (typeof v === 'object' && v !== null) {
    out.push(Buffer.of(MSDP_TABLE_OPEN));
    encodePairs(v as { readonly [name: string]: MsdpInputValue }, out, depth + 1);
    out.push(Buffer.of(MSDP_TABLE_CLOSE));
  } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    out.push(text(v, 'value'));
  } else {
    throw new TypeError(`MSDP cannot encode a value of type ${v === null ? 'null' : typeof v}`);
  }
}

function encodePairs(vars: { readonly [name: string]: MsdpInputValue }, out: Buffer[], depth: number): void {
  for (const [name, value] of Object.entries(vars)) {
    if (name === '') throw new TypeError('MSDP variable name must not be empty');
    out.push(Buffer.of(MSDP_VAR), text(name, 'name'), Buffer.of(MSDP_VAL));
    encodeValue(value, out, depth);
  }
}

/** The MSDP payload for a set of variables (`{ HEALTH: 10, ROOM: { VNUM: 1 } }`). */
export function encodeMsdp(vars: { readonly [name: string]: MsdpInputValue }): Buffer {
  const out: Buffer[] = [];
  encodePairs(vars, out, 0);
  return Buffer.concat(out);
}

/** A cursor over a payload, with the decode warnings. */
class Reader {
  i = 0;
  readonly warnings: string[] = [];
  constructor(readonly buf: Buffer) {}
  get done(): boolean { return this.i >= this.buf.length; }
  peek(): number { return this.buf[this.i]!; }
  /** Text up to the next control byte (1-6). */
  text(): string {
    const start = this.i;
    const b = this.buf;
    while (this.i < b.length && (b[this.i]! < MSDP_VAR || b[this.i]! > MSDP_ARRAY_CLOSE)) this.i++;
    return b.toString('utf8', start, this.i);
  }
}

/** Pairs up to `close` (TABLE_CLOSE) or the end of the payload. */
function decodePairs(r: Reader, depth: number, close: number | null): MsdpTable {
  const table: MsdpTable = {};
  while (!r.done) {
    const b = r.peek();
    if (b === close) { r.i++; return table; }
    if (b !== MSDP_VAR) {
      r.warnings.push(`MSDP byte ${b} where a VAR was expected: skipped`);
      r.i++;
      if (b !== MSDP_VAL) r.text();
      continue;
    }
    r.i++;
    const name = r.text();
    const values: MsdpValue[] = [];
    while (!r.done && r.peek() === MSDP_VAL) {
      r.i++;
      values.push(decodeValue(r, depth));
    }
    const value: MsdpValue = values.length === 0 ? '' : values.length === 1 ? values[0]! : values;
    if (hasOwn(table, name)) r.warnings.push(`MSDP variable ${JSON.stringify(name)} repeated: the last one kept`);
    setOwn(table, name, value);
  }
  if (close !== null) r.warnings.push('MSDP table not closed');
  return table;
}

function decodeValue(r: Reader, depth: number): MsdpValue {
  if (r.done) return '';
  const b = r.peek();
  if (b !== MSDP_TABLE_OPEN && b !== MSDP_ARRAY_OPEN) return r.text();
  r.i++;
  if (depth >= MSDP_MAX_DEPTH) {
    r.warnings.push(`MSDP nested deeper than ${MSDP_MAX_DEPTH}: the rest is dropped`);
    r.i = r.buf.length;
    return '';
  }
  if (b === MSDP_TABLE_OPEN) return decodePairs(r, depth + 1, MSDP_TABLE_CLOSE);
  const arr: MsdpValue[] = [];
  while (!r.done) {
    const c = r.peek();
    if (c === MSDP_ARRAY_CLOSE) { r.i++; return arr; }
    if (c === MSDP_VAL) { r.i++; arr.push(decodeValue(r, depth + 1)); continue; }
    r.warnings.push(`MSDP byte ${c} inside an array where a VAL was expected: skipped`);
    r.i++;
    if (c !== MSDP_VAR) r.text();
  }
  r.warnings.push('MSDP array not closed');
  return arr;
}

/** Decode an MSDP payload. Never throws on peer input. */
export function decodeMsdp(payload: Buffer): Decoded<MsdpTable> {
  const r = new Reader(payload);
  const table = decodePairs(r, 0, null);
  return ok(table, r.warnings);
}

/** The GMCP payload carrying MSDP variables over GMCP (`MSDP {"HEALTH":"10"}`). */
export function encodeMsdpOverGmcp(vars: { readonly [name: string]: MsdpInputValue }): Buffer {
  return encodeGmcp('MSDP', msdpFromJson(vars));
}

/**
 * MSDP variables from the JSON data of a GMCP `MSDP` message: objects are
 * tables, arrays arrays, other scalars their text (`null` is `''`).
 * Throws a TypeError when the data is not an object.
 */
export function msdpFromJson(data: unknown): MsdpTable {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('MSDP over GMCP carries a JSON object');
  }
  return fromJson(data, 0) as MsdpTable;
}

function fromJson(v: unknown, depth: number): MsdpValue {
  if (depth > MSDP_MAX_DEPTH) return '';
  if (Array.isArray(v)) return v.map((x) => fromJson(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const t: MsdpTable = {};
    for (const [k, x] of Object.entries(v)) setOwn(t, k, fromJson(x, depth + 1));
    return t;
  }
  return v === null || v === undefined ? '' : String(v);
}
