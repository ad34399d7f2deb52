/**
 * Bad input to a TLS server: plain bytes to a TLS-only port, a garbage or
 * truncated ClientHello, a stalled handshake, a client that closes
 * mid-handshake. Each is one logged warning with a stable code, the socket
 * is dropped, and the server keeps serving; memory stays bounded over 1,000
 * bad handshakes.
 */
import net from 'node:net';
import tls from 'node:tls';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { testCerts } from '../helpers/tls-certs.js';
import { HOST, RawPeer, memoryLogger, startServer, until, within } from './helpers.js';

const certs = testCerts();
const serverTls = { cert: certs.localhost.cert, key: certs.localhost.key };

/** A real ClientHello, captured from Node's TLS client. */
async function clientHello(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const srv = net.createServer((s) => { s.on('data', (d) => { chunks.push(d); s.destroy(); }); });
  await new Promise<void>((r) => srv.listen(0, HOST, () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const c = tls.connect({ host: HOST, port, rejectUnauthorized: false });
  c.on('error', () => {});
  await until(() => chunks.length > 0, 5000, 'ClientHello');
  c.destroy();
  srv.close();
  return Buffer.concat(chunks);
}

/** Wait until the logger has a warning with `code`. */
async function warned(logger: ReturnType<typeof memoryLogger>, code: string, count = 1): Promise<void> {
  await until(() => logger.lines.filter((l) => l.startsWith('warn') && l.includes(`(${code})`)).length >= count, 8000, `warning ${code}`);
}

/** A good TLS client still gets served. */
async function stillServing(t: Test, port: number): Promise<void> {
  const c = await within(openConnection(HOST, port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 1000 }), 8000, 'good TLS client');
  t.match(c.writer.getExtraInfo('tlsVersion'), /^TLSv1/, 'a good client is still served');
  c.writer.close();
}

t.test('each bad handshake is one warning with a stable code; the server keeps serving', async (t) => {
  const hello = await clientHello();
  t.equal(hello[0], 0x16, 'captured a handshake record');
  const logger = memoryLogger();
  const server = await startServer(t, { tls: serverTls, tlsHandshakeTimeout: 1000, logger });
  const port = server.port;

  const plain = await RawPeer.connect(t, port);
  plain.write('hello, plain telnet\r\n');
  await warned(logger, 'ERR_TELNET_TLS_NOT_TLS');
  await plain.waitEnd(5000);

  const garbage = await RawPeer.connect(t, port);
  garbage.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), Buffer.alloc(32, 0xa5)]));
  await warned(logger, 'ERR_TELNET_TLS_HANDSHAKE');
  await garbage.waitEnd(5000);

  const stalled = await RawPeer.connect(t, port);
  stalled.write(hello.subarray(0, 40));
  await warned(logger, 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT');
  await stalled.waitEnd(5000);

  const silent = await RawPeer.connect(t, port);
  await warned(logger, 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT', 2);
  await silent.waitEnd(5000);

  const quitter = await RawPeer.connect(t, port);
  quitter.write(hello.subarray(0, 40));
  await new Promise((r) => setTimeout(r, 50));
  quitter.socket.destroy();
  await warned(logger, 'ERR_TELNET_TLS_HANDSHAKE_ABORTED');

  t.equal(server.clients.length, 0, 'no bad client became a connection');
  await stillServing(t, port);
  const warnings = logger.lines.filter((l) => l.startsWith('warn'));
  t.equal(warnings.length, 5, `one warning per bad client:\n${warnings.join('\n')}`);
  for (const w of warnings) t.match(w, /^warn TLS handshake from 127\.0\.0\.1:\d+ failed \(ERR_TELNET_TLS_[A-Z_]+\)/);
});

t.test('tls-auto: a garbage handshake is dropped, plain clients are unaffected', async (t) => {
  const logger = memoryLogger();
  const server = await startServer(t, { tls: serverTls, tlsAuto: 1000, tlsHandshakeTimeout: 2000, logger, connectMaxwait: 300 });
  const bad = await RawPeer.connect(t, server.port);
  bad.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
  await warned(logger, 'ERR_TELNET_TLS_HANDSHAKE');
  const plain = await RawPeer.connect(t, server.port);
  await plain.waitForBytes(Buffer.from([0xff, 0xfd, 0x18]), 5000, 'plain client negotiated');
  await stillServing(t, server.port);
});

t.test('RSS stays bounded over 1,000 bad handshakes', { timeout: 180000 }, async (t) => {
  const hello = await clientHello();
  const logger = memoryLogger();
  // A long detection wait: on a loaded machine a client's first bytes may come late, and then it would be (rightly) plain.
  const server = await startServer(t, { tls: serverTls, tlsAuto: 3000, tlsHandshakeTimeout: 5000, logger });
  const port = server.port;
  const kinds = [
    (s: net.Socket) => s.end(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), Buffer.alloc(32, 0x5a)])),
    (s: net.Socket) => { s.write(hello.subarray(0, 60)); setTimeout(() => s.destroy(), 5); },
    (s: net.Socket) => s.end(hello.subarray(0, hello.length - 7)),
  ];
  const one = (i: number): Promise<void> => new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.on('error', () => {});
    s.resume(); // read, or the server's FIN is never seen
    s.on('close', () => resolve());
    s.on('connect', () => kinds[i % kinds.length]!(s));
    s.setTimeout(10000, () => s.destroy());
  });
  const round = async (from: number, n: number): Promise<void> => {
    const width = 20;
    for (let i = from; i < from + n; i += width) await Promise.all(Array.from({ length: Math.min(width, from + n - i) }, (_, k) => one(i + k)));
  };
  const settle = async (): Promise<number> => {
    await until(() => (server as any).tls.pendingCount === 0, 10000, 'no handshake pending');
    (globalThis as any).gc?.();
    return process.memoryUsage().rss;
  };
  const t0 = Date.now();
  await round(0, 200);
  t.comment(`200 bad handshakes in ${Date.now() - t0} ms`);
  const before = await settle();
  await round(200, 800);
  const after = await settle();
  const grew = (after - before) / 1048576;
  t.ok(grew < 40, `RSS grew ${grew.toFixed(1)} MiB over 800 more bad handshakes (bound 40 MiB)`);
  const warnings = logger.lines.filter((l) => l.startsWith('warn')).length;
  t.ok(warnings >= 900 && warnings <= 1000, `one warning per bad handshake (${warnings})`);
  await until(() => server.clients.length === 0, 5000, 'no connection left');
  await stillServing(t, port);
});
