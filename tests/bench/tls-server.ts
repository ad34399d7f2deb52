/**
 * The TLS senders and prompt server for the *.tls benchmarks (child process):
 *
 *   node tls-server.js bulk raw|telnet ascii|binary BYTES CERT KEY
 *   node tls-server.js prompt telnet - 0 CERT KEY
 *
 * prints the listening port. `bulk` sends BYTES of payload to every
 * connection (64 KiB writes, honouring backpressure) and closes it: `raw`
 * from a plain `tls.Server`, `telnet` from our TLS server. `prompt` is our
 * TLS server answering each "ping\r\n" with "pong\r\n> " after a first "> ".
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { createServer } from '../../src/server.js';
import { bulkPayload, pumpBulk } from './harness.js';

const [what = 'bulk', mode = 'raw', kind = 'ascii', sizeArg = '0', certFile = '', keyFile = ''] = process.argv.slice(2);
const size = Number(sizeArg);
const secure = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

const PROMPT = Buffer.from('> ');
const REPLY = Buffer.from('pong\r\n> ');

if (what === 'bulk' && mode === 'raw') {
  const data = bulkPayload(kind, size);
  const server = tls.createServer(secure, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void pumpBulk(data, (b) => socket.write(b), () => new Promise((r) => socket.once('drain', () => r()))).then(() => socket.end());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else if (what === 'bulk') {
  const data = bulkPayload(kind, size);
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000, tls: secure,
    shell: async (_reader, writer) => { await pumpBulk(data, (b) => writer.write(b), () => writer.drain()); },
  });
  process.stdout.write(`${server.port}\n`);
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000, maxConnections: 20000, tls: secure,
    shell: async (reader, writer) => {
      writer.write(PROMPT);
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) return;
        writer.write(REPLY);
      }
    },
  });
  process.stdout.write(`${server.port}\n`);
}
