/**
 * The blocking server fingerprint (`fingerprintServer` from telnetlib3/sync)
 * against telnetlib3-server in a child process: the same record as the
 * async probe, returned to a blocked caller; a refused connection throws.
 */
import path from 'node:path';
import t from 'tap';
import { fingerprintServer, TelnetError } from '../../src/sync/index.js';
import { REPO_ROOT, killAll, spawnPeer } from '../helpers/peers.js';
import { serverRecordProblems } from '../helpers/fingerprint-shape.js';

t.teardown(() => killAll());

const SERVER_CLI = path.join(REPO_ROOT, 'dist', 'bin', 'telnetlib3-server.js');
const FAST = { bannerQuietTime: 300, bannerMaxWait: 2000, msspWait: 0, settle: 100, connectTimeout: 3000, totalTimeout: 15000 };

async function start(): Promise<{ port: number; stop: () => Promise<unknown> }> {
  const p = spawnPeer(process.execPath, [SERVER_CLI, '127.0.0.1', '0', '--connect-maxwait', '1'], { timeoutMs: 60000 });
  const until = Date.now() + 10000;
  for (;;) {
    const m = /Server ready on [^\s]+:(\d+)/.exec(p.stderr());
    if (m !== null) return { port: Number(m[1]), stop: () => p.stop() };
    if (Date.now() > until || p.done) throw new Error(`server did not start: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('fingerprintServer blocks and returns the record', async (t) => {
  const srv = await start();
  t.teardown(() => srv.stop());
  const a = fingerprintServer('127.0.0.1', srv.port, FAST);
  t.same(serverRecordProblems(a), [], 'documented shape');
  t.ok(a['server-probe']['fingerprint-data']['offered-options'].includes('ECHO'), 'telsh offers ECHO');
  const b = fingerprintServer('127.0.0.1', srv.port, FAST);
  t.equal(b['server-probe'].fingerprint, a['server-probe'].fingerprint, 'stable hash');
});

t.test('a refused connection throws a TelnetError', async (t) => {
  const srv = await start();
  const port = srv.port;
  await srv.stop();
  let err: unknown = null;
  try { fingerprintServer('127.0.0.1', port, FAST); } catch (e) { err = e; }
  t.type(err, TelnetError);
  t.equal((err as TelnetError).code, 'ERR_TELNET_CONNECTION_REFUSED');
});
