/**
 * The PROXY protocol header parser (src/protocol/proxy-header.ts), byte for
 * byte: v1 TCP4/TCP6/UNKNOWN, v2 INET/INET6/UNIX/UNSPEC, LOCAL, TLVs and
 * CRC32C, every split point, and each malformed or oversized form.
 */
import t, { type Test } from 'tap';
import {
  PROXY_V1_MAX, PROXY_V2_SIGNATURE, ProxyTlv, crc32c, formatIPv6, ipv6Bytes, parseProxyHeader,
} from '../../src/protocol/proxy-header.js';

const v1 = (line: string): Buffer => Buffer.from(line, 'latin1');

/** A v2 header: command (0 LOCAL, 1 PROXY), family/transport byte, address block and TLVs. */
function v2(cmd: number, fam: number, addr: Buffer, tlvs: Array<[number, Buffer]> = [], lenAdjust = 0): Buffer {
  const t = Buffer.concat(tlvs.map(([type, v]) => Buffer.concat([Buffer.from([type, v.length >> 8, v.length & 0xff]), v])));
  const len = addr.length + t.length + lenAdjust;
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20 | cmd, fam, len >> 8, len & 0xff]), addr, t]);
}
const inet = (src: number[], dst: number[], sport: number, dport: number): Buffer => {
  const b = Buffer.alloc(12);
  b.set(src, 0); b.set(dst, 4); b.writeUInt16BE(sport, 8); b.writeUInt16BE(dport, 10);
  return b;
};

/** Every split of `bytes` in two: the prefix must be `incomplete`, the whole gives `expect`. */
function everySplit(t: Test, bytes: Buffer, what: string): void {
  let bad = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (parseProxyHeader(bytes.subarray(0, i)).state !== 'incomplete') { bad = i; break; }
  }
  t.equal(bad, -1, `${what}: every proper prefix is incomplete`);
}

t.test('v1 TCP4: fields, length, and the bytes after it stay', async (t) => {
  const head = v1('PROXY TCP4 192.0.2.10 198.51.100.7 56324 23\r\n');
  const r = parseProxyHeader(Buffer.concat([head, Buffer.from([0xff, 0xfd, 0x18])]));
  t.equal(r.state, 'done');
  if (r.state !== 'done') return;
  t.equal(r.length, head.length);
  t.same(r.header, {
    version: 1, command: 'proxy', protocol: 'tcp4',
    source: { address: '192.0.2.10', port: 56324, family: 'IPv4' },
    destination: { address: '198.51.100.7', port: 23, family: 'IPv4' }, tlvs: [],
  });
  everySplit(t, head, 'v1 TCP4');
});

t.test('v1 TCP6: addresses in the form Node reports', async (t) => {
  const head = v1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:10.0.0.1 1 65535\r\n');
  const r = parseProxyHeader(head);
  if (r.state !== 'done') { t.fail(`not done: ${JSON.stringify(r)}`); return; }
  t.same(r.header.source, { address: '2001:db8::1', port: 1, family: 'IPv6' });
  t.same(r.header.destination, { address: '::ffff:10.0.0.1', port: 65535, family: 'IPv6' });
  everySplit(t, head, 'v1 TCP6');
});

t.test('v1 UNKNOWN: accepted without addresses; whatever follows UNKNOWN is ignored', async (t) => {
  for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n']) {
    const r = parseProxyHeader(v1(line + 'x'));
    t.equal(r.state, 'done', line);
    if (r.state === 'done') {
      t.equal(r.length, line.length);
      t.equal(r.header.protocol, 'unknown');
      t.equal(r.header.source, undefined);
    }
  }
});

t.test('v1: the longest line (107 bytes) parses; one byte more is TOO_LONG', async (t) => {
  const longest = `PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX - 16)}\r\n`;
  t.equal(longest.length, PROXY_V1_MAX);
  t.equal(parseProxyHeader(v1(longest)).state, 'done');
  const over = `PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX - 15)}\r\n`;
  const r = parseProxyHeader(v1(over));
  t.match(r, { state: 'error', problem: 'TOO_LONG' });
  // Without a CRLF: refused once 106 bytes came with no CR in them, not later.
  t.equal(parseProxyHeader(v1(`PROXY UNKNOWN ${'x'.repeat(91)}`)).state, 'incomplete');
  t.match(parseProxyHeader(v1(`PROXY UNKNOWN ${'x'.repeat(92)}`)), { state: 'error', problem: 'TOO_LONG' });
  t.match(parseProxyHeader(Buffer.alloc(100000, 'PROXY xxxx')), { state: 'error', problem: 'TOO_LONG' });
});

t.test('v1 malformed forms are refused with MALFORMED', async (t) => {
  const bad = [
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\n', // CR missing... LF without CR is not printable: refused at the LF
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX',
    'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n',
    'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n',
    'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP4 ::1 5.6.7.8 1 2\r\n',
    'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
    'PROXY TCP6 1:::2 ::1 1 2\r\n',
    'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n',
    'PROXY TCP6 1::2::3 ::1 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n',
    'PROXY \r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 \x002\r\n',
  ];
  for (const line of bad) t.match(parseProxyHeader(v1(line)), { state: 'error', problem: 'MALFORMED' }, JSON.stringify(line));
});

t.test('no header at all: refused at the first byte that cannot start one (MISSING)', async (t) => {
  t.match(parseProxyHeader(Buffer.from([0xff, 0xfb, 0x01])), { state: 'error', problem: 'MISSING' });
  t.match(parseProxyHeader(v1('hello\r\n')), { state: 'error', problem: 'MISSING' });
  t.match(parseProxyHeader(v1('PROXX')), { state: 'error', problem: 'MISSING' });
  t.match(parseProxyHeader(v1('proxy ')), { state: 'error', problem: 'MISSING' });
  t.match(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x01])), { state: 'error', problem: 'MISSING' });
  t.equal(parseProxyHeader(Buffer.alloc(0)).state, 'incomplete');
  t.equal(parseProxyHeader(v1('PROX')).state, 'incomplete');
  t.equal(parseProxyHeader(PROXY_V2_SIGNATURE.subarray(0, 11)).state, 'incomplete');
});

t.test('v2 PROXY TCP over IPv4: exact fields, every split, bytes after it', async (t) => {
  const head = v2(1, 0x11, inet([192, 0, 2, 10], [198, 51, 100, 7], 56324, 23));
  t.equal(head.length, 28);
  everySplit(t, head, 'v2 INET');
  const r = parseProxyHeader(Buffer.concat([head, Buffer.from('telnet')]));
  if (r.state !== 'done') { t.fail(JSON.stringify(r)); return; }
  t.equal(r.length, 28);
  t.same(r.header, {
    version: 2, command: 'proxy', protocol: 'tcp4',
    source: { address: '192.0.2.10', port: 56324, family: 'IPv4' },
    destination: { address: '198.51.100.7', port: 23, family: 'IPv4' }, tlvs: [],
  });
});

t.test('v2 PROXY TCP over IPv6', async (t) => {
  const addr = Buffer.alloc(36);
  addr.set([0x20, 0x01, 0x0d, 0xb8], 0); addr[15] = 1; // 2001:db8::1
  addr.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], 16);
  addr.writeUInt16BE(4242, 32); addr.writeUInt16BE(6023, 34);
  const head = v2(1, 0x21, addr);
  everySplit(t, head, 'v2 INET6');
  const r = parseProxyHeader(head);
  if (r.state !== 'done') { t.fail(JSON.stringify(r)); return; }
  t.same(r.header.source, { address: '2001:db8::1', port: 4242, family: 'IPv6' });
  t.same(r.header.destination, { address: '::ffff:127.0.0.1', port: 6023, family: 'IPv6' });
});

t.test('v2 TLVs: kept in order with their values; the header ends where its length says', async (t) => {
  const tlvs: Array<[number, Buffer]> = [
    [ProxyTlv.ALPN, Buffer.from('telnet')], [ProxyTlv.AUTHORITY, Buffer.from('mud.example')],
    [ProxyTlv.NOOP, Buffer.alloc(0)], [ProxyTlv.UNIQUE_ID, Buffer.from([1, 2, 3])], [0xe0, Buffer.alloc(300, 7)],
  ];
  const head = v2(1, 0x11, inet([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2000), tlvs);
  everySplit(t, head, 'v2 with TLVs');
  const r = parseProxyHeader(Buffer.concat([head, Buffer.from([0xff])]));
  if (r.state !== 'done') { t.fail(JSON.stringify(r)); return; }
  t.equal(r.length, head.length);
  t.same(r.header.tlvs.map((x) => [x.type, x.value.toString('hex')]), tlvs.map(([a, b]) => [a, b.toString('hex')]));
});

t.test('v2 CRC32C: a right checksum passes, a wrong one is CHECKSUM, a bad size MALFORMED', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283, 'the standard check value');
  const addr = inet([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2000);
  const zero = v2(1, 0x11, addr, [[ProxyTlv.CRC32C, Buffer.alloc(4)]]);
  const sum = crc32c(zero);
  const good = Buffer.from(zero);
  good.writeUInt32BE(sum, zero.length - 4);
  t.equal(parseProxyHeader(good).state, 'done');
  const wrong = Buffer.from(good);
  wrong[16] ^= 1; // a source address bit
  t.match(parseProxyHeader(wrong), { state: 'error', problem: 'CHECKSUM' });
  t.match(parseProxyHeader(v2(1, 0x11, addr, [[ProxyTlv.CRC32C, Buffer.alloc(3)]])), { state: 'error', problem: 'MALFORMED' });
});

t.test('v2 LOCAL: no addresses kept, even when an address block is there', async (t) => {
  for (const [fam, addr] of [[0x00, Buffer.alloc(0)], [0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)]] as const) {
    const r = parseProxyHeader(v2(0, fam, addr));
    if (r.state !== 'done') { t.fail(JSON.stringify(r)); continue; }
    t.equal(r.header.command, 'local');
    t.equal(r.header.source, undefined);
  }
});

t.test('v2 UNSPEC, UNIX and DGRAM: accepted, no source address', async (t) => {
  for (const [fam, len, proto] of [[0x00, 0, 'unknown'], [0x31, 216, 'unix'], [0x12, 12, 'unknown'], [0x10, 12, 'unknown']] as const) {
    const r = parseProxyHeader(v2(1, fam, Buffer.alloc(len)));
    if (r.state !== 'done') { t.fail(`${fam}: ${JSON.stringify(r)}`); continue; }
    t.equal(r.header.protocol, proto, `family byte 0x${fam.toString(16)}`);
    t.equal(r.header.source, undefined);
    t.equal(r.length, 16 + len);
  }
});

t.test('v2 malformed headers', async (t) => {
  const addr = inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
  const withByte = (at: number, value: number): Buffer => { const b = v2(1, 0x11, addr); b[at] = value; return b; };
  t.match(parseProxyHeader(withByte(12, 0x11)), { state: 'error', problem: 'MALFORMED' }, 'version 1 in a v2 header');
  t.match(parseProxyHeader(withByte(12, 0x22)), { state: 'error', problem: 'MALFORMED' }, 'command 2');
  t.match(parseProxyHeader(withByte(13, 0x41)), { state: 'error', problem: 'MALFORMED' }, 'family 4');
  t.match(parseProxyHeader(withByte(13, 0x13)), { state: 'error', problem: 'MALFORMED' }, 'transport 3');
  t.match(parseProxyHeader(v2(1, 0x11, addr.subarray(0, 11))), { state: 'error', problem: 'MALFORMED' }, 'short address block');
  t.match(parseProxyHeader(v2(1, 0x21, Buffer.alloc(12))), { state: 'error', problem: 'MALFORMED' }, 'INET6 with 12 bytes');
  t.match(parseProxyHeader(v2(1, 0x11, Buffer.concat([addr, Buffer.from([0x04, 0x00])]))), { state: 'error', problem: 'MALFORMED' }, 'truncated TLV header');
  t.match(parseProxyHeader(v2(1, 0x11, Buffer.concat([addr, Buffer.from([0x04, 0x00, 0x05, 1])]))), { state: 'error', problem: 'MALFORMED' }, 'TLV past the end');
  // A header that announces more than it sent is just incomplete (the engine's timeout ends it).
  t.equal(parseProxyHeader(v2(1, 0x11, addr, [], 100)).state, 'incomplete');
  // The largest length is bounded: 16 + 65535 bytes.
  const max = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x00, 0xff, 0xff])]);
  t.equal(parseProxyHeader(max).state, 'incomplete');
  t.equal(parseProxyHeader(Buffer.concat([max, Buffer.alloc(0xffff - 3), Buffer.from([0x04, 0x00, 0x00])])).state, 'done');
});

t.test('IPv6 text and bytes round-trip in RFC 5952 form', async (t) => {
  const cases: Array<[string, string]> = [
    ['::', '::'], ['::1', '::1'], ['1::', '1::'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], ['::1.2.3.4', '::102:304'], ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['FE80::A', 'fe80::a'],
  ];
  for (const [input, want] of cases) {
    const b = ipv6Bytes(input);
    t.ok(b, input);
    if (b !== null) t.equal(formatIPv6(b), want, input);
  }
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '1::2::3', '::1.2.3', '::256.1.1.1']) {
    t.equal(ipv6Bytes(bad), null, JSON.stringify(bad));
  }
});
