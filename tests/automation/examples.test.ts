/** The three router examples (async, blocking, telnet-client API) against the fake router: the same facts from each. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../helpers/peers.js';
import { startFakeRouter } from './helpers.js';

const EXAMPLES = path.join(REPO_ROOT, 'dist', 'bin', 'examples');

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, path.join(EXAMPLES, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

t.test('router-async, router-blocking and router-telnet-client agree', async (t) => {
  const { port } = await startFakeRouter(t);
  const results = await Promise.all(['router-async.js', 'router-blocking.js', 'router-telnet-client.js'].map((s) => run(s, ['127.0.0.1', String(port), 'admin', 'secret'])));
  for (const r of results) t.equal(r.code, 0, r.stderr);
  const facts = JSON.parse(results[0]!.stdout);
  t.equal(facts.version, '15.2(4)M7');
  t.equal(facts.hostname, 'Router');
  t.equal(facts.configLines, 52);
  t.same(facts.interfaces.map((i: { status: string }) => i.status), ['up', 'up', 'administratively down', 'up']);
  t.equal(results[1]!.stdout, results[0]!.stdout, 'blocking = async');
  t.equal(results[2]!.stdout, results[0]!.stdout, 'telnet-client API = async');
});
