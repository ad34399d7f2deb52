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
import { makeAscii } from './harness.js';

const [what = 'bulk', mode = 'raw', kind = 'ascii', sizeArg = '0', certFile = '', keyFile = ''] = process.argv.slice(2);
const size = Number(sizeArg);
const CHUNK = 64 * 1024;
const secure = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

function payload(): Buffer {
  if (kind === 'ascii') return makeAscii(size);
  const buf = Buffer.allocUnsafe(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** Send `data`, then print `cpu MS`: this process's CPU time for the transfer (the bench reads it). */
async function pump(data: Buffer, write: (b: Buffer) => boolean, drain: () => Promise<void>): Promise<void> {
  const c0 = process.cpuUsage();
  for (let off = 0; off < data.length; off += CHUNK) {
    if (!write(data.subarray(off, off + CHUNK))) await drain();
  }
  const c = process.cpuUsage(c0);
  process.stdout.write(`cpu ${(c.user + c.system) / 1000}\n`);
}

const PROMPT = Buffer.from('> ');
const REPLY = Buffer.from('pong\r\n> ');

if (what === 'bulk' && mode === 'raw') {
  const data = payload();
  const server = tls.createServer(secure, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void pump(data, (b) => socket.write(b), () => new Promise((r) => socket.once('drain', () => r()))).then(() => socket.end());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else if (what === 'bulk') {
  const data = payload();
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000, tls: secure,
    shell: async (_reader, writer) => { await pump(data, (b) => writer.write(b), () => writer.drain()); },
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
