/** The pure parts of the automation layer: matching, ANSI stripping, output cleaning, the step machines. */
import t from 'tap';
import { AnsiStripper, cleanOutput, findFirst, findPattern, renderLine, stripAnsi, stripPagerErase } from '../../src/automation/text.js';
import { ExecStep, LoginFailedError, LoginStep, WaitForStep } from '../../src/automation/steps.js';

t.test('findPattern: literal, RegExp, g flag has no memory', async (t) => {
  t.same(findPattern('abc Router# x', 'Router#'), { index: 4, end: 11, text: 'Router#' });
  t.equal(findPattern('abc', 'x'), null);
  const g = /#/g;
  t.equal(findPattern('a#b', g)?.index, 1);
  t.equal(findPattern('a#b', g)?.index, 1);
  t.equal(findFirst('login: Password:', [/Password/, 'login'])?.which, 1);
});

t.test('AnsiStripper: sequences split between chunks are held back', async (t) => {
  const s = new AnsiStripper();
  t.equal(s.push('red \x1b[3'), 'red ');
  t.equal(s.push('1mRouter\x1b[0m# \x1b]0;title\x07ok'), 'Router# ok');
  t.equal(stripAnsi('\x1b[?25l\x1b(Bx\x1bMy'), 'xy');
});

t.test('renderLine and cleanOutput', async (t) => {
  t.equal(renderLine('abc\b \bd'), 'abd');
  t.equal(renderLine('12345\rab'), 'ab345');
  t.equal(cleanOutput('show clock\r\n12:00\r\n', 'show clock'), '12:00');
  t.equal(cleanOutput('12:00\r\n', 'show clock'), '12:00', 'no echo: nothing dropped');
  t.equal(cleanOutput('x\r\na\nb\r\n', 'x', { echo: 1 }), 'a\nb');
  t.equal(cleanOutput('cmd|a|b|', 'cmd', { irs: '|' }), 'a\nb');
  t.equal(stripPagerErase('\b\b\b   \b\b\b  indented'), '  indented');
});

t.test('ExecStep: pager answered, prompt found, output clean', async (t) => {
  const step = new ExecStep('show run', { prompt: /Router#$/, pager: {}, irs: null, echo: 'auto' });
  let a = step.advance('show run\r\nline1\r\n --More-- ', false);
  t.equal(a.send, ' ');
  t.equal(a.done, false);
  a = step.advance('\b\b\b\b\b\b\b\b\b         \b\b\b\b\b\b\b\b\b', false);
  t.ok(a.consume > 0);
  a = step.advance('line2\r\nRouter#', false);
  t.equal(a.done, true);
  t.same(a.value?.output, 'line1\nline2');
  t.equal(a.value?.pages, 1);
  t.equal(a.value?.prompt, 'Router#');
  const partial = new ExecStep('x', { prompt: '#', pager: false, irs: null, echo: 'auto' });
  t.equal(partial.advance('x\r\nhalf', false).done, false);
  t.equal(partial.partial('x\r\nhalf'), 'x\r\nhalf');
});

t.test('LoginStep: answers prompts, refuses to loop', async (t) => {
  const step = new LoginStep({ username: 'u', password: 'p', loginPrompt: /login: $/, passwordPrompt: /Password: $/, prompt: /\$ $/, failedLoginMatch: null }, '\r\n');
  t.equal(step.advance('Debian\r\nlogin: ', false).send, 'u\r\n');
  t.equal(step.advance('Password: ', false).send, 'p\r\n');
  t.throws(() => step.advance('\r\nLogin incorrect\r\nlogin: ', false), LoginFailedError);
  const ok = new LoginStep({ username: 'u', password: 'p', loginPrompt: /login: $/, passwordPrompt: /Password: $/, prompt: /\$ $/ }, '\n');
  ok.advance('login: ', false);
  ok.advance('Password: ', false);
  const done = ok.advance('Welcome\r\nu@h:~$ ', false);
  t.equal(done.done, true);
  t.equal(done.value?.prompt, '$ ');
  t.match(done.value?.banner, /Welcome/);
  t.equal(new WaitForStep('x').advance('abxcd', false).consume, 3);
});

t.test('default pager patterns: the usual shapes, only when the device waits at them', async (t) => {
  for (const pager of [' --More-- ', '-- More --', '---- More ----', '---(more 45%)---', 'Press any key to continue', '--more--']) {
    const step = new ExecStep('cmd', { prompt: /R#$/, pager: {}, irs: null, echo: 'auto' });
    const a = step.advance(`cmd\r\nout\r\n${pager}`, false);
    t.equal(a.send, ' ', `answered ${JSON.stringify(pager)}`);
    const done = step.advance('rest\r\nR#', false);
    t.equal(done.value?.output, 'out\nrest', `output around ${JSON.stringify(pager)}`);
  }
  const inLine = new ExecStep('cmd', { prompt: /R#$/, pager: {}, irs: null, echo: 'auto' });
  t.equal(inLine.advance('cmd\r\nuse --more-- for paging\r\n', false).send, null, 'pager text inside output is not a pager');
  const off = new ExecStep('cmd', { prompt: /R#$/, pager: false, irs: null, echo: 'auto' });
  t.equal(off.advance('cmd\r\nout\r\n --More-- ', false).send, null, 'pager: false');
});
