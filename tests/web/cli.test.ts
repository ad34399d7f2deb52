/**
 * telnetlib3-web, the bin: it serves the page and relays to the Telnet host
 * given on the command line, stops on SIGTERM with status 0, and rejects bad
 * arguments with usage.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { TELSH_HELP } from '../../src/shells/telsh.js';
import { REPO_ROOT } from '../helpers/peers.js';
import { startRecordingServer, until } from './helpers.js';
import { WebSocket } from 'ws';

const BIN = path.join(REPO_ROOT, 'dist', 'bin', 'telnetlib3-web.js');

function run(args: string[]): { out: () => string; err: () => string; exited: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { out: () => out, err: () => err, exited, kill: () => child.kill('SIGTERM') };
}

t.test('serves the page and a session; SIGTERM ends it with 0', async (t) => {
  const srv = await startRecordingServer();
  t.teardown(() => srv.close());
  const p = run(['--port', '0', '--loglevel', 'warn', '127.0.0.1', String(srv.port)]);
  t.teardown(() => p.kill());
  await until(() => /http:\/\/127\.0\.0\.1:\d+\//.test(p.out()), 20_000, 'the URL on stdout');
  const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.out())![1]!;
  t.match(p.out(), new RegExp(`-> telnet 127\\.0\\.0\\.1:${srv.port}`));
  t.equal((await fetch(url)).status, 200, 'the page');
  const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
  let text = '';
  ws.on('message', (d, bin) => { if (bin) text += String(d); });
  await until(() => text.includes('tel:sh>'), 20_000, 'the prompt');
  ws.send(JSON.stringify({ type: 'input', data: 'help\r' }));
  await until(() => text.includes(TELSH_HELP), 20_000, 'help');
  t.pass('a session through the bin');
  p.kill();
  t.equal(await p.exited, 0, 'exit 0 after SIGTERM');
  t.equal(p.err(), '');
});

t.test('bad arguments: usage and status 1', async (t) => {
  const p = run(['--max-sessions', '0', 'localhost']);
  t.equal(await p.exited, 1);
  t.match(p.err(), /max-sessions/);
  const q = run([]);
  t.equal(await q.exited, 1);
  t.match(q.err(), /telnet-host/);
});
