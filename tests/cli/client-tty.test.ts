/**
 * telnetlib3-client in a real terminal (tmux): against our server (a probe
 * shell that reports what arrives) and against busybox telnetd. Covers the
 * local mode following the server (character mode with WILL ECHO + WILL
 * SGA, software echo with SGA only, line mode with neither) as seen in the
 * line ends on the wire, the ^] menu (send ayt, mode line/auto, quit),
 * resizing propagating NAWS, and the terminal restored afterwards (stty -g
 * identical before and after).
 */
import path from 'node:path';
import t, { type Test } from 'tap';
import { freePort, killAll, needPeer, peer, peersInstalled, spawnPeer, waitListening } from '../helpers/peers.js';
import { CLIENT_CLI, CLI_FIXTURES, CLI_SCRIPTS, Tmux, shq, startServer, tmuxPath } from './helpers.js';

t.teardown(() => killAll());

const STEP = 6000;
const tmux = tmuxPath();
const busyboxd = peer('busybox-telnetd');

function skipWithoutTmux(): { skip?: string; timeout: number } {
  if (tmux !== null || peersInstalled()) return { timeout: 40000 };
  return { skip: 'tmux not installed (run: sudo bash .ci/install-peers)', timeout: 40000 };
}

/** The client in tmux, recording `stty -g` before and after it and its exit status. */
function startClient(t: Test, port: number, extra: string[] = []): Tmux {
  if (tmux === null) throw new Error('tmux missing although .ci/install-peers ran');
  const client = [process.execPath, CLIENT_CLI, '127.0.0.1', String(port), ...extra].map(shq).join(' ');
  return Tmux.start(t, tmux, (dir) => {
    const d = shq(dir);
    return `sh -c ${shq(`stty -g > ${d}/before; ${client}; echo "EXIT=$?"; stty -g > ${d}/after; exec sleep 120`)}`;
  });
}

t.test('against our server: modes follow the server, ^] menu, NAWS on resize, terminal restored', skipWithoutTmux(), async (t) => {
  const { port } = await startServer(t, ['--shell', `${path.join(CLI_FIXTURES, 'probe-shell.js')}:shell`]);
  const tm = startClient(t, port);
  await tm.expect(/Escape character is '\^\]'\./, STEP, 'escape message');
  await tm.expect(/probe ready\s+probe>/, STEP, 'probe prompt');

  // WILL ECHO + WILL SGA: character mode; BINARY is on, so Enter goes as a bare CR.
  tm.type('size');
  tm.keys('Enter');
  await tm.expect(/got "size" end=CR\s+size 80x24/, STEP, 'character mode, size from NAWS');

  tm.resize(100, 30);
  await tm.expect(/\[naws 100x30\]/, STEP, 'resize sent by NAWS');

  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape prompt');
  tm.type('send ayt');
  tm.keys('Enter');
  await tm.expect(/sent AYT\.[\s\S]*\[got AYT\]/, STEP, 'AYT from the menu');

  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape prompt');
  tm.type('mode line');
  tm.keys('Enter');
  await tm.expect(/mode line\./, STEP, 'forced line mode');
  tm.type('hello');
  tm.keys('Enter');
  await tm.expect(/got "hello" end=CRLF/, STEP, 'line mode sends CR LF');

  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape prompt');
  tm.type('mode auto');
  tm.keys('Enter');
  await tm.expect(/mode auto \(now raw\)\./, STEP, 'back to following the server');

  // The server stops echoing (WILL SGA only): character mode with local echo.
  tm.type('echo off');
  tm.keys('Enter');
  await tm.expect(/got "echo off" end=CR\b/, STEP, 'echo off');
  tm.type('abc');
  await tm.expect(/probe> ?abc/, STEP, 'typed text echoed locally (the server no longer echoes)');
  tm.keys('Enter');
  await tm.expect(/got "abc" end=CR\s/, STEP, 'still character mode');

  // Neither ECHO nor SGA: line mode with local echo.
  tm.type('sga off');
  tm.keys('Enter');
  // The next prompt first: text typed before it arrives would be echoed ahead of it.
  await tm.expect(/got "sga off" end=CR\s+probe>/, STEP, 'sga off');
  tm.type('xyz');
  tm.keys('Enter');
  await tm.expect(/xyz\s+got "xyz" end=CRLF/, STEP, 'line mode, echoed by the terminal');

  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape prompt');
  tm.type('status');
  tm.keys('Enter');
  await tm.expect(/Local mode: line \(following the server\)\./, STEP, 'status');

  tm.keys('C-]');
  await tm.expect(/telnet>/, STEP, 'escape prompt');
  tm.type('quit');
  tm.keys('Enter');
  await tm.expect(/Connection closed\.\s+EXIT=0/, STEP, 'quit: exit 0');
  await waitForFile(tm, 'after');
  t.equal(tm.read('after'), tm.read('before'), 'terminal settings restored exactly (stty -g)');
});

t.test('robot check through a real terminal: the cursor report passes in character mode', skipWithoutTmux(), async (t) => {
  const { port } = await startServer(t, ['--robot-check']);
  const tm = startClient(t, port);
  await tm.expect(/Ready\.\s+tel:sh>/, STEP, 'telsh after the robot check');
  tm.type('quit');
  tm.keys('Enter');
  await tm.expect(/Goodbye\.[\s\S]*Connection closed by foreign host\.\s+EXIT=0/, STEP, 'server closed: exit 0');
  await waitForFile(tm, 'after');
  t.equal(tm.read('after'), tm.read('before'), 'terminal restored');
});

t.test('against busybox telnetd: character mode, NAWS on resize, foreign close restores the terminal', { ...skipWithoutTmux(), skip: skipWithoutTmux().skip ?? busyboxd.skip }, async (t) => {
  const bb = needPeer(t, busyboxd);
  if (bb === null) return;
  const port = await freePort();
  const d = spawnPeer(bb, ['telnetd', '-F', '-K', '-f', '/dev/null', '-b', '127.0.0.1', '-p', String(port), '-l', path.join(CLI_SCRIPTS, 'size_login.sh')],
    { timeoutMs: 40000 });
  t.teardown(() => d.kill());
  await waitListening(port, 5000, d);
  const tm = startClient(t, port);
  await tm.expect(/READY/, STEP, 'login program started');
  tm.type('size');
  tm.keys('Enter');
  await tm.expect(/size: 24 80/, STEP, 'initial size by NAWS');
  tm.resize(100, 30);
  await new Promise((r) => setTimeout(r, 300));
  tm.type('size');
  tm.keys('Enter');
  await tm.expect(/size: 30 100/, STEP, 'resize reached the pty by NAWS');
  tm.type('hello');
  tm.keys('Enter');
  await tm.expect(/echo: hello/, STEP, 'line through');
  tm.type('quit');
  tm.keys('Enter');
  await tm.expect(/BYE[\s\S]*Connection closed by foreign host\.\s+EXIT=0/, STEP, 'foreign close: exit 0');
  await waitForFile(tm, 'after');
  t.equal(tm.read('after'), tm.read('before'), 'terminal restored');
});

async function waitForFile(tm: Tmux, name: string): Promise<void> {
  const until = Date.now() + STEP;
  for (;;) {
    try {
      if (tm.read(name).length > 0) return;
    } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`${name} not written`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
