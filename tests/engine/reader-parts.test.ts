/**
 * TelnetReader's buffer of parts: small reads from a large buffer take
 * only the parts they need, in order, for text and bytes; a read never
 * splits a surrogate pair; interleaved readuntil/readline still see all.
 */
import t from 'tap';
import { TelnetReader } from '../../src/engine/reader.js';

function fill(r: TelnetReader<any>, text: string, sizes: number[]): void {
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    const n = sizes[i % sizes.length]!;
    r.feedData(Buffer.from(text.slice(at, at + n), 'latin1'));
    at += n;
  }
}

t.test('text: reads of every size give back the buffer in order', async (t) => {
  const text = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
  for (const n of [1, 7, 64, 333, 1000, 4999, 10000]) {
    const r = new TelnetReader<string>({ encoding: 'latin1', limit: 1 << 20 });
    fill(r, text, [100, 3, 777, 1]);
    let got = '';
    while (r.buffered > 0) {
      const s = await r.read(n);
      t.ok(s.length <= n, `read(${n}) returned ${s.length}`);
      got += s;
    }
    t.equal(got, text, `read(${n}) in order`);
  }
});

t.test('bytes: reads take only the parts they need and keep the rest', async (t) => {
  const all = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
  const r = new TelnetReader<Buffer>({ encoding: false, limit: 1 << 20 });
  for (let i = 0; i < all.length; i += 512) r.feedData(Buffer.from(all.subarray(i, i + 512)));
  const first = await r.read(700);
  t.same(first, all.subarray(0, 700));
  t.equal(r.buffered, all.length - 700);
  const rest = await r.read(-1 >>> 0);
  t.same(Buffer.concat([first, rest]), all);
});

t.test('a read never ends inside a surrogate pair, and readuntil sees every part', async (t) => {
  const r = new TelnetReader<string>({ encoding: 'utf8', limit: 1 << 20 });
  r.feedData(Buffer.from('ab'));
  r.feedData(Buffer.from('\u{1F600}cd', 'utf8'));
  r.feedData(Buffer.from('ef\r\nmore|end', 'utf8'));
  t.equal(await r.read(3), 'ab', 'stops before the pair');
  t.equal(await r.read(1), '\u{1F600}', 'read(1) takes the pair whole');
  t.equal(await r.readline(), 'cdef\r\n');
  t.equal(await r.readuntil('|'), 'more|');
  t.equal(await r.read(100), 'end');
});
