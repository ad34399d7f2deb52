/**
 * The CLIs' TLS flags with real processes: telnetlib3-server
 * --ssl-certfile/--ssl-keyfile/--tls-auto, telnetlib3-client
 * --ssl/--ssl-cafile/--ssl-no-verify (as an nc-like pipe), --help, bad
 * combinations, and bin/examples/server-tls.
 */
import t from 'tap';
import { openConnection } from '../../src/client.js';
import { killAll } from '../helpers/peers.js';
import { testCerts } from '../helpers/tls-certs.js';
import { CLIENT_CLI, EXAMPLES, SERVER_CLI, node, startServer, waitFor } from './helpers.js';

t.teardown(() => killAll());
const certs = testCerts();
const STEP = 10000;

t.test('--help explains the TLS flags', async (t) => {
  const s = node(t, SERVER_CLI, ['--help']);
  await s.exited;
  for (const f of ['--ssl-certfile', '--ssl-keyfile', '--tls-auto']) t.match(s.stdout(), f, `server --help: ${f}`);
  const c = node(t, CLIENT_CLI, ['--help']);
  await c.exited;
  for (const f of ['--ssl ', '--ssl-cafile', '--ssl-no-verify']) t.match(c.stdout(), f, `client --help: ${f}`);
});

t.test('bad combinations are usage errors', async (t) => {
  const p = node(t, SERVER_CLI, ['127.0.0.1', '0', '--tls-auto']);
  const exit = await p.exited;
  t.equal(exit.code, 1);
  t.match(p.stderr(), /--tls-auto needs --ssl-certfile/);
  const q = node(t, SERVER_CLI, ['127.0.0.1', '0', '--ssl-certfile', '/nonexistent/cert.pem']);
  t.equal((await q.exited).code, 1);
  t.match(q.stderr(), /--ssl-certfile \/nonexistent\/cert\.pem/);
});

t.test('server --ssl-certfile --ssl-keyfile --tls-auto; client --ssl --ssl-cafile, --ssl alone, --ssl-no-verify', { timeout: 60000 }, async (t) => {
  const { proc, port } = await startServer(t, ['--ssl-certfile', certs.localhost.certFile, '--ssl-keyfile', certs.localhost.keyFile, '--tls-auto', '1']);
  t.match(proc.stderr(), /Server ready on 127\.0\.0\.1:\d+ \(TLS and plain\)/);
  // Our library over TLS, and plain, on the same port.
  const secure = await openConnection('127.0.0.1', port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 2000 });
  t.match(await secure.reader.readline(), /^Ready \(secure: TLSv1\.[23]\)\./, 'telsh says the connection is secure');
  secure.writer.close();
  const plain = await openConnection('127.0.0.1', port, { connectMaxwait: 2000 });
  t.match(await plain.reader.readline(), /^Ready\.\r?\n$/, 'plain client on the tls-auto port');
  plain.writer.close();

  const c = node(t, CLIENT_CLI, ['--ssl', '--ssl-cafile', certs.localhost.certFile, '127.0.0.1', String(port)], { stdin: 'pipe' });
  await waitFor(() => c.stdout(), /Ready \(secure: TLSv1\.[23]\)\./, STEP, 'client banner', c);
  c.child.stdin!.end('quit\n');
  await waitFor(() => c.stdout(), /Goodbye\./, STEP, 'client quit', c);
  t.equal((await c.exited).code, 0, 'client exits 0');

  const bad = node(t, CLIENT_CLI, ['--ssl', '127.0.0.1', String(port)], { stdin: 'pipe' });
  t.equal((await bad.exited).code, 1, '--ssl with an unknown CA fails');
  t.match(bad.stderr(), /certificate verification failed .*self-signed certificate/);

  const nv = node(t, CLIENT_CLI, ['--ssl-no-verify', '127.0.0.1', String(port)], { stdin: 'pipe' });
  await waitFor(() => nv.stdout(), /Ready \(secure: TLSv1\.[23]\)\./, STEP, '--ssl-no-verify banner', nv);
  nv.child.stdin!.end('quit\n');
  t.equal((await nv.exited).code, 0, '--ssl-no-verify connects');
});

t.test('bin/examples/server-tls', async (t) => {
  const proc = node(t, `${EXAMPLES}/server-tls.js`, [certs.localhost.certFile, certs.localhost.keyFile, '127.0.0.1', '0', '--tls-auto']);
  const m = await waitFor(() => proc.stdout(), /listening on [^\s]+:(\d+)/, STEP, 'example start', proc);
  const port = Number(m[1]);
  const c = await openConnection('127.0.0.1', port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 2000 });
  t.match(await c.reader.readline(), /^Hello over TLSv1\.[23] \(/);
  c.writer.write('hi there\r\n');
  let text = '';
  while (!/You said: hi there/.test(text)) {
    const got = await c.reader.read(1024);
    if (got === '') break;
    text += got;
  }
  t.match(text, /You said: hi there/);
  const p = await openConnection('127.0.0.1', port, { connectMaxwait: 2000 });
  t.match(await p.reader.readline(), /^Hello over plain Telnet\./, '--tls-auto serves plain too');
  p.writer.close();
});
