/**
 * The pieces that keep an idle connection small: the shared idle-timer
 * lists, the compact extra-info map, the UTF-8 decoder that holds a
 * StringDecoder only across a split character, the parser handing its SB
 * buffer over, the negotiator's packed option table, and what an idle,
 * negotiated server connection still holds.
 */
import { StringDecoder } from 'node:string_decoder';
import t from 'tap';
import { makeDecoder } from '../../src/engine/encoding.js';
import { ExtraInfo } from '../../src/engine/extra-info.js';
import { type IdleEntry, type IdleList, setIdle, touchIdle } from '../../src/engine/idle-timers.js';
import { Opt } from '../../src/protocol/constants.js';
import { Negotiator } from '../../src/protocol/negotiator.js';
import { TelnetParser } from '../../src/protocol/parser.js';
import { TIMEOUT_MESSAGE } from '../../src/server.js';
import { mulberry32 } from '../helpers/session-harness.js';
import { DO_TTYPE, RawPeer, bytes, connect, serverConnections, sleep, startServer, until } from './helpers.js';

function entry(name: string, fired: string[]): IdleEntry & { name: string } {
  return {
    name, idleList: null, idlePrev: null, idleNext: null, idleFrom: 0,
    idleExpired() { fired.push(name); },
  };
}

t.test('idle lists: expiry order, input moves to the back, cancel, re-arm', async (t) => {
  const fired: string[] = [];
  const a = entry('a', fired);
  const b = entry('b', fired);
  const c = entry('c', fired);
  setIdle(a, 150);
  setIdle(b, 150);
  setIdle(c, 150);
  t.equal(a.idleList, b.idleList, 'one list per duration');
  await sleep(80);
  touchIdle(a, Math.floor(performance.now())); // a restarts: now last in line
  setIdle(c, 0); // cancelled
  t.equal(c.idleList, null);
  await sleep(110); // b expired (~190 ms), a not yet (~110 ms since its input)
  t.same(fired, ['b']);
  await sleep(100);
  t.same(fired, ['b', 'a'], 'a expires 150 ms after its input');
  t.equal(a.idleList, null, 'expired entries are unlinked');
  setIdle(c, 60); // re-armed from now, after its list went away
  await sleep(120);
  t.same(fired, ['b', 'a', 'c']);
});

t.test('idle lists: different durations are independent', async (t) => {
  const fired: string[] = [];
  const long = entry('long', fired);
  const short = entry('short', fired);
  setIdle(long, 200);
  setIdle(short, 50);
  t.not(long.idleList, short.idleList);
  await sleep(120);
  t.same(fired, ['short']);
  await sleep(150);
  t.same(fired, ['short', 'long']);
  t.equal((long.idleList as IdleList | null), null);
});

t.test('server: idle connections time out independently; input keeps one alive', async (t) => {
  const server = await startServer(t, { timeout: 300, connectMaxwait: 100 });
  const quiet = await RawPeer.connect(t, server.port);
  const busy = await RawPeer.connect(t, server.port);
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) { await sleep(100); busy.write(bytes(0xff, 0xf1)); }
  t.ok(quiet.ended, `the quiet one timed out (${Date.now() - t0} ms)`);
  t.notOk(busy.ended, 'the busy one is still open');
  t.equal(quiet.received.toString('latin1'), `${DO_TTYPE.toString('latin1')}${TIMEOUT_MESSAGE}`);
  await busy.waitEnd(2000);
  const dt = Date.now() - t0;
  t.ok(dt >= 700, `the busy one timed out 300 ms after its last input (${dt} ms)`);
});

t.test('idle negotiated server connections hold no timers of their own', async (t) => {
  const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const server = await startServer(t, { connectMaxwait: 2000, shell: async (reader) => { await reader.readline(); } });
  const clients = [];
  for (let i = 0; i < 5; i++) clients.push(await connect(t, server.port, { connectMaxwait: 2000 }));
  await until(() => serverConnections(server).every((c) => c.driver === null), 2000, 'negotiation over');
  const before = count();
  for (let i = 0; i < 10; i++) clients.push(await connect(t, server.port, { connectMaxwait: 2000 }));
  await until(() => serverConnections(server).every((c) => c.driver === null), 2000, 'negotiation over');
  t.ok(count() <= before, `Timeouts: ${before} with 5 connections, ${count()} with 15`);
  const conn = serverConnections(server)[0]!;
  t.equal(conn.idleTimeout, 300000);
  t.equal(conn.listeners.length, 0);
});

t.test('ExtraInfo behaves as a Map', async (t) => {
  const x = new ExtraInfo(1);
  const m = new Map<string, unknown>();
  const rnd = mulberry32(7);
  const differs: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const k = `k${Math.floor(rnd() * 12)}`;
    const op = rnd();
    if (op < 0.6) {
      x.set(k, i);
      m.set(k, i);
    } else if (op < 0.8) {
      if (x.delete(k) !== m.delete(k)) differs.push(`delete ${k} at ${i}`);
    } else if (x.get(k) !== m.get(k)) differs.push(`get ${k} at ${i}`);
    if (JSON.stringify([...x]) !== JSON.stringify([...m])) differs.push(`entries at ${i}`);
  }
  t.same(differs, [], '2,000 random set/delete/get agree with a Map, order included');
  t.equal(x.size, m.size);
  t.same(Object.fromEntries(x), Object.fromEntries(m));
  t.same([...x.keys()], [...m.keys()]);
  t.same([...x.values()], [...m.values()]);
  const seen: string[] = [];
  x.forEach((v, k) => seen.push(`${k}=${String(v)}`));
  t.equal(seen.length, m.size);
  t.equal(x.has('nope'), false);
  x.clear();
  t.equal(x.size, 0);
  t.same([...x], []);
});

t.test('UTF-8 decoding: same text as a StringDecoder for any split', async (t) => {
  const rnd = mulberry32(11);
  const alphabet = [0x41, 0x0d, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80, 0xc0, 0xed, 0xa0];
  for (let round = 0; round < 400; round++) {
    const input = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 24) }, () => alphabet[Math.floor(rnd() * alphabet.length)]!));
    const ref = new StringDecoder('utf8');
    const dec = makeDecoder('utf-8', 'replace');
    let want = '';
    let got = '';
    for (let at = 0; at < input.length;) {
      const n = 1 + Math.floor(rnd() * 5);
      const chunk = input.subarray(at, at + n);
      at += n;
      want += ref.write(chunk);
      got += dec.write(chunk).text;
    }
    want += ref.end();
    got += dec.end().text;
    if (got !== want) { t.equal(got, want, `input ${input.toString('hex')}`); return; }
  }
  t.pass('400 random inputs in random chunks decode alike');
  const strict = makeDecoder('utf-8', 'strict');
  t.same(strict.write(Buffer.from([0xe2, 0x82])), { text: '', bad: false }, 'an incomplete character is held');
  t.same(strict.write(Buffer.from([0xac, 0x41])), { text: '€A', bad: false }, 'and completed');
  t.equal(strict.write(Buffer.from([0xff, 0x41])).bad, true);
  t.same(strict.write(Buffer.from([0xc3])), { text: '', bad: false });
  t.same(strict.end(), { text: '\ufffd', bad: true }, 'a character cut by the end');
});

t.test('parser: a subnegotiation payload is not reused by the next one', async (t) => {
  const payloads: Buffer[] = [];
  const p = new TelnetParser({
    onData() {}, onCommand() {}, onNegotiate() {}, onProblem() {},
    onSubnegotiation(_opt, payload) { payloads.push(payload); },
  });
  p.receive(bytes(0xff, 0xfa, 0x18, 0x00, 'xterm', 0xff, 0xf0, 0xff, 0xfa, 0x18, 0x00, 'vt100', 0xff));
  p.receive(bytes(0xff, 'x', 0xff, 0xf0, 0xff, 0xfa, 0x1f, 0, 80, 0, 25, 0xff, 0xf0)); // IAC IAC split across chunks
  t.same(payloads.map((b) => b.toString('latin1')), ['\x00xterm', '\x00vt100\xffx', '\x00\x50\x00\x19']);
  t.equal((p as unknown as { sbBuffer: Buffer | null }).sbBuffer, null, 'no buffer kept between subnegotiations');
});

t.test('negotiator: options above 63, first-enable record, reset', async (t) => {
  const n = new Negotiator({ acceptLocal: [Opt.GMCP, Opt.ECHO], acceptRemote: [Opt.MSDP, Opt.NAWS] });
  t.same(n.receive(0xfd, Opt.GMCP).changed, { side: 'local', enabled: true });
  t.same(n.receive(0xfb, Opt.MSDP).changed, { side: 'remote', enabled: true });
  t.same(n.receive(0xfb, Opt.NAWS).changed, { side: 'remote', enabled: true });
  n.request('local', Opt.ECHO, true);
  t.same(n.enabledOptions('local'), [Opt.GMCP]);
  t.same(n.enabledOptions('remote'), [Opt.NAWS, Opt.MSDP]);
  t.same(n.pendingRequests(), [[0xfb, Opt.ECHO]]);
  t.equal(n.pendingCount(), 1);
  t.equal(n.state('local', Opt.ECHO).state, 'WANTYES');
  t.equal(n.state('remote', Opt.ECHO).state, 'NO', 'the other side of the same byte is untouched');
  t.equal(n.firstEnable('local', Opt.GMCP), true);
  t.equal(n.firstEnable('local', Opt.GMCP), false);
  t.equal(n.firstEnable('remote', Opt.GMCP), true, 'per side');
  t.equal(n.enabled('local', Opt.GMCP), true, 'the record leaves the state alone');
  n.reset();
  t.same(n.enabledOptions('local'), []);
  t.same(n.pendingRequests(), []);
  t.equal(n.pendingCount(), 0);
  t.equal(n.firstEnable('local', Opt.GMCP), false, 'reset keeps the first-enable record');
});
