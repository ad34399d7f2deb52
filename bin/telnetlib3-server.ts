#!/usr/bin/env node
/**
 * telnetlib3-server: serve a shell over Telnet (telsh by default) on
 * localhost:6023. Argument parsing, logging setup and exit codes only; the
 * protocol lives in the library. Durations on the command line are seconds,
 * as in telnetlib3's CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, type Shell, createServer } from '../src/server.js';
import { LOG_LEVELS, type LogLevel, makeLogger } from '../src/engine/logger.js';
import { telsh } from '../src/shells/telsh.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

async function loadShell(spec: string): Promise<Shell> {
  const colon = spec.lastIndexOf(':');
  const hasExport = colon > 1; // keep Windows-style drive letters intact
  const file = hasExport ? spec.slice(0, colon) : spec;
  const name = hasExport ? spec.slice(colon + 1) : 'default';
  const url = file.startsWith('.') || path.isAbsolute(file) ? pathToFileURL(path.resolve(file)).href : file;
  const mod = await import(url) as Record<string, unknown>;
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`${spec}: export ${JSON.stringify(name)} is not a function`);
  return fn as Shell;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('telnetlib3-server')
    .description('Telnet server: serves telsh, or a shell module, on HOST:PORT')
    .argument('[host]', 'bind address', DEFAULT_HOST)
    .argument('[port]', 'bind port', port, DEFAULT_PORT)
    .option('--shell <module[:export]>', 'an async shell(reader, writer) to run per connection (default: telsh)')
    .option('--encoding <name>', 'text encoding, or "false" for bytes', 'utf8')
    .option('--force-binary', 'use the encoding before BINARY is agreed', false)
    .option('--timeout <seconds>', 'idle disconnect (0 disables)', seconds, 300)
    .option('--connect-maxwait <seconds>', 'longest negotiation before the shell starts', seconds, 1.5)
    .option('--line-mode', 'leave clients in NVT line mode (no WILL SGA / WILL ECHO)', false)
    .option('--never-send-ga', 'never send IAC GA', false)
    .option('--loglevel <level>', `one of ${LOG_LEVELS.join(', ')}; trace adds hexdumps`, 'info')
    .option('--logfile <path>', 'append the log here instead of stderr')
    .showHelpAfterError();
  program.parse();
  const [host, portNumber] = program.processedArgs as [string, number];
  const o = program.opts<{
    shell?: string; encoding: string; forceBinary: boolean; timeout: number; connectMaxwait: number;
    lineMode: boolean; neverSendGa: boolean; loglevel: string; logfile?: string;
  }>();
  if (!(LOG_LEVELS as readonly string[]).includes(o.loglevel)) program.error(`error: unknown --loglevel ${o.loglevel}`);
  const sink = o.logfile ? fs.createWriteStream(o.logfile, { flags: 'a' }) : process.stderr;
  const logger = makeLogger(o.loglevel as LogLevel, (line) => sink.write(`${line}\n`));
  const encoding = o.encoding.toLowerCase() === 'false' ? false : o.encoding;
  const forceBinary = o.forceBinary || (encoding !== false && !['ascii', 'us-ascii'].includes(encoding.toLowerCase()));
  const shell = o.shell ? await loadShell(o.shell) : (r: Parameters<Shell>[0], w: Parameters<Shell>[1]) => telsh(r, w, { neverSendGa: o.neverSendGa });
  const server = await createServer({
    host, port: portNumber, shell, encoding, forceBinary, logger,
    timeout: o.timeout * 1000, connectMaxwait: o.connectMaxwait * 1000,
    lineMode: o.lineMode, neverSendGa: o.neverSendGa, traceBytes: o.loglevel === 'trace',
  });
  logger.info(`Server ready on ${server.address.address}:${server.port}`);
  const stop = (signal: string): void => {
    logger.info(`${signal} received, closing server.`);
    server.close();
    void server.waitClosed().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
