/** The three router examples (async, blocking, telnet-client API) against the fake router: the same facts from each. */
import path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../helpers/peers.js';
import { type ChildResult, runChild } from '../helpers/run-child.js';
import { startFakeRouter } from './helpers.js';

const EXAMPLES = path.join(REPO_ROOT, 'dist', 'bin', 'examples');

function run(script: string, args: string[]): Promise<ChildResult> {
  return runChild('env', ['-u', 'NODE_OPTIONS', process.execPath, path.join(EXAMPLES, script), ...args]);
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
