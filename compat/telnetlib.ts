/**
 * `telnetlib3/compat/telnetlib`: Python's telnetlib API (snake_case names,
 * seconds) over the blocking API. Not implemented yet: constructing `Telnet`
 * throws a `TelnetError` with code `ERR_TELNET_NOT_IMPLEMENTED`.
 */
import { TelnetError } from '../src/protocol/errors.js';

/** Python telnetlib's `Telnet` (not implemented yet). */
export class Telnet {
  constructor() {
    throw new TelnetError('telnetlib3/compat/telnetlib is not implemented yet', 'ERR_TELNET_NOT_IMPLEMENTED');
  }
}
