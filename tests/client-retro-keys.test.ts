/**
 * The retro key filter (src/client-retro-keys.ts): telnetlib3's key tables
 * for ATASCII and PETSCII, sequences split between reads, a lone ESC let go
 * by flush(), --ansi-keys and --ascii-eol, and text left for the codec.
 */
import t from 'tap';
import { type KeyPiece, RetroKeyFilter, escDelayMs, retroKeyboard } from '../src/client-retro-keys.js';

/** The pieces as [kind, hex] pairs, for comparing. */
function show(pieces: KeyPiece[]): Array<[string, string]> {
  return pieces.map((p) => ('raw' in p ? ['raw', p.raw.toString('hex')] : ['text', p.text.toString('latin1')]));
}
const feed = (f: RetroKeyFilter, s: string): Array<[string, string]> => show(f.feed(Buffer.from(s, 'latin1')));

t.test('ATASCII: arrows (CSI and SS3), Delete, BS/DEL, Enter, Tab', async (t) => {
  const f = new RetroKeyFilter('atascii');
  t.same(feed(f, '\x1b[A\x1b[B\x1b[C\x1b[D'), [['raw', '1c1d1f1e']]);
  t.same(feed(f, '\x1bOA\x1bOB\x1bOC\x1bOD'), [['raw', '1c1d1f1e']], 'application cursor keys');
  t.same(feed(f, '\x1b[3~'), [['raw', '7e']], 'Delete -> ATASCII backspace');
  t.same(feed(f, '\x7f\b'), [['raw', '7e7e']], 'DEL and BS -> 0x7E');
  t.same(feed(f, 'ls\r'), [['text', 'ls'], ['raw', '9b']], 'Enter -> 0x9B, text stays text');
  t.same(feed(f, 'a\nb'), [['text', 'a'], ['raw', '9b'], ['text', 'b']]);
  t.same(feed(f, '\t'), [['raw', '7f']], 'Tab -> ATASCII tab');
});

t.test('PETSCII: cursor keys, Delete, Home, Insert, BS/DEL; Enter is text', async (t) => {
  const f = new RetroKeyFilter('petscii');
  t.same(feed(f, '\x1b[A\x1b[B\x1b[C\x1b[D'), [['raw', '91111d9d']]);
  t.same(feed(f, '\x1b[3~\x1b[H\x1b[2~'), [['raw', '141394']]);
  t.same(feed(f, '\x7f\b'), [['raw', '1414']]);
  t.same(feed(f, 'Hi\r'), [['text', 'Hi\r']], 'letters and CR go to the codec (case swap, RETURN)');
});

t.test('a sequence split between reads waits; a lone ESC goes on flush', async (t) => {
  const f = new RetroKeyFilter('atascii');
  t.same(feed(f, 'x\x1b'), [['text', 'x']]);
  t.ok(f.pending, 'ESC held');
  t.same(feed(f, '['), []);
  t.same(feed(f, 'A'), [['raw', '1c']], 'completed across three reads');
  t.notOk(f.pending);
  t.same(feed(f, '\x1b'), []);
  t.same(show(f.flush()), [['raw', '1b']], 'ESC alone after the delay, as a raw byte');
  t.same(feed(f, '\x1b[Z'), [['raw', '1b'], ['text', '[Z']], 'an unknown sequence passes (ESC raw: ATASCII has a glyph at 0x1B)');
  t.same(feed(f, '\x1b[3'), []);
  t.same(show(f.flush()), [['raw', '1b'], ['text', '[3']]);
  t.same(feed(f, '\x1b\r'), [['raw', '1b9b']], 'ESC then Enter');
  t.same(feed(f, '\x01z'), [['raw', '01'], ['text', 'z']], 'control characters go raw (Atari Ctrl+A graphics)');
});

t.test('--ansi-keys leaves sequences alone; --ascii-eol keeps CR/LF', async (t) => {
  const ansi = new RetroKeyFilter('atascii', { ansiKeys: true });
  t.same(feed(ansi, '\x1b[A\r'), [['raw', '1b'], ['text', '[A'], ['raw', '9b']]);
  t.notOk(ansi.pending, 'nothing is held without sequences');
  const eol = new RetroKeyFilter('atascii', { asciiEol: true });
  t.same(feed(eol, 'ok\r\n\x1b[B'), [['text', 'ok'], ['raw', '0d0a1d']], 'CR LF as ASCII, raw past the codec');
});

t.test('which encodings have a keyboard; ESCDELAY', async (t) => {
  t.equal(retroKeyboard('atascii'), 'atascii');
  t.equal(retroKeyboard('petscii'), 'petscii');
  t.equal(retroKeyboard('atarist'), null);
  t.equal(retroKeyboard('utf-8'), null);
  t.equal(escDelayMs({}), 350);
  t.equal(escDelayMs({ ESCDELAY: '25' }), 25);
  t.equal(escDelayMs({ ESCDELAY: 'soon' }), 350);
});
