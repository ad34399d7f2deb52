/**
 * TelnetConnection, the blocking client, against our async server running
 * in a child process (tests/sync/fixtures/async-server.ts). The blocking
 * calls run in this thread; every one of them has a timeout.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import t, { type Test } from 'tap';
import { engineCall } from '../../src/bridge/engine-client.js';
import {
  TelnetClosedError, TelnetConnection, type TelnetConnectionOptions, TelnetLimitError, TelnetTimeoutError, TelnetUsageError,
} from '../../src/sync/index.js';
import { HOST, asyncServers, cmd, freePort, randomBytesFor, sleep, thrown, until } from './helpers.js';

const { child, text: TEXT, bytes: BYTES } = await asyncServers(t);

/** A connected client (text server unless `port` says otherwise), closed in teardown. */
function open<T extends string | Buffer = string>(tt: Test, options: TelnetConnectionOptions = {}, port = TEXT): TelnetConnection<T> {
  const c = new TelnetConnection<T>(HOST, port, { timeout: 3000, connectMaxwait: 2000, ...options });
  c.connect();
  tt.teardown(() => c.close());
  return c;
}

t.test('connect, write, read(n), readSome, read(-1) to EOF, read at EOF', (t) => {
  const c = open(t);
  c.write(cmd.send('hello world'));
  t.equal(c.read(5), 'hello', 'read(5) takes 5 units');
  t.equal(c.readUntil('world'), ' world', 'the rest');
  c.write(cmd.send('some'));
  const some = c.readSome();
  t.ok(some.length > 0 && 'some'.startsWith(some), `readSome returns what is there (${JSON.stringify(some)})`);
  t.equal(some + (some.length < 4 ? c.read(4 - some.length) : ''), 'some');
  c.write(cmd.send('tail-part\r\n'));
  c.write(cmd.closeat(200));
  const all = c.read(-1);
  t.match(all, /^tail-part\r\nT \d+\r\n$/, 'read(-1) collects everything until EOF');
  t.ok(c.atEof, 'atEof after read(-1)');
  const err = thrown(() => c.read(1));
  t.type(err, TelnetClosedError);
  t.equal(err.code, 'ERR_TELNET_CLOSED', 'a read at EOF: ERR_TELNET_CLOSED');
  t.equal(thrown(() => c.readline()).code, 'ERR_TELNET_CLOSED', 'readline at EOF too');
  t.equal(thrown(() => c.read(-1)).code, 'ERR_TELNET_CLOSED', 'read(-1) at EOF too');
  t.equal(c.read(0), '', 'read(0) is empty, not an error');
  t.end();
});

t.test('readline: CR LF, LF, lone CR, CR at the end of what arrived, rest at EOF', (t) => {
  const c = open(t);
  c.write(cmd.send('one\r\ntwo\nthree\rfour\r\n'));
  t.equal(c.readline(), 'one\r\n', 'CR LF');
  t.equal(c.readline(), 'two\n', 'LF');
  t.equal(c.readline(), 'three\r', 'lone CR');
  t.equal(c.readline(), 'four\r\n', 'the line after a lone CR is whole');
  c.write(cmd.send('five\r'));
  t.equal(c.readline(), 'five\r', 'a CR that ends the data answers at once');
  c.write(cmd.send('\nsix\r\n'));
  t.equal(c.readline(), 'six\r\n', 'the LF after it belongs to that line end, no empty line');
  c.write(cmd.send('\r\n\n'));
  t.equal(c.readline(), '\r\n', 'an empty CR LF line');
  t.equal(c.readline(), '\n', 'an empty LF line');
  c.write(cmd.send('unterminated'));
  c.write(cmd.closeat(100));
  t.match(c.readline(), /^unterminatedT \d+\r\n$/, 'data runs on into the T line');
  t.equal(thrown(() => c.readline()).code, 'ERR_TELNET_CLOSED');
  t.end();
});

t.test('readline at EOF returns the unterminated rest, then EOF', (t) => {
  const c = open(t);
  c.write(cmd.end('first\r\nno line end'));
  t.equal(c.readline(), 'first\r\n');
  t.equal(c.readline(), 'no line end', 'the unterminated rest');
  const err = thrown(() => c.readline());
  t.type(err, TelnetClosedError);
  t.equal(err.code, 'ERR_TELNET_CLOSED', 'nothing left: closed');
  const d = open(t);
  d.write(cmd.end('no match here'));
  const e = thrown(() => d.readUntil('never'));
  t.type(e, TelnetClosedError, 'readUntil at EOF without a match');
  t.equal(e.partial, 'no match here', 'carries what arrived');
  t.equal(d.read(-1), 'no match here', 'which stays readable');
  t.end();
});

t.test('a readline timeout keeps the partial line: the next readline returns it whole', (t) => {
  const c = open(t);
  c.write(cmd.send('partial'));
  c.write(cmd.later(500, ' line\r\nnext\r\n'));
  c.readUntil('par', 2000); // the first part is here
  const t0 = Date.now();
  const err = thrown(() => c.readline(150));
  const dt = Date.now() - t0;
  t.type(err, TelnetTimeoutError);
  t.equal(err.code, 'ERR_TELNET_TIMEOUT');
  t.ok(dt >= 140 && dt < 1000, `timed out after ${dt} ms`);
  t.equal(c.readline(3000), 'tial line\r\n', 'nothing was lost (the Python version loses "tial")');
  t.equal(c.readline(3000), 'next\r\n');
  t.end();
});

t.test('readUntil: string, Buffer, RegExp (also /g and /y)', (t) => {
  const c = open(t);
  c.write(cmd.send('abc>def$ ghi123 jkl --x-- ## end'));
  t.equal(c.readUntil('>'), 'abc>', 'string');
  t.equal(c.readUntil(Buffer.from('$ ')), 'def$ ', 'Buffer');
  t.equal(c.readUntil(/\d+/), 'ghi123', 'RegExp: through the end of the match');
  t.equal(c.readUntil(/-x-/g), ' jkl --x-', 'a /g RegExp matches from the start of the buffer');
  t.equal(c.readUntil(/#/y), '- #', 'a /y RegExp is not anchored at lastIndex');
  t.equal(c.readUntil(' '), '# ', 'what follows is still there');
  t.equal(c.read(3), 'end');
  t.end();
});

t.test('expect: several patterns, earliest match wins, groups, text', (t) => {
  const c = open(t);
  c.write(cmd.send('banner\r\nlogin: '));
  let r = c.expect([/Password:/, /login:/]);
  t.equal(r.index, 1, 'the pattern that matched');
  t.equal(r.text, 'banner\r\nlogin:', 'text: consumed through the match');
  t.equal(r.match[0], 'login:');

  c.write(cmd.send('xx Password: yy login: zz'));
  r = c.expect([/login:/, /Password:/]);
  t.equal(r.index, 1, 'the earliest match in the stream wins, not the first pattern');
  t.equal(r.text, ' xx Password:');
  r = c.expect([/login:/, /Password:/]);
  t.equal(r.index, 0);
  t.equal(r.text, ' yy login:');

  c.write(cmd.send('user=alice id=42;'));
  r = c.expect([/id=(\d+)/, /user=(?<name>\w+)/]);
  t.equal(r.index, 1);
  t.equal(r.match[1], 'alice', 'numbered group');
  t.equal(r.match.groups?.name, 'alice', 'named group');
  r = c.expect([/id=(\d+);/]);
  t.equal(r.match[1], '42');
  t.equal(r.text, ' id=42;');

  c.write(cmd.send('ab axb a.b'));
  r = c.expect([/ab/, /a/]);
  t.equal(r.index, 0, 'a tie at the same position goes to the lower index');
  r = c.expect(['a.b', 'never']);
  t.equal(r.index, 0);
  t.equal(r.text, ' axb a.b', 'string patterns match literally');
  t.equal(r.match[0], 'a.b');

  c.write(cmd.send('zz'));
  const err = thrown(() => c.expect([/nope/, 'never'], 150));
  t.equal(err.code, 'ERR_TELNET_TIMEOUT', 'no match in time: timeout');
  t.equal(c.read(2), 'zz', 'and nothing was consumed');
  t.equal(thrown(() => c.expect([])).code, 'ERR_TELNET_USAGE', 'no patterns: usage error');
  t.end();
});

t.test('a read that times out loses no data (read, readUntil, expect, readline)', (t) => {
  const c = open(t);
  c.write(cmd.send('AAA'));
  c.readUntil('A');
  t.equal(thrown(() => c.readUntil('ZZZ', 100)).code, 'ERR_TELNET_TIMEOUT');
  t.equal(thrown(() => c.expect([/Q/, 'R'], 100)).code, 'ERR_TELNET_TIMEOUT');
  t.equal(thrown(() => c.readline(100)).code, 'ERR_TELNET_TIMEOUT');
  t.equal(c.read(10), 'AA', 'the data is all still there');
  const t0 = Date.now();
  const err = thrown(() => c.read(10, 120));
  t.type(err, TelnetTimeoutError, 'a read with nothing to read times out');
  t.ok(Date.now() - t0 >= 110, 'after its timeout');
  c.write(cmd.later(200, 'BBB\r\n'));
  t.equal(thrown(() => c.readline(50)).code, 'ERR_TELNET_TIMEOUT');
  t.equal(c.readline(3000), 'BBB\r\n', 'data that arrives after a timeout is read whole');
  t.end();
});

t.test('the peer closing wakes a blocked read within 50 ms', (t) => {
  for (const how of ['read', 'readUntil', 'readline', 'expect'] as const) {
    const c = open(t, { timeout: 5000 });
    c.write(cmd.closeat(300));
    const at = Number(/^T (\d+)\r\n$/.exec(c.readline())![1]);
    const err = thrown(() => {
      if (how === 'read') c.read(1);
      else if (how === 'readUntil') c.readUntil('never');
      else if (how === 'readline') c.readline();
      else c.expect([/never/]);
    });
    const late = Date.now() - at;
    t.type(err, TelnetClosedError, `${how}: EOF`);
    t.ok(late >= -5 && late < 50, `${how}: woke ${late} ms after the server closed`);
  }
  t.end();
});

t.test('write and flush: 4 MiB through an echo, in and out', (t) => {
  const c = open(t, { timeout: 10000 });
  c.write(cmd.echo);
  const chunk = 'The quick brown fox jumps over the lazy dog 0123456789\r\n'.repeat(1024); // 57 KiB
  const total = chunk.length * 72;
  let got = 0;
  let mismatch = false;
  for (let i = 0; i < 72; i++) {
    c.write(chunk);
    // Read what came back so far, so neither side's buffers fill.
    while (got < (i + 1) * chunk.length - 2 * chunk.length) {
      const s = c.readSome();
      if (chunk.indexOf(s.slice(0, 40)) === -1) mismatch = true;
      got += s.length;
    }
  }
  c.flush();
  t.pass('flush returned once everything was handed to the network');
  while (got < total) got += c.readSome().length;
  t.equal(got, total, `all ${total} characters came back`);
  t.notOk(mismatch, 'the data came back as sent');
  t.equal(thrown(() => c.read(1, 100)).code, 'ERR_TELNET_TIMEOUT', 'and nothing more');
  t.end();
});

t.test('a tiny receive ring (16 bytes) still moves 1 MiB in order, with no stalled read', (t) => {
  const c = open(t, { ringSize: 16, timeout: 5000 });
  const N = 1024 * 1024;
  c.write(cmd.bulk(N));
  let got = 0;
  let slow = 0;
  let bad = -1;
  while (got < N) {
    const t0 = Date.now();
    const s = c.read(65536, 3000);
    if (Date.now() - t0 > 500) slow++;
    for (let i = 0; i < s.length && bad === -1; i++) if (s.charCodeAt(i) !== 0x30 + ((got + i) % 10)) bad = got + i;
    got += s.length;
  }
  t.equal(got, N, 'all of it');
  t.equal(bad, -1, 'in order');
  t.equal(slow, 0, 'no read waited (a lost wake-up would show as a stall)');
  t.end();
});

t.test('a byte read(n) moves at most 128 KiB out of a full ring per call, and nothing is lost', (t) => {
  const c = open<Buffer>(t, { encoding: false, timeout: 5000 }, BYTES);
  const N = 768 * 1024;
  c.write(Buffer.from(cmd.bulk(N)));
  // Let the 1 MiB ring fill before reading: a read could take all of it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  let got = 0;
  let reads = 0;
  let largest = 0;
  let bad = -1;
  while (got < N) {
    const s = c.read(1 << 20, 3000);
    reads++;
    largest = Math.max(largest, s.length);
    for (let i = 0; i < s.length && bad === -1; i++) if (s[i] !== 0x30 + ((got + i) % 10)) bad = got + i;
    got += s.length;
  }
  t.ok(largest <= 128 * 1024, `no read took more than 128 KiB (largest ${largest})`);
  t.ok(reads >= N / (128 * 1024), `${reads} reads`);
  t.equal(got, N, 'all of it');
  t.equal(bad, -1, 'in order');
  t.end();
});

t.test('two byte connections read 4 MiB of random bytes each at once, through the shared read area, exactly', (t) => {
  // Both connections' socket reads land in the engine thread's one read
  // buffer and are unescaped there in place (0xFF every 256 bytes).
  const N = 4 * 1024 * 1024;
  const a = open<Buffer>(t, { encoding: false, timeout: 10000 }, BYTES);
  const b = open<Buffer>(t, { encoding: false, timeout: 10000 }, BYTES);
  a.write(Buffer.from(cmd.random(N, 1)));
  b.write(Buffer.from(cmd.random(N, 2)));
  const hashes = [createHash('sha256'), createHash('sha256')];
  const got = [0, 0];
  const conns = [a, b];
  while (got[0]! < N || got[1]! < N) {
    for (let k = 0; k < 2; k++) {
      if (got[k]! >= N) continue;
      const part = conns[k]!.read(96 * 1024, 10000);
      hashes[k]!.update(part);
      got[k]! += part.length;
    }
  }
  t.same(got, [N, N], 'each got exactly its bytes');
  t.equal(hashes[0]!.digest('hex'), createHash('sha256').update(randomBytesFor(N, 1)).digest('hex'), 'stream 1 intact');
  t.equal(hashes[1]!.digest('hex'), createHash('sha256').update(randomBytesFor(N, 2)).digest('hex'), 'stream 2 intact');
  t.end();
});

t.test('flush() returns as soon as the data is handed over (no wait for a wake-up slice)', (t) => {
  const c = open(t);
  c.write(cmd.hold);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    c.write(`small write ${i}\r\n`);
    const t0 = performance.now();
    c.flush(3000);
    times.push(Math.round(performance.now() - t0));
  }
  t.ok(Math.max(...times) < 500, `20 flushes took ${times.join(' ')} ms (a missed wake-up costs a 1000 ms slice)`);
  t.end();
});

t.test('a search that outgrows `limit` is a TelnetLimitError, and the data stays readable', (t) => {
  const c = open(t, { limit: 100 });
  c.write(cmd.send('y'.repeat(300)));
  for (const [what, fn] of [['readline', () => c.readline()], ['readUntil', () => c.readUntil('z')], ['expect', () => c.expect([/z/])]] as const) {
    const err = thrown(fn);
    t.type(err, TelnetLimitError, what);
    t.equal(err.code, 'ERR_TELNET_LIMIT', `${what}: ERR_TELNET_LIMIT`);
  }
  let got = '';
  while (got.length < 300) got += c.readSome();
  t.equal(got, 'y'.repeat(300), 'everything is still there');
  t.end();
});

t.test('data still held for a full ring is not lost when the peer closes', async (t) => {
  for (const size of [3000, 30000, 500000]) {
    const c = open(t, { ringSize: 1024 });
    c.write(cmd.bulk(size, true));
    await sleep(300); // not reading: the ring fills, the engine holds the rest, the peer closes
    const got = c.read(-1);
    t.equal(got.length, size, `${size} bytes sent then closed: all ${got.length} read`);
    t.ok(got === '0123456789'.repeat(size / 10), 'intact');
  }
});

t.test('getExtraInfo', (t) => {
  const c = open(t, { term: 'xterm-256color', cols: 132, rows: 43 });
  const peer = c.getExtraInfo<{ address: string; port: number }>('peername');
  t.equal(peer?.port, TEXT, 'peername.port');
  t.equal(peer?.address, HOST, 'peername.address');
  const sock = c.getExtraInfo<{ port: number }>('sockname');
  t.ok(typeof sock?.port === 'number' && sock.port > 0, 'sockname.port');
  t.equal(c.getExtraInfo('cols'), 132);
  t.equal(c.getExtraInfo('rows'), 43);
  t.equal(c.getExtraInfo('term'), 'xterm-256color');
  t.match(c.getExtraInfo('lang'), /^en_US\./);
  t.equal(c.getExtraInfo('no-such-key', 'dflt'), 'dflt', 'a missing key gives the default');
  t.equal(c.getExtraInfo('no-such-key'), undefined);
  t.end();
});

t.test('waitFor({ remote: { ECHO: true } }) and the writer view', (t) => {
  const c = open(t);
  c.waitFor({ remote: { ECHO: true } }, 3000);
  const w = c.writer;
  t.ok(w.remoteOption.enabled('ECHO'), 'remote ECHO (the server WILL ECHO)');
  t.ok(w.remoteOption.enabled('SGA'), 'remote SGA');
  t.ok(w.localOption.enabled('NAWS'), 'local NAWS (we WILL NAWS)');
  t.ok(w.localOption.enabled(31), 'options by number too');
  t.notOk(w.remoteOption.enabled('LINEMODE'));
  t.equal(w.mode, 'kludge', 'ECHO + SGA: kludge mode');
  t.notOk(w.pendingOption.enabled('ECHO'), 'nothing pending any more');
  c.waitFor({ remote: { ECHO: true, LINEMODE: false }, local: { NAWS: true } }, 100);
  t.pass('a spec that already holds returns at once');
  const err = thrown(() => c.waitFor({ remote: { LINEMODE: true } }, 150));
  t.type(err, TelnetTimeoutError);
  t.equal(err.code, 'ERR_TELNET_TIMEOUT');
  t.end();
});

t.test('`using` closes the connection at the end of the block (seen by the server)', async (t) => {
  let ref: TelnetConnection | null = null;
  {
    using c = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
    c.connect();
    c.write(cmd.name('using-1'));
    c.flush();
    ref = c;
  }
  const closed = await child.line((l) => l.ev === 'closed' && l.name === 'using-1', 3000, 'server saw using-1 close');
  t.ok(closed, 'the server saw the client close');
  t.equal(thrown(() => ref!.read(1)).code, 'ERR_TELNET_CLOSED_LOCALLY', 'the object is closed');

  // Also when the block is left by an exception.
  const boom = thrown(() => {
    using c = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
    c.connect();
    c.write(cmd.name('using-2'));
    c.flush();
    throw new Error('boom');
  });
  t.equal(boom.message, 'boom');
  await child.line((l) => l.ev === 'closed' && l.name === 'using-2', 3000, 'server saw using-2 close');
  t.pass('closed on the way out of a throwing block');
});

/** Send `sent` through the echo and read it all back; also whether every read gave a Buffer. */
function echoBytes(c: TelnetConnection<Buffer>, sent: Buffer): { back: Buffer; allBuffers: boolean } {
  c.write(sent);
  const got: Buffer[] = [];
  let n = 0;
  let allBuffers = true;
  while (n < sent.length) {
    const b = c.readSome(3000);
    if (!Buffer.isBuffer(b)) allBuffers = false;
    got.push(b);
    n += b.length;
  }
  return { back: Buffer.concat(got), allBuffers };
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i & 0xff));
/** The bytes Telnet treats specially, next to each other. */
const SPECIAL = Buffer.from([0xff, 0xff, 0x0d, 0x00, 0x0d, 0x0a, 0x0d, 0xff, 0x0d, 0x0d, 0x00, 0xff, 0x00, 0x0a, 0x0d]);

t.test('bytes mode (encoding: false): Buffers, all 256 byte values round-trip', (t) => {
  const c = open<Buffer>(t, { encoding: false }, BYTES);
  // Outside BINARY, RFC 854 makes NUL a no-op (it is dropped); our server
  // offers BINARY both ways, so wait until that is agreed.
  c.waitFor({ local: { BINARY: true }, remote: { BINARY: true } }, 3000);
  c.write(Buffer.from(cmd.echo, 'latin1'));
  const sent = Buffer.concat([SPECIAL, ALL_BYTES, SPECIAL, Buffer.from(ALL_BYTES.subarray(0, 256)).reverse(), SPECIAL]);
  const { back, allBuffers } = echoBytes(c, sent);
  t.ok(allBuffers, 'encoding: false reads give Buffers');
  t.same(back, sent, `all 256 byte values (${sent.length} bytes, with IAC IAC, CR NUL, CR CR NUL) came back exactly`);
  c.write(Buffer.from('a\r\0b\xff\r\n', 'latin1'));
  const line = c.readUntil(Buffer.from('\r\n'));
  t.ok(Buffer.isBuffer(line), 'readUntil with a Buffer returns a Buffer');
  t.same(line, Buffer.from('a\r\0b\xff\r\n', 'latin1'));
  c.write(Buffer.from([0x80, 0xfe, 0x0a]));
  t.same(c.readline(), Buffer.from([0x80, 0xfe, 0x0a]), 'readline on bytes');
  c.write(Buffer.from([0x41, 0xfe, 0x42, 0x43]));
  const r = c.expect([/\xfe(.)/, Buffer.from([0x43])]);
  t.equal(r.index, 0, 'expect on bytes: a RegExp runs over latin1, one char per byte');
  t.equal(r.match[1], 'B');
  t.same(r.text, Buffer.from([0x41, 0xfe, 0x42]), 'text is a Buffer');
  t.same(c.read(1), Buffer.from([0x43]));
  t.equal(thrown(() => c.write('text' as unknown as Buffer)).code, 'ERR_TELNET_USAGE', 'a byte connection refuses strings');
  t.end();
});

t.test('text mode: non-ASCII text round-trips, Buffers are refused', (t) => {
  const c = open(t);
  c.waitFor({ local: { BINARY: true }, remote: { BINARY: true } }, 3000);
  c.write(cmd.echo);
  const s = 'héllo wörld ✓ 日本語 🎉\r\n';
  c.write(s);
  t.equal(c.readline(), s, 'UTF-8 text comes back as the same string');
  t.equal(thrown(() => c.write(Buffer.from('x'))).code, 'ERR_TELNET_USAGE', 'a text connection refuses Buffers');
  t.end();
});

t.test('errors carry stable codes', async (t) => {
  const c = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
  for (const [what, fn] of [
    ['read', () => c.read(1)], ['readline', () => c.readline()], ['write', () => c.write('x')],
    ['readUntil', () => c.readUntil('x')], ['expect', () => c.expect(['x'])], ['flush', () => c.flush()],
    ['getExtraInfo', () => c.getExtraInfo('peername')], ['writer', () => c.writer],
  ] as const) {
    const err = thrown(fn);
    t.type(err, TelnetUsageError);
    t.equal(err.code, 'ERR_TELNET_NOT_CONNECTED', `${what} before connect`);
  }
  c.connect();
  const again = thrown(() => c.connect());
  t.type(again, TelnetUsageError);
  t.equal(again.code, 'ERR_TELNET_ALREADY_CONNECTED', 'connect twice');
  c.close();
  c.close();
  t.pass('close is idempotent');
  for (const [what, fn] of [
    ['read', () => c.read(1)], ['readline', () => c.readline()], ['write', () => c.write('x')],
    ['readUntil', () => c.readUntil('x')], ['expect', () => c.expect(['x'])], ['flush', () => c.flush()],
    ['waitFor', () => c.waitFor({ remote: { ECHO: true } })], ['readSome', () => c.readSome()],
  ] as const) {
    t.equal(thrown(fn).code, 'ERR_TELNET_CLOSED_LOCALLY', `${what} after close`);
  }

  const port = await freePort();
  const r = new TelnetConnection(HOST, port, { timeout: 3000 });
  const t0 = Date.now();
  const refused = thrown(() => r.connect());
  t.equal(refused.code, 'ERR_TELNET_CONNECTION_REFUSED', `connection refused (${refused.message})`);
  t.ok(Date.now() - t0 < 1000, 'at once');
  t.equal(thrown(() => r.read(1)).code, 'ERR_TELNET_NOT_CONNECTED', 'a failed connect leaves it unconnected');
  t.equal(thrown(() => r.connect()).code, 'ERR_TELNET_CONNECTION_REFUSED', 'and it may be tried again');
  r.close();

  const bad = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
  bad.connect();
  t.teardown(() => bad.close());
  t.equal(thrown(() => bad.read(1, -1)).code, 'ERR_TELNET_USAGE', 'a negative timeout is a usage error');
  t.equal(thrown(() => bad.readUntil('')).code, 'ERR_TELNET_USAGE', 'an empty match is a usage error');
});

t.test('after close(), getExtraInfo and writer still answer, at once', async (t) => {
  const c = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
  c.connect();
  c.waitFor({ remote: { ECHO: true } }, 3000);
  c.close();
  await sleep(300); // the socket is gone and the engine has let the connection go
  const t0 = Date.now();
  t.equal(c.getExtraInfo<{ port: number }>('peername')?.port, TEXT, 'peername');
  t.equal(c.getExtraInfo('nothing', 7), 7, 'default');
  t.equal(c.writer.mode, 'kludge', 'mode as it was');
  t.ok(c.writer.remoteOption.enabled('ECHO'));
  t.ok(c.atEof, 'atEof');
  t.ok(Date.now() - t0 < 100, `answered in ${Date.now() - t0} ms, not after a control timeout`);
});

t.test('connect timeout: thrown at its deadline, against a server that never negotiates', async (t) => {
  const sockets = new Set<net.Socket>();
  const closed: number[] = [];
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => { closed.push(Date.now()); });
  });
  await new Promise<void>((r) => srv.listen(0, HOST, () => r()));
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close(); });
  const c = new TelnetConnection(HOST, (srv.address() as net.AddressInfo).port, { timeout: 200, connectMaxwait: 2500 });
  const t0 = Date.now();
  const err = thrown(() => c.connect());
  const dt = Date.now() - t0;
  t.type(err, TelnetTimeoutError);
  t.equal(err.code, 'ERR_TELNET_TIMEOUT');
  t.ok(dt >= 190 && dt < 1500, `connect gave up after ${dt} ms (timeout 200, connectMaxwait 2500)`);
  t.equal(thrown(() => c.read(1)).code, 'ERR_TELNET_CLOSED_LOCALLY', 'the connection is closed');
  await until(() => closed.length === 1, 8000, 'the engine dropped the abandoned socket');
  t.pass(`the socket was closed ${closed[0]! - t0} ms after connect()`);
});

t.test('closed connections are released by the engine (no leak per connection)', async (t) => {
  const before = engineCall<{ conns: number }>('stats').conns;
  for (let i = 0; i < 30; i++) {
    const c = new TelnetConnection(HOST, TEXT, { timeout: 3000 });
    c.connect();
    c.write(cmd.send('hi'));
    c.read(2);
    c.close();
  }
  const port = await freePort();
  for (let i = 0; i < 5; i++) {
    const r = new TelnetConnection(HOST, port, { timeout: 3000 });
    thrown(() => r.connect());
  }
  await until(() => engineCall<{ conns: number }>('stats').conns <= before, 5000, 'engine connections back to the baseline');
  t.pass(`engine holds ${engineCall<{ conns: number }>('stats').conns} connections (before: ${before})`);
});
