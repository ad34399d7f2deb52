import t from 'tap';
import {
  DEFAULT_MAX_LINE_LENGTH, LineEditor, MAX_ESCAPE_SEQUENCE, codePointWidth, displayWidth, graphemeWidth, lastGrapheme,
} from '../../src/shells/line-editor.js';

/** Feed `input` one code point at a time (as telnetlib3's tests do) and collect everything. */
function run(input: string, editor = new LineEditor()): { lines: string[]; echo: string } {
  const lines: string[] = [];
  let echo = '';
  for (const ch of input) {
    const r = editor.feed(ch);
    lines.push(...r.lines);
    echo += r.echo;
  }
  return { lines, echo };
}

/** Feed `input` in one piece. */
function runWhole(input: string, editor = new LineEditor()): { lines: string[]; echo: string } {
  return editor.feed(input);
}

const FAMILY = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}';
const BSE = '\b \b';

t.test('telnetlib3 test_readline_basic_and_crlf_and_backspace', async (t) => {
  for (const feed of [run, runWhole]) {
    let r = feed('foo\r');
    t.same(r.lines, ['foo']);
    t.ok(r.echo.endsWith('foo'));
    t.same(feed('bar\r\n').lines, ['bar']);
    t.same(feed('baz\n').lines, ['baz']);
    t.same(feed('zip\r\x00zap\r\n').lines, ['zip', 'zap']);
    r = feed('\bhel\blp\r');
    t.same(r.lines, ['help']);
    t.equal(r.echo, `hel${BSE}lp`, 'backspace on an empty line echoes nothing');
  }
});

t.test('line ends (telnetlib3 test_line_editor_crlf)', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['a\r', ['a']], ['b\n', ['b']], ['c\r\n', ['c']], ['d\r\x00', ['d']],
    ['x\ry\r', ['x', 'y']], ['x\r\ny\r\n', ['x', 'y']],
    ['\r', ['']], ['\r\r', ['', '']], ['\r\n\r\n', ['', '']],
    ['\n\x00a\r', ['a']], // leading LF/NUL skipped
    ['\n', []], ['a\n\nb\n', ['a', 'b']],
  ];
  for (const [input, want] of cases) {
    t.same(run(input).lines, want, JSON.stringify(input));
    t.same(runWhole(input).lines, want, `${JSON.stringify(input)} whole`);
  }
});

t.test('CR LF split across feeds is one line end', async (t) => {
  const e = new LineEditor();
  t.same(e.feed('abc\r').lines, ['abc']);
  t.same(e.feed('\n').lines, []);
  t.same(e.feed('\x00def\r').lines, ['def']);
  t.same(e.feed('\x00').lines, []);
  t.equal(e.buffer, '');
});

t.test('NUL inside a line is kept, as in telnetlib3', async (t) => {
  t.same(run('a\x00b\r').lines, ['a\x00b']);
});

t.test('backspace deletes one grapheme and echoes its width', async (t) => {
  let e = new LineEditor();
  e.feed('ab');
  let r = e.feed('\b');
  t.equal(r.echo, BSE);
  t.same(e.feed('\r').lines, ['a']);

  r = run('\x7f');
  t.equal(r.echo, '', 'DEL on empty: nothing');

  // telnetlib3 test_readline_backspace_wide: a wide char erases two columns
  r = run('a\u30b3\b\r');
  t.same(r.lines, ['a']);
  t.equal(r.echo.split(BSE).length - 1, 2);
  t.equal(r.echo, `a\u30b3${BSE}${BSE}`);

  t.same(run('a\u30b3\x7fb\r').lines, ['ab']);
  // ZWJ family emoji is one grapheme of width 2
  r = run(`x${FAMILY}\bq\r`);
  t.same(r.lines, ['xq']);
  t.ok(r.echo.includes(`${BSE}${BSE}q`));
  // flag: two regional indicators
  r = run('x\u{1F1FA}\u{1F1F8}\b\r');
  t.same(r.lines, ['x']);
  t.ok(r.echo.endsWith(`${BSE}${BSE}`));
  // combining accent: one column, removed with its base
  r = run('cafe\u0301\b\r');
  t.same(r.lines, ['caf']);
  t.ok(r.echo.endsWith(`\u0301${BSE}`));
  t.notOk(r.echo.endsWith(`${BSE}${BSE}`));

  e = new LineEditor();
  e.feed('\u{1F600}');
  t.equal(e.feed('\b').echo, `${BSE}${BSE}`, 'astral emoji is wide, surrogate pair removed whole');
  t.equal(e.buffer, '');
});

t.test('width helpers', async (t) => {
  t.equal(displayWidth('hello'), 5);
  t.equal(displayWidth(''), 0);
  t.equal(displayWidth('\u30b3\u30f3\u30cb\u30c1\u30cf'), 10);
  t.equal(displayWidth('a\u30b3b'), 4);
  t.equal(displayWidth('cafe\u0301'), 4);
  t.equal(displayWidth(`ab${FAMILY}`), 4);
  t.equal(graphemeWidth('\u{1F1FA}\u{1F1F8}'), 2);
  t.equal(graphemeWidth('\u2764\ufe0f'), 2, 'text-default emoji with VS16');
  t.equal(codePointWidth('\u0301'), 0);
  t.equal(codePointWidth('\uac00'), 2, 'Hangul syllable');
  t.equal(codePointWidth('\uff21'), 2, 'fullwidth A');
  t.equal(codePointWidth('\u00e9'), 1);
  t.equal(lastGrapheme(`x${FAMILY}`), FAMILY);
});

t.test('CSI, SS3 and other escape sequences never reach the line', async (t) => {
  const cases: Array<[string, string]> = [
    ['\x1b[Ax\r', 'x'], // cursor up
    ['he\x1b[Dl\x1b[Clo\r', 'hello'], // left/right arrows
    ['\x1b[1;2Hz\r', 'z'], // CSI with params
    ['\x1b[3~a\r', 'a'], // Delete key
    ['\x1b[200~pasted\x1b[201~\r', 'pasted'], // bracketed paste markers
    ['he\x1bOPllo\r', 'hello'], // SS3 F1
    ['\x1bOAy\r', 'y'], // application-mode arrow
    ['\x1bOpz\r', 'z'], // keypad 0
    ['\x1b]0;title\x07x\r', 'x'], // OSC ... BEL
    ['\x1b]0;title\x1b\\x\r', 'x'], // OSC ... ST
    ['\x1bPq\x1b\\y\r', 'y'], // DCS
    ['\x1b_apc\x1b\\a\r', 'a'], // APC
    ['\x1b^pm\x1b\\b\r', 'b'], // PM
    ['\x1b(Bz\r', 'z'], // charset designation
    ['\x1bDw\r', 'w'], // Fe
    ['\x1bXv\r', 'v'], // SOS as a 2-char Fe, as telnetlib3
    ['\x1b7\x1b8q\r', 'q'], // Fp save/restore cursor
    ['\x1b!x\r', '!x'], // not a sequence: ESC dropped, char kept (telnetlib3 test_filter_ansi)
    ['\x1b\x1b[Ak\r', 'k'], // ESC ESC [A
  ];
  for (const [input, want] of cases) {
    const a = run(input);
    t.same(a.lines, [want], JSON.stringify(input));
    t.notOk(a.echo.includes('\x1b'), `no ESC echoed for ${JSON.stringify(input)}`);
    t.same(runWhole(input).lines, [want], `${JSON.stringify(input)} whole`);
  }
});

t.test('escape sequence split across feeds', async (t) => {
  const e = new LineEditor();
  t.same(e.feed('ab\x1b').lines, []);
  t.ok(e.inEscape);
  t.same(e.feed('[').lines, []);
  t.same(e.feed('1;5').lines, []);
  t.same(e.feed('Dc\r').lines, ['abc']);
  t.notOk(e.inEscape);
});

t.test('a malformed CSI ends at a control character, which still counts', async (t) => {
  t.same(run('ab\x1b[12\rcd\r').lines, ['ab', 'cd']);
});

t.test('an escape sequence consumes at most 256 characters', async (t) => {
  const body = 'x'.repeat(1000);
  const r = runWhole(`\x1b]${body}\r`);
  // ESC ] plus 254 more are swallowed, the rest is input again
  t.same(r.lines, ['x'.repeat(1000 - (MAX_ESCAPE_SEQUENCE - 2))]);
});

t.test('maximum line length: further input ignored without echo', async (t) => {
  const e = new LineEditor();
  const r = e.feed('y'.repeat(DEFAULT_MAX_LINE_LENGTH + 100));
  t.equal(r.echo.length, DEFAULT_MAX_LINE_LENGTH);
  t.equal(e.buffer.length, DEFAULT_MAX_LINE_LENGTH);
  t.same(e.feed('\r').lines, ['y'.repeat(DEFAULT_MAX_LINE_LENGTH)]);

  const small = new LineEditor({ maxLength: 3 });
  const s = small.feed('abcdef\b\bgh\r');
  t.same(s.lines, ['agh']);
  t.equal(s.echo, `abc${BSE}${BSE}gh`);
  // a surrogate pair never half fits
  const sp = new LineEditor({ maxLength: 2 });
  t.same(sp.feed('a\u{1F600}\r').lines, ['a']);
  t.throws(() => new LineEditor({ maxLength: 0 }), RangeError);
});

t.test('maxVisibleWidth (telnetlib3 max_visible_width)', async (t) => {
  let r = run('abcdefg\r', new LineEditor({ maxVisibleWidth: 5 }));
  t.same(r.lines, ['abcde']);
  t.notOk(r.echo.includes('f'));
  t.notOk(r.echo.includes('g'));
  t.same(run('a\u30b3x\r', new LineEditor({ maxVisibleWidth: 3 })).lines, ['a\u30b3']);
  t.same(run('a\u30b3\u30b3x\r', new LineEditor({ maxVisibleWidth: 5 })).lines, ['a\u30b3\u30b3']);
  t.same(run('abcdef\r', new LineEditor({ maxVisibleWidth: 4 })).lines, ['abcd']);
  // width freed by backspace can be used again
  t.same(run('abc\bde\r', new LineEditor({ maxVisibleWidth: 3 })).lines, ['abd']);
  // a combining mark on a full line still joins its base
  t.same(run('abe\u0301\r', new LineEditor({ maxVisibleWidth: 3 })).lines, ['abe\u0301']);
  r = run('abc', new LineEditor({ maxVisibleWidth: 3 }));
  t.equal(r.echo, 'abc');
});

t.test('reset forgets the partial line', async (t) => {
  const e = new LineEditor();
  e.feed('abc\x1b[');
  e.reset();
  t.equal(e.buffer, '');
  t.notOk(e.inEscape);
  t.same(e.feed('A\r').lines, ['A']);
});
