/**
 * The SyncTERM font selection scanner: telnetlib3's font table, sequences
 * split at every byte, near misses, and several in one chunk.
 */
import t from 'tap';
import { SYNCTERM_FONT_ENCODINGS, SyncTermFontScanner } from '../../src/encodings/syncterm-fonts.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

t.test('the font table (telnetlib3 SYNCTERM_FONT_ENCODINGS)', async (t) => {
  t.equal(SYNCTERM_FONT_ENCODINGS[0], 'cp437');
  for (const f of [32, 33, 34, 35]) t.equal(SYNCTERM_FONT_ENCODINGS[f], 'petscii');
  t.equal(SYNCTERM_FONT_ENCODINGS[36], 'atascii');
  t.equal(SYNCTERM_FONT_ENCODINGS[7], undefined, 'gaps stay gaps');
});

t.test('finds selections, with offsets, several per chunk', async (t) => {
  const s = new SyncTermFontScanner();
  const data = b('ab\x1b[0;36 Dcd\x1b[1;0 D');
  const found = s.scan(data);
  t.same(found.map((f) => [f.start, f.end, f.page, f.font, f.encoding]), [[2, 10, 0, 36, 'atascii'], [12, 19, 1, 0, 'cp437']]);
  t.same(s.scan(b('\x1b[0;99 D')).map((f) => f.encoding), [null], 'an unlisted font is reported without a codec');
});

t.test('near misses are not selections', async (t) => {
  const s = new SyncTermFontScanner();
  for (const text of ['\x1b[36 D', '\x1b[0;36D', '\x1b[0;36 E', '\x1b[;36 D', '\x1b0;36 D', '\x1b[0;123456 D', '\x1b[0:36 D']) {
    t.same(s.scan(b(text)), [], JSON.stringify(text));
    s.reset();
  }
  t.same(s.scan(b('\x1b\x1b[0;32 D')).map((f) => [f.start, f.font]), [[1, 32]], 'ESC ESC [ ...: the second ESC starts it');
});

t.test('a selection split at every byte is found in the chunk holding its end', async (t) => {
  const data = b('x\x1b[0;36 Dy');
  for (let i = 0; i <= data.length; i++) {
    const s = new SyncTermFontScanner();
    const first = s.scan(data.subarray(0, i));
    const second = s.scan(data.subarray(i));
    const all = [...first.map((f) => ({ ...f, chunk: 1 })), ...second.map((f) => ({ ...f, chunk: 2 }))];
    t.equal(all.length, 1, `split at ${i}: found once`);
    const f = all[0]!;
    t.equal(f.font, 36);
    const endChunk = i >= 9 ? 1 : 2;
    t.equal(f.chunk, endChunk, `split at ${i}: in chunk ${endChunk}`);
    t.equal(f.end, endChunk === 1 ? 9 : 9 - i);
    t.equal(f.start, endChunk === 1 ? 1 : Math.max(0, 1 - i));
  }
});
