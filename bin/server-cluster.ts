/**
 * telnetlib3-server --workers N: the primary process's part (the workers
 * run the ordinary server path of telnetlib3-server.ts). Logging of the
 * cluster's state, status lines with clients per worker, and SIGTERM /
 * SIGINT draining every worker.
 */
import cluster from 'node:cluster';
import type { ClusterPrimary } from '../src/cluster.js';
import type { Logger } from '../src/engine/logger.js';

/** In a worker, prefix every log line with `worker N:` (the workers share stderr or the log file). */
export function workerLogger(logger: Logger): Logger {
  const w = cluster.worker;
  if (w === undefined) return logger;
  const p = `worker ${w.id}: `;
  const out: Logger = {
    debug: (m, ...a) => logger.debug(p + m, ...a),
    info: (m, ...a) => logger.info(p + m, ...a),
    warn: (m, ...a) => logger.warn(p + m, ...a),
    error: (m, ...a) => logger.error(p + m, ...a),
  };
  if (logger.trace !== undefined) out.trace = (m, ...a) => logger.trace!(p + m, ...a);
  return out;
}

/** Run the primary until SIGTERM/SIGINT: log readiness, clients per worker when they change, then drain. */
export function servePrimary(primary: ClusterPrimary, logger: Logger, statusIntervalMs: number): void {
  const a = primary.address;
  logger.info(`Server ready on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port} (${primary.workerStatus.length} workers)`);
  let last = '';
  const status = statusIntervalMs > 0 ? setInterval(() => {
    const ws = primary.workerStatus;
    const key = ws.map((w) => `${w.id}:${w.clients}`).join(' ');
    if (key === last) return;
    last = key;
    const parts = ws.map((w) => `worker ${w.id} (pid ${w.pid}): ${w.clients}`);
    logger.info(`Status: ${primary.clientCount} client(s) in ${ws.length} worker(s): ${parts.join(', ')}`);
  }, statusIntervalMs) : null;
  status?.unref();

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} received again: exiting now.`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received, draining ${primary.workerStatus.length} worker(s).`);
    if (status !== null) clearInterval(status);
    primary.close();
    const deadline = new Promise<void>((r) => setTimeout(r, 8000).unref());
    void Promise.race([primary.waitClosed(), deadline]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
