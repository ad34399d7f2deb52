/**
 * Stable hashes of fingerprint records, computed as telnetlib3 does so the
 * same client gets the same hash from either implementation: SHA-256 of
 * the record as Python's `json.dumps(data, sort_keys=True,
 * separators=(",", ":"))` writes it (keys sorted at every level, no
 * spaces, non-ASCII escaped as `\uXXXX`), first 16 hex digits.
 */
import { createHash } from 'node:crypto';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Python's `json.dumps(..., sort_keys=True, separators=(",", ":"))` (ensure_ascii on). */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
    // Python writes floats with a fraction (1.0); records hash integers only, so this is for completeness.
    return Number.isInteger(value) ? String(value) : String(value);
  }
  if (typeof value === 'string') return asciiString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    // Python sorts by code point; JS sort on strings compares UTF-16 units, the same for the BMP.
    const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${asciiString(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return asciiString(String(value));
}

function asciiString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters as Python does; then escape non-ASCII.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 0x7f ? c : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** First 16 hex digits of SHA-256 over the canonical JSON. */
export function hashFingerprint(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('hex').slice(0, 16);
}
