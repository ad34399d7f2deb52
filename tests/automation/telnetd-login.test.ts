/**
 * Session and BlockingSession against real telnetds with a real login
 * (/bin/login): inetutils telnetd (through tcpserver) and busybox telnetd.
 * A throwaway user is created (useradd, chpasswd) and removed afterwards;
 * that needs root, so without root (or without the peers, when
 * .ci/install-peers never ran here) the tests skip with the reason.
 * Covers: login, exec output without echo and prompt, a prompt that
 * changes (PS1), and a failed login ("Login incorrect").
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { BlockingSession, LoginFailedError, Session } from '../../src/automation/index.js';
import { Telnet } from '../../compat/telnet-client.js';
import { freePort, killAll, needPeer, peer, peerTestOptions, spawnPeer, waitListening } from '../helpers/peers.js';

t.teardown(() => killAll());

const TEST_MS = 90_000;
const inetutilsd = peer('inetutils-telnetd');
const tcpserver = peer('tcpserver');
const busyboxd = peer('busybox-telnetd');

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canAddUsers = isRoot && spawnSync('sh', ['-c', 'command -v useradd && command -v chpasswd && command -v userdel'], { encoding: 'utf8' }).status === 0;
const rootSkip = canAddUsers ? false : 'needs root with useradd/chpasswd/userdel to create a throwaway login user';

const USER = `tl3auto${process.pid % 100000}`;
const PASSWORD = `Pw-${process.pid}-${Date.now() % 100000}!`;
const PROMPT = new RegExp(`${USER}\\$ $`);

function run(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.status}`);
}

let userMade = false;
/** Create the user once for the whole file; it is removed when the file's tests end. */
function makeUser(): void {
  if (userMade) return;
  run('useradd', ['-m', '-s', '/bin/sh', USER]);
  userMade = true;
  t.teardown(() => {   // the file's root test: after every subtest
    spawnSync('pkill', ['-KILL', '-u', USER], { timeout: 5000 }); // the throwaway user's own processes only
    spawnSync('userdel', ['-r', '-f', USER], { encoding: 'utf8', timeout: 20000 });
  });
  run('chpasswd', [], `${USER}:${PASSWORD}\n`);
  writeFileSync(`/home/${USER}/.profile`, `PS1='${USER}$ '; export PS1\n`);
}

async function inetutils(t: Test): Promise<number | null> {
  const telnetd = needPeer(t, inetutilsd);
  const tcpsrv = needPeer(t, tcpserver);
  if (telnetd === null || tcpsrv === null) return null;
  const port = await freePort();
  const proc = spawnPeer(tcpsrv, ['-R', '-H', '-l', 'localhost', '-c', '4', '127.0.0.1', String(port), telnetd, '-h'], { timeoutMs: TEST_MS - 1000 });
  await waitListening(port, 15000, proc);
  return port;
}

async function busybox(t: Test): Promise<number | null> {
  const bb = needPeer(t, busyboxd);
  if (bb === null) return null;
  const port = await freePort();
  const proc = spawnPeer(bb, ['telnetd', '-F', '-K', '-f', '/dev/null', '-b', '127.0.0.1', '-p', String(port), '-l', '/bin/login'], { timeoutMs: TEST_MS - 1000 });
  await waitListening(port, 15000, proc);
  return port;
}

const SERVERS: Array<[string, (t: Test) => Promise<number | null>, ReturnType<typeof peer>[]]> = [
  ['inetutils telnetd', inetutils, [inetutilsd, tcpserver]],
  ['busybox telnetd', busybox, [busyboxd]],
];

for (const [name, start, peers] of SERVERS) {
  const opts = rootSkip === false ? peerTestOptions(TEST_MS, ...peers) : { skip: rootSkip, timeout: TEST_MS };

  t.test(`${name}: async Session logs in, runs commands, follows a changed prompt`, opts, async (t) => {
    makeUser();
    const port = await start(t);
    if (port === null) return;
    const s = await Session.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 30000 });
    t.teardown(() => s.close());
    const login = await s.login({ username: USER, password: PASSWORD });
    t.equal(login.prompt, `${USER}$ `);
    t.equal(await s.exec('echo hello; id -un'), `hello\n${USER}`);
    t.equal(await s.exec("printf 'a\\nb\\n'"), 'a\nb', 'exec output: no echo, no prompt');
    s.prompt = /changed> $/;
    const changed = await s.execFull("PS1='changed> '");
    t.equal(changed.prompt, 'changed> ');
    t.equal(changed.output, '');
    t.equal(await s.exec('echo $((6*7))'), '42');
  });

  t.test(`${name}: BlockingSession logs in and runs commands`, opts, async (t) => {
    makeUser();
    const port = await start(t);
    if (port === null) return;
    const s = BlockingSession.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 30000 });
    t.teardown(() => s.close());
    s.login({ username: USER, password: PASSWORD });
    t.equal(s.exec('id -un'), USER);
    t.equal(s.exec('seq 3'), '1\n2\n3');
  });

  t.test(`${name}: the telnet-client drop-in logs in and runs a command`, opts, async (t) => {
    makeUser();
    const port = await start(t);
    if (port === null) return;
    const c = new Telnet();
    t.teardown(() => c.destroy());
    await c.connect({ host: '127.0.0.1', port, username: USER, password: PASSWORD, shellPrompt: PROMPT, timeout: 30000, execTimeout: 30000 });
    t.equal(await c.exec('id -un'), `${USER}\n`, "telnet-client's result: the prompt line left empty");
  });

  t.test(`${name}: a wrong password is a LoginFailedError`, opts, async (t) => {
    makeUser();
    const port = await start(t);
    if (port === null) return;
    const s = await Session.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 30000 });
    t.teardown(() => s.close());
    const err = await s.login({ username: USER, password: 'wrong password' }).catch((e: unknown) => e);
    t.type(err, LoginFailedError);
    t.match((err as LoginFailedError).text, /incorrect/i);
  });
}
