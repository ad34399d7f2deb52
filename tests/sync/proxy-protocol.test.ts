/**
 * The blocking server takes `proxyProtocol` too: the engine thread reads the
 * PROXY header, so `accept()` hands out a connection whose address is the
 * header's client. The client is a separate process (accept() blocks this
 * thread). The engine thread logs refusals to stderr (`logLevel`): those
 * servers run in a child process (fixtures/proxy-log-server.ts).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { BlockingTelnetServer } from '../../src/sync/index.js';
import { HOST } from './helpers.js';

t.test('accept(): address and port come from the PROXY header', (t) => {
  const s = new BlockingTelnetServer(HOST, 0, { proxyProtocol: true, proxyFrom: ['127.0.0.1'], connectMaxwait: 200, timeout: 0 });
  t.teardown(() => s.shutdown());
  s.start();
  const script = `const s = require('node:net').connect(${s.port}, '${HOST}', () => s.write('PROXY TCP4 192.0.2.44 127.0.0.1 4444 23\\r\\nhi\\r\\n'));
    s.on('error', () => {}); setTimeout(() => process.exit(0), 20000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  t.teardown(() => { child.kill(); });
  const conn = s.accept(20000);
  t.equal(conn.address, '192.0.2.44');
  t.equal(conn.port, 4444);
  t.match(conn.getExtraInfo('proxy'), { version: 1, command: 'proxy', via: { address: '127.0.0.1' } });
  t.match(String(conn.readline(10000)), /^hi/);
  conn.close();
  t.end();
});

/** The fixture server in a child process: its JSON lines and its stderr (`readStderr: false`: a pipe nobody reads). */
function startLogServer(level: string, mode: 'telnet' | 'raw', readStderr = true) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/proxy-log-server.js', import.meta.url)), level, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!readStderr) child.stderr!.pause();
  let stdout = '';
  let stderr = '';
  const events: Array<Record<string, unknown>> = [];
  let changed: () => void = () => {};
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    let nl: number;
    while ((nl = stdout.indexOf('\n')) !== -1) { events.push(JSON.parse(stdout.slice(0, nl))); stdout = stdout.slice(nl + 1); }
    changed();
  });
  if (readStderr) child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); changed(); });
  const until = (what: string, check: () => boolean, ms = 10000): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`)), ms);
    const test = (): void => { if (check()) { clearTimeout(timer); changed = () => {}; resolve(); } };
    changed = test;
    test();
  });
  return { child, events, stderr: () => stderr, until };
}

/** Connect, send `bytes`, and resolve once the server closed the socket. */
function sendAndWaitClose(port: number, bytes: string | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST, () => { if (bytes !== null) s.write(bytes); });
    s.resume();
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

const GOOD = 'PROXY TCP4 192.0.2.7 127.0.0.1 7777 23\r\n';

for (const mode of ['telnet', 'raw'] as const) {
  t.test(`${mode}: a refused PROXY header is a WARN line with its code on stderr, and the server goes on`, async (t) => {
    const srv = startLogServer('-', mode);
    t.teardown(() => { srv.child.kill('SIGKILL'); });
    await srv.until('port', () => srv.events.length > 0);
    const port = srv.events[0]!.port as number;
    await sendAndWaitClose(port, 'HELLO there\r\n');
    await srv.until('the missing-header warning', () => /ERR_TELNET_PROXY_MISSING/.test(srv.stderr()));
    t.match(srv.stderr(), /^WARN proxy protocol: connection refused, ERR_TELNET_PROXY_MISSING: 127\.0\.0\.1:\d+: no PROXY header/m);
    await sendAndWaitClose(port, 'PROXY TCP4 not-an-address 127.0.0.1 1 23\r\n');
    await srv.until('the malformed warning', () => /ERR_TELNET_PROXY_MALFORMED/.test(srv.stderr()));
    t.match(srv.stderr(), /^WARN proxy protocol: connection refused, ERR_TELNET_PROXY_MALFORMED: /m);
    await sendAndWaitClose(port, null); // says nothing: refused after proxyTimeout
    await srv.until('the timeout warning', () => /ERR_TELNET_PROXY_TIMEOUT/.test(srv.stderr()));
    t.match(srv.stderr(), /^WARN proxy protocol: connection refused, ERR_TELNET_PROXY_TIMEOUT: .*within 500 ms/m);
    const good = net.connect(port, HOST, () => good.write(`${GOOD}hi\r\n`));
    good.on('error', () => {});
    t.teardown(() => { good.destroy(); });
    await srv.until('the accepted connection', () => srv.events.some((e) => e.ev === 'accepted'));
    t.match(srv.events.find((e) => e.ev === 'accepted'), { address: '192.0.2.7', port: 7777 });
    t.notMatch(srv.stderr(), /^INFO /m, 'nothing below warn by default');
  });
}

t.test('a standard error nobody reads does not stall the server: 1,500 refusals, then a good header is served', async (t) => {
  const srv = startLogServer('-', 'telnet', false);
  t.teardown(() => { srv.child.kill('SIGKILL'); });
  await srv.until('port', () => srv.events.length > 0);
  const port = srv.events[0]!.port as number;
  // About 200 KB of WARN lines: three times what a pipe holds before its writer blocks.
  for (let i = 0; i < 1500; i++) await sendAndWaitClose(port, 'HELLO there\r\n');
  const good = net.connect(port, HOST, () => good.write(`${GOOD}hi\r\n`));
  good.on('error', () => {});
  t.teardown(() => { good.destroy(); });
  await srv.until('the accepted connection', () => srv.events.some((e) => e.ev === 'accepted'), 20000);
  t.match(srv.events.find((e) => e.ev === 'accepted'), { address: '192.0.2.7', port: 7777 });
});

t.test("logLevel 'silent': the same refusal writes nothing", async (t) => {
  const srv = startLogServer('silent', 'telnet');
  t.teardown(() => { srv.child.kill('SIGKILL'); });
  await srv.until('port', () => srv.events.length > 0);
  const port = srv.events[0]!.port as number;
  await sendAndWaitClose(port, 'HELLO there\r\n');
  const good = net.connect(port, HOST, () => good.write(`${GOOD}hi\r\n`));
  good.on('error', () => {});
  t.teardown(() => { good.destroy(); });
  await srv.until('the accepted connection', () => srv.events.some((e) => e.ev === 'accepted'));
  t.equal(srv.stderr(), '', 'no log line');
});

t.test("logLevel 'info' adds the connection lines", async (t) => {
  const srv = startLogServer('info', 'telnet');
  t.teardown(() => { srv.child.kill('SIGKILL'); });
  await srv.until('port', () => srv.events.length > 0);
  const port = srv.events[0]!.port as number;
  const good = net.connect(port, HOST, () => good.write(`${GOOD}hi\r\n`));
  good.on('error', () => {});
  t.teardown(() => { good.destroy(); });
  await srv.until('the connection line', () => /^INFO connection from 192\.0\.2\.7:7777/m.test(srv.stderr()));
  t.pass('INFO line names the header\'s client');
});

t.test('an unknown logLevel is a usage error at start()', (t) => {
  const s = new BlockingTelnetServer(HOST, 0, { logLevel: 'loud' as never });
  t.throws(() => s.start(), { code: 'ERR_TELNET_BAD_OPTION', message: /logLevel must be one of trace, debug, info, warn, error, silent/ });
  t.end();
});
