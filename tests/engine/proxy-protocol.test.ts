/**
 * The server's PROXY protocol layer (src/engine/proxy-protocol.ts) over real
 * loopback sockets: the header's client becomes `peername`, the bytes after
 * it in the same chunk reach the reader, a header sent one byte at a time
 * works, and a missing, malformed, late or forbidden header is refused with
 * its logged code while other connections keep working.
 */
import t from 'tap';
import { openConnection } from '../../src/client.js';
import { PROXY_V2_SIGNATURE } from '../../src/protocol/proxy-header.js';
import { allowedBy, proxyAllowList } from '../../src/engine/proxy-protocol.js';
import { HOST, RawPeer, memoryLogger, sleep, startServer, until, within } from './helpers.js';

const quick = { connectMaxwait: 100, timeout: 0 } as const;

function v2Inet(src: number[], sport: number): Buffer {
  const b = Buffer.alloc(28);
  PROXY_V2_SIGNATURE.copy(b, 0);
  b.set([0x21, 0x11, 0x00, 12], 12);
  b.set(src, 16); b.set([127, 0, 0, 1], 20);
  b.writeUInt16BE(sport, 24); b.writeUInt16BE(23, 26);
  return b;
}

t.test('v1 header and data in one chunk: peername is the header source, the data is not lost', async (t) => {
  const logger = memoryLogger();
  const server = await startServer(t, { ...quick, proxyProtocol: true, logger });
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  peer.write('PROXY TCP4 203.0.113.9 127.0.0.1 40001 23\r\nhello there\r\n');
  const s = await within(accepted, 5000, 'server side');
  t.same(s.writer.getExtraInfo('peername'), { address: '203.0.113.9', port: 40001, family: 'IPv4' });
  t.match(s.writer.getExtraInfo('proxy'), { version: 1, command: 'proxy', via: { address: '127.0.0.1', port: peer.socket.localPort } });
  const line = await within(s.reader.readline(), 3000, 'readline');
  t.match(String(line), /^hello there/);
  t.ok(logger.lines.some((l) => l.startsWith('info connection from 203.0.113.9:40001 (PROXY v1 via 127.0.0.1:')), 'logged with the real address');
});

t.test('v2 header sent one byte at a time, then Telnet from our own client', async (t) => {
  const server = await startServer(t, { ...quick, proxyProtocol: true });
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  const head = v2Inet([198, 51, 100, 20], 5555);
  for (const b of head) {
    peer.write(Buffer.from([b]));
    await sleep(2);
  }
  peer.write('x');
  const s = await within(accepted, 5000, 'server side');
  t.same(s.writer.getExtraInfo('peername'), { address: '198.51.100.20', port: 5555, family: 'IPv4' });
  t.equal(String(await within(s.reader.read(1), 3000, 'read')), 'x');
  // The server still talks Telnet to it: it asked for TTYPE.
  await peer.waitForBytes(Buffer.from([0xff, 0xfd, 0x18]), 3000, 'DO TTYPE');
});

t.test('LOCAL (a health check) and UNKNOWN keep the socket address', async (t) => {
  const server = await startServer(t, { ...quick, proxyProtocol: true });
  for (const head of [Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]), Buffer.from('PROXY UNKNOWN\r\n')]) {
    const accepted = server.waitForClient();
    const peer = await RawPeer.connect(t, server.port);
    peer.write(head);
    const s = await within(accepted, 5000, 'server side');
    t.same(s.writer.getExtraInfo('peername'), { address: '127.0.0.1', port: peer.socket.localPort, family: 'IPv4' });
    t.equal(s.writer.getExtraInfo<{ source: unknown }>('proxy')?.source, null);
  }
});

t.test('refused: missing, malformed, too long, closed early, timed out; each logs its code', async (t) => {
  const logger = memoryLogger();
  const server = await startServer(t, { ...quick, proxyProtocol: true, proxyTimeout: 300, logger });
  const cases: Array<[string, Buffer | string | null, boolean]> = [
    ['ERR_TELNET_PROXY_MISSING', Buffer.from([0xff, 0xfb, 0x18]), false],
    ['ERR_TELNET_PROXY_MALFORMED', 'PROXY TCP4 1.2.3.999 1.2.3.4 1 2\r\n', false],
    ['ERR_TELNET_PROXY_TOO_LONG', `PROXY TCP4 ${'1'.repeat(200)}`, false],
    ['ERR_TELNET_PROXY_CLOSED', 'PROXY TCP4 1.2', true],
    ['ERR_TELNET_PROXY_TIMEOUT', 'PROXY TCP4 1.2', false],
    ['ERR_TELNET_PROXY_TIMEOUT', null, false],
  ];
  for (const [code, data, end] of cases) {
    const before = logger.lines.length;
    const peer = await RawPeer.connect(t, server.port);
    if (data !== null) peer.write(data);
    if (end) peer.socket.end();
    await peer.waitEnd(5000);
    t.equal(peer.receivedLength, 0, `${code}: not a byte of Telnet was sent`);
    await until(() => logger.lines.length > before, 2000, 'a log line');
    t.match(logger.lines.slice(before).join('\n'), new RegExp(`^warn proxy protocol: connection refused, ${code}: 127\\.0\\.0\\.1:`, 'm'), code);
  }
  t.equal(server.clients.length, 0);
  // And the server still serves a good connection.
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  peer.write('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
  const s = await within(accepted, 5000, 'good connection after the refused ones');
  t.match(s.writer.getExtraInfo('peername'), { address: '192.0.2.1' });
});

t.test('proxyFrom: an address outside the list is refused before reading; inside is served', async (t) => {
  const logger = memoryLogger();
  const outside = await startServer(t, { ...quick, proxyProtocol: true, proxyFrom: ['10.0.0.0/8', '::1'], logger });
  const peer = await RawPeer.connect(t, outside.port);
  peer.write('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
  await peer.waitEnd(5000);
  t.match(logger.lines.join('\n'), /ERR_TELNET_PROXY_FORBIDDEN: 127\.0\.0\.1:\d+ is not allowed/);

  const inside = await startServer(t, { ...quick, proxyProtocol: true, proxyFrom: ['127.0.0.0/8'] });
  const accepted = inside.waitForClient();
  const ok = await RawPeer.connect(t, inside.port);
  ok.write('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
  await within(accepted, 5000, 'served');
});

t.test('proxyAllowList: addresses, CIDRs, IPv4-mapped sockets; bad entries throw', async (t) => {
  const list = proxyAllowList(['10.1.0.0/16', '192.0.2.7', 'fd00::/8']);
  t.ok(allowedBy(list, '10.1.200.3'));
  t.ok(allowedBy(list, '::ffff:10.1.0.1'), 'IPv4-mapped');
  t.notOk(allowedBy(list, '10.2.0.1'));
  t.ok(allowedBy(list, '192.0.2.7'));
  t.notOk(allowedBy(list, '192.0.2.8'));
  t.ok(allowedBy(list, 'fd12::1'));
  t.notOk(allowedBy(list, 'fe80::1'));
  t.notOk(allowedBy(list, undefined));
  for (const bad of ['10.0.0.0/33', 'nonsense', '10.0.0.0/', '::/129', '1.2.3.4/x']) {
    t.throws(() => proxyAllowList([bad]), { code: 'ERR_TELNET_BAD_OPTION' }, bad);
  }
  await t.rejects(startServer(t, { proxyProtocol: true, proxyFrom: ['bad'] }), { code: 'ERR_TELNET_BAD_OPTION' });
});

t.test('closing the server ends connections still waiting for their header', async (t) => {
  const server = await startServer(t, { ...quick, proxyProtocol: true, proxyTimeout: 60000 });
  const peer = await RawPeer.connect(t, server.port);
  peer.write('PROX');
  await sleep(50);
  server.close(100);
  await peer.waitEnd(5000);
  await within(server.waitClosed(), 5000, 'server closed');
});

t.test('without proxyProtocol a PROXY line is just Telnet data', async (t) => {
  const server = await startServer(t, quick);
  const accepted = server.waitForClient();
  const c = await openConnection(HOST, server.port, { connectMaxwait: 500 });
  t.teardown(() => c.writer.close());
  const s = await within(accepted, 5000, 'server side');
  c.writer.write('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n');
  t.match(String(await within(s.reader.readline(), 3000, 'readline')), /^PROXY TCP4/);
  t.equal(s.writer.getExtraInfo<{ address: string }>('peername')?.address, '127.0.0.1');
});

t.test('connections still waiting for their header count against maxConnections', async (t) => {
  const server = await startServer(t, { ...quick, proxyProtocol: true, maxConnections: 2, proxyTimeout: 60000 });
  const a = await RawPeer.connect(t, server.port);
  const b = await RawPeer.connect(t, server.port);
  a.write('PROX');
  b.write('PROX');
  await sleep(100);
  const c = await RawPeer.connect(t, server.port);
  await c.waitEnd(5000);
  t.equal(a.ended || a.closed, false, 'the first two are still waiting');
  t.equal(b.ended || b.closed, false);
});

t.test('a v2 header with 64 KiB of TLVs in 1,000-byte pieces, then data', async (t) => {
  const server = await startServer(t, { ...quick, proxyProtocol: true, proxyTimeout: 20000 });
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  const tlvLen = 0xffff - 12 - 3;
  const head = Buffer.alloc(16 + 0xffff);
  PROXY_V2_SIGNATURE.copy(head, 0);
  head.set([0x21, 0x11, 0xff, 0xff], 12);
  head.set([203, 0, 113, 77, 127, 0, 0, 1], 16);
  head.writeUInt16BE(7777, 24); head.writeUInt16BE(23, 26);
  head[28] = 0xe1; head.writeUInt16BE(tlvLen, 29);
  const all = Buffer.concat([head, Buffer.from('after\r\n')]);
  for (let off = 0; off < all.length; off += 1000) {
    peer.write(all.subarray(off, off + 1000));
    if (off % 16000 === 0) await sleep(1);
  }
  const s = await within(accepted, 10000, 'server side');
  t.same(s.writer.getExtraInfo('peername'), { address: '203.0.113.77', port: 7777, family: 'IPv4' });
  const tlvs = s.writer.getExtraInfo<{ tlvs: Array<{ type: number; value: Buffer }> }>('proxy')?.tlvs ?? [];
  t.same(tlvs.map((x) => [x.type, x.value.length]), [[0xe1, tlvLen]]);
  t.match(String(await within(s.reader.readline(), 3000, 'readline')), /^after/);
});
