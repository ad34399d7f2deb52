/**
 * A bulk sender for the bulk.* benchmarks, run as a child process so the
 * sender does not share the measuring process's event loop:
 *
 *   node bulk-server.js raw|telnet ascii|binary BYTES
 *
 * prints the listening port, then sends BYTES of payload to every
 * connection (64 KiB writes, honouring backpressure) and closes it, and
 * prints `cpu MS` (this process's CPU time for that transfer).
 */
import net from 'node:net';
import { createServer } from '../../src/server.js';
import { bulkPayload, pumpBulk } from './harness.js';

const [mode = 'raw', kind = 'ascii', sizeArg = String(64 * 1024 * 1024), countArg = '0'] = process.argv.slice(2);
// Serve this many connections, then exit (0 = until killed); lets profilers write their output.
const exitAfter = Number(countArg);
let served = 0;
function servedOne(): void {
  served++;
  if (exitAfter > 0 && served >= exitAfter) setTimeout(() => process.exit(0), 200);
}
const size = Number(sizeArg);
const data = bulkPayload(kind, size);

if (mode === 'raw') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    void pumpBulk(data, (b) => socket.write(b), () => new Promise((r) => socket.once('drain', () => r()))).then(() => { socket.end(); servedOne(); });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000,
    shell: async (_reader, writer) => {
      await pumpBulk(data, (b) => writer.write(b), () => writer.drain());
      servedOne();
    },
  });
  process.stdout.write(`${server.port}\n`);
}

