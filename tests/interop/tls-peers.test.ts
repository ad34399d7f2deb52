/**
 * Interop over TLS with real peers on loopback, certificates made by
 * `openssl req` at test time:
 * - our TLS server (telsh) with `openssl s_client`, `socat OPENSSL:` and
 *   netkit telnet-ssl `-z ssl` as clients;
 * - our TLS client against `socat OPENSSL-LISTEN` in front of inetutils
 *   telnetd, and in front of our own plain server;
 * - tls-auto: inetutils telnet (plain, silent until the server speaks), a
 *   raw plain client that talks first, and openssl s_client, all at once on
 *   one port.
 */
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { type ServerOptions, type TelnetServer, createServer } from '../../src/server.js';
import { telsh } from '../../src/shells/telsh.js';
import { RawPeer } from '../engine/helpers.js';
import {
  type PeerProcess, catLoginPath, freePort, killAll, needPeer, peer, peerTestOptions, peersInstalled, spawnPeer, spawnPty, waitListening, withTimeout,
} from '../helpers/peers.js';
import { haveOpenssl, testCerts } from '../helpers/tls-certs.js';

const TEST_MS = 30000;
const STEP_MS = 8000;
const socat = peer('socat');
const inetutilsd = peer('inetutils-telnetd');
const inetutils = peer('inetutils-telnet');
const netkit = peer('telnet-ssl');
// Skipped without openssl only where .ci/install-peers never ran (there it is installed).
const openssl = haveOpenssl() || peersInstalled() ? {} : { skip: 'openssl not found (apt-get install openssl)' };
const certs = testCerts();
const serverTls = { cert: certs.localhost.cert, key: certs.localhost.key };

t.teardown(() => killAll());

/** Our server with telsh on 127.0.0.1:0, closed in teardown. */
async function ourServer(tt: Test, opts: ServerOptions): Promise<TelnetServer> {
  const server = await createServer({ host: '127.0.0.1', port: 0, connectMaxwait: 800, shell: (r, w) => telsh(r, w), ...opts });
  tt.teardown(async () => { server.close(100); await server.waitClosed(); });
  return server;
}

/** Wait until a process's stdout matches. */
async function outputMatches(p: PeerProcess, re: RegExp, what: string): Promise<void> {
  const end = Date.now() + STEP_MS;
  while (!re.test(p.stdout())) {
    if (Date.now() > end || p.done) throw new Error(`${what}: ${re} not seen (stdout ${JSON.stringify(p.stdout().slice(-300))}, stderr ${JSON.stringify(p.stderr().slice(-300))})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pipe client (s_client, socat) through telsh: secure banner, `quit`, Goodbye. */
async function pipeSession(tt: Test, p: PeerProcess, what: string, eol = '\n'): Promise<void> {
  tt.teardown(() => p.kill());
  await outputMatches(p, /Ready \(secure: TLSv1\.[23]\)\./, `${what} banner`);
  await outputMatches(p, /tel:sh> /, `${what} prompt`);
  p.child.stdin!.write(`quit${eol}`);
  await outputMatches(p, /Goodbye\./, `${what} quit`);
  tt.pass(`${what}: secure banner, command and reply`);
}

t.test('openssl s_client -> our TLS server', { timeout: TEST_MS, ...openssl }, async (tt) => {
  const server = await ourServer(tt, { tls: serverTls });
  const p = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-CAfile', certs.localhost.certFile,
    '-verify_return_error', '-quiet', '-crlf'], { timeoutMs: TEST_MS - 2000, stdin: 'pipe' });
  await pipeSession(tt, p, 's_client');
});

t.test('socat OPENSSL: -> our TLS server (verify on)', peerTestOptions(TEST_MS, socat), async (tt) => {
  const bin = needPeer(tt, socat);
  if (bin === null) return;
  const server = await ourServer(tt, { tls: serverTls });
  const p = spawnPeer(bin, ['-', `OPENSSL:localhost:${server.port},pf=ip4,cafile=${certs.localhost.certFile},verify=1`],
    { timeoutMs: TEST_MS - 2000, stdin: 'pipe' });
  await pipeSession(tt, p, 'socat', '\r\n');
});

t.test('netkit telnet-ssl -z ssl -> our TLS server', peerTestOptions(TEST_MS, netkit), async (tt) => {
  const bin = needPeer(tt, netkit);
  if (bin === null) return;
  const server = await ourServer(tt, { tls: serverTls });
  const p = spawnPty(bin, ['-z', 'ssl', '-z', `cacert=${certs.localhost.certFile}`, '127.0.0.1', String(server.port)], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => p.kill());
  await p.expect(/Ready \(secure: TLSv1\.[23]\)\./, STEP_MS);
  await p.expect(/tel:sh> /, STEP_MS);
  tt.equal(server.clients[0]?.writer.getExtraInfo('cols'), 80, 'telnet-ssl negotiated NAWS over TLS (80x24 pty)');
  tt.equal(server.clients[0]?.writer.getExtraInfo('rows'), 24);
  p.send('quit\r');
  await p.expect(/Goodbye\./, STEP_MS);
});

/** Start `socat OPENSSL-LISTEN` in front of `target` on a free port. */
async function tlsTerminator(tt: Test, bin: string, target: string[]): Promise<number> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const p = spawnPeer(bin, [
      `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,cert=${certs.localhost.certFile},key=${certs.localhost.keyFile},verify=0`,
      ...target,
    ], { timeoutMs: TEST_MS - 2000 });
    try {
      await waitListening(port, 5000, p);
    } catch (err) { last = err; p.kill(); await p.exited; continue; }
    tt.teardown(() => p.stop());
    return port;
  }
  throw last;
}

t.test('our TLS client -> socat OPENSSL-LISTEN -> inetutils telnetd', peerTestOptions(TEST_MS, socat, inetutilsd), async (tt) => {
  const bin = needPeer(tt, socat);
  const telnetd = needPeer(tt, inetutilsd);
  if (bin === null || telnetd === null) return;
  // telnetd needs a real socket (nofork), which the TLS side cannot be: a second socat runs it behind plain TCP.
  const inner = await freePort();
  const d = spawnPeer(bin, [`TCP-LISTEN:${inner},bind=127.0.0.1,reuseaddr`, `EXEC:${telnetd} -h -E ${catLoginPath()},nofork`], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => d.stop());
  await waitListening(inner, 5000, d);
  const port = await tlsTerminator(tt, bin, [`TCP:127.0.0.1:${inner}`]);
  const { reader, writer } = await withTimeout(openConnection('127.0.0.1', port, {
    tls: { ca: certs.localhost.cert }, term: 'xterm', connectMaxwait: 3000,
  }), STEP_MS, 'TLS connect');
  tt.teardown(() => writer.close());
  tt.match(writer.getExtraInfo('tlsVersion'), /^TLSv1/, 'over TLS');
  let text = '';
  const readUntil = async (re: RegExp): Promise<void> => {
    while (!re.test(text)) {
      const got = await withTimeout(reader.read(4096), STEP_MS, `read ${re}`);
      if (got === '') throw new Error(`EOF before ${re}; got ${JSON.stringify(text)}`);
      text += got;
    }
  };
  await readUntil(/READY/);
  writer.write('hello tls\r\n');
  await readUntil(/echo: hello tls/);
  writer.write('quit\r\n');
  await readUntil(/BYE/);
  tt.pass('telnetd session through the TLS terminator');
});

t.test('our TLS client -> socat OPENSSL-LISTEN -> our plain server', peerTestOptions(TEST_MS, socat), async (tt) => {
  const bin = needPeer(tt, socat);
  if (bin === null) return;
  const plain = await ourServer(tt, {});
  const port = await tlsTerminator(tt, bin, [`TCP:127.0.0.1:${plain.port}`]);
  const { reader, writer } = await withTimeout(openConnection('localhost', port, {
    tls: { ca: certs.localhost.cert }, family: 4, connectMaxwait: 3000,
  }), STEP_MS, 'TLS connect');
  tt.teardown(() => writer.close());
  let text = '';
  const readUntil = async (re: RegExp): Promise<void> => {
    while (!re.test(text)) {
      const got = await withTimeout(reader.read(4096), STEP_MS, `read ${re}`);
      if (got === '') throw new Error(`EOF before ${re}; got ${JSON.stringify(text)}`);
      text += got;
    }
  };
  await readUntil(/tel:sh> /);
  tt.match(text, /Ready\./, 'plain banner (the server side is plain)');
  tt.equal(plain.clients[0]?.writer.getExtraInfo('cols'), 80, 'NAWS reached the plain server through the terminator');
  writer.write('quit\r\n');
  await readUntil(/Goodbye\./);
});

t.test('tls-auto: inetutils telnet, a plain talker and openssl s_client on one port at once', { ...peerTestOptions(TEST_MS, inetutils), ...openssl }, async (tt) => {
  const bin = needPeer(tt, inetutils);
  if (bin === null) return;
  const server = await ourServer(tt, { tls: serverTls, tlsAuto: 1000 });
  const port = server.port;
  const telnet = spawnPty(bin, ['127.0.0.1', String(port)], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => telnet.kill());
  const sclient = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.localhost.certFile,
    '-verify_return_error', '-quiet', '-crlf'], { timeoutMs: TEST_MS - 2000, stdin: 'pipe' });
  const talker = await RawPeer.connect(tt, port);
  talker.write('quit\r\n'); // before the server said anything: must reach telsh whole
  await Promise.all([
    (async () => {
      await telnet.expect(/Ready\.\r?\n/, STEP_MS);
      await telnet.expect(/tel:sh> /, STEP_MS);
      telnet.send('quit\r');
      await telnet.expect(/Goodbye\./, STEP_MS);
    })(),
    pipeSession(tt, sclient, 's_client on the tls-auto port'),
    talker.waitForBytes('Goodbye.', STEP_MS, 'talker: its early "quit" ran'),
  ]);
  tt.ok(talker.received.includes(Buffer.from('Ready.\r\n')), 'the talker got the plain banner');
  tt.pass('all three served concurrently');
});
