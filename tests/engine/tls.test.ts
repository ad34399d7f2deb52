/**
 * TLS in the async engine: our TLS server with our TLS client over
 * loopback, certificate verification and its opt-out, extra info on both
 * sides, and tls-auto (plain and TLS clients on one port, a silent plain
 * client, a plain client's first input). Certificates are made by
 * `openssl req` at test time (tests/helpers/tls-certs.ts).
 */
import tls from 'node:tls';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { TelnetTlsError } from '../../src/engine/tls.js';
import { TelnetUsageError } from '../../src/protocol/errors.js';
import { createServer } from '../../src/server.js';
import { testCerts } from '../helpers/tls-certs.js';
import { DO_TTYPE, HOST, RawPeer, connect, memoryLogger, pair, rejection, startServer, trackUnhandled, until, within } from './helpers.js';

const unhandled = trackUnhandled();
const certs = testCerts();
const serverTls = { cert: certs.localhost.cert, key: certs.localhost.key };

t.test('TLS server and client: negotiation, data both ways, extra info', async (t) => {
  const { s, c } = await pair(t, { tls: serverTls }, { tls: { ca: certs.localhost.cert } });
  // Both sides negotiated over TLS as they would in clear.
  t.equal(s.writer.getExtraInfo('TERM'), 'unknown');
  t.ok(s.writer.getExtraInfo('charset'), 'CHARSET negotiated over TLS');
  s.writer.write('hello over tls\r\n');
  t.equal((await within(c.reader.readline(), 3000, 'client line')).trim(), 'hello over tls');
  c.writer.write('and back\r\n');
  t.equal((await within(s.reader.readline(), 3000, 'server line')).trim(), 'and back');
  for (const [side, w] of [['server', s.writer], ['client', c.writer]] as const) {
    t.match(w.getExtraInfo('tlsVersion'), /^TLSv1\.[23]$/, `${side} tlsVersion`);
    t.match(w.getExtraInfo('cipher'), { name: String, version: String }, `${side} cipher`);
    t.ok(w.getExtraInfo('ssl_object') instanceof tls.TLSSocket, `${side} ssl_object is the TLSSocket`);
  }
  t.match(c.writer.getExtraInfo('peercert'), { subject: { CN: 'localhost' } }, 'client sees the server certificate');
  t.equal(s.writer.getExtraInfo('peercert'), undefined, 'no client certificate was sent');
  t.equal((c.writer.getExtraInfo('ssl_object') as tls.TLSSocket).authorized, true, 'verified against the given CA');
  unhandled.check(t);
});

t.test('plain connections have no TLS extra info', async (t) => {
  const { s, c } = await pair(t);
  for (const k of ['tlsVersion', 'cipher', 'ssl_object', 'peercert']) {
    t.equal(s.writer.getExtraInfo(k), undefined, `server ${k}`);
    t.equal(c.writer.getExtraInfo(k), undefined, `client ${k}`);
  }
});

t.test('client verification: self-signed rejected, wrong CA, wrong host name, explicit opt-out', async (t) => {
  const server = await startServer(t, { tls: serverTls, logger: memoryLogger() });
  const port = server.port;
  // Node's CA store does not know our certificate.
  let err = await rejection(openConnection(HOST, port, { tls: true, connectTimeout: 3000 }), 5000, 'tls: true');
  t.ok(err instanceof TelnetTlsError, 'a TelnetTlsError');
  t.equal(err.code, 'ERR_TELNET_TLS_CERT');
  t.equal(err.reason, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  t.match(err.message, /certificate verification failed with 127\.0\.0\.1:\d+/);
  err = await rejection(openConnection(HOST, port, { tls: { ca: certs.other.cert } }), 5000, 'wrong CA');
  t.equal(err.code, 'ERR_TELNET_TLS_CERT', 'a CA that did not sign it');
  err = await rejection(openConnection(HOST, port, { tls: { ca: certs.localhost.cert, servername: 'other.invalid', host: 'other.invalid' } }), 5000, 'wrong name');
  t.equal(err.code, 'ERR_TELNET_TLS_CERT', 'host name mismatch');
  t.equal(err.reason, 'ERR_TLS_CERT_ALTNAME_INVALID');
  // `localhost` resolves and the name matches the certificate's SAN.
  const byName = await openConnection('localhost', port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 2000, family: 4 });
  t.equal((byName.writer.getExtraInfo('ssl_object') as tls.TLSSocket).authorized, true, 'servername = host');
  byName.writer.close();
  const c = await connect(t, port, { tls: { rejectUnauthorized: false } });
  t.equal((c.writer.getExtraInfo('ssl_object') as tls.TLSSocket).authorized, false, 'opt-out: connected unverified');
  t.match(c.writer.getExtraInfo('tlsVersion'), /^TLSv1/);
});

t.test('client: a plain server behind a TLS client fails clearly; a silent server times the handshake out', async (t) => {
  const plain = await startServer(t);
  // The plain server answers the ClientHello with IAC DO TTYPE only, which is not a whole TLS record.
  let err = await rejection(openConnection(HOST, plain.port, { tls: { rejectUnauthorized: false }, tlsHandshakeTimeout: 500 }), 5000, 'TLS to plain');
  t.ok(err instanceof TelnetTlsError || err.code === 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT', `a TLS error (${err.code}: ${err.message})`);
  t.match(err.code, /^ERR_TELNET_TLS_/);
  const { server: silent, port } = await (await import('./helpers.js')).rawServer(t, () => {});
  void silent;
  err = await rejection(openConnection(HOST, port, { tls: true, tlsHandshakeTimeout: 300 }), 5000, 'silent');
  t.equal(err.code, 'ERR_TELNET_TLS_HANDSHAKE_TIMEOUT');
});

t.test('tlsAuto needs tls; bad values are usage errors', async (t) => {
  await t.rejects(createServer({ host: HOST, port: 0, tlsAuto: true }), TelnetUsageError);
  await t.rejects(createServer({ host: HOST, port: 0, tls: serverTls, tlsAuto: -1 }), TelnetUsageError);
  await t.rejects(createServer({ host: HOST, port: 0, tls: { cert: 'not a pem', key: 'nope' } }), { code: 'ERR_TELNET_TLS_CONFIG' });
});

t.test('tls-auto: TLS client, talking plain client and silent plain client on one port, concurrently', async (t) => {
  const logger = memoryLogger();
  const lines: string[] = [];
  const server = await startServer(t, {
    tls: serverTls, tlsAuto: 1000, logger, connectMaxwait: 1500,
    shell: async (reader, writer) => {
      writer.write(`secure=${String(writer.getExtraInfo('tlsVersion') ?? 'no')}\r\n`);
      const line = await reader.readline();
      lines.push(line.trim());
      writer.write(`got ${line.trim()}\r\n`);
    },
  });
  const port = server.port;
  const silentAt = Date.now();
  const [secure, talker, silent] = await Promise.all([
    openConnection(HOST, port, { tls: { ca: certs.localhost.cert }, connectMaxwait: 2000 }),
    RawPeer.connect(t, port),
    RawPeer.connect(t, port),
  ]);
  t.teardown(() => secure.writer.close());
  // The talker speaks first, before the server said anything: none of it may be lost.
  talker.write('first words\r\n');
  t.match(await within(secure.reader.readline(), 5000, 'tls banner'), /^secure=TLSv1\.[23]/);
  secure.writer.write('from tls\r\n');
  t.equal((await within(secure.reader.readline(), 5000, 'tls echo')).trim(), 'got from tls');
  await talker.waitForBytes('got first words', 5000, 'talker echo');
  t.ok(talker.received.includes(Buffer.from('secure=no')), 'the talker is plain');
  // The silent client hears the server's opening after the detection wait, not never.
  await silent.waitForBytes(DO_TTYPE, 5000, 'silent client gets IAC DO TTYPE');
  t.ok(Date.now() - silentAt >= 900, 'only after the detection wait');
  silent.write('late\r\n');
  await silent.waitForBytes('got late', 5000, 'silent echo');
  t.same(lines.sort(), ['first words', 'from tls', 'late'].sort(), 'every first line arrived whole');
  t.notOk(logger.lines.some((l) => l.startsWith('warn')), 'no warnings');
});

t.test('tls-auto: a one-byte first chunk, and an EOF before any byte', async (t) => {
  const got: string[] = [];
  const server = await startServer(t, {
    tls: serverTls, tlsAuto: true,
    connectMaxwait: 500,
    shell: async (reader) => { got.push((await reader.readline()).trim()); },
  });
  const a = await RawPeer.connect(t, server.port);
  a.write('x');
  await new Promise((r) => setTimeout(r, 50));
  a.write('yz\r\n');
  await until(() => got.length === 1, 5000, 'line');
  t.equal(got[0], 'xyz', 'the first byte was put back');
  const b = await RawPeer.connect(t, server.port);
  b.socket.end();
  await within(b.closedP, 5000, 'EOF before any byte closes');
  t.equal(server.clients.length <= 1, true);
});

/** Bytes a raw TLS peer received, and its socket. */
async function rawTlsClient(t: Test, port: number): Promise<{ socket: tls.TLSSocket; got: () => Buffer }> {
  const socket = tls.connect({ host: HOST, port, rejectUnauthorized: false });
  const parts: Buffer[] = [];
  socket.on('data', (d: Buffer) => parts.push(d));
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  await within(new Promise((r) => socket.once('secureConnect', r)), 3000, 'raw TLS handshake');
  return { socket, got: () => Buffer.concat(parts) };
}

const WILL_MCCP2 = Buffer.from([0xff, 0xfb, 86]);
const WILL_MCCP3 = Buffer.from([0xff, 0xfb, 87]);

t.test('MCCP is refused over TLS both ways (CRIME/BREACH), and still offered to plain clients on a tls-auto port', async (t) => {
  const logger = memoryLogger();
  const server = await startServer(t, { tls: serverTls, tlsAuto: 300, compression: true, logger, connectMaxwait: 800 });
  t.ok(logger.lines.some((l) => /MCCP is not offered on TLS/.test(l)), 'the server says so at start');
  // A plain client on the same port is offered and gets MCCP2.
  const plain = await connect(t, server.port, {});
  await until(() => plain.writer.compression.receive?.active === true, 3000, 'plain client inflates');
  // A TLS peer is never offered MCCP, and is refused when it asks.
  const raw = await rawTlsClient(t, server.port);
  await until(() => raw.got().includes(DO_TTYPE), 3000, 'IAC DO TTYPE over TLS');
  raw.socket.write(Buffer.from([0xff, 0xfb, 0x18])); // WILL TTYPE: advanced negotiation starts
  await new Promise((r) => setTimeout(r, 600));
  t.notOk(raw.got().includes(WILL_MCCP2), 'no WILL MCCP2 over TLS');
  t.notOk(raw.got().includes(WILL_MCCP3), 'no WILL MCCP3 over TLS');
  raw.socket.write(Buffer.from([0xff, 0xfd, 86, 0xff, 0xfd, 87])); // DO MCCP2, DO MCCP3
  await until(() => raw.got().includes(Buffer.from([0xff, 0xfc, 86])) && raw.got().includes(Buffer.from([0xff, 0xfc, 87])), 3000, 'WONT MCCP2 and WONT MCCP3');
  t.notOk(raw.got().includes(Buffer.from([0xff, 0xfa, 86])), 'no compression start');
  // Our TLS client does not take MCCP2 from a TLS server that offers it.
  const offers = tls.createServer({ cert: certs.localhost.cert, key: certs.localhost.key }, (s) => {
    s.on('error', () => {});
    s.write(Buffer.concat([WILL_MCCP2, Buffer.from([0xff, 0xfd, 87])]));
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => { parts.push(d); received = Buffer.concat(parts); });
  });
  let received = Buffer.alloc(0);
  await new Promise<void>((r) => offers.listen(0, HOST, () => r()));
  t.teardown(() => offers.close());
  const port = (offers.address() as { port: number }).port;
  const clientLog = memoryLogger();
  const c = await openConnection(HOST, port, { tls: { rejectUnauthorized: false }, compression: true, connectMaxwait: 500, logger: clientLog });
  t.teardown(() => c.writer.close());
  await until(() => received.includes(Buffer.from([0xff, 0xfe, 86])), 3000, 'client: DONT MCCP2');
  await until(() => received.includes(Buffer.from([0xff, 0xfc, 87])), 3000, 'client: WONT MCCP3');
  t.equal(c.writer.compression.receive, null, 'client never inflated');
  t.ok(clientLog.lines.some((l) => /MCCP is not used over TLS/.test(l)), 'the client says why');
});

/**
 * A TLS client behind a PROXY-protocol balancer (a relay in this process):
 * the header and the ClientHello in one TCP write (`together`), or the
 * header alone first.
 */
async function proxiedTls(t: Test, port: number, together: boolean): Promise<tls.TLSSocket> {
  const net = await import('node:net');
  const header = Buffer.from('PROXY TCP4 198.51.100.7 127.0.0.1 40123 992\r\n');
  const relay = net.createServer((client) => {
    const up = net.connect({ host: HOST, port });
    if (!together) up.write(header);
    client.once('data', (first: Buffer) => {
      up.write(together ? Buffer.concat([header, first]) : first);
      client.pipe(up);
    });
    up.pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, HOST, () => r()));
  t.teardown(() => relay.close());
  if (!together) await new Promise((r) => setTimeout(r, 20));
  const s = tls.connect({ host: HOST, port: (relay.address() as { port: number }).port, rejectUnauthorized: false });
  s.on('error', () => {});
  await within(new Promise((r) => s.once('secureConnect', r)), 3000, `TLS over PROXY (${together ? 'one segment' : 'apart'})`);
  return s;
}

t.test('PROXY protocol in front of TLS and of tls-auto: the header, then the handshake, nothing lost', async (t) => {
  for (const tlsAuto of [false, 300] as const) {
    const peers: string[] = [];
    const logger = memoryLogger();
    const server = await startServer(t, {
      tls: serverTls, tlsAuto: tlsAuto === false ? undefined : tlsAuto, proxyProtocol: true, logger, connectMaxwait: 300,
      shell: async (reader, writer) => {
        const peer = writer.getExtraInfo('peername') as { address: string; port: number };
        peers.push(`${peer.address}:${peer.port}`);
        writer.write(`hello ${String(writer.getExtraInfo('tlsVersion') ?? 'plain')}\r\n`);
        writer.write(`echo ${(await reader.readline()).trim()}\r\n`);
      },
    });
    for (const together of [true, false]) {
      const s = await proxiedTls(t, server.port, together);
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      await until(() => Buffer.concat(got).includes('hello TLSv1'), 3000, 'greeting over TLS');
      s.write('ping\r\n');
      await until(() => Buffer.concat(got).includes('echo ping'), 3000, 'echo over TLS');
      s.destroy();
    }
    if (tlsAuto !== false) {
      // A plain client behind the same balancer, header and first line in one segment.
      const peer = await RawPeer.connect(t, server.port);
      peer.write('PROXY TCP4 198.51.100.8 127.0.0.1 40124 23\r\nfirst line\r\n');
      await peer.waitForBytes('echo first line', 5000, 'plain echo after PROXY');
      t.ok(peer.received.includes(Buffer.from('hello plain')), 'served plain');
    }
    t.same(peers.slice(0, 2), ['198.51.100.7:40123', '198.51.100.7:40123'], `tlsAuto=${tlsAuto}: peername from the header`);
    if (tlsAuto !== false) t.equal(peers[2], '198.51.100.8:40124');
    t.notOk(logger.lines.some((l) => l.startsWith('warn')), `tlsAuto=${tlsAuto}: no warnings`);
  }
});
