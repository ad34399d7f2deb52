#!/usr/bin/env node
/**
 * telnetlib3-fingerprint-server: a Telnet server whose shell fingerprints
 * each connecting client (telnetlib3's `fingerprint_server_main`), saves
 * the record under `--data-dir` / `$TELNETLIB3_DATA_DIR`
 * (`client/<telnet-hash>/<terminal-hash>/<session-hash>.json`), runs the
 * post-script on it, and shows the client a summary table.
 *
 *   telnetlib3-fingerprint-server [options] [host] [port]
 *
 * Durations are seconds. Exit status: 0 after SIGTERM/SIGINT, 1 on errors.
 */
import { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, createServer } from '../src/server.js';
import { LOG_LEVELS, type LogLevel } from '../src/engine/logger.js';
import { makeFingerprintShell } from '../src/fingerprint/server-shell.js';
import { addProxyOptions, encodingArg, impliesBinary, logLevel, makeCliLogger, portParser, proxyOptions, seconds } from './cli-common.js';

async function main(): Promise<void> {
  const program = addProxyOptions(new Command())
    .name('telnetlib3-fingerprint-server')
    .description('Telnet server that fingerprints each client by what it negotiates and shows it the result.')
    .argument('[host]', 'address to bind', DEFAULT_HOST)
    .argument('[port]', 'port to bind (0 picks a free one)', portParser(true), DEFAULT_PORT)
    .option('--data-dir <path>', 'where records are saved (default $TELNETLIB3_DATA_DIR, else "data")')
    .option('--post-script <program>', 'run PROGRAM FILE after saving (default $TELNETLIB3_FINGERPRINT_POST_SCRIPT)')
    .option('--probe-timeout <seconds>', 'how long the client may take to answer the probe', seconds, 0.5)
    .option('--encoding <name>', 'text encoding, or "false" for bytes', encodingArg, 'utf8')
    .option('--force-binary', 'use the encoding before BINARY is agreed', false)
    .option('--timeout <seconds>', 'idle disconnect (0 disables)', seconds, 300)
    .option('--connect-maxwait <seconds>', 'longest negotiation before the probe starts', seconds, 1.5)
    .option('--line-mode', 'no WILL SGA / WILL ECHO', false)
    .option('--never-send-ga', 'never send IAC GA', false)
    .option('--loglevel <level>', LOG_LEVELS.join(', '), logLevel, 'info')
    .option('--logfile <path>', 'append the log to this file instead of stderr')
    .showHelpAfterError();
  program.parse(process.argv);
  const [host, port] = program.processedArgs as [string, number];
  const o = program.opts<{
    dataDir?: string; postScript?: string; probeTimeout: number; encoding: string | false; forceBinary: boolean; timeout: number;
    connectMaxwait: number; lineMode: boolean; neverSendGa: boolean; loglevel: LogLevel; logfile?: string;
    proxyProtocol: boolean; proxyFrom?: string[];
  }>();
  const proxy = proxyOptions(program, o);
  // telnetlib3 defaults the data dir to "data" and exports it for post-scripts.
  const dataDir = o.dataDir ?? process.env.TELNETLIB3_DATA_DIR ?? 'data';
  process.env.TELNETLIB3_DATA_DIR = dataDir;
  const logger = makeCliLogger(o.loglevel, o.logfile);
  const shell = makeFingerprintShell({ dataDir, postScript: o.postScript, probeTimeout: o.probeTimeout * 1000, logger });
  const server = await createServer({
    host, port, shell, encoding: o.encoding, forceBinary: o.forceBinary || impliesBinary(o.encoding), logger,
    timeout: o.timeout * 1000, connectMaxwait: o.connectMaxwait * 1000, lineMode: o.lineMode, neverSendGa: o.neverSendGa,
    ...proxy,
  });
  const a = server.address;
  logger.info(`Fingerprint server ready on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}, saving under ${dataDir}`);
  const stop = (signal: string): void => {
    logger.info(`${signal} received, closing server.`);
    server.close();
    void Promise.race([server.waitClosed(), new Promise((r) => setTimeout(r, 3000).unref())]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
