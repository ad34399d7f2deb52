/**
 * The server of the server.async.cluster benchmarks (child process):
 *   node cluster-server.js WORKERS [WORK]
 * createServer({ cluster: WORKERS }) with the rr shell: "> " first, then
 * "pong\r\n> " for every line, after WORK iterations of a CPU-bound loop
 * (0 by default; the stand-in for a game server's per-command logic).
 * The primary prints `PORT PID,PID,...` (its
 * own pid, then the workers') on stdout and drains on SIGTERM.
 */
import { ClusterPrimary } from '../../src/cluster.js';
import { createServer } from '../../src/server.js';

const workers = Number(process.argv[2] ?? 1);
const work = Number(process.argv[3] ?? 0);

/** A fixed amount of CPU work: `n` xorshift steps (about 1.7 ns each here). */
function spin(n: number): number {
  let x = 0x12345678;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; }
  return x;
}
/** Where each loop's result goes, so that the loop is not optimised away. */
let sink = 0;
const PROMPT = Buffer.from('> ');
const REPLY = Buffer.from('pong\r\n> ');

const server = await createServer({
  host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 50, timeout: 0, maxConnections: 20000, cluster: workers,
  shell: async (reader, writer) => {
    writer.write(PROMPT);
    for (;;) {
      const line = await reader.readline();
      if (line.length === 0) return;
      if (work > 0) sink ^= spin(work);
      writer.write(REPLY);
    }
  },
});
if (server instanceof ClusterPrimary) {
  process.stdout.write(`${server.port} ${[process.pid, ...server.workerStatus.map((w) => w.pid)].join(',')}\n`);
  process.on('SIGTERM', () => { server.close(200); void server.waitClosed().then(() => process.exit(0)); });
}
