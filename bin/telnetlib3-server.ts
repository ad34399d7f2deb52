#!/usr/bin/env node
/**
 * telnetlib3-server: serve a shell over Telnet (telsh by default) on
 * localhost:6023, or a program in a pseudo-terminal (`--pty-exec`).
 *
 *   telnetlib3-server [options] [host] [port]
 *   telnetlib3-server --pty-exec /bin/bash -- --login
 *
 * Argument parsing, logging setup, signals and exit codes only: the
 * protocol lives in the library (src/), the PTY shell in
 * src/shells/pty-shell.ts. Durations on the command line are seconds, as in
 * telnetlib3's CLI. Exit status: 0 after SIGTERM/SIGINT, 1 on errors
 * (`Error: <msg>`), 1 with usage on bad arguments.
 */
import { Command, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, type ServerOptions, type Shell, type TelnetServer, createServer } from '../src/server.js';
import { LOG_LEVELS, type LogLevel, type Logger } from '../src/engine/logger.js';
import { telsh } from '../src/shells/telsh.js';
import { makePtyShell, resolveProgram } from '../src/shells/pty-shell.js';
import { ConnectionCounter, guardShell } from '../src/shells/guard-shells.js';
import { builtinShell } from './builtin-shells.js';
import { ClusterPrimary } from '../src/cluster.js';
import { servePrimary, workerLogger } from './server-cluster.js';
import {
  addProxyOptions, count, encodingArg, impliesBinary, loadShell, logLevel, makeCliLogger, portParser, proxyOptions, seconds, splitAtDoubleDash,
} from './cli-common.js';
import { type ServerTlsFlags, addServerTlsFlags, serverTlsOptions } from './cli-tls.js';

interface ServerCliOptions extends ServerTlsFlags {
  shell?: string;
  ptyExec?: string;
  ptyForkLimit: number;
  ptyRaw?: boolean;
  robotCheck: boolean;
  encoding: string | false;
  forceBinary: boolean;
  timeout: number;
  connectMaxwait: number;
  lineMode: boolean;
  neverSendGa: boolean;
  loglevel: LogLevel;
  logfile?: string;
  statusInterval: number;
  compression?: boolean;
  proxyProtocol: boolean;
  proxyFrom?: string[];
  workers: number;
}

function buildProgram(): Command {
  return addProxyOptions(addServerTlsFlags(new Command()))
    .name('telnetlib3-server')
    .usage('[options] [host] [port] [-- PTY-ARGS...]')
    .description('Telnet server: serves telsh (or a shell module, or a program in a pseudo-terminal) on HOST:PORT.')
    .argument('[host]', 'address to bind', DEFAULT_HOST)
    .argument('[port]', 'port to bind (0 picks a free one)', portParser(true), DEFAULT_PORT)
    .option('--shell <module[:export]>', 'an async shell(reader, writer) run for each connection, or telsh (default), fingerprint, relay')
    .option('--pty-exec <program>', 'run PROGRAM in a pseudo-terminal for each connection; its arguments follow "--"')
    .option('--pty-fork-limit <n>', 'most concurrent sessions (0: no limit); more get a busy message', count, 0)
    .addOption(new Option('--pty-raw', "with --pty-exec: telnetlib3's literal raw PTY (no ICANON, no ECHO) for programs that echo themselves"))
    .option('--robot-check', 'check that the client is a terminal (cursor position report) before the shell', false)
    .option('--line-mode', 'leave clients in NVT line mode (no WILL SGA / WILL ECHO); cooked PTY with --pty-exec', false)
    .option('--never-send-ga', 'never send IAC GA', false)
    .option('--compression', 'offer MCCP2 and MCCP3 compression (WILL MCCP2, WILL MCCP3)')
    .option('--no-compression', 'refuse MCCP compression, also when a --shell asks for it')
    .option('--encoding <name>', 'text encoding, or "false" for bytes', encodingArg, 'utf8')
    .option('--force-binary', 'use the encoding before BINARY is agreed (implied by any non-ASCII encoding)', false)
    .option('--timeout <seconds>', 'idle disconnect (0 disables)', seconds, 300)
    .option('--connect-maxwait <seconds>', 'longest negotiation before the shell starts', seconds, 1.5)
    .option('--status-interval <seconds>', 'log connected clients when they change, this often (0 disables)', seconds, 20)
    .option('--workers <n>', 'serve with N worker processes sharing the port (node:cluster; 0: this process alone)', count, 0)
    .option('--loglevel <level>', `${LOG_LEVELS.join(', ')}; trace adds a hexdump of every byte each way`, logLevel, 'info')
    .option('--logfile <path>', 'append the log to this file instead of stderr')
    .showHelpAfterError()
    .addHelpText('after', `
Durations are in seconds. Examples:
  telnetlib3-server                          # telsh on localhost:6023
  telnetlib3-server 0.0.0.0 2323 --shell ./my-shell.js:shell
  telnetlib3-server --pty-exec /bin/bash -- --login
  telnetlib3-server --line-mode --pty-exec /usr/bin/bc -- -q
  telnetlib3-server 0.0.0.0 992 --ssl-certfile cert.pem --ssl-keyfile key.pem --tls-auto`);
}

/** Log `Status: ...` when the set of connected clients changed. */
function startStatusLogger(server: TelnetServer, logger: Logger, intervalMs: number): NodeJS.Timeout {
  let last = '';
  const t = setInterval(() => {
    const clients = server.clients.map(({ writer }) => {
      const peer = writer.getExtraInfo<{ address?: string; port?: number }>('peername');
      return { key: `${peer?.address ?? '?'}:${peer?.port ?? '?'}`, writer };
    });
    const key = clients.map((c) => c.key).sort().join(' ');
    if (key === last) return;
    last = key;
    if (clients.length === 0) {
      logger.info('Status: 0 clients connected');
      return;
    }
    const parts = clients.map(({ key: k, writer: w }) => `${k} (rx=${w.rxBytes}, tx=${w.txBytes}, idle=${Math.round(w.idle / 1000)}s)`);
    logger.info(`Status: ${clients.length} client(s): ${parts.join(', ')}`);
  }, intervalMs);
  t.unref();
  return t;
}

async function main(): Promise<void> {
  const [argv, ptyArgs] = splitAtDoubleDash(process.argv);
  const program = buildProgram();
  program.parse(argv);
  const [host, port] = program.processedArgs as [string, number];
  const o = program.opts<ServerCliOptions>();

  if (o.shell !== undefined && o.ptyExec !== undefined) program.error('error: --shell and --pty-exec cannot be used together');
  const proxy = proxyOptions(program, o);
  if (ptyArgs !== null && o.ptyExec === undefined) program.error('error: arguments after "--" are for --pty-exec PROGRAM');
  let programPath: string | null = null;
  if (o.ptyExec !== undefined) {
    if (process.platform === 'win32') program.error('error: --pty-exec is not available on Windows');
    programPath = resolveProgram(o.ptyExec);
    if (programPath === null) program.error(`error: --pty-exec: ${o.ptyExec}: not found or not executable`);
  }

  let tlsOptions: ReturnType<typeof serverTlsOptions> = {};
  try { tlsOptions = serverTlsOptions(o); } catch (err) { program.error(`error: ${(err as Error).message}`); }

  const logger = workerLogger(makeCliLogger(o.loglevel, o.logfile));
  const encoding = o.encoding;
  const forceBinary = o.forceBinary || impliesBinary(encoding);

  let shell: Shell;
  if (programPath !== null) {
    shell = makePtyShell({
      program: programPath, args: ptyArgs ?? [], lineMode: o.lineMode, raw: o.ptyRaw === true, neverSendGa: o.neverSendGa, logger,
    });
  } else if (o.shell !== undefined) {
    shell = builtinShell(o.shell, { neverSendGa: o.neverSendGa, logger }) ?? await loadShell<Shell>(o.shell);
  } else {
    shell = (r, w) => telsh(r, w, { neverSendGa: o.neverSendGa });
  }
  const counter = o.ptyForkLimit > 0 ? new ConnectionCounter(o.ptyForkLimit) : null;
  shell = guardShell(shell, { counter, robotCheck: o.robotCheck, logger });

  // Sessions still running at shutdown (a PTY child must be hung up before we exit).
  const running = new Set<Promise<unknown>>();
  const tracked: Shell = (reader, writer) => {
    const p = Promise.resolve(shell(reader, writer));
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => {});
    return p;
  };

  const options: ServerOptions = {
    host, port, shell: tracked, encoding, forceBinary, logger,
    timeout: o.timeout * 1000, connectMaxwait: o.connectMaxwait * 1000,
    lineMode: o.lineMode, neverSendGa: o.neverSendGa, traceBytes: o.loglevel === 'trace', ...tlsOptions,
    ...(o.compression === undefined ? {} : { compression: o.compression }),
    ...proxy,
  };
  const started = o.workers > 0 ? await createServer({ ...options, cluster: o.workers }) : await createServer(options);
  if (started instanceof ClusterPrimary) {
    servePrimary(started, logger, o.statusInterval * 1000);
    return;
  }
  const server = started;
  const a = server.address;
  logger.info(`Server ready on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}${tlsOptions.tls === undefined ? '' : tlsOptions.tlsAuto !== undefined ? ' (TLS and plain)' : ' (TLS)'}`);
  const status = o.statusInterval > 0 ? startStatusLogger(server, logger, o.statusInterval * 1000) : null;

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} received again: exiting now.`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received, closing server.`);
    if (status !== null) clearInterval(status);
    server.close();
    const deadline = new Promise<void>((r) => setTimeout(r, 3000).unref());
    void Promise.race([
      server.waitClosed().then(() => Promise.allSettled([...running])),
      deadline,
    ]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
