/**
 * The relay shell (telnetlib3's `relay_server.relay_shell`): after a
 * passcode prompt, open a client connection to a configured host with the
 * caller's window size and relay both ways until either side ends, then
 * close the other.
 *
 *   Telnet Relay shell ready.
 *   Passcode: ****
 *   Connecting to host:port ... connected!
 *
 * Three tries, one second apart after each wrong one; then the connection
 * closes. The passcode and target come from {@link RelayOptions} (or, for
 * `telnetlib3-server --shell relay`, from `TELNETLIB3_RELAY_PASSCODE` and
 * `TELNETLIB3_RELAY_TARGET=host:port`): nothing is built in. The typed
 * passcode is not echoed. Window-size changes (NAWS) from the caller are
 * passed on. TERM is not forwarded (as telnetlib3).
 */
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openConnection } from '../client.js';
import type { Logger } from '../engine/logger.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import { TelnetUsageError } from '../protocol/errors.js';
import type { SessionEvent } from '../protocol/events.js';
import { GuardInput, readLineWithin } from './guard-shells.js';

/** Options of {@link makeRelayShell}. */
export interface RelayOptions {
  /** Where to connect. */
  host: string;
  port: number;
  /** The passcode to ask for; null or '' relays without asking. */
  passcode: string | null;
  /** Tries before giving up (default 3). */
  attempts?: number;
  /** Pause after a wrong passcode, ms (default 1,000). */
  failDelay?: number;
  /** How long to wait for each passcode line, ms (default 60,000). */
  promptTimeout?: number;
  /** TCP connect bound for the target, ms (default 10,000). */
  connectTimeout?: number;
  logger?: Logger;
}

function out(writer: TelnetWriter, text: string): void {
  if (!writer.isClosing()) writer.write(writer.binary ? Buffer.from(text, 'latin1') : text);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `host:port` → parts, or a usage error. */
export function parseTarget(target: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new TelnetUsageError(`relay target must be host:port, got ${JSON.stringify(target)}`, 'ERR_TELNET_BAD_OPTION');
  return { host: m[1]!, port };
}

/** The relay shell with these options. */
export function makeRelayShell(options: RelayOptions): (reader: TelnetReader<any>, writer: TelnetWriter) => Promise<void> {
  return async (reader, writer) => {
    const input = new GuardInput(reader);
    out(writer, 'Telnet Relay shell ready.\r\n');
    if (options.passcode !== null && options.passcode !== '') {
      // The passcode is read without echo: the line editor's echo goes nowhere.
      const silent = { echo: () => {}, binary: writer.binary } as unknown as TelnetWriter;
      let ok = false;
      for (let i = 0; i < (options.attempts ?? 3) && !ok; i++) {
        out(writer, 'Passcode: ');
        const line = await readLineWithin(input, silent, options.promptTimeout ?? 60000);
        if (line === null) return;
        ok = same(line.trim(), options.passcode);
        out(writer, '\r\n');
        if (!ok) await sleep(options.failDelay ?? 1000);
      }
      if (!ok) {
        options.logger?.info('relay: wrong passcode, closing');
        return;
      }
    }
    out(writer, `Connecting to ${options.host}:${options.port} ... `);
    const cols = writer.getExtraInfo<number>('cols') ?? 80;
    const rows = writer.getExtraInfo<number>('rows') ?? 25;
    let target: Awaited<ReturnType<typeof openConnection>>;
    try {
      target = await openConnection(options.host, options.port, {
        encoding: writer.binary ? false : 'utf8', forceBinary: !writer.binary, cols, rows, connectTimeout: options.connectTimeout ?? 10000,
      });
    } catch (err) {
      out(writer, `failed: ${(err as Error).message}\r\n`);
      return;
    }
    out(writer, 'connected!\r\n');
    const tw = target.writer;
    const stopNaws = writer.onSessionEvent((ev: SessionEvent) => {
      if (ev.type === 'naws') tw.setWindowSize(ev.cols, ev.rows);
    });
    const toTarget = (async () => {
      for (;;) {
        const chunk = await input.next(2 ** 31 - 1);
        if (chunk === null) break;
        if (chunk === undefined || chunk === '') continue;
        if (tw.isClosing()) break;
        if (!tw.write(tw.binary ? Buffer.from(chunk, 'latin1') : chunk)) await tw.drain();
      }
    })();
    const toCaller = (async () => {
      for (;;) {
        let chunk: string | Buffer;
        try {
          chunk = await target.reader.read(65536);
        } catch {
          break;
        }
        if (chunk.length === 0 || writer.isClosing()) break;
        if (!writer.write(chunk)) await writer.drain();
      }
    })();
    await Promise.race([toTarget, toCaller, tw.waitClosed(), writer.waitClosed()]);
    stopNaws();
    tw.close();
    await writer.drain();
  };
}

/**
 * The relay shell configured from the environment:
 * `TELNETLIB3_RELAY_TARGET=host:port` and `TELNETLIB3_RELAY_PASSCODE`.
 */
export function relayShellFromEnv(env: NodeJS.ProcessEnv = process.env): (reader: TelnetReader<any>, writer: TelnetWriter) => Promise<void> {
  const target = env.TELNETLIB3_RELAY_TARGET;
  if (target === undefined || target === '') throw new TelnetUsageError('the relay shell needs TELNETLIB3_RELAY_TARGET=host:port', 'ERR_TELNET_BAD_OPTION');
  const { host, port } = parseTarget(target);
  // No default passcode: it must be set (set it empty to relay without asking, deliberately).
  const passcode = env.TELNETLIB3_RELAY_PASSCODE;
  if (passcode === undefined) throw new TelnetUsageError('the relay shell needs TELNETLIB3_RELAY_PASSCODE (empty: no passcode)', 'ERR_TELNET_BAD_OPTION');
  return makeRelayShell({ host, port, passcode });
}
