/**
 * The CLIs with the retro BBS encodings: the server CLI serving telsh as an
 * ATASCII board (0x9B line ends on the wire, `reader` shows the codec), the
 * client CLI following a SyncTERM font switch from a fake board (and not
 * when --encoding is given), and, in a real terminal (tmux), the client
 * against an ATASCII and a PETSCII board: arrow keys, Backspace and Enter
 * arrive as the board's key codes, unless --ansi-keys; --ascii-eol keeps CR.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { killAll, peersInstalled, withTimeout } from '../helpers/peers.js';
import { CLIENT_CLI, Tmux, node, shq, startServer, tmuxPath, waitFor } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;
const tmux = tmuxPath();

async function readUntil(s: TelnetStreams, re: RegExp, ms = STEP): Promise<string> {
  let text = '';
  const until = Date.now() + ms;
  while (!re.test(text)) {
    const left = until - Date.now();
    if (left <= 0) throw new Error(`${re} not seen; got ${JSON.stringify(text.slice(-300))}`);
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string | Buffer>, left, `waiting for ${re}; got ${JSON.stringify(text)}`);
    if (chunk.length === 0) throw new Error(`EOF before ${re}; got ${JSON.stringify(text)}`);
    text += Buffer.isBuffer(chunk) ? chunk.toString('latin1') : chunk;
  }
  return text;
}

/** A fake board on 127.0.0.1:0 that negotiates nothing: greets with `greeting`, records what it receives. */
async function board(t: Test, greeting: Buffer): Promise<{ port: number; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => s.end());
    s.write(greeting);
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { port: (server.address() as net.AddressInfo).port, received: () => Buffer.concat(chunks) };
}

t.test('client --help lists --ansi-keys and --ascii-eol; --encoding takes the retro names', async (t) => {
  const p = node(t, CLIENT_CLI, ['--help']);
  t.equal((await p.exited).code, 0);
  t.match(p.stdout(), /--ansi-keys/);
  t.match(p.stdout(), /--ascii-eol/);
  const bad = node(t, CLIENT_CLI, ['127.0.0.1', '1', '--encoding', 'atari9bit']);
  t.not((await bad.exited).code, 0);
  t.match(bad.stderr(), /unknown encoding: atari9bit/);
});

t.test('server CLI --encoding atascii serves telsh as an ATASCII board', async (t) => {
  const { port } = await startServer(t, ['--encoding', 'atascii']);
  // A bare TCP peer (no negotiation, so no CHARSET to change the codec): the server's own bytes.
  const sock = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => sock.destroy());
  let got = '';
  sock.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  await waitFor(() => got, /tel:sh> /, STEP, 'telsh greeting');
  t.match(got, /Ready\.\x9btel:sh> /, 'CR LF went out as one 0x9B');
  t.notMatch(got, /\r\n/);
  sock.destroy();
  const s = await openConnection('127.0.0.1', port, { encoding: 'atari_8bit', forceBinary: true, connectMaxwait: 2000 });
  t.teardown(() => s.writer.close());
  await readUntil(s, /Ready\.\ntel:sh> /);
  s.writer.write('reader\r');
  const out = await readUntil(s, /<TelnetReader[^>]*>/);
  t.match(out, /<TelnetReader encoding='atascii'/, 'telsh shows the active codec');
});

t.test('client CLI (pipe): a SyncTERM font switch changes the codec, unless --encoding was given', async (t) => {
  // Font 36 (ATASCII), then ATASCII bytes: "HI", end of line, a heart-less glyph (0x14 = black circle).
  const greeting = Buffer.concat([Buffer.from('hello \x1b[0;36 D', 'latin1'), Buffer.from([0x48, 0x49, 0x9b, 0x14])]);
  const b1 = await board(t, greeting);
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(b1.port), '--connect-maxwait', '0.2'], { stdin: 'pipe' });
  // stdout is UTF-8 (read here as latin-1): U+25CF is E2 97 8F.
  const circle = Buffer.from('\u25cf', 'utf8').toString('latin1');
  await waitFor(() => p.stdout(), new RegExp(`HI\n${circle}`), STEP, 'ATASCII after the font switch', p);
  t.match(p.stdout(), new RegExp(`^hello \x1b\\[0;36 DHI\n${circle}`), 'text before and after the switch');
  p.child.stdin!.end('run\n');
  await waitFor(() => b1.received().toString('latin1'), /run/, STEP, 'input reached the board');
  t.match(b1.received().toString('latin1'), /run\x9b/, 'what we type goes out in ATASCII (LF -> 0x9B)');
  p.kill();

  const b2 = await board(t, greeting);
  const q = node(t, CLIENT_CLI, ['127.0.0.1', String(b2.port), '--connect-maxwait', '0.2', '--encoding', 'latin1'], { stdin: 'pipe' });
  await waitFor(() => q.stdout(), new RegExp(`HI${Buffer.from('\u009b', 'utf8').toString('latin1')}`), STEP, 'latin-1 kept', q);
  t.pass('an explicit --encoding is not overridden by the font switch');
  q.kill();
});

function skipWithoutTmux(): { skip?: string; timeout: number } {
  if (tmux !== null || peersInstalled()) return { timeout: 60000 };
  return { skip: 'tmux not installed (run: sudo bash .ci/install-peers)', timeout: 60000 };
}

/** The client in tmux against `port` with `args`. */
function startClient(t: Test, port: number, args: string[]): Tmux {
  if (tmux === null) throw new Error('tmux missing although .ci/install-peers ran');
  const client = [process.execPath, CLIENT_CLI, '127.0.0.1', String(port), '--connect-maxwait', '0.2', ...args].map(shq).join(' ');
  return Tmux.start(t, tmux, `sh -c ${shq(`${client}; echo "EXIT=$?"; exec sleep 120`)}`);
}

async function waitBytes(received: () => Buffer, want: Buffer, what: string): Promise<void> {
  await waitFor(() => received().toString('latin1'), new RegExp(want.toString('latin1').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')), STEP, what);
}

t.test('in a terminal against an ATASCII board: arrows, Backspace and Enter arrive as ATASCII', skipWithoutTmux(), async (t) => {
  const b = await board(t, Buffer.concat([Buffer.from('ATASCII BOARD', 'latin1'), Buffer.from([0x9b]), Buffer.from('> ')]));
  const tm = startClient(t, b.port, ['--encoding', 'atascii']);
  await tm.expect(/ATASCII BOARD\s+> /, STEP, 'board greeting, 0x9B shown as a new line');
  tm.type('hi');
  tm.keys('Up', 'Down', 'Left', 'Right', 'BSpace', 'Enter');
  await waitBytes(b.received, Buffer.from([0x68, 0x69, 0x1c, 0x1d, 0x1e, 0x1f, 0x7e, 0x9b]), 'ATASCII key codes');
  t.pass('hi, Up, Down, Left, Right, Backspace, Enter -> 68 69 1c 1d 1e 1f 7e 9b');
  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape menu still works');
  tm.type('quit');
  tm.keys('Enter');
  await tm.expect(/EXIT=0/, STEP, 'quit');
});

t.test('in a terminal: --ansi-keys and --ascii-eol on ATASCII, and a PETSCII board', skipWithoutTmux(), async (t) => {
  const b = await board(t, Buffer.from('BOARD> ', 'latin1'));
  const tm = startClient(t, b.port, ['--encoding', 'atari8bit', '--ansi-keys', '--ascii-eol']);
  await tm.expect(/BOARD> /, STEP, 'greeting');
  tm.keys('Up', 'Enter');
  await waitBytes(b.received, Buffer.from('\x1b[A\r', 'latin1'), 'ANSI sequence as it is, CR as ASCII');
  t.pass('--ansi-keys: ESC [ A; --ascii-eol: CR');
  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'menu');
  tm.type('quit');
  tm.keys('Enter');
  await tm.expect(/EXIT=0/, STEP, 'quit');

  const c = await board(t, Buffer.from([0x50, 0x45, 0x54, 0x53, 0x43, 0x49, 0x49, 0x0d]));
  const tp = startClient(t, c.port, ['--encoding', 'c64']);
  await tp.expect(/petscii/, STEP, 'PETSCII greeting decoded (shifted set: lower case)');
  tp.type('Go');
  tp.keys('Up', 'Right', 'BSpace');
  await waitBytes(c.received, Buffer.from([0xc7, 0x4f, 0x91, 0x1d, 0x14]), 'PETSCII: G o Up Right Delete');
  t.pass('Go, Up, Right, Backspace -> c7 4f 91 1d 14');
  tp.keys('C-]');
  await tp.expect(/telnet>/, STEP, 'menu');
  tp.type('quit');
  tp.keys('Enter');
  await tp.expect(/EXIT=0/, STEP, 'quit');
});

t.test('server CLI --pty-exec for an ATASCII client: the child speaks UTF-8, the client gets ATASCII', async (t) => {
  const { port } = await startServer(t, ['--encoding', 'atascii', '--pty-exec', '/bin/sh', '--', '-c',
    'printf "LANG=%s\\n" "$LANG"; printf "\\342\\227\\217\\n"; sleep 0.5']);
  const s = await openConnection('127.0.0.1', port, { encoding: 'atascii', forceBinary: true, connectMaxwait: 2000 });
  t.teardown(() => s.writer.close());
  const out = await readUntil(s, /\u25cf/);
  t.match(out, /LANG=en_US\.UTF-8/, 'the child gets a UTF-8 LANG, not en_US.atascii');
  t.match(out, /\u25cf/, 'its UTF-8 black circle reached the client as ATASCII 0x14');
});
