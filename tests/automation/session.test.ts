/**
 * Session (async) and BlockingSession (blocking) against the fake router in
 * a child process: login, exec with pager, a prompt that changes, a slow
 * command timing out with its partial output, a failed login, transcripts.
 */
import t from 'tap';
import { BlockingSession, LoginFailedError, Session, SessionTimeoutError } from '../../src/automation/index.js';
import { startFakeRouter } from './helpers.js';

const PROMPT = /[\w.-]+(?:\([\w-]+\))?#$/;

t.test('async Session', async (t) => {
  const { port } = await startFakeRouter(t);
  const log: string[] = [];
  const s = await Session.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 15000, transcript: (d, x) => log.push(`${d}:${x}`) });
  t.teardown(() => s.close());
  const login = await s.login({ username: 'admin', password: 'secret' });
  t.equal(login.prompt, 'Router#');
  t.equal(await s.exec('show clock'), '*12:00:00.000 UTC Mon Dec 7 2026');
  const ver = await s.exec('show version');
  t.match(ver, /^Cisco IOS Software/);
  t.match(ver, /Router uptime is 1 week/);
  const run = await s.execFull('show running-config');
  t.equal(run.pages, 2, 'two pager prompts answered');
  t.notMatch(run.output, /More|\x08/);
  t.equal(run.output.split('\n').length, 52);
  t.match(run.output, /\n interface GigabitEthernet0\/1|\ninterface GigabitEthernet0\/1\n description uplink 1\n/);
  // The prompt changes: configuration mode, then a new hostname.
  const conf = await s.execFull('configure terminal');
  t.equal(conf.prompt, 'Router(config)#');
  t.equal((await s.execFull('hostname edge1')).prompt, 'edge1(config)#');
  t.equal((await s.execFull('end')).prompt, 'edge1#');
  // A slow command times out with what arrived; the session goes on.
  // Generous numbers: the echo comes at once, the answer only after 4 s (the box may be loaded).
  const err = await s.exec('slow 4000', { timeout: 1500 }).catch((e: unknown) => e);
  t.type(err, SessionTimeoutError);
  t.equal((err as SessionTimeoutError).code, 'ERR_TELNET_TIMEOUT');
  t.equal((err as SessionTimeoutError).partial, 'slow 4000\r\n');
  t.equal(await s.waitFor(PROMPT, { timeout: 20000 }), 'done\r\nedge1#');
  t.equal(await s.send('echo hi', { waitFor: PROMPT }), 'echo hi\r\nhi\r\nedge1#');
  t.ok(log.some((l) => l === 'send:admin\n'));
  t.ok(log.some((l) => l.startsWith('recv:') && l.includes('User Access Verification')));
});

t.test('async Session: failed login', async (t) => {
  const { port } = await startFakeRouter(t);
  const s = await Session.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 15000 });
  t.teardown(() => s.close());
  const err = await s.login({ username: 'admin', password: 'wrong' }).catch((e: unknown) => e);
  t.type(err, LoginFailedError);
  t.equal((err as LoginFailedError).code, 'ERR_TELNET_LOGIN_FAILED');
  t.match((err as LoginFailedError).text, /Login invalid/);
});

t.test('BlockingSession: same dialogue, blocking', async (t) => {
  const { port } = await startFakeRouter(t);
  const s = BlockingSession.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 15000 });
  t.teardown(() => s.close());
  t.equal(s.login({ username: 'admin', password: 'secret' }).prompt, 'Router#');
  t.equal(s.exec('show clock'), '*12:00:00.000 UTC Mon Dec 7 2026');
  const brief = s.exec('show ip interface brief').split('\n');
  t.equal(brief.length, 5);
  t.match(brief[1], /^GigabitEthernet0\/0\s+192\.0\.2\.1/);
  const run = s.execFull('show running-config');
  t.equal(run.pages, 2);
  t.equal(run.output.split('\n').length, 52);
  t.equal(s.execFull('configure terminal').prompt, 'Router(config)#');
  t.equal(s.execFull('end').prompt, 'Router#');
  let err: unknown;
  try { s.exec('slow 4000', { timeout: 1500 }); } catch (e) { err = e; }
  t.type(err, SessionTimeoutError);
  t.equal((err as SessionTimeoutError).partial, 'slow 4000\r\n');
  t.equal(s.waitFor(PROMPT, { timeout: 20000 }), 'done\r\nRouter#');
  let failed: unknown;
  const s2 = BlockingSession.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 15000 });
  try { s2.login({ username: 'x', password: 'y' }); } catch (e) { failed = e; }
  s2.close();
  t.type(failed, LoginFailedError);
});

t.test('both sessions refuse a byte connection (encoding: false) with a usage error', async (t) => {
  const { port } = await startFakeRouter(t);
  t.throws(() => BlockingSession.connect('127.0.0.1', port, { prompt: PROMPT, encoding: false }), { code: 'ERR_TELNET_USAGE', message: /text connection/ });
  const { TelnetConnection } = await import('../../src/sync/index.js');
  const raw = new TelnetConnection<Buffer>('127.0.0.1', port, { encoding: false, timeout: 5000 });
  raw.connect();
  t.teardown(() => raw.close());
  t.equal(raw.binary, true);
  t.throws(() => new BlockingSession(raw as never), { message: /text connection/ });
  await t.rejects(Session.connect('127.0.0.1', port, { prompt: PROMPT, encoding: false }), { message: /text connection/ });
});
