/**
 * The options that carry no subnegotiation: their whole meaning is the
 * WILL/WONT/DO/DONT state kept by the negotiator.
 *
 * - BINARY (RFC 856), option 0: the sender of WILL BINARY sends 8-bit data
 *   without NVT rules in that direction. Each direction is separate.
 * - ECHO (RFC 857), option 1: the sender of WILL ECHO echoes what it
 *   receives. Servers offer it; a client never echoes (it refuses DO ECHO).
 * - SUPPRESS-GO-AHEAD (RFC 858), option 3: the sender of WILL SGA stops
 *   sending IAC GA. WILL ECHO + WILL SGA from a server is "kludge" mode,
 *   character at a time.
 * - TIMING-MARK (RFC 860), option 6: `IAC DO TM` asks the peer to answer
 *   `IAC WILL TM` (or WONT) once everything before it was processed. It is
 *   answered every time and never stays enabled.
 * - END-OF-RECORD (RFC 885), option 25: once agreed, records end with
 *   `IAC EOR` (command 239), as MUD prompts do.
 * - LOGOUT (RFC 727), option 18: `DO LOGOUT` to a server asks it to log the
 *   user out; `WILL LOGOUT` from a server warns of an imminent logout.
 *
 *   IAC WILL|WONT|DO|DONT <option>      three bytes, no payload
 */
import { Cmd, type Verb } from '../constants.js';

/** The three bytes of a negotiation. */
export function encodeNegotiation(verb: Verb, opt: number): Buffer {
  if (verb < Cmd.WILL || verb > Cmd.DONT) throw new RangeError(`not a negotiation verb: ${verb}`);
  return Buffer.from([Cmd.IAC, verb, opt & 0xff]);
}
