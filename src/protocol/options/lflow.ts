/**
 * TOGGLE-FLOW-CONTROL (RFC 1372), option 33.
 *
 * The client says WILL LFLOW; the server then drives it with
 *
 *   IAC SB LFLOW OFF IAC SE          (0) flow control off
 *   IAC SB LFLOW ON IAC SE           (1) flow control on
 *   IAC SB LFLOW RESTART-ANY IAC SE  (2) any character restarts output
 *   IAC SB LFLOW RESTART-XON IAC SE  (3) only XON restarts output
 */
import { type Decoded, fail, ok } from './codec.js';

/** LFLOW subnegotiation commands. */
export const LflowCmd = { OFF: 0, ON: 1, RESTART_ANY: 2, RESTART_XON: 3 } as const;

/** A decoded LFLOW command. */
export type LflowMessage =
  | { kind: 'flow'; enabled: boolean }
  | { kind: 'restart'; any: boolean };

/** The payload for one LFLOW command. */
export function encodeLflow(cmd: (typeof LflowCmd)[keyof typeof LflowCmd]): Buffer {
  return Buffer.from([cmd]);
}

/** Decode an LFLOW payload (exactly one command byte). */
export function decodeLflow(payload: Buffer): Decoded<LflowMessage> {
  if (payload.length !== 1) return fail(`LFLOW payload must be 1 byte, got ${payload.length}`);
  switch (payload[0]) {
    case LflowCmd.OFF: return ok({ kind: 'flow', enabled: false });
    case LflowCmd.ON: return ok({ kind: 'flow', enabled: true });
    case LflowCmd.RESTART_ANY: return ok({ kind: 'restart', any: true });
    case LflowCmd.RESTART_XON: return ok({ kind: 'restart', any: false });
    default: return fail(`unknown LFLOW command ${payload[0]}`);
  }
}
