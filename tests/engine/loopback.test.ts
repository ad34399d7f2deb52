/**
 * Our client against our server over real loopback sockets: every option of
 * the core in both directions, encodings, the reader API, waitFor, the
 * server API and the client's connect/negotiation timing.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import { ModeBit } from '../../src/protocol/options/linemode.js';
import { TIMEOUT_MESSAGE } from '../../src/server.js';
import {
  DO_TTYPE, HOST, RawPeer, bothBinary, bytes, connect, countOf, hexShort, memoryLogger, pair, rejection, sleep,
  startServer, trackUnhandled, until, within,
} from './helpers.js';

const unhandled = trackUnhandled();

const settledClient = { remote: { BINARY: true, SGA: true, ECHO: true }, local: { BINARY: true, CHARSET: true, NEW_ENVIRON: true } };

t.test('default negotiation: TTYPE cycle, NAWS, NEW_ENVIRON, CHARSET, BINARY, SGA/ECHO', async (t) => {
  const { s, c } = await pair(t, {}, {
    term: ['xterm-256color', 'xterm'], cols: 100, rows: 40,
    environ: { SECRET_TOKEN: 'hunter2', USER: 'bob', HOME: '/home/bob' },
  });
  const sw = s.writer;
  // TTYPE: each answer recorded, the cycle stops when the last name repeats.
  t.equal(sw.getExtraInfo('ttype1'), 'xterm-256color');
  t.equal(sw.getExtraInfo('ttype2'), 'xterm');
  t.equal(sw.getExtraInfo('ttype3'), 'xterm', 'the last name repeats and stops the cycle');
  t.equal(sw.getExtraInfo('ttype4'), undefined);
  t.equal(sw.getExtraInfo('TERM'), 'xterm');
  // NAWS.
  t.equal(sw.getExtraInfo('cols'), 100);
  t.equal(sw.getExtraInfo('rows'), 40);
  // NEW_ENVIRON: the default client allow-list, names upper-case.
  t.equal(sw.getExtraInfo('LANG'), 'en_US.UTF-8');
  t.equal(sw.getExtraInfo('COLUMNS'), '100');
  t.equal(sw.getExtraInfo('LINES'), '40');
  t.equal(sw.getExtraInfo('USER'), undefined, 'USER is not in the client allow-list');
  t.equal(sw.getExtraInfo('SECRET_TOKEN'), undefined);
  t.equal(sw.getExtraInfo('HOME'), undefined);
  for (const k of ['SECRET_TOKEN', 'USER', 'HOME', 'lang', 'term_program']) t.equal(sw.getExtraInfo(k), undefined, `no ${k}`);
  const extras = JSON.stringify([...(s.writer as any).conn.extra.entries()]);
  t.notMatch(extras, /hunter2|\/home\/bob/, 'no secret from the client environment reached the server');
  // CHARSET, BINARY, SGA/ECHO on the server.
  t.equal(sw.getExtraInfo('charset'), 'utf-8');
  t.ok(sw.inbinary && sw.outbinary, 'server BINARY both ways');
  t.equal(sw.mode, 'kludge');
  t.ok(sw.willEcho);
  // The server sends CHARSET REQUEST once the client says WILL CHARSET (no reciprocal WILL needed).
  t.same(sw.localOption.list().sort((a, b) => a - b), [Opt.BINARY, Opt.ECHO, Opt.SGA]);
  t.same(sw.remoteOption.list().sort((a, b) => a - b), [Opt.BINARY, Opt.TTYPE, Opt.NAWS, Opt.NEW_ENVIRON, Opt.CHARSET]);
  t.ok(sw.session.settled, 'nothing outstanding on the server');
  // The client side of the same.
  const cw = c.writer;
  await within(cw.waitFor(settledClient), 1000, 'client options');
  await within(cw.waitForCondition((w) => w.getExtraInfo('charset') !== undefined), 1000, 'client charset');
  t.equal(cw.getExtraInfo('charset'), 'utf-8');
  t.equal(cw.getExtraInfo('lang'), 'en_US.UTF-8');
  t.equal(cw.getExtraInfo('term'), 'xterm-256color');
  t.equal(cw.getExtraInfo('TERM'), undefined, 'no TERM key on the client side');
  t.equal(cw.mode, 'kludge');
  t.ok(cw.willEcho);
  t.ok(cw.inbinary && cw.outbinary, 'client BINARY both ways');
  t.same(cw.localOption.list().sort((a, b) => a - b), [Opt.BINARY, Opt.TTYPE, Opt.NAWS, Opt.NEW_ENVIRON, Opt.CHARSET]);
  t.equal(sw.getExtraInfo<{ address: string }>('peername')?.address, HOST);
  t.equal(cw.getExtraInfo<{ port: number }>('peername')?.port, sw.getExtraInfo<{ port: number }>('sockname')?.port);
});

t.test('TTYPE: a single name is asked twice and repeats; default term is unknown', async (t) => {
  const { s } = await pair(t);
  t.equal(s.writer.getExtraInfo('ttype1'), 'unknown');
  t.equal(s.writer.getExtraInfo('ttype2'), 'unknown');
  t.equal(s.writer.getExtraInfo('TERM'), 'unknown');
  t.equal(s.writer.getExtraInfo('cols'), 80);
  t.equal(s.writer.getExtraInfo('rows'), 25);
});

t.test('TTYPE: a longer client list cycles to its end', async (t) => {
  const { s } = await pair(t, {}, { term: ['ALPHA', 'BETA', 'GAMMA'] });
  t.same([1, 2, 3, 4].map((i) => s.writer.getExtraInfo(`ttype${i}`)), ['ALPHA', 'BETA', 'GAMMA', 'GAMMA']);
  t.equal(s.writer.getExtraInfo('TERM'), 'GAMMA');
});

t.test('NAWS: client setWindowSize updates the server', async (t) => {
  const { s, c } = await pair(t, {}, { cols: 90, rows: 30 });
  t.equal(s.writer.getExtraInfo('cols'), 90);
  const calls: Array<[number, number]> = [];
  s.writer.setExtCallback('NAWS', (rows: number, cols: number) => calls.push([rows, cols]));
  await within(c.writer.waitFor({ local: { NAWS: true } }), 1000, 'client NAWS');
  t.ok(c.writer.setWindowSize(132, 50), 'sent');
  t.notOk(c.writer.setWindowSize(132, 50), 'unchanged size: not sent again');
  await within(s.writer.waitForCondition((w) => w.getExtraInfo('cols') === 132), 1000, 'server sees 132 cols');
  t.equal(s.writer.getExtraInfo('rows'), 50);
  t.same(calls, [[50, 132]], 'NAWS callback gets (rows, cols) once');
  t.equal(c.writer.getExtraInfo('cols'), 132);
  // Clamping to 16 bits.
  c.writer.setWindowSize(9999999, -5);
  await within(s.writer.waitForCondition((w) => w.getExtraInfo('cols') === 65535), 1000, 'clamped');
  t.equal(s.writer.getExtraInfo('rows'), 0);
});

t.test('TSPEED and XDISPLOC on request of the server', async (t) => {
  const { s } = await pair(t, {}, { tspeed: [9600, 19200], xdisploc: 'alpha:0' });
  const got: unknown[] = [];
  s.writer.setExtCallback('TSPEED', (rx: number, tx: number) => got.push(['tspeed', rx, tx]));
  s.writer.setExtCallback(Opt.XDISPLOC, (d: string) => got.push(['xdisploc', d]));
  t.ok(s.writer.iac(Cmd.DO, 'TSPEED'));
  t.ok(s.writer.iac(Cmd.DO, 'XDISPLOC'));
  t.ok(s.writer.pendingOption.enabled('TSPEED'), 'DO TSPEED outstanding');
  await within(s.writer.waitForCondition((w) => w.getExtraInfo('xdisploc') !== undefined && w.getExtraInfo('tspeed') !== undefined),
    1000, 'tspeed and xdisploc');
  t.equal(s.writer.getExtraInfo('tspeed'), '9600,19200');
  t.equal(s.writer.getExtraInfo('xdisploc'), 'alpha:0');
  t.same(got.sort(), [['tspeed', 9600, 19200], ['xdisploc', 'alpha:0']].sort());
  t.notOk(s.writer.iac(Cmd.DO, 'TSPEED'), 'already enabled: nothing sent');
});

t.test('NEW_ENVIRON: configured sendEnviron reveals more, names are upper-cased, the rest never leaves', async (t) => {
  const { s } = await pair(t, {}, {
    environ: { USER: 'bob', COLORTERM: 'truecolor', AWS_SECRET_ACCESS_KEY: 'sekrit' },
    sendEnviron: ['USER', 'colorterm', 'TERM', 'LANG', 'COLUMNS', 'LINES'],
    term: 'vt220',
  });
  t.equal(s.writer.getExtraInfo('USER'), 'bob');
  t.equal(s.writer.getExtraInfo('COLORTERM'), 'truecolor');
  t.equal(s.writer.getExtraInfo('TERM'), 'vt220');
  t.equal(s.writer.getExtraInfo('AWS_SECRET_ACCESS_KEY'), undefined);
  t.notMatch(JSON.stringify([...(s.writer as any).conn.extra.values()]), /sekrit/);
});

t.test('CHARSET: a latin1 client and a utf8 server agree on one charset both sides use', async (t) => {
  const { s, c } = await pair(t, {}, { encoding: 'latin1' });
  await within(c.writer.waitForCondition((w) => w.getExtraInfo('charset') !== undefined), 1000, 'client charset');
  t.equal(c.writer.getExtraInfo('charset'), s.writer.getExtraInfo('charset'), 'same charset both sides');
  await bothBinary(s, c);
  s.writer.write('caf\u00e9\r\n');
  t.equal(await within(c.reader.readline(), 1000, 'line'), 'caf\u00e9\r\n');
  c.writer.write('na\u00efve\r\n');
  t.equal(await within(s.reader.readline(), 1000, 'line'), 'na\u00efve\r\n');
});

t.test('LINEMODE: lineMode server with DO LINEMODE, EDIT proposed', async (t) => {
  const { s, c } = await pair(t, { lineMode: true, linemode: ModeBit.EDIT });
  t.notOk(s.writer.localOption.enabled('SGA'), 'lineMode: no WILL SGA');
  t.notOk(s.writer.localOption.enabled('ECHO'), 'lineMode: no WILL ECHO');
  t.equal(s.writer.mode, 'local');
  const serverModes: number[] = [];
  const clientModes: number[] = [];
  s.writer.setExtCallback('LINEMODE', (m: number) => serverModes.push(m));
  c.writer.setExtCallback('LINEMODE', (m: number) => clientModes.push(m));
  t.ok(s.writer.iac(Cmd.DO, 'LINEMODE'));
  await within(s.writer.waitForCondition((w) => w.session.linemodeMask !== 0), 1000, 'server mode acknowledged');
  await within(c.writer.waitForCondition((w) => w.session.linemodeMask !== 0), 1000, 'client mode adopted');
  t.ok(s.writer.remoteOption.enabled('LINEMODE'));
  t.ok(c.writer.localOption.enabled('LINEMODE'));
  t.equal(s.writer.mode, 'local', 'EDIT: local editing');
  t.equal(c.writer.mode, 'local');
  t.equal(c.writer.session.linemodeMask & ModeBit.EDIT, ModeBit.EDIT);
  t.ok(clientModes.length >= 1 && (clientModes[0]! & ModeBit.EDIT) !== 0, 'client LINEMODE callback with EDIT');
  t.ok(serverModes.length >= 1, 'server LINEMODE callback');
  // Line at a time still works.
  c.writer.write('hello\r\n');
  t.equal(await within(s.reader.readline(), 1000, 'line'), 'hello\r\n');
});

t.test('LINEMODE: default proposal is remote editing', async (t) => {
  const { s, c } = await pair(t, { lineMode: true });
  s.writer.iac(Cmd.DO, 'LINEMODE');
  await within(c.writer.waitForCondition((w) => w.session.linemodeMask !== 0), 1000, 'client mode adopted');
  await within(s.writer.waitForCondition((w) => w.session.linemodeMask !== 0), 1000, 'server mode acknowledged');
  t.equal(s.writer.mode, 'remote');
  t.equal(c.writer.mode, 'remote');
});

t.test('STATUS both ways', async (t) => {
  const { s, c } = await pair(t);
  await within(c.writer.waitFor(settledClient), 1000, 'client settled');
  const serverGot: Array<Array<{ verb: number; option: number }>> = [];
  s.writer.setExtCallback('STATUS', (entries: Array<{ verb: number; option: number }>) => serverGot.push(entries));
  t.ok(s.writer.iac(Cmd.DO, 'STATUS'), 'server DO STATUS');
  await within((async () => { while (serverGot.length === 0) await sleep(5); })(), 1000, 'client STATUS IS');
  const e = serverGot[0]!;
  // The client's view: it WILL TTYPE/NAWS/..., and DO the server's BINARY/SGA/ECHO.
  t.ok(e.some((x) => x.verb === Cmd.WILL && x.option === Opt.TTYPE), 'client reports WILL TTYPE');
  t.ok(e.some((x) => x.verb === Cmd.WILL && x.option === Opt.NAWS), 'client reports WILL NAWS');
  t.ok(e.some((x) => x.verb === Cmd.DO && x.option === Opt.ECHO), 'client reports DO ECHO');
  t.notOk(e.some((x) => x.option === Opt.STATUS), 'STATUS itself excluded');
  // Client asks the server.
  const clientGot: Array<Array<{ verb: number; option: number }>> = [];
  c.writer.setExtCallback('STATUS', (entries: Array<{ verb: number; option: number }>) => clientGot.push(entries));
  t.ok(c.writer.iac(Cmd.DO, 'STATUS'), 'client DO STATUS');
  await within(c.writer.waitFor({ remote: { STATUS: true } }), 1000, 'server WILL STATUS');
  t.ok(c.writer.session.requestStatus(), 'client sends STATUS SEND');
  await within((async () => { while (clientGot.length === 0) await sleep(5); })(), 1000, 'server STATUS IS');
  const f = clientGot[0]!;
  t.ok(f.some((x) => x.verb === Cmd.WILL && x.option === Opt.ECHO), 'server reports WILL ECHO');
  t.ok(f.some((x) => x.verb === Cmd.DO && x.option === Opt.NAWS), 'server reports DO NAWS');
});

t.test('TIMING-MARK: requestTimingMark is answered WILL TM, both callbacks fire', async (t) => {
  const { s, c } = await pair(t);
  const sGot: number[] = [];
  const cGot: number[] = [];
  s.writer.setExtCallback('TM', (v: number) => sGot.push(v));
  c.writer.setExtCallback(Opt.TM, (v: number) => cGot.push(v));
  s.writer.session.requestTimingMark();
  s.writer.session.requestTimingMark();
  await within((async () => { while (sGot.length < 2) await sleep(5); })(), 1000, 'two TM answers');
  t.same(sGot, [Cmd.WILL, Cmd.WILL]);
  t.same(cGot, [Cmd.DO, Cmd.DO]);
  t.notOk(s.writer.remoteOption.enabled('TM'), 'TM never stays enabled');
  c.writer.session.requestTimingMark();
  await within((async () => { while (cGot.length < 3) await sleep(5); })(), 1000, 'server answers TM');
  t.equal(cGot[2], Cmd.WILL);
});

t.test('EOR: server WILL EOR, client DO EOR, IAC EOR reaches the client callback', async (t) => {
  const { s, c } = await pair(t);
  t.notOk(s.writer.sendEor(), 'no EOR before DO EOR');
  const got: number[] = [];
  c.writer.setIacCallback(Cmd.EOR, (cmd) => got.push(cmd));
  const wait = c.writer.waitFor({ remote: { EOR: true } });
  t.ok(s.writer.iac(Cmd.WILL, 'EOR'));
  await within(wait, 1000, 'client sees WILL EOR');
  await within(s.writer.waitFor({ local: { EOR: true } }), 1000, 'server sees DO EOR');
  s.writer.write('prompt> ');
  t.ok(s.writer.sendEor());
  await within((async () => { while (got.length === 0) await sleep(5); })(), 1000, 'EOR callback');
  t.same(got, [Cmd.EOR]);
  t.equal(await within(c.reader.read(100), 1000, 'prompt'), 'prompt> ', 'the EOR command is not data');
  // Client → server GA/NOP commands arrive as callbacks too.
  const sGot: number[] = [];
  s.writer.setIacCallback(Cmd.AYT, (cmd) => sGot.push(cmd));
  c.writer.sendCommand(Cmd.AYT);
  await within((async () => { while (sGot.length === 0) await sleep(5); })(), 1000, 'AYT callback');
  t.same(sGot, [Cmd.AYT]);
});

t.test('LOGOUT: client DO LOGOUT logs the client out; server WILL LOGOUT is refused by the client', async (t) => {
  const { s, c } = await pair(t);
  const sGot: number[] = [];
  s.writer.setExtCallback('LOGOUT', (v: number) => sGot.push(v));
  t.ok(c.writer.iac(Cmd.DO, 'LOGOUT'));
  await within(s.writer.waitClosed(), 1000, 'server closes on DO LOGOUT');
  t.same(sGot, [Cmd.DO], 'LOGOUT callback before closing');
  t.equal(await within(c.reader.read(-1), 1000, 'client EOF'), '');
  await within(c.writer.waitClosed(), 3000, 'client closes too');

  const p2 = await pair(t);
  const cGot: number[] = [];
  p2.c.writer.setExtCallback('LOGOUT', (v: number) => cGot.push(v));
  t.ok(p2.s.writer.iac(Cmd.WILL, 'LOGOUT'));
  await within((async () => { while (cGot.length === 0) await sleep(5); })(), 1000, 'client LOGOUT callback');
  t.same(cGot, [Cmd.WILL]);
  await within(p2.s.writer.waitFor({ pending: { LOGOUT: false } }), 1000, 'DONT LOGOUT answered');
  t.notOk(p2.s.writer.localOption.enabled('LOGOUT'), 'refused');
  t.ok(p2.c.writer.session.refused('remote').has(Opt.LOGOUT));
  t.notOk(p2.s.writer.isClosing(), 'server session goes on');
});

// ---------------------------------------------------------------- encodings

t.test('text round trip of non-ASCII after BINARY', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  const text = 'caf\u00e9 \u2603 \u{1F600} \u4e2d\u6587\r\n';
  s.writer.write(text);
  t.equal(await within(c.reader.readline(), 1000, 'client line'), text);
  c.writer.write(text);
  t.equal(await within(s.reader.readline(), 1000, 'server line'), text);
  t.equal(s.writer.outgoingEncoding, 'utf-8');
  t.equal(c.writer.incomingEncoding, 'utf-8');
});

/** A client that refuses BINARY, NEW_ENVIRON and CHARSET: stays US-ASCII. */
const asciiClient = {
  acceptLocal: [Opt.TTYPE, Opt.NAWS, Opt.SGA],
  acceptRemote: [Opt.SGA, Opt.ECHO],
};

t.test('US-ASCII before BINARY: non-ASCII becomes ? with the default replace', async (t) => {
  const { s, c } = await pair(t, {}, asciiClient);
  t.notOk(s.writer.inbinary || s.writer.outbinary, 'no BINARY');
  t.equal(s.writer.outgoingEncoding, 'us-ascii');
  t.equal(c.writer.outgoingEncoding, 'us-ascii');
  s.writer.write('h\u00e9llo \u2603\r\n');
  t.equal(await within(c.reader.readline(), 1000, 'client line'), 'h?llo ?\r\n');
  c.writer.write('\u00fcber\r\n');
  t.equal(await within(s.reader.readline(), 1000, 'server line'), '?ber\r\n');
});

t.test('US-ASCII: encodingErrors strict throws, ignore drops', async (t) => {
  const { s: s1 } = await pair(t, { encodingErrors: 'strict' }, asciiClient);
  t.throws(() => s1.writer.write('\u00e9'), { code: 'ERR_TELNET_ENCODING' });
  const { s: s2, c: c2 } = await pair(t, { encodingErrors: 'ignore' }, asciiClient);
  s2.writer.write('a\u00e9b\r\n');
  t.equal(await within(c2.reader.readline(), 1000, 'line'), 'ab\r\n');
});

t.test('forceBinary: UTF-8 both ways without BINARY', async (t) => {
  const { s, c } = await pair(t, { forceBinary: true }, { ...asciiClient, forceBinary: true });
  t.notOk(s.writer.inbinary || s.writer.outbinary || c.writer.inbinary, 'no BINARY agreed');
  t.equal(s.writer.outgoingEncoding, 'utf-8');
  const text = '\u00e9\u2603\u{1F680}\r\n';
  s.writer.write(text);
  t.equal(await within(c.reader.readline(), 1000, 'client line'), text);
  c.writer.write(text);
  t.equal(await within(s.reader.readline(), 1000, 'server line'), text);
});

t.test('encoding: false carries all 256 byte values twice, both ways (IAC escaping)', async (t) => {
  const { s, c } = await pair(t, { encoding: false }, { encoding: false });
  t.ok(s.reader.binary && c.reader.binary, 'byte readers');
  t.equal(c.writer.getExtraInfo('lang'), 'C');
  await bothBinary(s, c);
  const all = Buffer.alloc(512);
  for (let i = 0; i < 512; i++) all[i] = i & 0xff;
  s.writer.write(all);
  const got = await within(c.reader.readexactly(512), 1000, 'client 512 bytes');
  t.ok(Buffer.isBuffer(got));
  t.same(Buffer.compare(got, all), 0, 'server → client exact');
  c.writer.write(all);
  const back = await within(s.reader.readexactly(512), 1000, 'server 512 bytes');
  t.same(Buffer.compare(back, all), 0, 'client → server exact');
  t.throws(() => s.writer.write('text' as any), { code: 'ERR_TELNET_USAGE' }, 'strings refused on a byte writer');
  const { s: s2 } = await pair(t);
  t.throws(() => s2.writer.write(Buffer.from('x')), { code: 'ERR_TELNET_USAGE' }, 'Buffers refused on a text writer');
});

t.test('a multi-byte UTF-8 character split across TCP writes decodes right', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  // sendIac writes raw bytes: each call is its own TCP write (TCP_NODELAY).
  const snowman = Buffer.from('\u2603', 'utf8');
  const rocket = Buffer.from('\u{1F680}', 'utf8');
  s.writer.sendIac(snowman.subarray(0, 1));
  await sleep(30);
  s.writer.sendIac(snowman.subarray(1));
  s.writer.sendIac(rocket.subarray(0, 2));
  await sleep(30);
  s.writer.sendIac(rocket.subarray(2, 3));
  await sleep(30);
  s.writer.sendIac(Buffer.concat([rocket.subarray(3), Buffer.from('\r\n')]));
  t.equal(await within(c.reader.readline(), 1000, 'line'), '\u2603\u{1F680}\r\n');
});

t.test('cp437 via encoding: cp437', async (t) => {
  const log = memoryLogger();
  const { s, c } = await pair(t, {}, { encoding: 'cp437', traceBytes: true, logger: log });
  t.equal(s.writer.getExtraInfo('LANG'), 'en_US.cp437');
  t.equal(s.writer.getExtraInfo('charset'), 'cp437');
  await within(c.writer.waitForCondition((w) => w.getExtraInfo('charset') !== undefined), 1000, 'client charset');
  t.equal(c.writer.getExtraInfo('charset'), 'cp437');
  await bothBinary(s, c);
  t.equal(s.writer.outgoingEncoding, 'cp437');
  t.equal(c.writer.incomingEncoding, 'cp437');
  s.writer.write('\u2554\u2550\u2557 \u2591\u00e9\r\n');
  t.equal(await within(c.reader.readline(), 1000, 'line'), '\u2554\u2550\u2557 \u2591\u00e9\r\n');
  // On the wire: cp437 bytes C9 CD BB 20 B0 82.
  t.ok(log.lines.some((l) => l.startsWith('trace recv') && l.includes('c9 cd bb 20 b0 82')), 'cp437 bytes on the wire');
  c.writer.write('\u00c7\u00fc\u2592\r\n');
  t.equal(await within(s.reader.readline(), 1000, 'server line'), '\u00c7\u00fc\u2592\r\n');
});

// ---------------------------------------------------------------- reader API

t.test('reader: read(n), read(0), read(-1) to EOF beyond twice the limit', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  s.writer.write('abcdef');
  t.equal(await within(c.reader.read(3), 1000, 'read 3'), 'abc');
  t.equal(await c.reader.read(0), '', 'read(0) is empty');
  t.equal(await within(c.reader.read(100), 1000, 'read rest'), 'def');
  const big = 'x'.repeat(300 * 1024);
  s.writer.write(big);
  s.writer.close();
  const all = await within(c.reader.read(-1), 3000, 'read(-1)');
  t.equal(all.length, big.length, 'read(-1) gets everything (300 Ki > 2 x 64 Ki limit)');
  t.equal(await c.reader.read(10), '', 'EOF again');
  t.ok(c.reader.atEof());
});

t.test('reader: read(-1) on a byte connection', async (t) => {
  const { s, c } = await pair(t, { encoding: false }, { encoding: false });
  await bothBinary(s, c);
  const big = Buffer.alloc(400 * 1024, 0xff);
  s.writer.write(big);
  s.writer.close();
  const all = await within(c.reader.read(-1), 3000, 'read(-1)');
  t.equal(all.length, big.length);
  t.equal(Buffer.compare(all, big), 0);
});

t.test('reader: readline terminators (BINARY: CR NUL arrives, NVT: NUL dropped by the parser)', async (t) => {
  for (const mode of ['binary', 'nvt'] as const) {
    for (const enc of ['text', 'bytes'] as const) {
      const serverOpts = enc === 'bytes' ? { encoding: false as const } : {};
      const clientOpts = {
        ...(enc === 'bytes' ? { encoding: false as const } : {}),
        ...(mode === 'nvt' ? asciiClient : {}),
      };
      const { s, c } = await pair(t, serverOpts, clientOpts);
      if (mode === 'binary') await bothBinary(s, c);
      const wire = Buffer.from('alpha\r\0bravo\r\ncharlie\n---\r\r\0\n\r\nlast', 'latin1');
      if (enc === 'bytes') s.writer.write(wire);
      else s.writer.sendIac(Buffer.from(wire)); // raw, so the NUL stays on the wire
      await sleep(50);
      s.writer.close();
      const lines: string[] = [];
      for (;;) {
        const l = await within(c.reader.readline(), 1000, 'readline');
        const str = Buffer.isBuffer(l) ? l.toString('latin1') : l;
        if (str === '') break;
        lines.push(str);
      }
      // In NVT mode the parser drops the NUL of CR NUL, so `\r\0\n` arrives as CR LF.
      const want = mode === 'binary'
        ? ['alpha\r', 'bravo\r\n', 'charlie\n', '---\r', '\r', '\n', '\r\n', 'last']
        : ['alpha\r', 'bravo\r\n', 'charlie\n', '---\r', '\r\n', '\r\n', 'last'];
      t.same(lines, want, `${mode} ${enc}`);
    }
  }
});

t.test('reader: a CR at the end of a packet is a line; the LF that follows is not an empty line', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  s.writer.write('one\r');
  t.equal(await within(c.reader.readline(), 1000, 'cr line'), 'one\r');
  await sleep(30);
  s.writer.write('\ntwo\n');
  t.equal(await within(c.reader.readline(), 1000, 'next line'), 'two\n');
});

t.test('reader: readUntil with string, Buffer and RegExp; readexactly', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  s.writer.write('login: user\r\nPassword: $ 12345rest');
  t.equal(await within(c.reader.readUntil('login: '), 1000, 'string'), 'login: ');
  t.equal(await within(c.reader.readUntil(Buffer.from('\r\n')), 1000, 'buffer'), 'user\r\n');
  const m = await within(c.reader.readUntilMatch(/([A-Z]\w+): \$ /), 1000, 'regexp');
  t.equal(m.data, 'Password: $ ');
  t.equal(m.match?.[1], 'Password');
  t.equal(await within(c.reader.readexactly(5), 1000, 'exactly'), '12345');
  t.equal((await rejection(c.reader.readUntil(''), 100, 'empty separator')).code, 'ERR_TELNET_USAGE');
  s.writer.close();
  const err = await rejection(c.reader.readexactly(10), 1000, 'readexactly at EOF');
  t.equal(err.code, 'ERR_TELNET_CLOSED');
  t.equal(err.partial, 'rest', 'partial data carried');
  const err2 = await rejection(c.reader.readUntil('never'), 1000, 'readUntil at EOF');
  t.equal(err2.code, 'ERR_TELNET_CLOSED');
});

t.test('reader: readUntil on a byte connection with a Buffer and a RegExp', async (t) => {
  const { s, c } = await pair(t, { encoding: false }, { encoding: false });
  await bothBinary(s, c);
  s.writer.write(bytes([0x01, 0xff, 0x02], '>> ', [0xfe], 'end\n'));
  t.same(await within(c.reader.readUntil(Buffer.from([0xff, 0x02])), 1000, 'bytes'), bytes([0x01, 0xff, 0x02]));
  t.same(await within(c.reader.readUntil(/>> /), 1000, 'regexp over latin1'), Buffer.from('>> '));
  t.same(await within(c.reader.readuntil(), 1000, 'default LF'), bytes([0xfe], 'end\n'));
});

t.test('reader: async iteration yields lines until EOF', async (t) => {
  const { s, c } = await pair(t);
  s.writer.write('one\r\ntwo\nthree');
  s.writer.close();
  const lines: string[] = [];
  await within((async () => { for await (const l of c.reader) lines.push(l as string); })(), 2000, 'iteration');
  t.same(lines, ['one\r\n', 'two\n', 'three']);
});

t.test('reader: limit errors keep the data; concurrent reads are refused', async (t) => {
  const { s, c } = await pair(t, {}, { limit: 16 });
  await bothBinary(s, c);
  s.writer.write('x'.repeat(40));
  await within(c.writer.waitForCondition(() => c.reader.buffered === 40), 1000, '40 buffered');
  const e1 = await rejection(c.reader.readline(), 1000, 'readline over limit');
  t.equal(e1.code, 'ERR_TELNET_LIMIT');
  const e2 = await rejection(c.reader.readUntil('!'), 1000, 'readUntil over limit');
  t.equal(e2.code, 'ERR_TELNET_LIMIT');
  t.equal(c.reader.buffered, 40, 'nothing consumed');
  t.equal(await c.reader.read(100), 'x'.repeat(40));
  const p1 = c.reader.read(5);
  const e3 = await rejection(c.reader.read(5), 1000, 'second read');
  t.equal(e3.code, 'ERR_TELNET_CONCURRENT_READ');
  const e4 = await rejection(c.reader.readline(), 1000, 'concurrent readline');
  t.equal(e4.code, 'ERR_TELNET_CONCURRENT_READ');
  s.writer.write('z');
  t.equal(await within(p1, 1000, 'first read'), 'z', 'the first read still gets its data');
});

// ---------------------------------------------------------------- waitFor

t.test('waitFor: immediate, after a change, local, pending, rejects on close, unknown names throw', async (t) => {
  const { s, c } = await pair(t);
  await within(c.writer.waitFor(settledClient), 1000, 'settled');
  t.equal(await within(c.writer.waitFor({ remote: { BINARY: true } }), 50, 'immediate'), true);
  t.equal(await within(c.writer.waitFor({ remote: { EOR: false } }), 50, 'false means not enabled'), true);
  t.equal(await within(c.writer.waitFor({}), 50, 'empty spec'), true);

  let remoteEor = false;
  const p = c.writer.waitFor({ remote: { EOR: true } }).then((v) => { remoteEor = v; });
  await sleep(30);
  t.notOk(remoteEor, 'still waiting');
  s.writer.iac(Cmd.WILL, 'EOR');
  await within(p, 1000, 'remote EOR');
  t.ok(remoteEor);
  await within(s.writer.waitFor({ local: { eor: true } }), 1000, 'local EOR (name case-insensitive)');

  s.writer.iac(Cmd.DO, 'TSPEED');
  t.equal(await within(s.writer.waitFor({ pending: { TSPEED: true } }), 50, 'pending now'), true);
  await within(s.writer.waitFor({ pending: { TSPEED: false } }), 1000, 'answered');
  t.ok(s.writer.remoteOption.enabled('TSPEED'));
  await within(s.writer.waitFor({ remote: { 32: true } } as any), 50, 'by code');

  t.throws(() => c.writer.waitFor({ remote: { NOPE: true } }), { code: 'ERR_TELNET_UNKNOWN_OPTION' });

  const never = c.writer.waitFor({ remote: { LOGOUT: true } });
  const cond = c.writer.waitForCondition((w) => w.getExtraInfo('cols') === 1234);
  s.writer.close();
  const e = await rejection(never, 3000, 'waitFor on close');
  t.equal(e.code, 'ERR_TELNET_CLOSED');
  const e2 = await rejection(cond, 1000, 'waitForCondition on close');
  t.equal(e2.code, 'ERR_TELNET_CLOSED');
  const e3 = await rejection(c.writer.waitFor({ remote: { LOGOUT: true } }), 100, 'waitFor after close');
  t.equal(e3.code, 'ERR_TELNET_CLOSED');
});

t.test('waitForCondition resolves after NAWS changes the extra info', async (t) => {
  const { s, c } = await pair(t);
  await within(c.writer.waitFor({ local: { NAWS: true } }), 1000, 'NAWS');
  const p = s.writer.waitForCondition((w) => w.getExtraInfo('cols') === 99 && w.getExtraInfo('rows') === 33);
  c.writer.setWindowSize(99, 33);
  t.equal(await within(p, 1000, 'condition'), true);
});

// ---------------------------------------------------------------- server API

t.test('server API: address, port 0, clients, waitForClient FIFO, close and waitClosed', async (t) => {
  const server = await startServer(t);
  const a = server.address;
  t.equal(a.address, HOST);
  t.equal(a.family, 'IPv4');
  t.ok(a.port > 0 && a.port === server.port);
  t.ok(server.isServing());
  t.same(server.clients, []);
  const c1 = await connect(t, server.port, { term: 'one' });
  const c2 = await connect(t, server.port, { term: 'two' });
  const w1 = await within(server.waitForClient(), 2000, 'first');
  const w2 = await within(server.waitForClient(), 2000, 'second');
  t.same([w1.writer.getExtraInfo('TERM'), w2.writer.getExtraInfo('TERM')].sort(), ['one', 'two']);
  t.equal(server.clients.length, 2);
  // Without a shell the application owns the server side: it sees EOF and closes.
  const first = w1.writer.getExtraInfo('TERM') === 'one' ? w1 : w2;
  c1.writer.close();
  t.equal(await within(first.reader.read(-1), 1000, 'server side EOF'), '');
  first.writer.close();
  await within(until(() => server.clients.length === 1, 2000, 'one left'), 2500, 'clients pruned');
  server.close();
  t.notOk(server.isServing());
  await within(server.waitClosed(), 2000, 'waitClosed');
  t.equal(server.clients.length, 0);
  await within(c2.writer.waitClosed(), 3000, 'client sees the close');
  const err = await rejection(openConnection(HOST, a.port, { connectTimeout: 1000 }), 2000, 'connect after close');
  t.equal(err.code, 'ERR_TELNET_CONNECTION_REFUSED');
});

t.test('server API: a queued connection that closes before waitForClient is dropped from the queue', async (t) => {
  // A shell that ends at EOF, so the server side closes when the client does.
  const server = await startServer(t, { shell: async (reader) => { await reader.read(-1); } });
  const gone = await connect(t, server.port, { term: 'gone' });
  await within(until(() => server.clients.length === 1, 2000, 'first negotiated'), 2500, 'first queued');
  gone.writer.close();
  await within(until(() => server.clients.length === 0, 2000, 'first closed'), 2500, 'first pruned');
  await connect(t, server.port, { term: 'stays' });
  const w = await within(server.waitForClient(), 2000, 'queued client');
  t.equal(w.writer.getExtraInfo('TERM'), 'stays', 'the closed connection was not handed out');
});

t.test('server idle timeout writes Timeout. and closes', async (t) => {
  for (const encoding of ['utf8', false] as const) {
    const server = await startServer(t, { timeout: 300, encoding });
    const p = await RawPeer.connect(t, server.port);
    const t0 = Date.now();
    await p.waitEnd(2000);
    const dt = Date.now() - t0;
    t.ok(dt >= 250 && dt < 1500, `closed after ${dt} ms (timeout 300)`);
    t.equal(p.received.toString('latin1'), `${DO_TTYPE.toString('latin1')}${TIMEOUT_MESSAGE}`, `exact bytes (${encoding})`);
    const [w] = server.clients;
    if (w !== undefined) t.equal(w.writer.getExtraInfo('timeout'), 300);
  }
});

t.test('idle timeout is restarted by input', async (t) => {
  const server = await startServer(t, { timeout: 300 });
  const p = await RawPeer.connect(t, server.port);
  for (let i = 0; i < 5; i++) { await sleep(120); p.write(bytes(0xff, 0xf1)); }
  t.notOk(p.ended, 'still open after 600 ms of NOPs every 120 ms');
  await p.waitEnd(2000);
  t.ok(p.received.toString('latin1').endsWith(TIMEOUT_MESSAGE));
});

t.test('lineMode never sends WILL SGA or WILL ECHO (raw client answers everything)', async (t) => {
  for (const lineMode of [true, false]) {
    const server = await startServer(t, { lineMode, connectMaxwait: 1000 });
    const p = await RawPeer.connect(t, server.port);
    await p.waitForBytes(DO_TTYPE, 1000);
    p.write(bytes(0xff, 0xfb, 0x18));
    await p.waitForBytes(bytes(0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0), 1000, 'TTYPE SEND');
    p.write(bytes(0xff, 0xfa, 0x18, 0x00, 'xterm', 0xff, 0xf0));
    await p.waitForBytes(bytes(0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0, 0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0).subarray(6), 1000);
    p.write(bytes(0xff, 0xfa, 0x18, 0x00, 'xterm', 0xff, 0xf0));
    await p.waitForBytes(bytes(0xff, 0xfd, 0x27), 1000, 'DO NEW_ENVIRON');
    await sleep(100);
    const got = p.received;
    const willSga = countOf(got, bytes(0xff, 0xfb, 0x03));
    const willEcho = countOf(got, bytes(0xff, 0xfb, 0x01));
    if (lineMode) {
      t.equal(willSga + willEcho, 0, `lineMode: no WILL SGA/ECHO in ${hexShort(got, 80)}`);
    } else {
      t.equal(willSga, 1, 'default: WILL SGA once');
      t.equal(willEcho, 1, 'default: WILL ECHO once');
    }
    t.equal(countOf(got, bytes(0xff, 0xfb, 0x00)), 1, 'WILL BINARY');
    t.equal(countOf(got, bytes(0xff, 0xfd, 0x1f)), 1, 'DO NAWS');
  }
  // And with our client.
  const { s, c } = await pair(t, { lineMode: true });
  t.equal(s.writer.mode, 'local');
  t.equal(c.writer.mode, 'local');
  t.notOk(c.writer.remoteOption.enabled('SGA'));
  t.notOk(c.writer.willEcho);
});

t.test('a shell that throws closes only its connection', async (t) => {
  const log = memoryLogger();
  let n = 0;
  const server = await startServer(t, {
    logger: log,
    shell: async (reader, writer) => {
      n++;
      if (n === 1) throw new Error('boom sync-ish');
      if (n === 2) { await sleep(50); throw new Error('boom async'); }
      writer.write('ready\r\n');
      for await (const line of reader) writer.write(`echo:${line}`);
    },
  });
  const c1 = await connect(t, server.port);
  const c2 = await connect(t, server.port);
  const c3 = await connect(t, server.port);
  t.equal(await within(c1.reader.read(-1), 2000, 'c1 EOF'), '');
  t.equal(await within(c2.reader.read(-1), 2000, 'c2 EOF'), '');
  t.equal(await within(c3.reader.readline(), 2000, 'c3 ready'), 'ready\r\n');
  c3.writer.write('hi\r\n');
  t.equal(await within(c3.reader.readline(), 2000, 'c3 echo'), 'echo:hi\r\n');
  t.ok(log.lines.some((l) => l.startsWith('error shell failed') && l.includes('boom sync-ish')), 'sync throw logged');
  t.ok(log.lines.some((l) => l.startsWith('error shell failed') && l.includes('boom async')), 'async throw logged');
  t.ok(server.isServing());
});

t.test('createServer without a shell sends only IAC DO TTYPE first', async (t) => {
  const server = await startServer(t);
  const p = await RawPeer.connect(t, server.port);
  await p.waitForBytes(DO_TTYPE, 1000);
  await sleep(300);
  t.same(p.received, DO_TTYPE, 'exactly FF FD 18');
  t.notOk(p.ended);
});

// ---------------------------------------------------------------- client

t.test('client: connection refused is a TelnetError with a stable code', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, HOST, r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const err = await rejection(openConnection(HOST, port), 2000, 'refused');
  t.equal(err.code, 'ERR_TELNET_CONNECTION_REFUSED');
  t.equal(err.name, 'TelnetError');
});

t.test('client: connectTimeout against a listener whose accept queue is full', async (t) => {
  // A child process listens with backlog 1 and then blocks its event loop, so
  // it never accepts: once the queue is full, SYNs are dropped (a blackhole).
  const script = "const net=require('net');const s=net.createServer();s.listen({host:'127.0.0.1',port:0,backlog:1},()=>{" +
    "process.stdout.write(s.address().port+'\\n');setTimeout(()=>{Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000);process.exit(0)},20);});";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL'); });
  const port = await within(new Promise<number>((r) => child.stdout!.once('data', (d) => r(Number(String(d).trim())))), 3000, 'child port');
  await sleep(100);
  const fillers: net.Socket[] = [];
  t.teardown(() => { for (const s of fillers) s.destroy(); });
  let blackhole = false;
  for (let i = 0; i < 8 && !blackhole; i++) {
    const s = net.connect({ host: HOST, port });
    s.on('error', () => {});
    fillers.push(s);
    blackhole = await new Promise<boolean>((r) => {
      s.once('connect', () => r(false));
      setTimeout(() => r(true), 300);
    });
  }
  if (!blackhole) {
    t.comment('could not fill the accept queue on this system: skipped');
    return;
  }
  const t0 = Date.now();
  const err = await rejection(openConnection(HOST, port, { connectTimeout: 300 }), 2000, 'connect timeout');
  const dt = Date.now() - t0;
  t.equal(err.code, 'ERR_TELNET_CONNECT_TIMEOUT');
  t.match(err.message, /timed out after 300 ms/);
  t.ok(dt >= 280 && dt < 800, `rejected after ${dt} ms`);
});

t.test('client: connectMaxwait against a silent server', async (t) => {
  const silent = net.createServer((s) => { s.on('error', () => {}); t.teardown(() => s.destroy()); });
  await new Promise<void>((r) => silent.listen(0, HOST, r));
  t.teardown(() => new Promise<void>((r) => silent.close(() => r())));
  const port = (silent.address() as net.AddressInfo).port;
  const t0 = Date.now();
  const c = await within(openConnection(HOST, port, { connectMaxwait: 300 }), 2000, 'open');
  const dt = Date.now() - t0;
  t.teardown(() => c.writer.close());
  t.ok(dt >= 290 && dt < 550, `resolved after ${dt} ms (maxwait 300)`);
  t.same(c.writer.localOption.list(), [], 'nothing negotiated');
});

t.test('client: negotiation with our server settles fast', async (t) => {
  const server = await startServer(t);
  for (let i = 0; i < 3; i++) {
    const accepted = server.waitForClient();
    const t0 = performance.now();
    const c = await connect(t, server.port, { connectMaxwait: 3000 });
    const tc = performance.now() - t0;
    await within(accepted, 1000, 'server side');
    const ts = performance.now() - t0;
    await within(c.writer.waitFor(settledClient), 1000, 'client settled');
    const tall = performance.now() - t0;
    t.ok(tc < 200, `openConnection resolved in ${tc.toFixed(1)} ms`);
    t.ok(ts < 200, `server negotiation finished in ${ts.toFixed(1)} ms`);
    t.ok(tall < 200, `client saw every option in ${tall.toFixed(1)} ms`);
  }
});

t.test('client: connectMinwait delays readiness', async (t) => {
  const server = await startServer(t);
  const t0 = Date.now();
  await connect(t, server.port, { connectMinwait: 250 });
  const dt = Date.now() - t0;
  t.ok(dt >= 240 && dt < 800, `resolved after ${dt} ms (minwait 250)`);
});

t.test('client shell runs and its return closes the connection', async (t) => {
  const server = await startServer(t, {
    shell: async (reader, writer) => {
      writer.write('hello\r\n');
      const l = await reader.readline();
      writer.write(`got ${l}`);
      await reader.read(-1);
    },
  });
  let shellResult = '';
  const c = await openConnection(HOST, server.port, {
    shell: async (reader, writer) => {
      shellResult += await reader.readline();
      writer.write('abc\r\n');
      shellResult += await reader.readline();
    },
  });
  await within(c.writer.waitClosed(), 3000, 'client closed after its shell');
  t.equal(shellResult, 'hello\r\ngot abc\r\n');
});

t.test('no unhandled promise rejection in this file', async (t) => unhandled.check(t));
