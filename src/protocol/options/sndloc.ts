/**
 * SEND-LOCATION (RFC 779), option 23.
 *
 * The client says WILL SNDLOC; once the server answers DO it sends
 *
 *   IAC SB SNDLOC <location text> IAC SE
 *
 * There is no request: the payload is the location itself.
 */
import { type Decoded, ok, sanitizeAscii } from './codec.js';

/** Longest location kept. */
export const SNDLOC_MAX_LENGTH = 256;

/** The SNDLOC payload for a location. */
export function encodeSndloc(location: string): Buffer {
  return Buffer.from(location, 'latin1');
}

/** Decode a SNDLOC payload (printable ASCII, cut at {@link SNDLOC_MAX_LENGTH}). */
export function decodeSndloc(payload: Buffer): Decoded<string> {
  return ok(sanitizeAscii(payload, SNDLOC_MAX_LENGTH));
}
