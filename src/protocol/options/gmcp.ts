/**
 * GMCP, Generic MUD Communication Protocol (option 201).
 *
 * Either side may send, once the option is enabled on either side:
 *
 *   IAC SB GMCP <package> [ SP <json> ] IAC SE
 *
 *   package  "Package.Subpackage.Message", UTF-8, no spaces ("Core.Hello")
 *   json     any JSON value, compact ("Room.Info {"num":1,"name":"Hall"}")
 *
 * A message without a space has no data ("Core.Ping"). The payload is split
 * on the first space; data that is only whitespace counts as no data (as
 * telnetlib3's `gmcp_decode`). Invalid JSON is a decode failure: the
 * message is dropped with a warning, the connection goes on.
 *
 * MSDP over GMCP (see msdp.ts) is the package `MSDP` with a JSON object of
 * MSDP variables.
 */
import { type Decoded, fail, ok } from './codec.js';
import { setOwn } from './mud-record.js';

/** A decoded GMCP message. `data` is `null` when the message carried none. */
export interface GmcpMessage {
  package: string;
  data: unknown;
}

/** The GMCP payload for a package and optional data (compact JSON). */
export function encodeGmcp(pkg: string, data?: unknown): Buffer {
  if (typeof pkg !== 'string' || pkg === '' || /[\s\x00-\x1f\x7f]/.test(pkg)) {
    throw new TypeError(`GMCP package name must be non-empty with no spaces or control characters, got ${JSON.stringify(pkg)}`);
  }
  if (data === undefined) return Buffer.from(pkg, 'utf8');
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`GMCP data for ${pkg} cannot be encoded as JSON`);
  return Buffer.from(`${pkg} ${json}`, 'utf8');
}

/** Decode a GMCP payload. Never throws on peer input. */
export function decodeGmcp(payload: Buffer): Decoded<GmcpMessage> {
  const text = payload.toString('utf8');
  const sp = text.search(/[ \t\r\n]/);
  const pkg = sp === -1 ? text : text.slice(0, sp);
  if (pkg === '') return fail('GMCP message without a package name');
  if (/[\x00-\x1f\x7f]/.test(pkg)) return fail('GMCP package name with control characters');
  const rest = sp === -1 ? '' : text.slice(sp + 1);
  if (rest.trim() === '') return ok({ package: pkg, data: null });
  try {
    return ok({ package: pkg, data: JSON.parse(rest) as unknown });
  } catch (err) {
    return fail(`GMCP ${pkg}: invalid JSON (${(err as Error).message})`);
  }
}

/**
 * Merge a received GMCP message into a per-package store, as telnetlib3's
 * `ctx.gmcp_data`: an object replaces the fields it names (a shallow merge
 * into the stored object), anything else replaces the stored value.
 */
export function mergeGmcp(store: Record<string, unknown>, msg: GmcpMessage): void {
  const old = Object.prototype.hasOwnProperty.call(store, msg.package) ? store[msg.package] : undefined;
  const d = msg.data;
  setOwn(store, msg.package, isPlainObject(old) && isPlainObject(d) ? { ...old, ...d } : d);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The modules a telnetlib3 client announces with `Core.Supports.Set` by default. */
export const DEFAULT_GMCP_MODULES: readonly string[] = Object.freeze([
  'Char 1', 'Char.Vitals 1', 'Char.Items 1', 'Room 1', 'Room.Info 1', 'Comm 1', 'Comm.Channel 1', 'Group 1',
]);
