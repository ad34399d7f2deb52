/**
 * A prompt server for the rr.* and setup.* benchmarks (child process):
 *   node rr-server.js raw|telnet
 * prints its port. Each connection first gets "> "; every "ping\r\n" is
 * answered "pong\r\n> ".
 */
import net from 'node:net';
import { createServer } from '../../src/server.js';

const mode = process.argv[2] ?? 'raw';
const PROMPT = Buffer.from('> ');
const REPLY = Buffer.from('pong\r\n> ');

if (mode === 'raw') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.write(PROMPT);
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\n')) !== -1) {
        pending = pending.slice(i + 1);
        socket.write(REPLY);
      }
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, encoding: false, connectMaxwait: 1000, maxConnections: 20000,
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
