import { createHash } from 'node:crypto';
import net from 'node:net';
import t, { type Test } from 'tap';
import { type ClientOptions, openConnection } from '../../src/client.js';
import { testCerts } from '../helpers/tls-certs.js';
import type { ServerOptions, TelnetStreams } from '../../src/server.js';
import { ARENA_MIN, EscapeArena, madeArena } from '../../src/engine/escape-arena.js';
import { escapeIac } from '../../src/protocol/options/codec.js';
import { SIMD_PIECE } from '../../src/protocol/options/iac-simd.js';
import { bothBinary, pair, sleep, startServer, until, within } from './helpers.js';

/** Pseudo-random bytes (xorshift32, fixed seed): about one 0xFF in 256. */
function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

const overlaps = (a: Buffer, b: Buffer): boolean => a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

t.test('the ring: escaped views, no overlap while taken, reuse only after release', async (t) => {
  const arena = EscapeArena.create(512 * 1024);
  if (arena === null) { t.pass('no WebAssembly SIMD here'); return; }
  const inputs = [0, 1, 2].map((k) => randomBytes(64 * 1024, 10 + k));
  const views = inputs.map((d) => arena.escape(d));
  views.forEach((v, k) => {
    t.ok(arena.regionOf(v) !== null, `view ${k} lies in the arena`);
    t.ok(v.equals(escapeIac(inputs[k]!)), `view ${k} is the escaped input`);
  });
  t.notOk(overlaps(views[0]!, views[1]!) || overlaps(views[1]!, views[2]!) || overlaps(views[0]!, views[2]!), 'taken views do not overlap');
  t.equal(arena.pending, 3);
  // Released out of order: the middle one alone frees nothing at the ring's start.
  const copies = views.map((v) => Buffer.from(v));
  arena.release(arena.regionOf(views[1]!)!);
  t.equal(arena.pending, 2);
  const fourth = arena.escape(randomBytes(64 * 1024, 99));
  t.ok(arena.regionOf(fourth) !== null);
  t.notOk(overlaps(fourth, views[0]!) || overlaps(fourth, views[2]!), 'a new view stays clear of the live ones');
  t.ok(views[0]!.equals(copies[0]!) && views[2]!.equals(copies[2]!), 'live views keep their bytes');
  // Releasing twice does nothing.
  const r0 = arena.regionOf(views[0]!)!;
  arena.release(r0);
  arena.release(r0);
  t.equal(arena.pending, 2);
});

t.test('the ring wraps around, and a full ring falls back to a new buffer', async (t) => {
  const arena = EscapeArena.create(512 * 1024);
  if (arena === null) { t.pass('no WebAssembly SIMD here'); return; }
  const taken: Buffer[] = [];
  // Each 64 KiB input reserves 128 KiB + 1 while it is escaped: the ring fills.
  let fallback: Buffer | null = null;
  for (let k = 0; k < 16 && fallback === null; k++) {
    const data = randomBytes(64 * 1024, 100 + k);
    const out = arena.escape(data);
    t.ok(out.equals(escapeIac(data)), `output ${k} is right`);
    if (arena.regionOf(out) === null) fallback = out;
    else taken.push(out);
  }
  t.ok(fallback !== null, 'a full ring hands out an ordinary buffer');
  t.ok(taken.length >= 3, `the ring held ${taken.length} writes first`);
  // Still full at the end; once the two oldest are free there is room at the
  // start, and the next view wraps there, before the live ones.
  const data = randomBytes(64 * 1024, 7);
  arena.release(arena.regionOf(taken[0]!)!);
  t.equal(arena.regionOf(arena.escape(data)), null, 'one free region is not room enough for 128 KiB + 1');
  arena.release(arena.regionOf(taken[1]!)!);
  const keep = taken.slice(2).map((v) => Buffer.from(v));
  const wrapped = arena.escape(data);
  t.ok(arena.regionOf(wrapped) !== null, 'room at the start is used again');
  t.ok(wrapped.byteOffset < taken[2]!.byteOffset, 'the new view lies before the live ones');
  t.ok(wrapped.equals(escapeIac(data)));
  t.ok(taken.slice(2).every((v, i) => v.equals(keep[i]!)), 'the live views are untouched');
  // Everything released: the ring starts over.
  for (const v of [...taken.slice(2), wrapped]) arena.release(arena.regionOf(v)!);
  t.equal(arena.pending, 0);
});

t.test('what the arena does not take', async (t) => {
  const arena = EscapeArena.create(512 * 1024);
  if (arena === null) { t.pass('no WebAssembly SIMD here'); return; }
  const small = randomBytes(ARENA_MIN - 1, 1);
  small[10] = 0xff;
  const noIac = Buffer.alloc(32 * 1024, 0x41);
  const large = randomBytes(SIMD_PIECE + 1, 2);
  for (const [name, data] of [['small', small], ['no 0xFF', noIac], ['over 64 KiB', large]] as const) {
    const out = arena.escape(data);
    t.equal(arena.regionOf(out), null, `${name}: not an arena view`);
    t.ok(out.equals(escapeIac(data)), `${name}: escaped right`);
  }
  t.equal(arena.regionOf(Buffer.alloc(8)), null, 'a foreign buffer has no region');
});

/** Server writes `total` random bytes in 64 KiB writes (honouring drain) to each client, which check a SHA-256. */
async function transfer(
  t: Test, clients: number, total: number, slowStart: boolean, serverOpts: ServerOptions = {}, clientOpts: ClientOptions = {},
): Promise<TelnetStreams> {
  const { server, s, c } = await pair(t, { encoding: false, ...serverOpts }, { encoding: false, ...clientOpts });
  const ends = [{ s, c }];
  for (let k = 1; k < clients; k++) {
    const accepted = server.waitForClient();
    const ck = await openConnection('127.0.0.1', server.port, { encoding: false, connectMaxwait: 2000, ...clientOpts });
    t.teardown(() => ck.writer.close());
    ends.push({ s: await within(accepted, 3000, 'accept'), c: ck });
  }
  await Promise.all(ends.map((e) => bothBinary(e.s, e.c)));
  const work = ends.map(async ({ s, c }, k) => {
    const data = randomBytes(total, 1000 + k);
    const want = createHash('sha256').update(data).digest('hex');
    const send = (async () => {
      for (let off = 0; off < data.length; off += 64 * 1024) {
        if (!s.writer.write(data.subarray(off, off + 64 * 1024))) await s.writer.drain();
      }
      s.writer.close();
    })();
    const h = createHash('sha256');
    let got = 0;
    for (let reads = 0; ; reads++) {
      if (slowStart && reads < 4) await sleep(30); // let the server's socket queue fill
      const chunk = await c.reader.read(256 * 1024);
      if (chunk.length === 0) break;
      h.update(chunk);
      got += chunk.length;
    }
    await send;
    t.equal(got, total, `client ${k} got every byte`);
    t.equal(h.digest('hex'), want, `client ${k}'s bytes are the server's`);
  });
  await within(Promise.all(work), 60_000, 'transfers');
  return s;
}

t.test('binary transfers through the arena arrive intact, one client and four at once', async (t) => {
  await transfer(t, 1, 24 * 1024 * 1024, true);
  await transfer(t, 4, 6 * 1024 * 1024, true);
  const arena = madeArena();
  t.ok(arena !== null || EscapeArena.create(4096) === null, 'the writes went through the arena (where WebAssembly SIMD exists)');
  if (arena !== null) {
    await sleep(50);
    t.equal(arena.pending, 0, 'every region came back once the sockets had sent');
  }
});

t.test('a client gone mid-transfer leaves the server serving, and the arena whole', async (t) => {
  const data = randomBytes(8 * 1024 * 1024, 5);
  let sending: Promise<void> | null = null;
  const server = await startServer(t, {
    encoding: false, connectMaxwait: 50,
    shell: async (_reader, writer) => {
      sending = (async () => {
        for (let off = 0; off < data.length && !writer.isClosing(); off += 64 * 1024) {
          if (!writer.write(data.subarray(off, off + 64 * 1024))) await Promise.race([writer.drain(), sleep(200)]);
        }
      })();
      await sending;
    },
  });
  // A raw client that takes the first chunk, then resets the connection with the rest unread.
  await within(new Promise<void>((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    sock.once('data', () => { setTimeout(() => { sock.resetAndDestroy(); resolve(); }, 100); });
    sock.once('error', reject);
  }), 5000, 'raw client');
  await until(() => sending !== null, 5000, 'the shell sends');
  await within(sending!, 10_000, 'the server stops sending');
  await transfer(t, 1, 4 * 1024 * 1024, false);
  const arena = madeArena();
  if (arena !== null) {
    await sleep(50);
    t.equal(arena.pending, 0, 'no region stays taken after the peer vanished');
  }
});

t.test('with MCCP2 the escaped writes do not use the arena, and arrive intact', async (t) => {
  const s = await transfer(t, 1, 4 * 1024 * 1024, false, { compression: true });
  t.ok(s.writer.compression.send !== null, 'the server compressed');
  const arena = madeArena();
  if (arena !== null) t.equal(arena.pending, 0);
});

t.test('over TLS, escaped binary writes (a TLSSocket write takes arena views too) arrive intact', async (t) => {
  const certs = testCerts();
  await transfer(t, 2, 6 * 1024 * 1024, true, { tls: { cert: certs.localhost.cert, key: certs.localhost.key } }, { tls: { ca: certs.localhost.cert } });
  const arena = madeArena();
  if (arena !== null) {
    await sleep(50);
    t.equal(arena.pending, 0, 'every region came back');
  }
});
