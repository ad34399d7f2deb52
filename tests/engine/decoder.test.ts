/**
 * The streaming UTF-8 decoder: whatever the chunking, the text is what one
 * decode of the whole gives; ASCII chunks, chunks that end inside a
 * character, and bad bytes under each `encodingErrors` policy.
 */
import t from 'tap';
import { makeDecoder } from '../../src/engine/encoding.js';
import { mulberry32 } from '../helpers/session-harness.js';

function decodeChunks(chunks: Buffer[], errors: 'replace' | 'ignore' | 'strict' = 'replace'): { text: string; bad: boolean } {
  const d = makeDecoder('utf-8', errors);
  let text = '';
  let bad = false;
  for (const c of chunks) {
    const r = d.write(c);
    text += r.text;
    bad ||= r.bad;
  }
  const r = d.end();
  return { text: text + r.text, bad: bad || r.bad };
}

t.test('random splits of mixed text decode as the whole does', async (t) => {
  const rand = mulberry32(0xdec0de);
  const pieces = ['plain ascii ', 'caf\u00e9 ', '\u2603 snow ', '\u{1F680} rocket ', '\r\n', 'x'.repeat(300)];
  let bad = 0;
  for (let round = 0; round < 200; round++) {
    let s = '';
    for (let k = 0; k < 20; k++) s += pieces[Math.floor(rand() * pieces.length)];
    const whole = Buffer.from(s, 'utf8');
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length;) {
      const n = 1 + Math.floor(rand() * 40);
      chunks.push(whole.subarray(i, i + n));
      i += n;
    }
    const got = decodeChunks(chunks);
    if (got.text !== s || got.bad) { bad++; t.fail(`round ${round}: ${JSON.stringify(got.text.slice(0, 80))}`); }
  }
  t.equal(bad, 0, '200 texts, split at random');
});

t.test('an all-ASCII chunk after one that ended inside a character finishes that character first', async (t) => {
  const euro = Buffer.from('\u20ac', 'utf8');
  const got = decodeChunks([Buffer.from([0x41, euro[0]!]), euro.subarray(1), Buffer.from('tail')]);
  t.equal(got.text, 'A\u20actail');
  t.notOk(got.bad);
  // A held-back lead byte that ASCII follows is a broken character, and it comes before that ASCII.
  t.equal(decodeChunks([Buffer.from([0x41, 0xe2]), Buffer.from('tail')]).text, 'A\ufffdtail');
});

t.test('ASCII chunks come back as they are, never marked bad', async (t) => {
  const d = makeDecoder('utf-8', 'strict');
  const ascii = Buffer.alloc(65536);
  for (let i = 0; i < ascii.length; i++) ascii[i] = 32 + (i % 95);
  const r = d.write(ascii);
  t.equal(r.text, ascii.toString('latin1'));
  t.notOk(r.bad);
  t.same(d.write(Buffer.from('\ufffd', 'utf8')), { text: '\ufffd', bad: true }, 'a U+FFFD sent on purpose still counts under strict');
});

t.test('bad bytes under each policy', async (t) => {
  const input = [Buffer.from([0x61, 0xff, 0x62])];
  t.same(decodeChunks(input, 'replace'), { text: 'a\ufffdb', bad: false });
  t.same(decodeChunks(input, 'ignore'), { text: 'ab', bad: true });
  t.same(decodeChunks(input, 'strict'), { text: 'a\ufffdb', bad: true });
  const cut = Buffer.from('\u2603', 'utf8').subarray(0, 2);
  t.same(decodeChunks([Buffer.from('z'), cut], 'replace'), { text: 'z\ufffd', bad: false }, 'a character cut by the end of the stream');
});
