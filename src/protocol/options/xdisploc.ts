/**
 * X-DISPLAY-LOCATION (RFC 1096), option 35.
 *
 *   server -> client: IAC SB XDISPLOC SEND IAC SE               (SEND = 1)
 *   client -> server: IAC SB XDISPLOC IS <host:dpy[.scr]> IAC SE (IS = 0)
 */
import { type Decoded, fail, ok, sanitizeAscii } from './codec.js';

/** XDISPLOC subnegotiation commands. */
export const XdisplocCmd = { IS: 0, SEND: 1 } as const;

/** Longest display location kept. */
export const XDISPLOC_MAX_LENGTH = 256;

/** A decoded XDISPLOC message. */
export type XdisplocMessage = { kind: 'send' } | { kind: 'is'; display: string };

/** `SEND`. */
export function encodeXdisplocSend(): Buffer {
  return Buffer.from([XdisplocCmd.SEND]);
}

/** `IS <display>`. */
export function encodeXdisplocIs(display: string): Buffer {
  return Buffer.concat([Buffer.from([XdisplocCmd.IS]), Buffer.from(display, 'latin1')]);
}

/** Decode an XDISPLOC payload (the value is reduced to printable ASCII). */
export function decodeXdisploc(payload: Buffer): Decoded<XdisplocMessage> {
  if (payload.length === 0) return fail('empty XDISPLOC payload');
  if (payload[0] === XdisplocCmd.SEND) return ok({ kind: 'send' });
  if (payload[0] !== XdisplocCmd.IS) return fail(`XDISPLOC command ${payload[0]} is neither IS nor SEND`);
  return ok({ kind: 'is', display: sanitizeAscii(payload.subarray(1), XDISPLOC_MAX_LENGTH) });
}
