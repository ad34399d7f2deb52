/**
 * Client connections that read into the thread's shared read buffer
 * (src/engine/static-reads.ts): text readers and the blocking API's ring use
 * it, byte readers do not. Several text clients in one thread reading
 * different streams at once each get exactly their own stream (one of
 * them paused by a full reader for a while), and chunks a byte reader
 * handed out stay as they were while more data arrives.
 */
import net from 'node:net';
import t from 'tap';
import { attachStaticReads, connectWithStaticReads } from '../../src/engine/static-reads.js';
import { HOST, connect, sleep, startServer, within } from './helpers.js';

/** About `bytes` of UTF-8 text for client `id`, with 1- to 4-byte characters. */
function streamFor(id: string, bytes: number): string {
  const parts = [`<${id}> `, 'caf\u00e9 ', '\u2603 ', '\u{1F600}', '\u4e2d\u6587 ', '\r\n', 'x'.repeat(97)];
  const out: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const p = parts[(i * 7 + id.length) % parts.length]!;
    out.push(p);
    n += Buffer.byteLength(p);
  }
  return out.join('');
}

const SIZE = 3 * 1024 * 1024;

t.test('four text clients in one thread, reading at once: each gets exactly its own stream', async (t) => {
  const server = await startServer(t, {
    shell: async (reader, writer) => {
      const id = (await reader.readline()).trim();
      const text = streamFor(id, SIZE);
      for (let at = 0; at < text.length; at += 50_000) {
        if (!writer.write(text.slice(at, at + 50_000))) await writer.drain();
      }
      writer.close();
    },
  });
  const ids = ['alpha', 'bravo', 'charlie', 'delta'];
  const results = await within(Promise.all(ids.map(async (id, k) => {
    const c = await connect(t, server.port);
    c.writer.write(`${id}\r\n`);
    // One client lets its reader fill, so its socket is paused and resumed.
    if (k === 2) await sleep(300);
    let got = '';
    for (;;) {
      const piece = await c.reader.read(1 << 20);
      if (piece.length === 0) break;
      got += piece;
    }
    return got;
  })), 30_000, 'four streams');
  results.forEach((got, k) => {
    const want = streamFor(ids[k]!, SIZE);
    t.equal(got.length, want.length, `${ids[k]}: ${want.length} characters`);
    t.ok(got === want, `${ids[k]}: the stream is exactly its own`);
  });
});

t.test('a byte reader keeps its chunks: what it handed out does not change as more arrives', async (t) => {
  const block = Buffer.alloc(256 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xfe; // no 0xFF: chunks are the data itself
  const server = await startServer(t, {
    encoding: false,
    shell: async (_reader, writer) => {
      for (let k = 0; k < 16; k++) {
        block[0] = k;
        if (!writer.write(Buffer.from(block))) await writer.drain();
      }
      writer.close();
    },
  });
  const c = await connect(t, server.port, { encoding: false });
  const chunks: Buffer[] = [];
  const copies: Buffer[] = [];
  for (;;) {
    const chunk = await within(c.reader.read(1 << 20), 10_000, 'read') as Buffer;
    if (chunk.length === 0) break;
    chunks.push(chunk);
    copies.push(Buffer.from(chunk));
  }
  t.equal(chunks.reduce((n, b) => n + b.length, 0), 16 * block.length, 'everything arrived');
  t.ok(chunks.every((b, i) => b.equals(copies[i]!)), `${chunks.length} chunks unchanged after the transfer`);
});

t.test('only sockets made by connectWithStaticReads read that way', async (t) => {
  const srv = net.createServer((s) => s.end('hello'));
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  t.teardown(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  const plain = net.connect(port, HOST);
  t.teardown(() => plain.destroy());
  t.equal(attachStaticReads(plain, () => {}), false, 'a plain socket emits data events as usual');
  const fast = connectWithStaticReads({ port, host: HOST });
  t.teardown(() => fast.destroy());
  // Data that arrives before a target is attached is kept and handed over first.
  await new Promise((r) => fast.once('end', r));
  const seen: string[] = [];
  t.equal(attachStaticReads(fast, (chunk) => seen.push(chunk.toString())), true);
  t.same(seen, ['hello'], 'a read that came before the target is delivered once it is attached');
});
