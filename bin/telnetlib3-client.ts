#!/usr/bin/env node
/**
 * telnetlib3-client: an interactive Telnet client for a terminal, or an
 * nc-like pipe when stdin is not a terminal.
 *
 *   telnetlib3-client [options] host [port]
 *
 * Argument parsing, the local terminal (bin/tty-terminal.ts), signals and
 * exit codes only; the session logic is src/client-shell.ts. Durations on
 * the command line are seconds, as in telnetlib3's CLI. Exit status: 0 when
 * the session ends (server closed, or `quit`), 1 on errors (`Error: <msg>`)
 * and on bad arguments (with usage).
 */
import fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { openConnection } from '../src/client.js';
import { Opt } from '../src/protocol/constants.js';
import type { Shell } from '../src/server.js';
import { type ModeChoice, controlName, startClientShell } from '../src/client-shell.js';
import { LOG_LEVELS, type LogLevel } from '../src/engine/logger.js';
import {
  encodingArg, impliesBinary, loadShell, logLevel, makeCliLogger, oneOf, optionList, portParser, seconds,
} from './cli-common.js';
import { type ClientTlsFlags, addClientTlsFlags, clientTlsOption } from './cli-tls.js';
import { TtyTerminal } from './tty-terminal.js';
import { isRetroTerminalEncoding } from '../src/encodings/registry.js';

/** Names `--send-environ` may list: the defaults, plus USER, HOME and SHELL (as telnetlib3). */
const SENDABLE_ENVIRON = ['TERM', 'LANG', 'COLUMNS', 'LINES', 'COLORTERM', 'USER', 'HOME', 'SHELL'];
const DEFAULT_SEND_ENVIRON = 'TERM,LANG,COLUMNS,LINES,COLORTERM';

interface ClientCliOptions extends ClientTlsFlags {
  term: string;
  encoding: string | false;
  encodingErrors: 'replace' | 'ignore' | 'strict';
  forceBinary: boolean;
  rawMode: boolean;
  lineMode: boolean;
  shell?: string;
  escape: string;
  connectTimeout: number;
  connectMinwait: number;
  connectMaxwait: number;
  speed: number;
  sendEnviron: string;
  alwaysWill: number[];
  alwaysDo: number[];
  alwaysWont: number[];
  alwaysDont: number[];
  compression?: boolean;
  gmcpModules?: string;
  loglevel: LogLevel;
  logfile?: string;
  logfileMode: 'append' | 'rewrite';
  typescript?: string;
  typescriptMode: 'append' | 'rewrite';
  ansiKeys: boolean;
  asciiEol: boolean;
}

function speed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 4294967295) throw new InvalidArgumentError('expected a positive integer (bits per second).');
  return n;
}

/** `^]`, `^x`, a single character, or `none`. */
function escapeArg(value: string): string {
  if (value === 'none') return '';
  if (/^\^[@-_a-z?]$/i.test(value)) return value[1] === '?' ? '\x7f' : String.fromCharCode(value[1]!.toUpperCase().charCodeAt(0) - 0x40);
  if ([...value].length === 1) return value;
  throw new InvalidArgumentError('expected a character, ^X, or "none".');
}

function buildProgram(): Command {
  return addClientTlsFlags(new Command())
    .name('telnetlib3-client')
    .usage('[options] host [port]')
    .description('Telnet client: an interactive terminal session, or an nc-like pipe when stdin is not a terminal.')
    .argument('<host>', 'host to connect to')
    .argument('[port]', 'port', portParser(false), 23)
    .addOption(new Option('--term <name>', 'terminal type sent by TTYPE').default(process.env.TERM || 'unknown', '$TERM, or "unknown"'))
    .option('--encoding <name>', 'text encoding, or "false" for bytes', encodingArg, 'utf8')
    .addOption(new Option('--encoding-errors <how>', 'undecodable input').choices(['replace', 'ignore', 'strict']).default('replace'))
    .option('--force-binary', 'use the encoding before BINARY is agreed (implied by any non-ASCII encoding)', false)
    .addOption(new Option('--raw-mode', 'character at a time, no local echo (default: follow the server)').conflicts('lineMode'))
    .addOption(new Option('--line-mode', 'line at a time with local echo (default: follow the server)').conflicts('rawMode'))
    .option('--shell <module[:export]>', 'run this async shell(reader, writer) instead of the terminal session')
    .addOption(new Option('--escape <char>', 'escape character: ^X, a character, or "none"').argParser(escapeArg).default('\x1d', '^]'))
    .option('--connect-timeout <seconds>', 'give up on the TCP connection after this long (0: no limit)', seconds, 10)
    .option('--connect-minwait <seconds>', 'wait at least this long for the server\'s negotiation', seconds, 0)
    .option('--connect-maxwait <seconds>', 'wait at most this long for the server\'s negotiation', seconds, 3)
    .option('--speed <bps>', 'terminal speed sent by TSPEED', speed, 38400)
    .option('--send-environ <names>', `NEW_ENVIRON names we reveal (any of ${SENDABLE_ENVIRON.join(',')})`, DEFAULT_SEND_ENVIRON)
    .option('--always-will <opt>', 'offer and accept this option on our side (name or number; comma list, repeatable)', optionList, [])
    .option('--always-do <opt>', 'ask for and accept this option from the server (comma list, repeatable)', optionList, [])
    .option('--always-wont <opt>', 'refuse this option on our side (comma list, repeatable)', optionList, [])
    .option('--always-dont <opt>', 'refuse this option from the server (comma list, repeatable)', optionList, [])
    .option('--compression', 'ask for MCCP2 compression (default: accept MCCP2/MCCP3 when offered)')
    .option('--no-compression', 'refuse MCCP2/MCCP3 compression')
    .option('--gmcp-modules <modules>', 'GMCP modules announced with Core.Supports.Set, comma-separated ("Char 1,Room 1")')
    .option('--loglevel <level>', `${LOG_LEVELS.join(', ')}; trace adds a hexdump of every byte each way`, logLevel, 'warn')
    .option('--logfile <path>', 'write the log to this file instead of stderr')
    .option('--logfile-mode <mode>', 'append or rewrite the log file', oneOf('append', 'rewrite'), 'append')
    .option('--typescript <file>', 'record the session\'s output to FILE, like script(1)')
    .option('--typescript-mode <mode>', 'append or rewrite the typescript', oneOf('append', 'rewrite'), 'append')
    .option('--ansi-keys', 'retro encodings: send the terminal\'s arrow/function key sequences as they are', false)
    .option('--ascii-eol', 'retro encodings: CR/LF as ASCII, not the encoding\'s end of line (ATASCII 0x9B)', false)
    .showHelpAfterError()
    .addHelpText('after', `
Durations are in seconds. Type ^] for the telnet> prompt (quit, send brk,
send ayt, send ip, mode line|char|auto, status, help). With stdin not a
terminal it works like nc: input is sent, output printed, and it exits when
the server closes after the end of input. Example:
  telnetlib3-client localhost 6023`);
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.parse();
  const [host, port] = program.processedArgs as [string, number];
  const o = program.opts<ClientCliOptions>();

  const escape = o.escape;
  const sendEnviron = o.sendEnviron.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  const bad = sendEnviron.filter((n) => !SENDABLE_ENVIRON.includes(n));
  if (bad.length > 0) program.error(`error: --send-environ: cannot send ${bad.join(', ')} (allowed: ${SENDABLE_ENVIRON.join(', ')})`);

  const terminal = new TtyTerminal();
  const restore = (): void => terminal.restore();
  process.on('exit', restore);
  let shellActive = false;
  const die = (code: number) => () => { restore(); process.exit(code); };
  process.on('SIGTERM', die(143));
  process.on('SIGHUP', die(129));
  // Before the session (connecting), and when stdin is not a terminal, ^C ends us quietly.
  process.on('SIGINT', () => { if (!shellActive || !terminal.interactive) die(130)(); });

  // Output into a closed pipe (`| head`): the session is over for us.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') die(0)();
    else { restore(); process.stderr.write(`Error: ${err.message}\n`); process.exit(1); }
  });

  const logger = makeCliLogger(o.loglevel, o.logfile, o.logfileMode, true);
  const size = terminal.size() ?? { cols: 80, rows: 25 };
  const environ: Record<string, string> = {};
  for (const name of ['COLORTERM', 'USER', 'HOME', 'SHELL']) {
    const v = process.env[name];
    if (sendEnviron.includes(name) && v !== undefined && v !== '') environ[name] = v;
  }
  const customShell = o.shell !== undefined ? await loadShell<Shell>(o.shell) : null;

  let typescript: number | null = null;
  if (o.typescript !== undefined && customShell === null) {
    typescript = fs.openSync(o.typescript, o.typescriptMode === 'rewrite' ? 'w' : 'a');
    fs.writeSync(typescript, `Script started on ${new Date().toISOString()} [telnetlib3-client ${host} ${port}]\n`);
  }

  // A SyncTERM font switch picks the codec, unless --encoding was given (telnetlib3).
  const explicitEncoding = program.getOptionValueSource('encoding') === 'cli';
  const { reader, writer } = await openConnection(host, port, {
    syncTermFonts: !explicitEncoding && o.encoding !== false,
    term: o.term,
    cols: size.cols,
    rows: size.rows,
    tspeed: [o.speed, o.speed],
    encoding: o.encoding,
    encodingErrors: o.encodingErrors,
    forceBinary: o.forceBinary || impliesBinary(o.encoding),
    connectTimeout: o.connectTimeout > 0 ? o.connectTimeout * 1000 : 0,
    connectMinwait: o.connectMinwait * 1000,
    connectMaxwait: o.connectMaxwait * 1000,
    environ,
    sendEnviron,
    alwaysWill: o.alwaysWill,
    alwaysDo: o.alwaysDo,
    alwaysWont: o.alwaysWont,
    alwaysDont: o.alwaysDont,
    // As telnetlib3's CLI: GMCP is accepted when the server offers it.
    passiveDo: [Opt.GMCP],
    ...(o.compression === undefined ? {} : { compression: o.compression }),
    ...(o.gmcpModules === undefined ? {} : { gmcpModules: o.gmcpModules.split(',').map((m) => m.trim()).filter((m) => m !== '') }),
    logger,
    traceBytes: o.loglevel === 'trace',
    tls: clientTlsOption(o),
  });

  if (customShell !== null) {
    await customShell(reader, writer);
    writer.close();
  } else {
    // Atari and Commodore boards are character at a time (telnetlib3 forces raw mode).
    const retroTerminal = o.encoding !== false && isRetroTerminalEncoding(o.encoding);
    const mode: ModeChoice = o.rawMode || (retroTerminal && !o.lineMode) ? 'raw' : o.lineMode ? 'line' : 'auto';
    const messages = terminal.interactive
      ? (line: string) => { process.stdout.write(`${line}\r\n`); }
      : (line: string) => { process.stderr.write(`${line}\n`); };
    shellActive = true;
    const handle = startClientShell(reader, writer, {
      terminal,
      mode,
      escape: escape === '' ? null : escape,
      typescript: typescript === null ? null : { write: (data: string | Buffer) => fs.writeSync(typescript!, typeof data === 'string' ? Buffer.from(data) : data) },
      message: messages,
      peer: `${host} port ${port}`,
      logger,
      retroKeys: { ansiKeys: o.ansiKeys, asciiEol: o.asciiEol },
    });
    process.on('SIGCONT', () => handle.refresh());
    if (escape !== '') logger.debug(`escape character is ${controlName(escape)}`);
    await handle.ended;
    shellActive = false;
    restore();
  }
  if (typescript !== null) fs.writeSync(typescript, `\nScript done on ${new Date().toISOString()}\n`);
  // Let our FIN (and anything before it) go out, then leave.
  await Promise.race([writer.waitClosed(), new Promise((r) => setTimeout(r, 1000).unref())]);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(0);
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
