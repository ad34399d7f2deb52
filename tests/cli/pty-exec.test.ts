/**
 * telnetlib3-server --pty-exec: bash driven by the inetutils telnet client
 * in a pseudo-terminal (a command, a resize, exit), bc in --line-mode (GA
 * after output, none in character mode), the child's last output delivered
 * when it exits, the child hung up (then killed) when the connection
 * closes, and the environment safety of the child: a hostile NEW_ENVIRON
 * (USER "-f root", LD_PRELOAD, PATH, ...) never reaches it; only TERM, LANG,
 * COLUMNS and LINES come from the client, validated.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import { PtyInputFilter, buildChildEnv, validLang, validTerm } from '../../src/shells/pty-shell.js';
import { killAll, needPeer, peer, peerTestOptions, peersInstalled, sleep, startRelay, withTimeout } from '../helpers/peers.js';
import { CLI_SCRIPTS, ptySpawn, startServer } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;
const inetutils = peer('inetutils-telnet');
const BC = '/usr/bin/bc';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ unit

t.test('child environment: allow-list and validation', async (t) => {
  const env = buildChildEnv({
    term: 'XTerm-256Color', lang: 'de_DE.UTF-8', cols: 90, rows: 33, encoding: 'utf-8',
    serverEnv: { PATH: '/usr/bin:/bin', HOME: '/srv', USER: 'svc', LD_PRELOAD: '/x.so', IFS: 'x', CREDENTIALS_DIRECTORY: '/c', LC_ALL: 'C' },
  });
  t.same(env, { PATH: '/usr/bin:/bin', HOME: '/srv', USER: 'svc', TERM: 'xterm-256color', LANG: 'de_DE.UTF-8', COLUMNS: '90', LINES: '33' },
    'only the allowed names: the server\'s PATH/HOME/USER, the client\'s TERM (lower-cased), LANG, size');
  const bad = buildChildEnv({ term: 'xterm;rm -rf ~', lang: 'en_US.UTF-8; id', cols: -1, rows: 1e9, encoding: 'koi8-u', serverEnv: {} });
  t.equal(bad.TERM, 'xterm', 'an invalid TERM falls back to xterm');
  t.equal(bad.LANG, 'en_US.KOI8-U', 'an invalid LANG falls back to the connection\'s encoding');
  t.equal(bad.COLUMNS, '80');
  t.equal(bad.LINES, '25');
  t.equal(bad.PATH, '/usr/local/bin:/usr/bin:/bin', 'a default PATH');
  t.equal(validTerm('-f root'), null, 'a TERM starting with - is refused (charset)');
  t.equal(validTerm('a'.repeat(65)), null, 'at most 64 characters');
  t.equal(validTerm('VTNT'), 'ansi');
  t.equal(validLang('C.UTF-8'), 'C.UTF-8');
  t.equal(validLang('-f root'), null);
  t.equal(validLang('en_US.UTF-8@euro'), 'en_US.UTF-8@euro');
});

t.test('PTY input filter: CR LF and CR NUL become CR, DEL becomes ^H, across chunks', async (t) => {
  const f = new PtyInputFilter();
  t.same([...f.push(Buffer.from('ls\r\n'))], [...Buffer.from('ls\r')]);
  t.same([...f.push(Buffer.from('a\r'))], [...Buffer.from('a\r')]);
  t.same([...f.push(Buffer.from('\nb\r\0c\x7f'))], [...Buffer.from('b\rc\b')], 'LF after a CR that ended the previous chunk is dropped');
});

// ------------------------------------------------------------------ bash and bc under inetutils telnet

t.test('--pty-exec /bin/bash driven by inetutils telnet: a command, a resize, exit', peerTestOptions(30000, inetutils), async (t) => {
  const telnet = needPeer(t, inetutils);
  if (telnet === null) return;
  const { port } = await startServer(t, ['--pty-exec', '/bin/bash', '--', '--norc', '--noprofile']);
  const relay = await startRelay(port);
  t.teardown(() => relay.close());
  const p = ptySpawn(t, telnet, ['127.0.0.1', String(relay.port)], { cols: 80, rows: 24 });
  await p.expect(/Escape character is/, STEP);
  await p.expect(/bash-[\d.]+[#$] /, STEP);
  p.send('echo hello-$((6*7)) $TERM\r');
  await p.expect(/echo hello-\$\(\(6\*7\)\) \$TERM\r\n/, STEP); // echoed by the remote side
  await p.expect(/hello-42 xterm\r\n/, STEP);
  p.send('stty size\r');
  await p.expect(/\r24 80\r\n/, STEP);
  p.resize(100, 30);
  await sleep(400); // NAWS, then the server's 100 ms debounce
  p.send('stty size\r');
  await p.expect(/\r30 100\r\n/, STEP);
  p.send('exit\r');
  await p.expect(/Connection closed by foreign host/, STEP);
  const exit = await withTimeout(p.exited, STEP, 'telnet exits');
  t.equal(exit.exitCode, 0, 'telnet exits 0');
  t.notOk(relay.s2c().includes(Buffer.from([0xff, 0xf9])), 'no GA in character mode (SGA agreed)');
});

t.test('--line-mode --pty-exec bc driven by inetutils telnet: cooked PTY, GA after output', { ...peerTestOptions(30000, inetutils), skip: peerTestOptions(30000, inetutils).skip ?? (isExecutable(BC) || peersInstalled() ? undefined : `${BC} not installed (run: sudo bash .ci/install-peers)`) }, async (t) => {
  const telnet = needPeer(t, inetutils);
  if (telnet === null) return;
  const { port } = await startServer(t, ['--line-mode', '--pty-exec', BC, '--', '-q']);
  const relay = await startRelay(port);
  t.teardown(() => relay.close());
  const p = ptySpawn(t, telnet, ['127.0.0.1', String(relay.port)]);
  await p.expect(/Escape character is/, STEP);
  await sleep(500);
  p.send('6*7\r');
  await p.expect(/6\*7\r?\n/, STEP); // the telnet client's local echo
  await p.expect(/42\r\n/, STEP);
  await sleep(300);
  t.ok(relay.s2c().includes(Buffer.from([0xff, 0xf9])), 'IAC GA after bc went idle (SGA not agreed)');
  t.notOk(relay.s2c().includes(Buffer.from([0xff, 0xfb, 0x01])), 'no WILL ECHO in line mode');
  p.send('quit\r');
  await p.expect(/Connection closed by foreign host/, STEP);
  t.equal((await withTimeout(p.exited, STEP, 'telnet exits')).exitCode, 0);
});

// ------------------------------------------------------------------ lifecycle

t.test('the child exiting closes the connection after its last output', async (t) => {
  const { port } = await startServer(t, ['--pty-exec', '/bin/sh', '--', '-c', 'sleep 0.3; printf "last words\\n"; exit 3']);
  const s = await openConnection('127.0.0.1', port, { connectMaxwait: 2000 });
  let text = '';
  for (;;) {
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, STEP, 'output until EOF');
    if (!chunk) break;
    text += chunk;
  }
  t.match(text, /last words\r\n$/, 'the last output arrives before the close');
  await withTimeout(s.writer.waitClosed(), STEP, 'closed');
});

/** The `stty -a` a PTY child sees under the given server flags. */
async function sttyOf(t: Parameters<typeof startServer>[0], args: string[]): Promise<string> {
  const s = await openConnection('127.0.0.1', (await startServer(t, args)).port, { connectMaxwait: 2000 });
  let text = '';
  for (;;) {
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, STEP, 'stty output');
    if (!chunk) break;
    text += chunk;
  }
  return text;
}

t.test('PTY modes: terminal settings by default, literal raw with --pty-raw, cooked without echo with --line-mode', async (t) => {
  const probe = ['--', '-c', 'stty -a; sleep 0.2'];
  const normal = await sttyOf(t, ['--pty-exec', '/bin/sh', ...probe]);
  t.match(normal, /(^|\s)icanon(\s|$)/m, 'default: canonical');
  t.match(normal, /(^|\s)echo(\s|$)/m, 'default: the PTY echoes');
  const raw = await sttyOf(t, ['--pty-raw', '--pty-exec', '/bin/sh', ...probe]);
  t.match(raw, /-icanon/, '--pty-raw: no ICANON');
  t.match(raw, /-echo(\s|$)/m, '--pty-raw: no ECHO');
  const line = await sttyOf(t, ['--line-mode', '--pty-exec', '/bin/sh', ...probe]);
  t.match(line, /(^|\s)icanon(\s|$)/m, '--line-mode: canonical');
  t.match(line, /-echo(\s|$)/m, '--line-mode: no ECHO (the client echoes)');
});

/** Start a PTY program that prints its pid; returns the pid and the connection. */
async function pidSession(port: number): Promise<{ pid: number; close: () => void }> {
  const s = await openConnection('127.0.0.1', port, { connectMaxwait: 2000 });
  let text = '';
  while (!/pid=(\d+)/.test(text)) {
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, STEP, 'pid line');
    if (!chunk) throw new Error(`closed early: ${text}`);
    text += chunk;
  }
  return { pid: Number(/pid=(\d+)/.exec(text)![1]), close: () => s.writer.close() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function goneWithin(pid: number, ms: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > ms) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      throw new Error(`pid ${pid} still alive after ${ms} ms`);
    }
    await sleep(25);
  }
  return Date.now() - t0;
}

t.test('the connection closing ends the child: SIGHUP, then SIGKILL after the grace period', async (t) => {
  const plain = await startServer(t, ['--pty-exec', '/bin/sh', '--', '-c', 'echo "pid=$$"; exec sleep 1000']);
  const a = await pidSession(plain.port);
  t.ok(alive(a.pid), 'the child runs');
  a.close();
  const ms1 = await goneWithin(a.pid, 3000);
  t.ok(ms1 < 900, `hung up at once (${ms1} ms)`);

  const stubborn = await startServer(t, ['--pty-exec', '/bin/sh', '--', '-c', 'trap "" HUP; echo "pid=$$"; while :; do sleep 0.1; done']);
  const b = await pidSession(stubborn.port);
  b.close();
  const ms2 = await goneWithin(b.pid, 4000);
  t.ok(ms2 >= 700 && ms2 < 3000, `a child ignoring SIGHUP is killed after the grace period (${ms2} ms)`);
});

// ------------------------------------------------------------------ hostile NEW_ENVIRON

const IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, DONT = 254;
const TTYPE = 24, NAWS = 31, NEW_ENVIRON = 39;

function environIs(vars: Array<[number, string, string]>): Buffer {
  const parts: number[] = [IAC, SB, NEW_ENVIRON, 0];
  for (const [type, name, value] of vars) parts.push(type, ...Buffer.from(name, 'latin1'), 1, ...Buffer.from(value, 'latin1'));
  parts.push(IAC, SE);
  return Buffer.from(parts);
}

/**
 * A raw Telnet client: agrees to TTYPE (answering `ttype`), NAWS (90x33)
 * and NEW_ENVIRON (answering `environ`), sends `first` before anything
 * else, and collects the data it receives until `until` matches.
 */
async function rawSession(port: number, opts: { ttype: string; environ: Buffer; first?: Buffer; until: RegExp }): Promise<string> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  if (opts.first) sock.write(opts.first);
  let data = '';
  let state: 'data' | 'iac' | 'verb' | 'sb' | 'sbiac' = 'data';
  let verb = 0;
  let sb: number[] = [];
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`raw session: ${opts.until} not seen; got ${JSON.stringify(data.slice(-500))}`)); }, STEP);
    sock.on('data', (chunk: Buffer) => {
      for (const b of chunk) {
        if (state === 'data') {
          if (b === IAC) state = 'iac';
          else data += String.fromCharCode(b);
        } else if (state === 'iac') {
          if (b >= WILL && b <= DONT) { verb = b; state = 'verb'; } else if (b === SB) { sb = []; state = 'sb'; } else state = 'data';
        } else if (state === 'verb') {
          state = 'data';
          if (verb === DO) {
            const ok = b === TTYPE || b === NAWS || b === NEW_ENVIRON;
            sock.write(Buffer.from([IAC, ok ? WILL : WONT, b]));
            if (b === NAWS) sock.write(Buffer.from([IAC, SB, NAWS, 0, 90, 0, 33, IAC, SE]));
          } else if (verb === WILL) {
            sock.write(Buffer.from([IAC, DO, b]));
          }
        } else if (state === 'sb') {
          if (b === IAC) state = 'sbiac';
          else sb.push(b);
        } else if (state === 'sbiac') {
          if (b === SE) {
            state = 'data';
            if (sb[0] === TTYPE && sb[1] === 1) sock.write(Buffer.from([IAC, SB, TTYPE, 0, ...Buffer.from(opts.ttype, 'latin1'), IAC, SE]));
            if (sb[0] === NEW_ENVIRON && sb[1] === 1) sock.write(opts.environ);
          } else { sb.push(b); state = 'sb'; }
        }
      }
      if (opts.until.test(data)) {
        clearTimeout(timer);
        sock.end();
        resolve(data);
      }
    });
    sock.on('close', () => { clearTimeout(timer); if (opts.until.test(data)) resolve(data); else reject(new Error(`closed before ${opts.until}: ${JSON.stringify(data.slice(-500))}`)); });
  });
  return done;
}

function parseEnv(out: string): { argc: string | undefined; env: Map<string, string> } {
  const argc = /ARGC=(\d+)/.exec(out)?.[1];
  const body = out.slice(out.indexOf('ENV-BEGIN') + 9, out.indexOf('ENV-END'));
  const env = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    const l = line.replace(/\r$/, '');
    const eq = l.indexOf('=');
    if (eq > 0) env.set(l.slice(0, eq), l.slice(eq + 1));
  }
  return { argc, env };
}

/** Names the child may have: the server's own allow-list, the client's four, and PWD (the PTY's cwd, set by the server). */
const ALLOWED = new Set(['PATH', 'HOME', 'SHELL', 'USER', 'LOGNAME', 'TZ', 'TMPDIR', 'TERM', 'LANG', 'COLUMNS', 'LINES', 'PWD']);

t.test('a hostile NEW_ENVIRON never reaches the PTY child (CVE-2026-24061, CVE-2026-28372)', async (t) => {
  const serverEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', USER: 'svc-user' };
  const { port } = await startServer(t, ['--pty-exec', path.join(CLI_SCRIPTS, 'print-env.sh')], { env: serverEnv });
  const hostile = environIs([
    [0, 'USER', '-f root'],
    [0, 'LD_PRELOAD', '/tmp/evil.so'],
    [0, 'LD_LIBRARY_PATH', '/tmp'],
    [0, 'PATH', '/tmp/evil'],
    [0, 'IFS', 'x'],
    [3, 'CREDENTIALS_DIRECTORY', '/tmp/creds'],
    [0, 'SHELL', '/tmp/evil-shell'],
    [0, 'HOME', '/tmp/evil-home'],
    [0, 'COLUMNS', '-f root'],
    [0, 'TERM', 'XTerm-256Color'],
    [0, 'LANG', 'de_DE.UTF-8'],
  ]);
  // B16: the same USER, unsolicited, before anything was agreed.
  const unsolicited = Buffer.concat([Buffer.from([IAC, SB, NEW_ENVIRON, 0, 0]), Buffer.from('USER\x01-f root', 'latin1'), Buffer.from([IAC, SE])]);
  const out = await rawSession(port, { ttype: 'xterm;id', environ: hostile, first: unsolicited, until: /ENV-END/ });
  const { argc, env } = parseEnv(out);
  t.equal(argc, '0', 'no client value reached the child\'s argv');
  t.notMatch(out, /-f root/, '"-f root" appears nowhere in what the child saw');
  for (const name of env.keys()) t.ok(ALLOWED.has(name), `${name} is an allowed name`);
  for (const name of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'IFS', 'CREDENTIALS_DIRECTORY', 'LOGNAME']) t.notOk(env.has(name), `no ${name}`);
  t.equal(env.get('USER'), 'svc-user', 'USER is the server\'s own');
  t.equal(env.get('PATH'), serverEnv.PATH, 'PATH is the server\'s own');
  t.equal(env.get('HOME'), '/tmp', 'HOME is the server\'s own');
  t.notOk(env.has('SHELL'), 'SHELL: the server has none, the client\'s is ignored');
  t.equal(env.get('TERM'), 'xterm-256color', 'TERM from the client, validated and lower-cased');
  t.equal(env.get('LANG'), 'de_DE.UTF-8', 'LANG from the client, validated');
  t.equal(env.get('COLUMNS'), '90', 'COLUMNS from NAWS, not from NEW_ENVIRON');
  t.equal(env.get('LINES'), '33', 'LINES from NAWS');
});

t.test('invalid TERM and LANG from the client fall back to safe defaults', async (t) => {
  const { port } = await startServer(t, ['--pty-exec', path.join(CLI_SCRIPTS, 'print-env.sh')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const environ = environIs([[0, 'LANG', 'en_US.UTF-8;id']]);
  const out = await rawSession(port, { ttype: 'vt100 /tmp/x', environ, until: /ENV-END/ });
  const { env } = parseEnv(out);
  t.equal(env.get('TERM'), 'xterm', 'TERM: the invalid terminal type is replaced by xterm');
  t.equal(env.get('LANG'), 'en_US.UTF-8', 'LANG: the invalid value is replaced by one for the connection\'s encoding');
  for (const name of env.keys()) t.ok(ALLOWED.has(name), `${name} is an allowed name`);
});
