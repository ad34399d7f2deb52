/**
 * TERMINAL-SPEED (RFC 1079), option 32.
 *
 *   server -> client: IAC SB TSPEED SEND IAC SE                 (SEND = 1)
 *   client -> server: IAC SB TSPEED IS <rx>,<tx> IAC SE         (IS = 0)
 *
 * Speeds are ASCII decimal bits per second, transmit first in the RFC's own
 * words ("transmit speed, receive speed"); telnetlib3 names them (rx, tx) in
 * that wire order and so do we.
 */
import { type Decoded, fail, ok } from './codec.js';

/** TSPEED subnegotiation commands. */
export const TspeedCmd = { IS: 0, SEND: 1 } as const;

/** A decoded TSPEED message. */
export type TspeedMessage = { kind: 'send' } | { kind: 'is'; rx: number; tx: number };

/** `SEND`. */
export function encodeTspeedSend(): Buffer {
  return Buffer.from([TspeedCmd.SEND]);
}

/** `IS rx,tx`. */
export function encodeTspeedIs(rx: number, tx: number): Buffer {
  const a = Math.max(0, Math.trunc(rx));
  const b = Math.max(0, Math.trunc(tx));
  return Buffer.concat([Buffer.from([TspeedCmd.IS]), Buffer.from(`${a},${b}`, 'latin1')]);
}

/** Decode a TSPEED payload; malformed speeds are rejected. */
export function decodeTspeed(payload: Buffer): Decoded<TspeedMessage> {
  if (payload.length === 0) return fail('empty TSPEED payload');
  if (payload[0] === TspeedCmd.SEND) return ok({ kind: 'send' });
  if (payload[0] !== TspeedCmd.IS) return fail(`TSPEED command ${payload[0]} is neither IS nor SEND`);
  if (payload.length > 64) return fail('TSPEED value too long');
  const m = /^(\d{1,10}),(\d{1,10})$/.exec(payload.subarray(1).toString('latin1'));
  if (!m) return fail('TSPEED value is not "rx,tx"');
  return ok({ kind: 'is', rx: Number(m[1]), tx: Number(m[2]) });
}
