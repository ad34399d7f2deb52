/**
 * A clustered app for tests/cluster.test.ts (child process):
 *   node cluster-app.js WORKERS
 * The primary prints one JSON line per command read on stdin:
 * `status` -> { port, workers: WorkerStatus[], clients }, `close` -> drains,
 * then prints { closed: true } and exits.
 */
import { createInterface } from 'node:readline';
import { ClusterPrimary } from '../../src/cluster.js';
import { createServer } from '../../src/server.js';

const server = await createServer({
  host: '127.0.0.1', port: 0, connectMaxwait: 200, timeout: 0, cluster: { workers: Number(process.argv[2] ?? 2), reportIntervalMs: 50 },
  shell: async (reader, writer) => {
    writer.write(`pid ${process.pid}\r\n`);
    while ((await reader.readline()).length > 0);
  },
});
if (server instanceof ClusterPrimary) {
  const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
  out({ port: server.port });
  createInterface({ input: process.stdin }).on('line', (cmd) => {
    if (cmd === 'status') out({ port: server.port, workers: server.workerStatus, clients: server.clientCount, serving: server.isServing() });
    if (cmd === 'close') {
      server.close(500);
      void server.waitClosed().then(() => { out({ closed: true }); process.exit(0); });
    }
  });
}
