/**
 * The fingerprint programs: telnetlib3-fingerprint against telnetlib3-server
 * (JSON on stdout, --save-json, --data-dir layout, --set-name, --table),
 * `telnetlib3-server --shell fingerprint`, telnetlib3-fingerprint-server,
 * and `--shell relay` refusing to start unconfigured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { killAll, withTimeout } from '../helpers/peers.js';
import { clientRecordProblems, serverRecordProblems } from '../helpers/fingerprint-shape.js';
import { DIST, SERVER_CLI, node, startServer, waitFor } from './helpers.js';

t.teardown(() => killAll());

const FP_CLI = path.join(DIST, 'bin', 'telnetlib3-fingerprint.js');
const FP_SERVER_CLI = path.join(DIST, 'bin', 'telnetlib3-fingerprint-server.js');
const QUICK = ['--banner-quiet-time', '0.3', '--banner-max-wait', '2', '--mssp-wait', '0'];
const STEP = 20000;

function tmpDir(tt: Test): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-cli-'));
  tt.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Connect our client and read until the server closes. */
async function readAll(port: number): Promise<string> {
  const { reader } = await openConnection('127.0.0.1', port, { connectMaxwait: 3000, term: 'xterm' });
  return String(await withTimeout(reader.read(-1) as Promise<string>, STEP, 'read to EOF'));
}

t.test('telnetlib3-fingerprint --help', async (t) => {
  const p = node(t, FP_CLI, ['--help']);
  const exit = await withTimeout(p.exited, STEP, 'exit');
  t.equal(exit.code, 0);
  for (const f of ['--banner-max-bytes', '--banner-max-wait', '--banner-quiet-time', '--save-json', '--data-dir', '--scan-type', '--set-name', '--silent', '--ttype', '--send-env', '--mssp-wait']) {
    t.match(p.stdout(), f, `lists ${f}`);
  }
});

t.test('telnetlib3-fingerprint against telnetlib3-server: JSON, --save-json, --data-dir, --set-name, --table', async (t) => {
  const dir = tmpDir(t);
  const { port } = await startServer(t, []);
  const out = path.join(dir, 'one.json');
  const p = node(t, FP_CLI, ['127.0.0.1', String(port), ...QUICK, '--save-json', out]);
  const exit = await withTimeout(p.exited, STEP, 'fingerprint exit');
  t.equal(exit.code, 0, `exit 0 (${p.stderr().slice(-300)})`);
  const printed = JSON.parse(p.stdout());
  const saved = JSON.parse(fs.readFileSync(out, 'utf8'));
  t.same(serverRecordProblems(saved), [], 'saved record has the documented shape');
  t.equal(printed['server-probe'].fingerprint, saved['server-probe'].fingerprint, 'printed and saved agree');
  t.notOk('syncterm_font' in printed['server-probe'].session_data, 'printed record leaves out what is absent');
  t.notOk('looped' in printed['server-probe'].session_data.loop_detection, 'and empty lists (culled for display)');

  const dataDir = path.join(dir, 'data');
  const q = node(t, FP_CLI, ['127.0.0.1', String(port), ...QUICK, '--data-dir', dataDir, '--set-name', 'telsh', '--table']);
  const exit2 = await withTimeout(q.exited, STEP, 'fingerprint exit');
  t.equal(exit2.code, 0, `exit 0 (${q.stderr().slice(-300)})`);
  const hash = saved['server-probe'].fingerprint;
  t.match(q.stdout(), /telnetlib3 server fingerprint/, '--table prints the summary');
  t.match(q.stdout(), hash, 'with the same hash');
  const files = jsonFiles(path.join(dataDir, 'server'));
  t.equal(files.length, 1, 'one record under server/');
  t.equal(path.basename(path.dirname(files[0]!)), hash, 'server/<protocol-hash>/<session-hash>.json');
  t.same(JSON.parse(fs.readFileSync(path.join(dataDir, 'fingerprint_names.json'), 'utf8')), { [hash]: 'telsh' }, '--set-name');
});

t.test('telnetlib3-fingerprint: connection refused is "Error: ..." and exit 1', async (t) => {
  const { port, proc } = await startServer(t, []);
  proc.kill();
  await proc.exited;
  const p = node(t, FP_CLI, ['127.0.0.1', String(port), '--connect-timeout', '2']);
  const exit = await withTimeout(p.exited, STEP, 'exit');
  t.equal(exit.code, 1);
  t.match(p.stderr(), /^Error: /m);
});

t.test('telnetlib3-server --shell fingerprint saves under $TELNETLIB3_DATA_DIR', async (t) => {
  const dir = tmpDir(t);
  const { port } = await startServer(t, ['--shell', 'fingerprint'], { env: { ...process.env, TELNETLIB3_DATA_DIR: dir } });
  const shown = await readAll(port);
  t.match(shown, /telnetlib3 client fingerprint/, 'summary shown');
  const files = jsonFiles(path.join(dir, 'client'));
  t.equal(files.length, 1, 'one client record');
  const rec = JSON.parse(fs.readFileSync(files[0]!, 'utf8'));
  t.same(clientRecordProblems(rec), [], 'documented shape');
  t.equal(path.relative(dir, files[0]!).split(path.sep).length, 4, 'client/<telnet-hash>/<terminal-hash>/<session-hash>.json');
});

t.test('telnetlib3-fingerprint-server', async (t) => {
  const dir = tmpDir(t);
  const proc = node(t, FP_SERVER_CLI, ['127.0.0.1', '0', '--data-dir', dir, '--connect-maxwait', '1']);
  const m = await waitFor(() => proc.stderr(), /ready on [^\s]+:(\d+)/, 10000, 'start', proc);
  const shown = await readAll(Number(m[1]));
  t.match(shown, /telnetlib3 client fingerprint/);
  t.equal(jsonFiles(path.join(dir, 'client')).length, 1, 'saved under --data-dir');
  const exit = await withTimeout(proc.stop(5000), STEP, 'exit');
  t.equal(exit.code, 0, 'exits 0 on SIGTERM');
});

t.test('telnetlib3-fingerprint-server --proxy-protocol records the address from the PROXY header', async (t) => {
  const dir = tmpDir(t);
  const proc = node(t, FP_SERVER_CLI, ['127.0.0.1', '0', '--data-dir', dir, '--connect-maxwait', '1', '--proxy-protocol', '--proxy-from', '127.0.0.1']);
  const m = await waitFor(() => proc.stderr(), /ready on [^\s]+:(\d+)/, 10000, 'start', proc);
  // A balancer in front of it: the header, then the client's bytes both ways.
  const net = await import('node:net');
  const balancer = net.createServer((client) => {
    const up = net.connect({ host: '127.0.0.1', port: Number(m[1]) });
    up.write('PROXY TCP4 198.51.100.20 127.0.0.1 50123 23\r\n');
    client.pipe(up);
    up.pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => balancer.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => balancer.close());
  const shown = await readAll((balancer.address() as { port: number }).port);
  t.match(shown, /telnetlib3 client fingerprint/);
  const files = jsonFiles(path.join(dir, 'client'));
  t.equal(files.length, 1, 'one record');
  const rec = JSON.parse(fs.readFileSync(files[0]!, 'utf8'));
  t.equal(rec.sessions?.[0]?.ip, '198.51.100.20', 'the client behind the balancer, not the balancer');
  t.match(proc.stderr(), /PROXY v1 via 127\.0\.0\.1/, 'logged as proxied');
  const exit = await withTimeout(proc.stop(5000), STEP, 'exit');
  t.equal(exit.code, 0);
});

t.test('--shell relay needs its target and passcode', async (t) => {
  const env = { ...process.env };
  delete env.TELNETLIB3_RELAY_TARGET;
  delete env.TELNETLIB3_RELAY_PASSCODE;
  const p = node(t, SERVER_CLI, ['127.0.0.1', '0', '--shell', 'relay'], { env });
  const exit = await withTimeout(p.exited, STEP, 'exit');
  t.equal(exit.code, 1);
  t.match(p.stderr(), /TELNETLIB3_RELAY_TARGET/);
});
