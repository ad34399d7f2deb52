/**
 * The retro codecs (src/encodings): telnetlib3 4.0.5's pinned cases
 * (test_atascii_codec.py, test_petscii_codec.py, test_big5bbs_codec.py,
 * test_encoding.py's Atari ST cases), round trips over all 256 bytes where
 * the table is lossless, every-byte splits for the stateful codecs, and
 * unencodable text under each error mode in both directions.
 */
import t from 'tap';
import iconv from 'iconv-lite';
import { TelnetEncodingError } from '../../src/protocol/errors.js';
import {
  ATARIST, ATASCII, BIG5BBS, Big5BbsDecoder, PETSCII, RETRO_CODECS, type RetroCodec, lookupRetroCodec,
} from '../../src/encodings/index.js';
import { encodeText, isEncodingSupported, makeDecoder, normalizeEncoding, encodingFromLang } from '../../src/engine/encoding.js';

const ALL = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const dec = (c: RetroCodec, bytes: number[] | Buffer): string => c.decode(Buffer.from(bytes));
const enc = (c: RetroCodec, text: string, errors: 'strict' | 'replace' | 'ignore' = 'strict'): Buffer => c.encode(text, errors);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

t.test('names and aliases (telnetlib3 test_codec_lookup / test_codec_aliases)', async (t) => {
  const cases: Record<string, string[]> = {
    atascii: ['atascii', 'atari8bit', 'atari_8bit', 'ATARI-8BIT'],
    petscii: ['petscii', 'cbm', 'commodore', 'c64', 'c128', 'PETSCII'],
    atarist: ['atarist', 'atari', 'Atari_ST'],
    big5bbs: ['big5bbs', 'big5-bbs', 'big5_bbs', 'big5_pcman', 'big5_pcmanx', 'big5_ptt'],
  };
  for (const [name, aliases] of Object.entries(cases)) {
    for (const a of aliases) {
      t.equal(lookupRetroCodec(a)?.name, name, `${a} -> ${name}`);
      t.equal(normalizeEncoding(a), name, `normalizeEncoding(${a})`);
      t.ok(isEncodingSupported(a));
    }
  }
  t.equal(lookupRetroCodec('big5'), null, 'plain big5 stays iconv-lite\'s');
  t.equal(normalizeEncoding('big5'), 'big5');
  t.equal(encodingFromLang('en_US.atascii'), 'atascii', 'LANG from NEW_ENVIRON');
  t.equal(encodingFromLang('zh_TW.big5_pcman'), 'big5bbs');
});

t.test('ATASCII decoding (test_atascii_codec.py)', async (t) => {
  t.equal(dec(ATASCII, range(0x41, 0x5b)), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  t.equal(dec(ATASCII, range(0x61, 0x7b)), 'abcdefghijklmnopqrstuvwxyz');
  t.equal(dec(ATASCII, range(0x30, 0x3a)), '0123456789');
  t.equal(dec(ATASCII, [0x20]), ' ');
  const graphics: Array<[number, string]> = [[0x00, '\u2665'], [0x01, '\u251c'], [0x08, '\u25e2'], [0x09, '\u2597'], [0x10, '\u2663'],
    [0x12, '\u2500'], [0x14, '\u25cf'], [0x15, '\u2584'], [0x19, '\u258c'], [0x1b, '\u241b'],
    [0x1c, '\u2191'], [0x1d, '\u2193'], [0x1e, '\u2190'], [0x1f, '\u2192'],
    [0x60, '\u2666'], [0x7b, '\u2660'], [0x7c, '|'], [0x7d, '\u21b0'], [0x7e, '\u25c0'], [0x7f, '\u25b6']];
  for (const [b, ch] of graphics) t.equal(dec(ATASCII, [b]), ch, `0x${b.toString(16)}`);
  t.equal(dec(ATASCII, [0x9b]), '\n', '0x9B is the end of line');
  t.equal(dec(ATASCII, [0x0a]), '\u25e3', '0x0A is a graphics character, not LF');
  t.equal(dec(ATASCII, [0x0d]), '\u{1fb82}', '0x0D is UPPER ONE QUARTER BLOCK (Symbols for Legacy Computing)');
  const distinct: Array<[number, string]> = [[0x82, '\u258a'], [0x88, '\u25e4'], [0x89, '\u259b'], [0x8a, '\u25e5'], [0x8b, '\u2599'],
    [0x8c, '\u259f'], [0x8d, '\u2586'], [0x8e, '\u{1fb85}'], [0x8f, '\u259c'], [0x94, '\u25d8'], [0x95, '\u2580'],
    [0x96, '\u{1fb8a}'], [0x99, '\u2590'], [0xa0, '\u2588']];
  for (const [b, ch] of distinct) t.equal(dec(ATASCII, [b]), ch, `inverse 0x${b.toString(16)} has its own glyph`);
  for (const b of [0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, ...range(0xa1, 0xfb)]) {
    if (dec(ATASCII, [b]) !== dec(ATASCII, [b & 0x7f])) t.fail(`inverse 0x${b.toString(16)} should share the glyph of 0x${(b & 0x7f).toString(16)}`);
  }
  t.equal([...dec(ATASCII, ALL)].length, 256, 'all 256 bytes decode to 256 characters');
});

t.test('ATASCII encoding (test_atascii_codec.py)', async (t) => {
  t.same(enc(ATASCII, '\n'), Buffer.from([0x9b]));
  t.same(enc(ATASCII, '\r'), Buffer.from([0x9b]), 'CR is an end of line');
  t.same(enc(ATASCII, '\r\n'), Buffer.from([0x9b]), 'CR LF is one end of line');
  t.same(enc(ATASCII, 'hello\r\nworld\r'), Buffer.concat([enc(ATASCII, 'hello\n'), enc(ATASCII, 'world\n')]));
  t.same(enc(ATASCII, '\u258a'), Buffer.from([0x82]));
  t.same(enc(ATASCII, '\u25d8'), Buffer.from([0x94]));
  t.same(enc(ATASCII, '\u2588'), Buffer.from([0xa0]));
  t.same(enc(ATASCII, '\u{1fb85}'), Buffer.from([0x8e]), 'astral glyphs encode');
  t.same(enc(ATASCII, '\u2665'), Buffer.from([0x00]), 'the normal byte wins over the inverse one');
  t.same(enc(ATASCII, 'A'), Buffer.from([0x41]));
  t.throws(() => enc(ATASCII, '\u00e9'), TelnetEncodingError);
  t.same(enc(ATASCII, '\u00e9', 'replace'), Buffer.from([0x3f]));
  t.same(enc(ATASCII, '\u00e9', 'ignore'), Buffer.alloc(0));
});

t.test('ATASCII incremental encoder keeps a CR across chunks', async (t) => {
  const e = ATASCII.encoder('strict');
  t.same(e.write('\u258a'), Buffer.from([0x82]));
  t.same(e.write('\n'), Buffer.from([0x9b]));
  const joined = (parts: string[]): Buffer => { const x = ATASCII.encoder('strict'); return Buffer.concat(parts.map((p) => x.write(p))); };
  t.same(joined(['hello\r', '\nworld']), enc(ATASCII, 'hello\nworld'), 'CR | LF is one end of line');
  t.same(joined(['A\r', 'B']), enc(ATASCII, 'A\nB'), 'CR | other');
  t.same(joined(['end\r']), enc(ATASCII, 'end\n'), 'a final CR goes out at once');
  const e2 = ATASCII.encoder();
  e2.write('A\r');
  t.equal(e2.getState(), 1);
  e2.reset();
  t.equal(e2.getState(), 0);
  const e3 = ATASCII.encoder();
  e3.setState(1);
  t.same(e3.write('\n'), Buffer.alloc(0), 'the LF after a restored CR state is part of that end of line');
  // Every split of a text with every kind of line end gives the bytes of the whole.
  const text = 'a\r\nb\rc\nd\r\r\ne\n\rf';
  for (let i = 0; i <= text.length; i++) {
    t.same(joined([text.slice(0, i), text.slice(i)]), enc(ATASCII, text), `split at ${i}`);
  }
});

t.test('PETSCII (test_petscii_codec.py)', async (t) => {
  t.equal(dec(PETSCII, range(0x30, 0x3a)), '0123456789');
  t.equal(dec(PETSCII, [0x20]), ' ');
  t.equal(dec(PETSCII, range(0x41, 0x5b)), 'abcdefghijklmnopqrstuvwxyz', 'shifted set: lower case at 0x41-0x5A');
  t.equal(dec(PETSCII, range(0xc1, 0xdb)), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'upper case at 0xC1-0xDA');
  t.equal(dec(PETSCII, [0x0d]), '\r');
  const g: Array<[number, string]> = [[0x5c, '\u00a3'], [0x5e, '\u2191'], [0x5f, '\u2190'], [0x61, '\u2660'], [0x7e, '\u03c0'],
    [0x78, '\u2663'], [0x7a, '\u2666'], [0x73, '\u2665']];
  for (const [b, ch] of g) t.equal(dec(PETSCII, [b]), ch, `0x${b.toString(16)}`);
  t.equal([...dec(PETSCII, ALL)].length, 256);
  t.same(enc(PETSCII, 'hello'), Buffer.from([0x48, 0x45, 0x4c, 0x4c, 0x4f]));
  t.same(enc(PETSCII, 'HELLO'), Buffer.from([0xc8, 0xc5, 0xcc, 0xcc, 0xcf]));
  for (const b of range(0x30, 0x3a)) t.same(enc(PETSCII, dec(PETSCII, [b])), Buffer.from([b]));
  t.same(enc(PETSCII, '\r'), Buffer.from([0x0d]), 'CR encodes to RETURN (0x0D), not SHIFT-RETURN');
  const d = PETSCII.decoder('strict');
  t.equal(d.write(Buffer.from([0xc1])).text, 'A');
  t.equal(d.write(Buffer.from([0x42, 0x43])).text, 'bc');
  const e = PETSCII.encoder('strict');
  t.same(e.write('A'), Buffer.from([0xc1]));
  t.same(e.write('bc'), Buffer.from([0x42, 0x43]));
  t.throws(() => enc(PETSCII, '\u00e9'), TelnetEncodingError);
  t.same(enc(PETSCII, 'x\u00e9y', 'replace'), Buffer.from([0x58, 0x3f, 0x59]));
  t.same(enc(PETSCII, 'x\u00e9y', 'ignore'), Buffer.from([0x58, 0x59]));
});

t.test('Atari ST (test_encoding.py: ATARIST.TXT)', async (t) => {
  t.equal(dec(ATARIST, range(0, 0x80)), String.fromCharCode(...range(0, 0x80)), 'ASCII half');
  t.equal(dec(ATARIST, [0x80, 0x9e, 0x9f, 0xc2, 0xdf, 0xe3, 0xff]), '\u00c7\u00df\u0192\u05d0\u221e\u03c0\u00af');
  t.ok(ATARIST.lossless, 'every byte has its own character');
  t.same(enc(ATARIST, dec(ATARIST, ALL)), ALL, 'all 256 bytes round-trip');
  t.throws(() => enc(ATARIST, '\u20ac'), TelnetEncodingError);
  t.same(enc(ATARIST, '\u20ac', 'replace'), Buffer.from('?'));
  t.same(enc(ATARIST, '\u20ac', 'ignore'), Buffer.alloc(0));
});

t.test('round trips: lossless tables exactly, lossy ones stably', async (t) => {
  for (const c of [ATASCII, PETSCII, ATARIST]) {
    const text = dec(c, ALL);
    const back = enc(c, text);
    t.equal(back.length, 256, `${c.name}: every character encodes`);
    t.equal(dec(c, back), text, `${c.name}: decode(encode(decode(all))) is decode(all)`);
    if (c.lossless) t.same(back, ALL);
    else t.notSame(back, ALL, `${c.name} is lossy (inverse/duplicate glyphs encode to the first byte)`);
  }
  // ATASCII: all bytes that have a unique glyph come back as themselves.
  const text = [...dec(ATASCII, ALL)];
  for (let b = 0; b < 256; b++) {
    if (text.indexOf(text[b]!) === b && b !== 0x9b) {
      const back = enc(ATASCII, text[b]!);
      if (back.length !== 1 || back[0] !== b) t.fail(`ATASCII 0x${b.toString(16)} should round-trip`);
    }
  }
});

t.test('big5bbs (test_big5bbs_codec.py)', async (t) => {
  const dream = iconv.encode('\u5922', 'big5');
  t.same(dream, Buffer.from([0xb9, 0xda]));
  t.equal(dec(BIG5BBS, Buffer.from('Hello, World!\n')), 'Hello, World!\n');
  t.equal(dec(BIG5BBS, dream), '\u5922');
  t.equal(dec(BIG5BBS, Buffer.concat([Buffer.from('test'), dream, Buffer.from('end')])), 'test\u5922end');
  t.equal(dec(BIG5BBS, [0xa1, 0x1b, 0x5b, 0x33, 0x32, 0x6d]), '\u00ed\x1b[32m', 'lone lead before ESC is CP437');
  t.equal(dec(BIG5BBS, [0xb0, 0x1b]), '\u2591\x1b');
  t.equal(dec(BIG5BBS, [0xb6, 0x1b]), '\u2562\x1b');
  const lone: Array<[number, string]> = [[0xa1, '\u00ed'], [0xa2, '\u00f3'], [0xa8, '\u00bf'], [0xa9, '\u2310'], [0xaa, '\u00ac'],
    [0xab, '\u00bd'], [0xb0, '\u2591'], [0xb6, '\u2562'], [0xbf, '\u2510'], [0xc3, '\u251c'], [0xc6, '\u255e'], [0xc7, '\u255f'],
    [0xca, '\u2569'], [0xd1, '\u2564'], [0xee, '\u03b5'], [0xef, '\u2229']];
  for (const [b, ch] of lone) t.equal(dec(BIG5BBS, [b, 0x1b]), `${ch}\x1b`, `lone 0x${b.toString(16)}`);
  t.equal(dec(BIG5BBS, [0xf9, 0xf9, 0xf9, 0xf9]), '\u2219'.repeat(4), 'undefined pairs (0xF9 0xF9 art fills) are CP437');
  t.equal(dec(BIG5BBS, [0x80, 0xa0, 0xff]), '\u0080\u00a0\u00ff', 'bytes outside lead range are latin-1');
  t.equal(dec(BIG5BBS, Buffer.concat([dream, Buffer.from([0xb0, 0x1b, 0x5b, 0x33, 0x32, 0x6d]), Buffer.from('text')])), '\u5922\u2591\x1b[32mtext', 'mixed stream');
  t.same(enc(BIG5BBS, '\u5922\u60f3\u53f0\u7063'), iconv.encode('\u5922\u60f3\u53f0\u7063', 'big5'));
  t.equal(dec(BIG5BBS, enc(BIG5BBS, '\u5922\u60f3\u53f0\u7063')), '\u5922\u60f3\u53f0\u7063', 'round trip');
  t.same(enc(BIG5BBS, 'Hello'), Buffer.from('Hello'));
  t.same(enc(BIG5BBS, '\u2591'), Buffer.from([0xb0]), 'not in Big5: CP437');
  t.throws(() => enc(BIG5BBS, '\u{1f600}'), TelnetEncodingError);
  t.same(enc(BIG5BBS, 'a\u{1f600}b', 'replace'), Buffer.from('a?b'));
  t.same(enc(BIG5BBS, 'a\u{1f600}b', 'ignore'), Buffer.from('ab'));
  t.equal(BIG5BBS.encoder().getState(), 0);
});

t.test('big5bbs keeps a pending lead byte across chunks', async (t) => {
  const d = new Big5BbsDecoder();
  t.equal(d.write(Buffer.from([0xb9])).text, '', 'lead byte held');
  t.same(d.pendingBytes, Buffer.from([0xb9]));
  t.equal(d.write(Buffer.from([0xda])).text, '\u5922');
  const d2 = new Big5BbsDecoder();
  t.equal(d2.write(Buffer.from([0xb0])).text, '');
  t.equal(d2.end().text, '\u2591', 'at the end a held lead is CP437');
  const d3 = new Big5BbsDecoder();
  d3.write(Buffer.from([0xb9]));
  const d4 = new Big5BbsDecoder();
  d4.setPending(d3.pendingBytes);
  t.equal(d4.write(Buffer.from([0xda])).text + d4.end().text, '\u5922', 'state moves between decoders');
  d3.reset();
  t.same(d3.pendingBytes, Buffer.alloc(0));
  // Every split point (and every byte on its own) gives what the whole gives.
  const stream = Buffer.concat([Buffer.from('ab'), iconv.encode('\u5922\u60f3', 'big5'), Buffer.from([0xb0, 0x1b, 0x5b, 0x6d, 0xf9, 0xf9, 0xa4]),
    iconv.encode('\u53f0', 'big5'), Buffer.from([0xc6])]);
  const whole = dec(BIG5BBS, stream);
  for (let i = 0; i <= stream.length; i++) {
    const x = new Big5BbsDecoder();
    const s = x.write(stream.subarray(0, i)).text + x.write(stream.subarray(i)).text + x.end().text;
    if (s !== whole) t.fail(`split at ${i}: ${JSON.stringify(s)} != ${JSON.stringify(whole)}`);
  }
  const y = new Big5BbsDecoder();
  let s = '';
  for (const b of stream) s += y.write(Buffer.from([b])).text;
  t.equal(s + y.end().text, whole, 'byte at a time');
});

t.test('decoding never fails: every error mode decodes every byte the same way', async (t) => {
  for (const c of RETRO_CODECS) {
    const texts = (['strict', 'replace', 'ignore'] as const).map((m) => {
      const d = c.decoder(m);
      const r = d.write(ALL);
      const e = d.end();
      t.notOk(r.bad || e.bad, `${c.name} ${m}: no bad sequence`);
      return r.text + e.text;
    });
    t.equal(texts[1], texts[0]);
    t.equal(texts[2], texts[0]);
    t.notOk(texts[0]!.includes('\ufffd'), `${c.name}: no replacement characters`);
  }
});

t.test('the engine\'s entry points use the retro codecs', async (t) => {
  const d = makeDecoder('atascii', 'strict');
  t.equal(d.write(Buffer.from([0x48, 0x49, 0x9b])).text, 'HI\n');
  t.same(encodeText('HI\r\n', 'atascii', 'strict'), Buffer.from([0x48, 0x49, 0x9b]));
  t.throws(() => encodeText('\u00e9', 'petscii', 'strict'), TelnetEncodingError);
  t.same(encodeText('a\u00e9', 'petscii', 'replace'), Buffer.from([0x41, 0x3f]));
  t.same(encodeText('a\u00e9', 'big5bbs', 'ignore'), Buffer.from([0x61, 0x82]), '\u00e9 is in CP437 (0x82)');
  t.same(encodeText('a\u20ac', 'atarist', 'ignore'), Buffer.from([0x61]));
});

t.test('large reads decode in pieces that join to the same text (astral glyphs cut between pieces)', async (t) => {
  // 70,000 bytes: more than one 32,768-unit piece, and ATASCII's astral glyphs
  // (two units each) put piece boundaries inside surrogate pairs.
  const bytes = Buffer.alloc(70_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + (i >> 7)) & 0xff;
  for (const c of [ATASCII, PETSCII, ATARIST]) {
    const perByte = Array.from({ length: 256 }, (_, b) => c.decode(Buffer.from([b])));
    let want = '';
    for (const b of bytes) want += perByte[b];
    const got = c.decode(bytes);
    t.equal(got.length, want.length, `${c.name}: ${want.length} units`);
    t.ok(got === want, `${c.name}: the same text as byte by byte`);
  }
  const astral = ATASCII.decode(Buffer.alloc(40_000, 0x0d)); // 0x0D is U+1FB82: 80,000 units
  t.equal(astral.length, 80_000);
  t.equal(astral.codePointAt(32_767 * 2), 0x1fb82);
  t.equal([...astral].length, 40_000, 'every surrogate pair whole');
});
