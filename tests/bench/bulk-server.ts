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
import { makeAscii } from './harness.js';

const [mode = 'raw', kind = 'ascii', sizeArg = String(64 * 1024 * 1024), countArg = '0'] = process.argv.slice(2);
// Serve this many connections, then exit (0 = until killed); lets profilers write their output.
const exitAfter = Number(countArg);
let served = 0;
function servedOne(): void {
  served++;
  if (exitAfter > 0 && served >= exitAfter) setTimeout(() => process.exit(0), 200);
}
const size = Number(sizeArg);
const CHUNK = 64 * 1024;

function payload(): Buffer {
  if (kind === 'ascii') return makeAscii(size);
  // Deterministic pseudo-random bytes; the Telnet writer doubles each 0xFF.
  const buf = Buffer.allocUnsafe(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

const data = payload();

async function pump(write: (b: Buffer) => boolean, drain: () => Promise<void>): Promise<void> {
  const c0 = process.cpuUsage();
  for (let off = 0; off < data.length; off += CHUNK) {
    if (!write(data.subarray(off, off + CHUNK))) await drain();
  }
  const c = process.cpuUsage(c0);
  process.stdout.write(`cpu ${(c.user + c.system) / 1000}\n`);
}

if (mode === 'raw') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    void pump((b) => socket.write(b), () => new Promise((r) => socket.once('drain', () => r()))).then(() => { socket.end(); servedOne(); });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000,
    shell: async (_reader, writer) => {
      await pump((b) => writer.write(b), () => writer.drain());
      servedOne();
    },
  });
  process.stdout.write(`${server.port}\n`);
}

