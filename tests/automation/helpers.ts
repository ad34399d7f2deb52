/**
 * Helpers for the automation tests: the fake router (bin/examples/fake-router.ts)
 * runs in a child process, so blocking sessions in the test's own thread can
 * talk to it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Test } from 'tap';
import { REPO_ROOT } from '../helpers/peers.js';

export const FAKE_ROUTER = path.join(REPO_ROOT, 'dist', 'bin', 'examples', 'fake-router.js');

/** Start the fake router on an ephemeral loopback port; killed at the test's end. */
export async function startFakeRouter(t: Test, username = 'admin', password = 'secret'): Promise<{ port: number; proc: ChildProcess }> {
  // Without tap's NODE_OPTIONS (its hooks slow every thread of the child); `env` execs node.
  const proc = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, FAKE_ROUTER, '127.0.0.1', '0', username, password], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL'); });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fake router did not start: ${err}`)), 30000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m !== null) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fake router exited ${code}: ${err}`)); });
  });
  return { port, proc };
}
