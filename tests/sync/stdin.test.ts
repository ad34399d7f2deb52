/**
 * readStdinLine(): Python's input() for blocking scripts, over a helper
 * thread that reads stdin (a pipe here), in a child process.
 */
import t from 'tap';
import { Child, within } from './helpers.js';

t.test('lines with LF and CR LF, a last line without one, then EOF', async (t) => {
  const child = Child.start(t, 'stdin-lines');
  child.proc.stdin!.write('alice\n');
  await within(child.line((l) => l.line === 'alice', 5000, 'first line'), 6000, 'first line');
  t.pass('a line is returned as soon as it arrives (stdin still open)');
  child.proc.stdin!.write('secret\r\nsplit ');
  child.proc.stdin!.write('line\nlast without newline');
  child.proc.stdin!.end();
  const exit = await within(child.exited, 5000, 'exit');
  t.equal(exit.code, 0, `exit 0 (stderr: ${child.stderr})`);
  t.same(child.lines.filter((l) => 'line' in l).map((l) => l.line), ['alice', 'secret', 'split line', 'last without newline']);
  const eof = child.lines.find((l) => l.eof === true);
  t.equal(eof?.code, 'ERR_TELNET_CLOSED', 'EOF: TelnetClosedError');
  t.match(eof?.message, /EOF when reading a line/);
});

t.test('the prompt goes to stdout before each read', async (t) => {
  const child = Child.start(t, 'stdin-lines', ['name? ']);
  child.proc.stdin!.end('bob\n');
  const exit = await within(child.exited, 5000, 'exit');
  t.equal(exit.code, 0);
  t.equal(child.stdout.split('\n')[0], 'name? {"line":"bob"}');
});

t.test('more than the 64 KiB ring in one go: every line, in order', async (t) => {
  const child = Child.start(t, 'stdin-lines');
  const lines = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(996)}`);
  child.proc.stdin!.end(`${lines.join('\n')}\n`);
  const exit = await within(child.exited, 10000, 'exit');
  t.equal(exit.code, 0, `exit 0 (stderr: ${child.stderr})`);
  t.same(child.lines.filter((l) => 'len' in l).map((l) => l.len), lines.map((l) => l.length), '300 lines of 1,000 characters');
  t.ok(child.lines.some((l) => l.eof === true), 'then EOF');
});
