/**
 * `telnetlib3/sync`: the blocking API (TelnetConnection, BlockingTelnetServer,
 * ServerConnection) over worker threads. Not implemented yet: every export
 * throws a `TelnetError` with code `ERR_TELNET_NOT_IMPLEMENTED`.
 */
import { TelnetError } from '../protocol/errors.js';

function notImplemented(what: string): never {
  throw new TelnetError(`${what} is not implemented yet`, 'ERR_TELNET_NOT_IMPLEMENTED');
}

/** Blocking Telnet client connection (not implemented yet). */
export class TelnetConnection {
  constructor() {
    notImplemented('telnetlib3/sync TelnetConnection');
  }
}

/** Thread-per-connection blocking server (not implemented yet). */
export class BlockingTelnetServer {
  constructor() {
    notImplemented('telnetlib3/sync BlockingTelnetServer');
  }
}
