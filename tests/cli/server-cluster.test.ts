/**
 * telnetlib3-server --workers N (src/cluster.ts, bin/server-cluster.ts):
 * two worker processes share the port, clients are spread over both and
 * the status log counts them per worker; a worker killed mid-run is
 * replaced while the other keeps serving; SIGTERM to the primary alone
 * drains every worker and exits 0.
 */
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { killAll, withTimeout } from '../helpers/peers.js';
import { startServer, waitFor } from './helpers.js';

t.teardown(() => killAll());

async function telsh(port: number): Promise<TelnetStreams> {
  const c = await openConnection('127.0.0.1', port, { connectMaxwait: 2000, connectTimeout: 10000 });
  let text = '';
  const end = Date.now() + 15000;
  while (!text.includes('tel:sh>')) {
    if (Date.now() > end) throw new Error(`no telsh prompt; got ${JSON.stringify(text)}`);
    const chunk = await withTimeout(c.reader.read(4096) as Promise<string>, 15000, 'prompt');
    if (!chunk) throw new Error(`EOF before the prompt; got ${JSON.stringify(text)}`);
    text += chunk;
  }
  return c;
}

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

t.test('--workers 2: shared port, clients per worker, a dead worker replaced, SIGTERM drains', { timeout: 90000 }, async (t) => {
  const { proc, port } = await startServer(t, ['--workers', '2', '--status-interval', '0.2', '--timeout', '0']);
  const log = (): string => proc.stderr();
  await waitFor(log, /Server ready on 127\.0\.0\.1:\d+ \(2 workers\)/, 20000, 'primary ready', proc);
  const pids = [...log().matchAll(/worker (\d+) \(pid (\d+)\) listening/g)].map((m) => ({ id: Number(m[1]), pid: Number(m[2]) }));
  t.equal(pids.length, 2, 'two workers listening');

  const clients: TelnetStreams[] = [];
  for (let i = 0; i < 4; i++) clients.push(await telsh(port));
  t.teardown(() => { for (const c of clients) c.writer.close(); });
  const st = await waitFor(log, /Status: 4 client\(s\) in 2 worker\(s\): worker \d+ \(pid \d+\): (\d+), worker \d+ \(pid \d+\): (\d+)/,
    15000, 'status with 4 clients', proc);
  t.ok(Number(st[1]) >= 1 && Number(st[2]) >= 1, `both workers serve (${st[1]} + ${st[2]})`);

  // Kill the first worker: its clients drop, the other worker's stay, new connections are served.
  process.kill(pids[0]!.pid, 'SIGKILL');
  await waitFor(log, new RegExp(`worker ${pids[0]!.id} \\(pid ${pids[0]!.pid}\\) died \\(signal SIGKILL\\)`), 15000, 'death logged', proc);
  const fresh = await telsh(port);
  clients.push(fresh);
  fresh.writer.write('help\r');
  t.pass('a new connection gets telsh while a worker is down or being replaced');
  await waitFor(log, /worker 3 \(pid (\d+)\) listening/, 20000, 'replacement', proc);

  // SIGTERM to the primary only: every worker drains and exits, then the primary exits 0.
  const live = [...log().matchAll(/worker (\d+) \(pid (\d+)\) listening/g)].map((m) => Number(m[2])).filter(alive);
  t.equal(live.length, 2, 'two workers again');
  proc.child.kill('SIGTERM');
  const exit = await withTimeout(proc.exited, 20000, 'primary exit');
  t.equal(exit.code, 0, 'exit status 0');
  t.match(log(), /SIGTERM received, draining 2 worker\(s\)/);
  for (const pid of live) t.notOk(alive(pid), `worker pid ${pid} is gone`);
});

t.test('--proxy-from without --proxy-protocol is a usage error', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { SERVER_CLI } = await import('./helpers.js');
  const r = spawnSync(process.execPath, [SERVER_CLI, '--proxy-from', '10.0.0.1'], { encoding: 'utf8', timeout: 20000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /--proxy-from needs --proxy-protocol/);
});

t.test('--help lists --workers, --proxy-protocol and --proxy-from', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { SERVER_CLI } = await import('./helpers.js');
  const r = spawnSync(process.execPath, [SERVER_CLI, '--help'], { encoding: 'utf8', timeout: 20000 });
  t.equal(r.status, 0);
  for (const flag of ['--workers <n>', '--proxy-protocol', '--proxy-from <addrs>']) t.match(r.stdout, flag);
});
