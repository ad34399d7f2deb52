/**
 * The gateway from a Node WebSocket client: the session protocol (status,
 * mode, output as binary frames, input, resize -> NAWS), the limits (Origin,
 * path, max sessions, idle timeout, backpressure against a reader that stops
 * reading), a Telnet host that is down, and bad input (oversized frames,
 * binary garbage, bad JSON, 1,000 connects and disconnects) after which the
 * gateway still serves with bounded memory.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import { WebSocket } from 'ws';
import { TELSH_HELP } from '../../src/shells/telsh.js';
import { Opt } from '../../src/protocol/constants.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { deadPort, startGateway, startRecordingServer, until, wsClient } from './helpers.js';

const STEP = 20_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMiB(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

t.test('a session: status, mode, output, input, resize', async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port);
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const c = wsClient(gw, '?cols=91&rows=33');
  await until(() => c.text().includes('tel:sh> '), STEP, 'the prompt');
  t.same(c.messages.filter((m) => m.type === 'status').map((m) => (m as { state: string }).state), ['connecting', 'connected']);
  await until(() => c.messages.filter((m) => m.type === 'mode').at(-1)?.mode === 'raw', STEP, 'raw mode');
  t.pass('telsh puts the page in raw mode (also when its WILL ECHO comes after the prompt)');
  const s = srv.sessions[0]!;
  t.same([s.writer.getExtraInfo('cols'), s.writer.getExtraInfo('rows')], [91, 33], 'first NAWS from the URL');
  t.equal(s.writer.getExtraInfo('TERM'), 'xterm-256color');
  c.send({ type: 'input', data: 'help\r' });
  await until(() => c.text().includes(TELSH_HELP), STEP, 'help');
  c.send({ type: 'resize', cols: 120, rows: 40 });
  await until(() => s.writer.getExtraInfo('cols') === 120 && s.writer.getExtraInfo('rows') === 40, STEP, 'NAWS 120x40');
  t.pass('resize became NAWS');
  c.send({ type: 'input', data: 'quit\r' });
  const end = await c.closed;
  t.equal(end.code, 1000);
  t.match(c.messages.at(-1), { type: 'status', state: 'closed', message: /foreign host/ });
  await until(() => gw.stats().active === 0, STEP, 'session gone');
  t.equal(gw.stats().ended.telnet, 1);
});

t.test('line mode: a `line` message becomes one CR LF line', async (t) => {
  const lines: string[] = [];
  const srv = await startRecordingServer(async (reader, writer) => {
    writer.write('hello\r\n');
    for (;;) {
      const l = await reader.readline();
      if (l === '') return;
      lines.push(l);
      writer.write(`got ${l.trimEnd()}\r\n`);
    }
  }, { lineMode: true });
  const gw = await startGateway(srv.port);
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const c = wsClient(gw);
  await until(() => c.text().includes('hello'), STEP, 'hello');
  t.same(c.messages.filter((m) => m.type === 'mode'), [{ type: 'mode', mode: 'line' }], 'a server that never WILL ECHO/SGA: line mode');
  c.send({ type: 'line', data: 'look north' });
  await until(() => c.text().includes('got look north'), STEP, 'the echo');
  t.same(lines, ['look north\r\n']);
  c.ws.close();
  await until(() => srv.sessions[0]!.isClosed, STEP, 'telnet closed after the browser left');
});

t.test('GMCP and MSSP from the telnet server reach the page as messages', async (t) => {
  const srv = await startRecordingServer(async (reader, writer) => {
    writer.write('ready\r\n');
    await reader.readline();
    writer.sendGmcp('Room.Info', { num: 7, name: 'Town square' });
    writer.write('sent\r\n');
    await reader.readline();
  }, { mudOffer: [Opt.GMCP, Opt.MSSP], mssp: { NAME: 'Mini', PLAYERS: 3, PORT: ['23', '992'] } });
  const gw = await startGateway(srv.port);
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const c = wsClient(gw);
  await until(() => c.text().includes('ready'), STEP, 'ready');
  await until(() => c.messages.some((m) => m.type === 'mssp'), STEP, 'the MSSP table');
  t.same(c.messages.find((m) => m.type === 'mssp'), { type: 'mssp', variables: { NAME: ['Mini'], PLAYERS: ['3'], PORT: ['23', '992'] } });
  c.send({ type: 'input', data: 'go\r' });
  await until(() => c.messages.some((m) => m.type === 'gmcp' && (m as { package: string }).package === 'Room.Info'), STEP, 'GMCP Room.Info');
  t.same(c.messages.find((m) => m.type === 'gmcp' && (m as { package: string }).package === 'Room.Info'),
    { type: 'gmcp', package: 'Room.Info', data: { num: 7, name: 'Town square' } });
  c.ws.close();
});

t.test('Origin check, wrong path', async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port);
  const gw2 = await startGateway(srv.port, { allowedOrigins: ['https://mud.example'] });
  t.teardown(async () => { await gw.close(); await gw2.close(); await srv.close(); });
  const status = (g: typeof gw, path: string, origin?: string): Promise<number> => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${g.address().port}${path}`, origin === undefined ? {} : { origin });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('open', () => { resolve(101); ws.close(); });
    ws.on('error', () => {});
  });
  t.equal(await status(gw, '/ws', 'http://evil.example'), 403, 'another site: 403');
  t.equal(await status(gw, '/ws', `http://127.0.0.1:${gw.address().port}`), 101, 'the page\'s own origin: accepted');
  t.equal(await status(gw, '/other'), 404, 'only /ws');
  t.equal(await status(gw2, '/ws', 'https://mud.example'), 101, 'a listed origin');
  t.equal(await status(gw2, '/ws', `http://127.0.0.1:${gw2.address().port}`), 403, 'with a list, only the list');
  t.equal(gw.stats().rejected, 2);
  t.equal(gw.address().host, '127.0.0.1');
});

t.test('the page and its assets are served, nothing else', async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port);
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const page = await fetch(gw.url);
  t.equal(page.status, 200);
  t.match(await page.text(), /<script src="app\.js">/);
  t.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const js = await fetch(new URL('app.js', gw.url));
  t.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.ok((await js.text()).length > 100_000, 'xterm.js is bundled into app.js');
  t.equal((await fetch(new URL('app.css', gw.url))).status, 200);
  t.equal((await fetch(new URL('../../etc/passwd', gw.url))).status, 404);
  t.equal((await fetch(gw.url, { method: 'POST' })).status, 405);
});

t.test('max sessions, idle timeout, host down', async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port, { maxSessions: 1, idleTimeout: 400 });
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const a = wsClient(gw);
  await until(() => a.text().includes('tel:sh>'), STEP, 'first session');
  const b = wsClient(gw);
  const bEnd = await b.closed;
  t.equal(bEnd.code, 1013, 'the second gets 1013 (try again later)');
  t.match(b.messages[0], { type: 'status', state: 'error', message: /full/ });
  const aEnd = await a.closed;
  t.equal(aEnd.code, 1000, 'the first is closed when idle');
  t.match(a.messages.at(-1), { type: 'status', state: 'closed', message: /without input/ });
  await until(() => srv.sessions[0]!.isClosed, STEP, 'its telnet connection closed');
  await until(() => gw.stats().ended.idle === 1, STEP, 'the gateway to count it');

  const down = await startGateway(await deadPort());
  t.teardown(() => down.close());
  const c = wsClient(down);
  const cEnd = await c.closed;
  t.equal(cEnd.code, 1011);
  t.match(c.messages.at(-1), { type: 'status', state: 'error', message: /not reachable.*ECONNREFUSED/ });
});

t.test('backpressure: a browser that stops reading stops the telnet server', async (t) => {
  const TOTAL = 48 * 2 ** 20;
  let written = 0;
  let writer: TelnetWriter | null = null;
  const srv = await startRecordingServer(async (_r, w) => {
    writer = w;
    const chunk = 'x'.repeat(65536);
    while (written < TOTAL) {
      written += chunk.length;
      if (!w.write(chunk)) await w.drain();
    }
    await w.drain();
  });
  const gw = await startGateway(srv.port, { highWaterMark: 256 * 1024 });
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const c = wsClient(gw);
  let received = 0;
  c.ws.on('message', (d, isBinary) => { if (isBinary) received += (d as Buffer).length; });
  await until(() => received > 0, STEP, 'first output');
  c.ws.pause();
  // Wait until the server's writes stall: nothing moves for 500 ms.
  let last = -1;
  await until(async () => {
    const now = written;
    const still = now === last;
    last = now;
    if (!still) await new Promise((r) => setTimeout(r, 500));
    return still;
  }, 60_000, 'the telnet server to stall');
  t.ok(written < TOTAL / 2, `the server stalled after ${(written / 2 ** 20).toFixed(1)} of ${TOTAL / 2 ** 20} MiB (socket buffers + high-water mark)`);
  t.ok(writer !== null);
  c.ws.resume();
  await until(() => received === TOTAL, 60_000, 'all output after resuming');
  t.pass('all 48 MiB arrived once the browser read again');
  c.ws.close();
});

t.test('bad input: oversized frames, binary garbage, bad JSON; the gateway keeps serving', async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port, { maxMessageBytes: 4096 });
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const cases: Array<[string, unknown, number]> = [
    ['oversized frame', JSON.stringify({ type: 'input', data: 'x'.repeat(10_000) }), 1009],
    ['binary garbage', Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80]), 1003],
    ['not JSON', '{"type": "inp', 1008],
    ['unknown type', { type: 'exec', cmd: 'rm -rf /' }, 1008],
    ['bad resize', { type: 'resize', cols: 1e9, rows: -1 }, 1008],
    ['input not a string', { type: 'input', data: { toString: 1 } }, 1008],
  ];
  for (const [name, payload, code] of cases) {
    const c = wsClient(gw);
    await until(() => c.text().includes('tel:sh>'), STEP, `${name}: prompt`);
    if (Buffer.isBuffer(payload)) c.ws.send(payload);
    else c.send(payload);
    const end = await c.closed;
    t.equal(end.code, code, `${name}: closed with ${code}`);
  }
  await until(() => gw.stats().active === 0, STEP, 'all sessions gone');
  await until(() => srv.sessions.every((s) => s.isClosed), STEP, 'all telnet connections closed');
  t.equal(gw.stats().ended['bad-input'], 5, 'the oversized frame is ended by ws itself (as a browser close)');
  const ok = wsClient(gw);
  await until(() => ok.text().includes('tel:sh>'), STEP, 'a good session afterwards');
  ok.send({ type: 'input', data: 'help\r' });
  await until(() => ok.text().includes(TELSH_HELP), STEP, 'help afterwards');
  ok.ws.close();
});

t.test('1,000 connects and disconnects: bounded memory, still serving', { timeout: 300_000 }, async (t) => {
  const srv = await startRecordingServer();
  const gw = await startGateway(srv.port, { maxSessions: 50 });
  t.teardown(async () => { await gw.close(); await srv.close(); });
  const N = 1000;
  const PARALLEL = 20;
  const one = async (i: number): Promise<void> => {
    const c = wsClient(gw);
    if (i % 3 === 0) {
      // Leave during the handshake or the telnet connect.
      await new Promise<void>((r) => { c.ws.once('open', () => r()); c.ws.once('close', () => r()); });
      c.ws.close();
    } else if (i % 3 === 1) {
      await until(() => c.text().includes('tel:sh>') || c.messages.some((m) => m.type === 'status' && m.state === 'error'), STEP, `session ${i}`);
      c.ws.close();
    } else {
      // Vanish without a close handshake.
      await new Promise<void>((r) => { c.ws.once('open', () => r()); c.ws.once('close', () => r()); });
      c.ws.terminate();
    }
    await c.closed;
  };
  const run = async (from: number, to: number): Promise<void> => {
    let next = from;
    await Promise.all(Array.from({ length: PARALLEL }, async () => { while (next < to) await one(next++); }));
    await until(() => gw.stats().active === 0, 60_000, 'sessions to end');
    await until(() => srv.server.clients.length === 0 && srv.sessions.every((s) => s.isClosed), 60_000, 'telnet connections to end');
    srv.sessions.length = 0; // the recording server's own references
  };
  await run(0, 100); // warm-up: JIT, pools
  const before = heapMiB();
  await run(100, N);
  const after = heapMiB();
  const st = gw.stats();
  t.ok(st.opened + st.rejected >= N, `all ${N} handled (opened ${st.opened}, rejected ${st.rejected})`);
  t.ok(after - before < 6, `heap grew ${(after - before).toFixed(1)} MiB over ${N - 100} sessions (< 6)`);
  const c = wsClient(gw);
  await until(() => c.text().includes('tel:sh>'), STEP, 'the prompt');
  c.send({ type: 'input', data: 'help\r' });
  await until(() => c.text().includes(TELSH_HELP), STEP, 'a working session afterwards');
  c.ws.close();
});
