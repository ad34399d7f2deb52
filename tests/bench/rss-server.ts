/**
 * A server for the server.async.rss benchmark, run as a child process with
 * --expose-gc:  node --expose-gc rss-server.js raw|telnet
 * Prints its port; then answers each line on stdin: `rss` → resident set
 * size in bytes after a full GC, `count` → connections whose shell started
 * (telnet) or that were accepted (raw).
 */
import net from 'node:net';
import readline from 'node:readline';
import { createServer } from '../../src/server.js';

const mode = process.argv[2] ?? 'raw';
let count = 0;
const sockets = new Set<net.Socket>();

if (mode === 'raw') {
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  server.maxConnections = 20000;
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
} else {
  const server = await createServer({
    host: '127.0.0.1', port: 0, backlog: 4096, maxConnections: 20000, connectMaxwait: 4000,
    shell: async (reader, writer) => {
      count++;
      writer.write('Ready.\r\n');
      await reader.readline();
    },
  });
  process.stdout.write(`${server.port}\n`);
}

const gc = (globalThis as { gc?: () => void }).gc;
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'rss') {
    gc?.();
    gc?.();
    process.stdout.write(`${process.memoryUsage().rss}\n`);
  } else if (line === 'heap') {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    process.stdout.write(`${m.heapUsed + m.external}\n`);
  } else if (line === 'snapshot') {
    gc?.();
    void import('node:v8').then((v8) => process.stdout.write(`${v8.writeHeapSnapshot('/tmp/rss-server.heapsnapshot') ? 1 : 0}\n`));
  } else if (line === 'count') {
    process.stdout.write(`${count}\n`);
  } else if (line === 'exit') {
    process.exit(0);
  }
});
