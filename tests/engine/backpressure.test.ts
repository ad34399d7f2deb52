/**
 * Flow control: a 64 MiB transfer read to EOF (bytes and text) with a hash
 * check; a slow reader pauses the socket and keeps the writer's drain()
 * pending with bounded buffers; a peer that floods DO TM and never reads is
 * no longer read once a 1 MiB reply backlog builds up (B32 / L2).
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { MAX_PENDING_OUTPUT } from '../../src/engine/connection.js';
import { DEFAULT_READER_LIMIT } from '../../src/engine/reader.js';
import {
  DO_TTYPE, RawPeer, bothBinary, bytes, connSocket, pair, probeGreeting, serverConnections, sleep, startServer,
  trackUnhandled, until, within,
} from './helpers.js';

const unhandled = trackUnhandled();

const MiB = 1024 * 1024;

/** 1 MiB of deterministic bytes with every value (about 4 Ki of them 0xFF). */
function byteBlock(): Buffer {
  const b = Buffer.alloc(MiB);
  let x = 0x12345678;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** About 1 MiB of UTF-8 text with 1-, 2-, 3- and 4-byte characters. */
function textBlock(): string {
  const parts = ['plain ascii line ', 'caf\u00e9 ', '\u2603 ', '\u{1F600}', '\u4e2d\u6587 ', '\r\n'];
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < MiB; i++) {
    const p = parts[i % parts.length]!;
    out.push(p);
    size += Buffer.byteLength(p);
  }
  return out.join('');
}

t.test('64 MiB server → client, bytes, read in a loop to EOF', async (t) => {
  const block = byteBlock();
  const expect = createHash('sha256');
  for (let i = 0; i < 64; i++) expect.update(block);
  const want = expect.digest('hex');
  const { s, c } = await pair(t, { encoding: false }, { encoding: false });
  await bothBinary(s, c);
  const t0 = performance.now();
  void (async () => {
    for (let i = 0; i < 64; i++) {
      s.writer.write(block);
      await s.writer.drain();
    }
    s.writer.close();
  })();
  const hash = createHash('sha256');
  let total = 0;
  let maxBuffered = 0;
  await within((async () => {
    for (;;) {
      maxBuffered = Math.max(maxBuffered, c.reader.buffered);
      const chunk = await c.reader.read(65536);
      if (chunk.length === 0) break;
      total += chunk.length;
      hash.update(chunk);
    }
  })(), 30000, '64 MiB transfer');
  const dt = performance.now() - t0;
  t.equal(total, 64 * MiB, 'byte count');
  t.equal(hash.digest('hex'), want, 'sha256 matches');
  t.ok(maxBuffered <= 2 * DEFAULT_READER_LIMIT + 256 * 1024, `reader buffer stayed bounded (max ${maxBuffered})`);
  t.comment(`bytes: ${(64 / (dt / 1000)).toFixed(0)} MiB/s`);
});

t.test('64 MiB server → client, UTF-8 text, read in a loop to EOF', async (t) => {
  const block = textBlock();
  const blockBytes = Buffer.from(block, 'utf8');
  const reps = Math.ceil((64 * MiB) / blockBytes.length);
  const expect = createHash('sha256');
  for (let i = 0; i < reps; i++) expect.update(blockBytes);
  const want = expect.digest('hex');
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  void (async () => {
    for (let i = 0; i < reps; i++) {
      s.writer.write(block);
      await s.writer.drain();
    }
    s.writer.close();
  })();
  const hash = createHash('sha256');
  let bytesIn = 0;
  let splitSurrogates = 0;
  await within((async () => {
    for (;;) {
      const chunk = (await c.reader.read(65536)) as string;
      if (chunk.length === 0) break;
      const last = chunk.charCodeAt(chunk.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) splitSurrogates++;
      const b = Buffer.from(chunk, 'utf8');
      bytesIn += b.length;
      hash.update(b);
    }
  })(), 30000, 'text transfer');
  t.equal(splitSurrogates, 0, 'read(n) never ends a chunk inside a surrogate pair');
  t.equal(bytesIn, reps * blockBytes.length, 'UTF-8 byte count');
  t.equal(hash.digest('hex'), want, 'sha256 of the UTF-8 text matches');
});

t.test('read(n) of text does not split a surrogate pair', async (t) => {
  const { s, c } = await pair(t);
  await bothBinary(s, c);
  s.writer.write('a\u{1F600}b');
  await within(c.writer.waitForCondition(() => c.reader.buffered === 4), 1000, 'buffered');
  t.equal(await c.reader.read(2), 'a', 'stops before the pair');
  t.equal(await c.reader.read(1), '\u{1F600}', 'a whole emoji for read(1)');
  t.equal(await c.reader.read(1), 'b');
});

t.test('a slow reader pauses the socket; drain() stays pending; buffers stay bounded', async (t) => {
  const chunk = Buffer.alloc(MiB, 0x61);
  let sent = 0;
  let draining = false;
  let stop = false;
  const { server, s, c } = await pair(t, { encoding: false }, { encoding: false });
  await bothBinary(s, c);
  const rssBefore = process.memoryUsage().rss;
  const writerDone = (async () => {
    while (!stop) {
      s.writer.write(chunk);
      sent += chunk.length;
      draining = true;
      await s.writer.drain();
      draining = false;
    }
    s.writer.close();
  })();
  // The client reads nothing for a while.
  await sleep(800);
  const sentAt = sent;
  await sleep(400);
  t.equal(sent, sentAt, `the writer is stuck in drain() (sent ${sent / MiB} MiB)`);
  t.ok(draining, 'drain() pending');
  t.ok(sent < 48 * MiB, `bounded by socket buffers, not by the data (${sent / MiB} MiB)`);
  const [conn] = serverConnections(server);
  const pending = connSocket(conn!).writableLength;
  t.ok(pending <= chunk.length + 64 * 1024, `server writableLength ${pending} ≤ one chunk`);
  const cconn = (c.writer as any).conn;
  t.ok(connSocket(cconn).isPaused(), 'the client socket is paused');
  t.ok(c.reader.buffered <= 2 * DEFAULT_READER_LIMIT + 128 * 1024, `client reader holds ${c.reader.buffered} bytes`);
  const grew = process.memoryUsage().rss - rssBefore;
  t.ok(grew < 96 * MiB, `RSS grew ${(grew / MiB).toFixed(1)} MiB`);
  // Now read everything.
  stop = true;
  let got = 0;
  await within((async () => {
    for (;;) {
      const b = await c.reader.read(1 << 20);
      if (b.length === 0) break;
      got += b.length;
    }
  })(), 10000, 'reading the backlog');
  await within(writerDone, 1000, 'writer finished');
  t.equal(got, sent, 'every byte arrived');
});

t.test('B32/L2: a peer flooding DO TM that never reads is paused; others are unaffected', async (t) => {
  const server = await startServer(t, { connectMaxwait: 200, shell: async (reader) => { await reader.read(-1); } });
  const p = await RawPeer.connect(t, server.port);
  await p.waitForBytes(DO_TTYPE, 1000);
  p.socket.pause(); // never read the replies
  const batch = Buffer.alloc(20000 * 3);
  for (let i = 0; i < 20000; i++) batch.set([0xff, 0xfd, 0x06], i * 3);
  const [conn] = serverConnections(server);
  const rssBefore = process.memoryUsage().rss;
  let batches = 0;
  let blocked = false;
  let maxPending = 0;
  const t0 = Date.now();
  // Write a batch, wait for it to leave our buffer; stop once it no longer does.
  while (Date.now() - t0 < 15000) {
    const flushed = p.socket.write(batch);
    batches++;
    maxPending = Math.max(maxPending, connSocket(conn!).writableLength);
    if (!flushed) {
      const drained = await Promise.race([
        new Promise<boolean>((r) => p.socket.once('drain', () => r(true))),
        sleep(500).then(() => false),
      ]);
      if (!drained) { blocked = true; break; }
    } else {
      await sleep(1);
    }
  }
  t.ok(blocked, `the server stopped reading after ${batches} batches of 20,000 DO TM (${(batches * 60000 / MiB).toFixed(1)} MiB)`);
  const srvSocket = connSocket(conn!);
  await sleep(100);
  maxPending = Math.max(maxPending, srvSocket.writableLength);
  t.ok(srvSocket.isPaused(), 'the server paused that socket');
  t.ok(maxPending <= MAX_PENDING_OUTPUT + 256 * 1024, `pending replies bounded: ${maxPending} ≤ 1 MiB + one chunk's replies`);
  const rx = conn!.rxBytes;
  await sleep(300);
  t.equal(conn!.rxBytes, rx, 'no more input read while paused');
  const grew = process.memoryUsage().rss - rssBefore;
  t.ok(grew < 20 * MiB, `RSS grew ${(grew / MiB).toFixed(1)} MiB`);
  const ms = await probeGreeting(server.port, 500);
  t.ok(ms < 500, `a second client got its greeting in ${ms.toFixed(1)} ms`);
  // The replies are 1:1: WILL TM for each DO TM read so far.
  t.ok(conn!.txBytes <= conn!.rxBytes + 64, 'output never exceeds input (3 bytes answer 3 bytes)');
  // Reading again resumes the server.
  p.socket.resume();
  await until(() => conn!.rxBytes > rx, 5000, 'server reads again once its replies drain');
  t.pass('resumed');
  p.socket.destroy();
  await until(() => server.clients.length === 0, 2000, 'closed');
});

t.test('B32 variant: replies are exactly WILL TM, one per DO TM', async (t) => {
  const server = await startServer(t, { connectMaxwait: 100 });
  const p = await RawPeer.connect(t, server.port);
  await p.waitForBytes(DO_TTYPE, 1000);
  const n = 20000;
  const batch = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) batch.set([0xff, 0xfd, 0x06], i * 3);
  p.write(batch);
  const willTm = bytes(0xff, 0xfb, 0x06);
  await p.waitFor((b) => b.length >= 3 + n * 3, 5000, 'all replies');
  await sleep(50);
  const got = p.received.subarray(3);
  let count = 0;
  for (let i = 0; i + 3 <= got.length; i += 3) if (got.subarray(i, i + 3).equals(willTm)) count++;
  t.equal(count, n, '20,000 WILL TM');
  t.equal(got.length, n * 3, 'and nothing else');
});

t.test('no unhandled promise rejection in this file', async (t) => unhandled.check(t));
