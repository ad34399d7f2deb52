/**
 * TLS in the blocking API: BlockingTelnetServer and TelnetConnection take
 * the async engine's `tls` options; the engine thread owns the TLS socket.
 * Both ends run in this process (the engine thread serves the server side
 * while this thread blocks in the client's calls). Certificates are made by
 * `openssl req` at test time, and given as a Buffer (which crosses to the
 * engine thread as a Uint8Array) and as a PEM string.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { BlockingTelnetServer, TelnetConnection } from '../../src/sync/index.js';
import { testCerts } from '../helpers/tls-certs.js';
import { HOST, thrown } from './helpers.js';

const certs = testCerts();

t.test('blocking TLS server and client: data both ways, extra info as plain data', (t) => {
  const server = new BlockingTelnetServer(HOST, 0, {
    tls: { cert: readFileSync(certs.localhost.certFile), key: certs.localhost.key }, connectMaxwait: 2000,
  });
  server.start();
  t.teardown(() => server.shutdown());
  const c = new TelnetConnection(HOST, server.port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 2000, timeout: 10000 });
  c.connect();
  t.teardown(() => c.close());
  const s = server.accept(10000);
  t.teardown(() => s.close());
  s.write('hello blocking tls\r\n');
  t.equal(c.readline(5000).trim(), 'hello blocking tls');
  c.write('reply\r\n');
  t.equal(s.readline(5000).trim(), 'reply');
  t.match(c.getExtraInfo('tlsVersion'), /^TLSv1\.[23]$/, 'client tlsVersion');
  t.match(s.getExtraInfo('tlsVersion'), /^TLSv1\.[23]$/, 'server tlsVersion');
  t.match(c.getExtraInfo('cipher'), { name: String });
  t.match(c.getExtraInfo('peercert'), { subject: { CN: 'localhost' } }, 'the server certificate');
  t.match(c.getExtraInfo('ssl_object'), { tlsVersion: /^TLSv1/, authorized: true }, 'ssl_object as a summary');
  t.match(s.getExtraInfo('ssl_object'), { tlsVersion: /^TLSv1/ });
  c.close();
  t.match(c.getExtraInfo('ssl_object'), { authorized: true }, 'extra info kept after close');
  t.end();
});

t.test('blocking client: self-signed certificate rejected with ERR_TELNET_TLS_CERT; opt-out connects', (t) => {
  const server = new BlockingTelnetServer(HOST, 0, { tls: { cert: certs.localhost.cert, key: certs.localhost.key }, tlsAuto: true, connectMaxwait: 1000 });
  server.start();
  t.teardown(() => server.shutdown());
  const bad = new TelnetConnection(HOST, server.port, { tls: true, connectTimeout: 5000 });
  const err = thrown(() => bad.connect());
  t.equal(err.code, 'ERR_TELNET_TLS_CERT', err.message);
  t.match(err.message, /DEPTH_ZERO_SELF_SIGNED_CERT/);
  const ok = new TelnetConnection(HOST, server.port, { tls: { rejectUnauthorized: false }, connectMaxwait: 1000 });
  ok.connect();
  t.match(ok.getExtraInfo('ssl_object'), { authorized: false });
  ok.close();
  // tls-auto: a plain blocking client on the same port.
  const plain = new TelnetConnection(HOST, server.port, { connectMaxwait: 1500 });
  plain.connect();
  t.equal(plain.getExtraInfo('tlsVersion'), undefined, 'plain on the tls-auto port');
  plain.close();
  t.end();
});
