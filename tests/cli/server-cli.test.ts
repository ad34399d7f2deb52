/**
 * telnetlib3-server as a program: --help, bad arguments, a loopback session
 * with telsh, trace hexdumps and the status log in a log file, --shell,
 * --line-mode, --timeout, --pty-fork-limit, --robot-check, and graceful
 * shutdown on SIGTERM and SIGINT.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { REPO_ROOT, killAll, spawnPeer, withTimeout } from '../helpers/peers.js';
import { EXAMPLES, SERVER_CLI, node, startServer, waitFor } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;

/** Read from a connection until `re` matches the text so far. */
async function readUntil(s: TelnetStreams, re: RegExp, ms = STEP): Promise<string> {
  let text = '';
  const until = Date.now() + ms;
  while (!re.test(text)) {
    const left = until - Date.now();
    if (left <= 0) throw new Error(`${re} not seen within ${ms} ms; got ${JSON.stringify(text.slice(-400))}`);
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, left, `waiting for ${re}; got ${JSON.stringify(text.slice(-400))}`);
    if (!chunk) throw new Error(`EOF before ${re}; got ${JSON.stringify(text.slice(-400))}`);
    text += chunk;
  }
  return text;
}

async function connect(port: number): Promise<TelnetStreams> {
  return openConnection('127.0.0.1', port, { connectMaxwait: 2000, term: 'xterm', cols: 91, rows: 33 });
}

t.test('--help lists every flag and exits 0', async (t) => {
  const p = node(t, SERVER_CLI, ['--help']);
  const exit = await p.exited;
  t.equal(exit.code, 0);
  for (const flag of ['--shell', '--pty-exec', '--pty-fork-limit', '--robot-check', '--line-mode', '--never-send-ga', '--encoding',
    '--force-binary', '--timeout', '--connect-maxwait', '--status-interval', '--loglevel', '--logfile']) {
    t.match(p.stdout(), flag, `help mentions ${flag}`);
  }
  t.match(p.stdout(), /Usage: telnetlib3-server/);
});

t.test('bad arguments: a clear message and a non-zero exit', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--timeout', 'soon'], /--timeout.*seconds/],
    [['127.0.0.1', '70000'], /port number/],
    [['--loglevel', 'loud'], /--loglevel.*expected one of/],
    [['--encoding', 'no-such-codec'], /unknown encoding/],
    [['--pty-exec', '/no/such/program'], /--pty-exec: \/no\/such\/program: not found/],
    [['--shell', 'x.js', '--pty-exec', '/bin/sh'], /cannot be used together/],
    [['--', 'stray'], /arguments after "--" are for --pty-exec/],
    [['--pty-fork-limit', '-1'], /--pty-fork-limit/],
    [['--no-such-flag'], /unknown option/],
  ];
  await Promise.all(cases.map(async ([args, re]) => {
    const p = node(t, SERVER_CLI, args);
    const exit = await p.exited;
    t.not(exit.code, 0, `${args.join(' ')}: non-zero exit (${exit.code})`);
    t.match(p.stderr(), re, `${args.join(' ')}: ${p.stderr().split('\n')[0]}`);
  }));
  const p = node(t, SERVER_CLI, ['127.0.0.1', '0', '--shell', './no-such-module.js']);
  const exit = await p.exited;
  t.equal(exit.code, 1, 'a shell module that cannot be imported: exit 1');
  t.match(p.stderr(), /^Error: --shell \.\/no-such-module\.js: cannot import/m);
});

t.test('loopback: telsh session, trace hexdump and status in the log file, SIGTERM exits 0', async (t) => {
  const logfile = path.join(os.tmpdir(), `tl3-server-${process.pid}-${Date.now()}.log`);
  const { proc, port } = await startServer(t, ['--loglevel', 'trace', '--logfile', logfile, '--status-interval', '0.2']);
  const s = await connect(port);
  let text = await readUntil(s, /tel:sh> /);
  t.match(text, /Ready\.\r\n/, 'telsh banner');
  s.writer.write('help\r\n');
  text = await readUntil(s, /tel:sh> /);
  t.match(text, /quit, writer, slc, linemode, toggle \[option\|all\], reader, proto, dump/, 'telsh help');
  await waitFor(() => readFileSync(logfile, 'utf8'), /Status: 1 client\(s\): 127\.0\.0\.1:\d+ \(rx=\d+, tx=\d+, idle=\d+s\)/, STEP, 'status log');
  s.writer.write('quit\r\n');
  text = await readUntil(s, /Goodbye\./);
  await withTimeout(s.writer.waitClosed(), STEP, 'server closes after quit');
  await waitFor(() => readFileSync(logfile, 'utf8'), /Status: 0 clients connected/, STEP, 'status after the client left');

  const log = readFileSync(logfile, 'utf8');
  t.match(log, /INFO Server ready on 127\.0\.0\.1:\d+/, 'ready line');
  t.match(log, /recv \d+ bytes\n<< {2}00000000 {2}[0-9a-f]{2} /, 'trace: hexdump of received bytes');
  t.match(log, /send \d+ bytes\n>> {2}00000000 {2}ff fd 18 /, 'trace: hexdump of sent bytes (IAC DO TTYPE first)');
  t.match(log, /\|Ready\.\.\.tel:sh> {2}\||\|Ready\./, 'hexdump shows the printable text');
  t.equal(proc.stderr(), '', 'nothing on stderr with --logfile');

  proc.child.kill('SIGTERM');
  const exit = await withTimeout(proc.exited, STEP, 'exit after SIGTERM');
  t.equal(exit.code, 0, 'SIGTERM: graceful exit 0');
  t.match(readFileSync(logfile, 'utf8'), /SIGTERM received, closing server\./);
});

t.test('SIGINT closes live connections gracefully and exits 0', async (t) => {
  const { proc, port } = await startServer(t, []);
  const s = await connect(port);
  await readUntil(s, /tel:sh> /);
  proc.child.kill('SIGINT');
  await withTimeout(s.writer.waitClosed(), STEP, 'the connection is closed by the shutdown');
  const exit = await withTimeout(proc.exited, STEP, 'exit after SIGINT');
  t.equal(exit.code, 0);
  t.match(proc.stderr(), /SIGINT received, closing server\./);
});

t.test('--shell module:export, --line-mode and --never-send-ga', async (t) => {
  const { proc, port } = await startServer(t, ['--shell', `${path.join(EXAMPLES, 'server-wargame.js')}:shell`, '--line-mode', '--never-send-ga']);
  const s = await connect(port);
  t.notOk(s.writer.remoteOption.enabled('ECHO'), '--line-mode: no WILL ECHO');
  t.notOk(s.writer.remoteOption.enabled('SGA'), '--line-mode: no WILL SGA');
  let got = await readUntil(s, /play a game\? /);
  t.match(got, /Would you like to play a game\? /, 'the module\'s shell runs');
  s.writer.write('y');
  got = await readUntil(s, /not play at all/);
  await withTimeout(s.writer.waitClosed(), STEP, 'shell returned: connection closed');
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
});

t.test('--timeout: idle clients get Timeout. and are closed', async (t) => {
  const { port } = await startServer(t, ['--timeout', '0.6']);
  const s = await connect(port);
  const text = await readUntil(s, /Timeout\./, 5000);
  t.match(text, /\r\nTimeout\.\r\n/);
  await withTimeout(s.writer.waitClosed(), STEP, 'closed after the timeout');
});

t.test('--pty-fork-limit 1: a second session gets the busy shell', async (t) => {
  const { port } = await startServer(t, ['--pty-fork-limit', '1']);
  const first = await connect(port);
  await readUntil(first, /tel:sh> /);
  const second = await connect(port);
  const busy = await readUntil(second, /do not touch! /);
  t.match(busy, /Machine is busy, do not touch! /, 'busy message');
  second.writer.write('hello\r\n');
  await readUntil(second, /distant explosion/);
  second.writer.write('bye\r\n');
  await withTimeout(second.writer.waitClosed(), STEP, 'busy shell ends');
  first.writer.write('quit\r\n');
  await withTimeout(first.writer.waitClosed(), STEP, 'first session ends');
  // The slot is free again.
  const third = await connect(port);
  await readUntil(third, /tel:sh> /);
  third.writer.close();
});

t.test('--robot-check: a client that reports its cursor gets telsh', async (t) => {
  const { port } = await startServer(t, ['--robot-check']);
  const s = await connect(port);
  await readUntil(s, /\x1b\[6n/);
  s.writer.write('\x1b[5;10R');
  await readUntil(s, /\x1b\[6n/);
  s.writer.write('\x1b[5;11R');
  const text = await readUntil(s, /tel:sh> /);
  t.match(text, /\x1b\[10G \x1b\[10G/, 'the test space is erased');
  t.match(text, /Ready\./, 'then the real shell');
  s.writer.close();
});

t.test('--encoding false serves telsh over a byte connection', async (t) => {
  const { port } = await startServer(t, ['--encoding', 'false']);
  const s = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 2000 });
  let text = '';
  while (!text.includes('tel:sh> ')) {
    const b = await withTimeout(s.reader.read(4096) as Promise<Buffer>, STEP, 'bytes');
    if (b.length === 0) break;
    text += b.toString('latin1');
  }
  t.match(text, /Ready\./);
  s.writer.write(Buffer.from('quit\r\n'));
  await withTimeout(s.writer.waitClosed(), STEP, 'closed');
});

t.test('the bin files start with a node shebang and are executable after the build', async (t) => {
  for (const f of ['telnetlib3-server.js', 'telnetlib3-client.js']) {
    const file = path.join(path.dirname(SERVER_CLI), f);
    t.match(readFileSync(file, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env node$/, `${f} shebang`);
  }
  // `npm run build` runs postbuild; a bare `tsc` does not, so run it here (it only chmods).
  const npm = spawnSync('npm', ['run', '-s', 'postbuild'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20000 });
  t.equal(npm.status, 0, `npm run postbuild: ${npm.stderr}`);
  for (const f of ['telnetlib3-server.js', 'telnetlib3-client.js']) {
    t.ok((statSync(path.join(path.dirname(SERVER_CLI), f)).mode & 0o111) !== 0, `${f} is executable`);
  }
  // Run directly (not through `node`), the way npm's bin link does.
  const p = spawnPeer(SERVER_CLI, ['--help'], { timeoutMs: 10000 });
  t.teardown(() => p.kill());
  const exit = await p.exited;
  t.equal(exit.code, 0, 'runs by its shebang');
  t.match(p.stdout(), /Usage: telnetlib3-server/);
});
