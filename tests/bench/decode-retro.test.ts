/**
 * Keeps `decode.retro.*` working: one small iteration (1 MiB) of its core
 * loop per codec, and the baseline's, decoding every byte.
 */
import t from 'tap';
import { chunks } from './harness.js';
import { benchmarks, decodeInterleaved } from './decode-retro.js';

t.test('decode.retro core loops (1 MiB)', async (t) => {
  const buf = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
  const parts = chunks(buf, 64 * 1024);
  t.same(benchmarks.map((b) => b.name), ['decode.retro.atascii', 'decode.retro.petscii', 'decode.retro.atarist', 'decode.retro.big5bbs']);
  t.equal(decodeInterleaved('petscii', parts).cp437.chars, buf.length, 'cp437: one character per byte');
  t.equal(decodeInterleaved('petscii', parts).codec.chars, buf.length, 'petscii: one unit per byte');
  t.equal(decodeInterleaved('atarist', parts).codec.chars, buf.length);
  t.ok(decodeInterleaved('atascii', parts).codec.chars > buf.length, 'atascii: astral glyphs take two units');
  const big5 = decodeInterleaved('big5bbs', parts).codec.chars;
  t.ok(big5 > buf.length / 2 && big5 <= buf.length, `big5bbs: pairs make one unit (${big5})`);
});
