/**
 * Direct writes (src/bridge/direct-write.ts): a blocking caller writes to
 * the socket's descriptor itself when nothing is queued. These tests pin
 * down what that must never change: the order of the bytes on the wire
 * (against the engine's own replies), IAC doubling, encodings, and that a
 * closed connection's descriptor, reused by the next connection, never
 * receives the old connection's writes.
 */
import t, { type Test } from 'tap';
import { C } from '../../src/bridge/channel.js';
import { W } from '../../src/bridge/direct-write.js';
import { TelnetConnection, type TelnetConnectionOptions } from '../../src/sync/index.js';
import { connectRaw } from '../../src/sync/raw-connection.js';
import { Child, HOST } from './helpers.js';

const rec = Child.start(t, 'recorder');
const { port } = await rec.line((l) => typeof l.port === 'number', 10000, 'recorder port');
let conns = 0;

function open<T extends string | Buffer = Buffer>(tt: Test, options: TelnetConnectionOptions = { encoding: false }): { c: TelnetConnection<T>; id: number } {
  const c = new TelnetConnection<T>(HOST, port, { timeout: 5000, connectMaxwait: 50, ...options });
  c.connect();
  tt.teardown(() => c.close());
  return { c, id: conns++ };
}

function ctrlOf(c: TelnetConnection<any>): Int32Array {
  return (c as unknown as { core: { ch: { ctrl: Int32Array } } }).core.ch.ctrl;
}

/** Bytes the recorder got on connection `id`, once it saw END. */
async function received(id: number): Promise<Buffer> {
  const l = await rec.line((x) => x.conn === id, 10000, `recording of connection ${id}`);
  return Buffer.from(l.hex as string, 'hex');
}

/** Split what a client sent into in-band data and its 3-byte option replies. */
function demux(wire: Buffer): { data: Buffer; replies: string[] } {
  const data: number[] = [];
  const replies: string[] = [];
  for (let i = 0; i < wire.length; i++) {
    if (wire[i] !== 0xff) { data.push(wire[i]!); continue; }
    const cmd = wire[i + 1]!;
    if (cmd === 0xff) { data.push(0xff); i++; continue; }
    if (cmd >= 0xfb && cmd <= 0xfe) { replies.push(`${cmd}:${wire[i + 2]}`); i += 2; continue; }
    replies.push(`cmd ${cmd}`);
    i++;
  }
  return { data: Buffer.from(data), replies };
}

t.test('data written while the engine answers negotiation arrives whole and in order', async (t) => {
  const { c, id } = open(t);
  const ctrl = ctrlOf(c);
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const line = `L${String(i).padStart(5, '0')}\r\n`;
    lines.push(line);
    c.write(Buffer.from(line));
  }
  c.write(Buffer.from('END\r\n'));
  t.equal(c.readUntil('BYE\r\n').toString('latin1'), 'BYE\r\n');
  const { data, replies } = demux(await received(id));
  t.equal(data.toString('latin1'), `${lines.join('')}END\r\n`, 'every line, once, in the order written');
  // Q method: a DO TM while TM is already on, or a DONT while off, needs no reply.
  t.ok(replies.length >= 100, `the engine answered the peer's DO TM / DONT TM meanwhile (${replies.length} replies)`);
  t.same(new Set(replies.filter((r) => !/^25[12]:6$/.test(r))), new Set(), 'only WILL/WONT TM replies, each whole');
  t.ok(Atomics.load(ctrl, C.DIRECT_TX) > 0, `some writes went straight to the socket (${Atomics.load(ctrl, C.DIRECT_TX)} bytes)`);
});

t.test('0xFF is doubled, and writes over 64 KiB or with 0xFF take the engine path', async (t) => {
  const { c, id } = open(t);
  const ctrl = ctrlOf(c);
  c.write(Buffer.from('first\r\n'));
  const direct = Atomics.load(ctrl, C.DIRECT_TX);
  t.equal(direct, 7, 'a short write without 0xFF went directly');
  c.write(Buffer.from([0x41, 0xff, 0x42, 0x0d, 0x0a]));
  const big = Buffer.alloc(200 * 1024, 0x61);
  c.write(big);
  c.write(Buffer.from('\r\nEND\r\n'));
  c.readUntil('BYE\r\n');
  const wire = await received(id);
  t.ok(wire.includes(Buffer.from([0x41, 0xff, 0xff, 0x42])), 'IAC doubled on the wire');
  const { data } = demux(wire);
  t.equal(data.length, 7 + 5 + big.length + 7, 'every byte arrived');
  t.ok(data.subarray(12, 12 + big.length).equals(big), 'the 200 KiB write is intact');
  // The last short write may go either way (directly once the engine sent the rest).
  t.ok(Atomics.load(ctrl, C.DIRECT_TX) - direct <= 7, 'the write with 0xFF and the 200 KiB write did not go directly');
});

t.test('text in US-ASCII mode: ASCII goes directly, other text is encoded by the engine', async (t) => {
  const { c, id } = open<string>(t, { encoding: 'utf8' });
  const ctrl = ctrlOf(c);
  c.write('plain\r\n');
  const direct = Atomics.load(ctrl, C.DIRECT_TX);
  t.equal(direct, 7, 'ASCII text went directly');
  c.write('h\u00e9llo\r\nEND\r\n');
  c.readUntil('BYE\r\n');
  const { data } = demux(await received(id));
  // No BINARY with this peer: the engine sends US-ASCII, replacing what it cannot encode.
  t.equal(data.toString('latin1'), 'plain\r\nh?llo\r\nEND\r\n', 'non-ASCII text was encoded as US-ASCII, not sent as UTF-8');
  t.equal(Atomics.load(ctrl, C.DIRECT_TX), direct, 'that write took the engine path');
});

t.test("a closed connection's writes never reach the connection that reuses its descriptor", async (t) => {
  const a = open(t);
  a.c.write(Buffer.from('hello\r\n'));
  const ctrlA = ctrlOf(a.c);
  const fdA = Atomics.load(ctrlA, C.DIRECT_FD) - 1;
  t.ok(fdA >= 0, `direct writes were on for A (fd ${fdA})`);
  a.c.write(Buffer.from('KILL\r\n'));
  try { a.c.read(-1); } catch { /* the reset ends the stream */ }
  await rec.line((l) => l.closed === a.id, 10000, 'A reset');
  t.equal(Atomics.load(ctrlA, C.DIRECT_FD), 0, "A's descriptor is no longer offered");
  t.equal(Atomics.load(ctrlA, C.WRITE_LOCK), W.OFF, "A's write lock is off");
  const b = open(t);
  const fdB = Atomics.load(ctrlOf(b.c), C.DIRECT_FD) - 1;
  t.comment(`A had fd ${fdA}, B has fd ${fdB}${fdA === fdB ? ' (reused)' : ''}`);
  a.c.write(Buffer.from('SECRET\r\n'));     // dropped: A is gone
  b.c.write(Buffer.from('END\r\n'));
  b.c.readUntil('BYE\r\n');
  const wire = await received(b.id);
  t.notOk(wire.includes(Buffer.from('SECRET')), "B's peer never sees A's write");
  t.equal(demux(wire).data.toString('latin1'), 'END\r\n', 'B carries only its own data');
});

t.test('raw connections (compat/): bytes go directly, in order with the ring, and 0xFF is not doubled', async (t) => {
  const { core } = connectRaw(HOST, port, 5000, Date.now() + 5000);
  const id = conns++;
  t.teardown(() => core.close());
  const ctrl = core.ch.ctrl;
  const expected: Buffer[] = [];
  for (let i = 0; i < 500; i++) {
    // Every tenth write is over 64 KiB and takes the ring; the next ones must wait for it.
    const b = i % 10 === 9 ? Buffer.alloc(70 * 1024, 0x30 + (i % 7)) : Buffer.from(`R${i}\xff\r\n`, 'latin1');
    expected.push(b);
    core.write(b);
  }
  core.write(Buffer.from('\r\nEND\r\n'));
  t.ok(core.readUntil('BYE\r\n', null) !== undefined);
  const wire = await received(id);
  const want = Buffer.concat([...expected, Buffer.from('\r\nEND\r\n')]);
  t.ok(wire.equals(want), `the peer got exactly the bytes written, in order (${wire.length} of ${want.length})`);
  t.ok(Atomics.load(ctrl, C.DIRECT_TX) > 0, `some went straight to the socket (${Atomics.load(ctrl, C.DIRECT_TX)} bytes)`);
});

t.test('close(): at once when nothing is queued, after the queue otherwise; the peer sees both', async (t) => {
  const a = open(t);
  a.c.write(Buffer.from('x\r\n'));
  a.c.close();
  t.equal(a.c.getExtraInfo<{ port: number }>('peername')?.port, port, 'extra info answers right after close()');
  await rec.line((l) => l.closed === a.id, 10000, 'the peer saw the first close');
  const b = open(t);
  const big = Buffer.alloc(300 * 1024, 0x62);
  b.c.write(big);          // more than the socket takes at once: queued in the engine
  b.c.write(Buffer.from('\r\nEND\r\n'));
  b.c.close();
  const { data } = demux(await received(b.id));
  t.equal(data.length, big.length + 7, 'everything queued before close() was sent');
  await rec.line((l) => l.closed === b.id, 10000, 'the peer saw the second close');
});

t.test('a caller that dies inside its write (the lock never let go) stalls only its own connection, for a bounded time', async (t) => {
  const a = open(t);
  const b = open(t);
  const lockA = ctrlOf(a.c);
  // As if A's thread had been terminated between taking the lock and letting it go.
  Atomics.store(lockA, C.WRITE_LOCK, W.CALLER);
  const t0 = Date.now();
  a.c.write(Buffer.from('one\r\nEND\r\n'));      // cannot go directly: through the ring, kept by the engine
  b.c.write(Buffer.from('END\r\n'));
  t.equal(b.c.readUntil('BYE\r\n').toString(), 'BYE\r\n', 'another connection is served meanwhile');
  const bDone = Date.now() - t0;
  t.ok(bDone < 1500, `B answered in ${bDone} ms, while A's lock was stuck`);
  t.equal(a.c.readUntil('BYE\r\n', 6000).toString('latin1').endsWith('BYE\r\n'), true, "A's output went out once the engine took the lock");
  const aDone = Date.now() - t0;
  t.ok(aDone >= 1500, `A's output waited for the stuck lock (${aDone} ms)`);
  const { data } = demux(await received(a.id));
  t.equal(data.toString('latin1'), 'one\r\nEND\r\n', "A's data is intact and in order");

  // Again, now with the descriptor closing (the peer resets A, asked by B) while A's lock is stuck.
  Atomics.store(lockA, C.WRITE_LOCK, W.CALLER);
  const t1 = Date.now();
  b.c.write(Buffer.from(`KILL ${a.id}\r\n`));
  await rec.line((l) => l.closed === a.id, 10000, 'A reset');
  const b2 = open(t);
  b2.c.write(Buffer.from('END\r\n'));
  t.equal(b2.c.readUntil('BYE\r\n').toString(), 'BYE\r\n', 'a new connection is served while the close waits');
  try { a.c.read(-1, 6000); } catch { /* EOF */ }
  t.ok(a.c.atEof, 'A still ends');
  t.ok(Date.now() - t1 >= 1500, `A's close waited for the stuck lock (${Date.now() - t1} ms)`);
  t.equal(Atomics.load(lockA, C.WRITE_LOCK), W.OFF, "A's lock is off once the engine took it");
  t.equal(Atomics.load(lockA, C.DIRECT_FD), 0, "A's descriptor is no longer offered");
});
