/**
 * The sender of bulk.mccp2, a child process:
 *
 *   node mccp-server.js zlib|telnet BYTES
 *
 * prints its port, then sends BYTES of MUD text to each connection in
 * 64 KiB writes, compressed: `telnet` is our server with MCCP2
 * (compression: true), `zlib` a plain net server piping node's zlib deflate
 * (same parameters, a sync flush per write) into the socket.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import { createServer } from '../../src/server.js';
import { makeMudText } from './mud-text.js';

const [mode = 'zlib', sizeArg = String(64 * 1024 * 1024)] = process.argv.slice(2);
const data = makeMudText(Number(sizeArg));
const CHUNK = 64 * 1024;

if (mode === 'zlib') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    const z = zlib.createDeflate({ level: 6, windowBits: 12, memLevel: 5 });
    z.pipe(socket);
    void (async () => {
      for (let off = 0; off < data.length; off += CHUNK) {
        const more = z.write(data.subarray(off, off + CHUNK));
        z.flush(zlib.constants.Z_SYNC_FLUSH);
        if (!more) await new Promise((r) => z.once('drain', r));
      }
      z.end();
    })();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000, compression: true,
    shell: async (reader, writer) => {
      await writer.waitFor({ pending: { MCCP2: false } });
      for (let off = 0; off < data.length; off += CHUNK) {
        if (!writer.write(data.subarray(off, off + CHUNK))) await writer.drain();
      }
      void reader;
    },
  });
  process.stdout.write(`${server.port}\n`);
}
