/**
 * `telnetlib3/compat/miniboa`: miniboa's poll-loop `TelnetServer` (snake_case
 * names, seconds) over the blocking API. Not implemented yet: constructing
 * `TelnetServer` throws a `TelnetError` with code `ERR_TELNET_NOT_IMPLEMENTED`.
 */
import { TelnetError } from '../src/protocol/errors.js';

/** miniboa's `TelnetServer` (not implemented yet). */
export class TelnetServer {
  constructor() {
    throw new TelnetError('telnetlib3/compat/miniboa is not implemented yet', 'ERR_TELNET_NOT_IMPLEMENTED');
  }
}
