#!/usr/bin/env node
/**
 * telnetlib3-web: a browser terminal for one Telnet host.
 *
 *   telnetlib3-web [options] telnet-host [telnet-port]
 *
 * Serves the xterm.js page and its WebSocket (src/web/); every browser tab
 * gets its own Telnet connection to telnet-host:telnet-port. Argument
 * parsing only. Durations on the command line are seconds, as the other
 * CLIs. Exit status 0 after SIGINT/SIGTERM, 1 on errors.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../src/engine/logger.js';
import { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, createWebGateway } from '../src/web/gateway.js';
import { count, encodingArg, logLevel, makeCliLogger, portParser, seconds } from './cli-common.js';

interface WebCliOptions {
  host: string;
  port: number;
  term: string;
  encoding: string | false;
  rawMode?: boolean;
  lineMode?: boolean;
  maxSessions: number;
  idleTimeout: number;
  connectTimeout: number;
  allowOrigin: string[];
  loglevel: LogLevel;
  logfile?: string;
}

function positive(value: string): number {
  const n = count(value);
  if (n < 1) throw new InvalidArgumentError('expected an integer >= 1.');
  return n;
}

const program = new Command()
  .name('telnetlib3-web')
  .usage('[options] telnet-host [telnet-port]')
  .description('Browser terminal: serves an xterm.js page whose sessions are Telnet connections to telnet-host.')
  .argument('<telnet-host>', 'the Telnet host every session connects to')
  .argument('[telnet-port]', 'its port', portParser(false), 23)
  .option('--host <address>', 'interface the web server binds (0.0.0.0 for all)', DEFAULT_WEB_HOST)
  .option('--port <port>', 'web server port (0 picks a free one)', portParser(true), DEFAULT_WEB_PORT)
  .option('--term <name>', 'terminal type sent by TTYPE', 'xterm-256color')
  .option('--encoding <name>', 'text encoding of the Telnet connection, or "false" for bytes', encodingArg, 'utf8')
  .addOption(new Option('--raw-mode', 'character at a time (default: follow the server)').conflicts('lineMode'))
  .addOption(new Option('--line-mode', 'line at a time, edited in the page (default: follow the server)').conflicts('rawMode'))
  .option('--max-sessions <n>', 'most browser sessions at once', positive, 100)
  .option('--idle-timeout <seconds>', 'close a session after this long without input (0: never)', seconds, 1800)
  .option('--connect-timeout <seconds>', 'give up on the Telnet connection after this long', seconds, 10)
  .option('--allow-origin <origin>', 'also accept WebSockets from this page origin (repeatable; "*" for any)',
    (v: string, prev: string[] = []) => [...prev, v], [] as string[])
  .option('--loglevel <level>', LOG_LEVELS.join(', '), logLevel, 'info')
  .option('--logfile <path>', 'write the log to this file instead of stderr')
  .showHelpAfterError()
  .addHelpText('after', `
The page is served from this package (no CDN); the browser never chooses
the Telnet host. Binds 127.0.0.1 unless --host says otherwise. Example:
  telnetlib3-web --port 8023 localhost 6023`);

async function main(): Promise<void> {
  program.parse();
  const [telnetHost, telnetPort] = program.processedArgs as [string, number];
  const o = program.opts<WebCliOptions>();
  const logger = makeCliLogger(o.loglevel, o.logfile);
  const gw = await createWebGateway({
    telnetHost,
    telnetPort,
    host: o.host,
    port: o.port,
    term: o.term,
    encoding: o.encoding,
    mode: o.rawMode ? 'raw' : o.lineMode ? 'line' : 'auto',
    maxSessions: o.maxSessions,
    idleTimeout: Math.round(o.idleTimeout * 1000),
    connectTimeout: Math.round(o.connectTimeout * 1000),
    ...(o.allowOrigin.length > 0 ? { allowedOrigins: o.allowOrigin } : {}),
    logger,
  });
  process.stdout.write(`telnetlib3-web: ${gw.url} -> telnet ${telnetHost}:${telnetPort}\n`);
  const stop = (): void => { void gw.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
