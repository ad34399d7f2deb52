/**
 * A raw blocking connection: the engine thread owns the socket and moves
 * bytes untouched both ways (no TelnetSession, no negotiation), so the
 * caller speaks Telnet itself on its own thread. compat/telnetlib is built
 * on it (Python's telnetlib parses IAC in the caller).
 */
import { C, F } from '../bridge/channel.js';
import { takeChannel } from '../bridge/channel-pool.js';
import { channelCall, engineCall, rebuild, waitUntil } from '../bridge/engine-client.js';
import { TelnetError, TelnetTimeoutError } from '../protocol/errors.js';
import { ChannelCore } from './core.js';

/** A connected raw channel and the socket's descriptor number (-1 when unknown; display only). */
export interface RawConnection {
  core: ChannelCore<Buffer>;
  fd: number;
}

/**
 * Connect; blocks until connected or failed. `connectTimeout` (ms) bounds
 * the TCP connect in the engine; `deadline` (ms since the epoch, or null)
 * bounds the whole wait here. Either running out is a
 * {@link TelnetTimeoutError}; a refused or failed connect is a
 * {@link TelnetError} with the engine's code.
 */
export function connectRaw(host: string, port: number, connectTimeout: number | undefined, deadline: number | null): RawConnection {
  const ch = takeChannel();
  const options: Record<string, unknown> = { raw: true, encoding: false };
  if (connectTimeout !== undefined) options.connectTimeout = connectTimeout;
  engineCall<number>('open', ch.sab, host, port, options);
  const core = new ChannelCore<Buffer>(ch, false);
  const settled = (): number => Atomics.load(ch.ctrl, C.FLAGS) & (F.READY | F.ERROR);
  if (!waitUntil(ch, () => settled() !== 0, deadline)) {
    core.close();
    throw new TelnetTimeoutError('timed out', 'ERR_TELNET_CONNECT_TIMEOUT');
  }
  if ((settled() & F.ERROR) !== 0) {
    const err = channelCall<{ message: string; code: string; name: string } | null>(ch, 'error');
    try { channelCall(ch, 'close'); } catch { /* the engine is gone */ }
    throw err === null ? new TelnetError('connection failed', 'ERR_TELNET_CONNECT') : rebuild(err);
  }
  let fd = -1;
  try { fd = channelCall<number | null>(ch, 'extra', ['fd']) ?? -1; } catch { /* informational */ }
  return { core, fd };
}
