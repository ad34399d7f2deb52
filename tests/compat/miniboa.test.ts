/**
 * compat/miniboa: the poll-loop server against real loopback clients. The
 * server's poll() blocks this thread for at most its timeout, so the raw
 * clients here run between polls (`cycle()` polls, then lets this thread's
 * event loop turn); where a client must act *during* a poll it runs in a
 * child process (fixtures/script-client.ts).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import t, { type Test } from 'tap';
import {
  ANSI_CODES, ConnectionLost, MAX_CONNECTIONS, TelnetClient, TelnetServer, type TelnetServerOptions, colorize,
  strip_caret_codes, word_wrap,
} from '../../compat/miniboa.js';
import { HOST, fixture, sleep } from './helpers.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A raw client in this process. */
class Raw {
  data = Buffer.alloc(0);
  ended = false;
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => { this.data = Buffer.concat([this.data, d]); });
    socket.on('end', () => { this.ended = true; });
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: HOST, allowHalfOpen: true });
      s.once('connect', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  text(): string {
    return this.data.toString('latin1');
  }

  /** Take what arrived so far. */
  take(): Buffer {
    const d = this.data;
    this.data = Buffer.alloc(0);
    return d;
  }
}

function server(tt: Test, options: TelnetServerOptions = {}): TelnetServer {
  const s = new TelnetServer({ port: 0, address: HOST, timeout: 0.02, on_connect: () => {}, ...options });
  tt.teardown(() => s.stop());
  return s;
}

/** Poll (and let clients run) until `cond` holds. */
async function cycle(s: TelnetServer, cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    s.poll();
    await turn();
    await turn();
    if (cond()) return;
    if (Date.now() > end) throw new Error(`${what}: not true within ${ms} ms`);
  }
}

/** Poll `n` times. */
async function polls(s: TelnetServer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    s.poll();
    await turn();
  }
}

t.test('poll(): waits at most `timeout`, returns early on activity, accepts and reads', async (t) => {
  const s = server(t, { timeout: 0.2 });
  let t0 = Date.now();
  s.poll();
  let dt = Date.now() - t0;
  t.ok(dt >= 150 && dt < 1500, `an idle poll waits about the timeout (${dt} ms)`);

  // A client in another process connects and talks while this thread sleeps in poll().
  const child = spawn(process.execPath, [fixture('script-client'), String(s.port),
    JSON.stringify([{ sleep: 400 }, { text: 'hello\r\n' }, { waitForText: 'bye' }, { end: true }])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let childOut = '';
  child.stdout.on('data', (d: Buffer) => { childOut += d.toString(); });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  s.timeout = 2;
  t0 = Date.now();
  while (s.client_count() === 0 && Date.now() - t0 < 5000) s.poll();
  t.equal(s.client_count(), 1, 'the connection is accepted by a poll');
  const c = s.client_list()[0]!;
  t0 = Date.now();
  while (!c.cmd_ready && Date.now() - t0 < 5000) s.poll();
  dt = Date.now() - t0;
  t.equal(c.get_command(), 'hello', 'the line is read');
  t.ok(dt < 1500, `the poll returned on arrival, well before its 2 s timeout (${dt} ms)`);
  c.send('bye');
  s.timeout = 0.02;
  await cycle(s, () => childOut.includes('received'), 'client got bye and closed');
  await exited;
  t.equal(Buffer.from(JSON.parse(childOut.trim().split('\n').pop()!).received, 'hex').toString(), 'bye');
  t.end();
});

t.test('on_connect / on_disconnect: order, one poll later for lost clients, pending output first', async (t) => {
  const events: string[] = [];
  const s = server(t, {
    on_connect: (c) => { events.push(`connect ${c.port}`); c.send(`hi ${c.port}\n`); },
    on_disconnect: (c) => { events.push(`disconnect ${c.port}`); },
  });
  const a = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'a accepted');
  const b = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 2, 'b accepted');
  const pa = a.socket.localPort!;
  const pb = b.socket.localPort!;
  t.same(events, [`connect ${pa}`, `connect ${pb}`], 'on_connect in accept order');
  await cycle(s, () => a.text().includes('hi') && b.text().includes('hi'), 'greetings');
  t.equal(a.text(), `hi ${pa}\r\n`, 'what on_connect sent is delivered by the poll');

  // The client closes: the poll that reads the EOF deactivates it, the next one reports it.
  const ca = s.client_list().find((c) => c.port === pa)!;
  a.socket.end();
  await cycle(s, () => !ca.active, 'a deactivated');
  t.same(events.length, 2, 'not reported in the poll that noticed the loss');
  t.equal(s.client_count(), 2, 'still listed until the next poll');
  s.poll();
  t.same(events, [`connect ${pa}`, `connect ${pb}`, `disconnect ${pa}`], 'on_disconnect in the next poll');
  t.equal(s.client_count(), 1);

  // The server deactivates a client: its pending output goes out, then it is closed.
  const cb = s.client_list()[0]!;
  cb.send('Goodbye\n');
  cb.deactivate();
  t.equal(cb.active, false);
  await cycle(s, () => b.closed || b.ended, 'b closed by the server');
  t.match(b.text(), /Goodbye\r\n$/, 'output queued before deactivate() is delivered');
  t.same(events.slice(-1), [`disconnect ${pb}`]);
  t.equal(s.client_count(), 0);
  t.end();
});

t.test('get_command / cmd_ready: lines split on LF and stripped, across reads', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  t.equal(c.cmd_ready, false);
  t.equal(c.get_command(), null, 'no command: null');
  r.socket.write('  hello world \r\nsecond\nthi');
  await cycle(s, () => c.command_list.length === 2, 'two lines');
  t.equal(c.recv_buffer, 'thi', 'the partial line waits');
  r.socket.write('rd\t\r\n\r\n');
  await cycle(s, () => c.command_list.length === 4, 'four lines');
  t.equal(c.cmd_ready, true);
  t.same([c.get_command(), c.get_command(), c.get_command()], ['hello world', 'second', 'third']);
  t.equal(c.cmd_ready, true, 'still ready: one more');
  t.equal(c.get_command(), '', 'an empty line is an empty command');
  t.equal(c.cmd_ready, false, 'cleared with the last one');
  t.equal(c.get_command(), null);
  t.ok(c.bytes_received >= 30, `bytes_received ${c.bytes_received}`);
  t.ok(c.idle() < 5 && c.idle() >= 0, 'idle() in seconds');
  t.end();
});

t.test('send(): every \\n becomes \\r\\n, buffered until the next poll', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  c.send('a\nb\r\nc');
  c.send('');
  t.equal(c.send_pending, true);
  t.equal(c.send_buffer, 'a\r\nb\r\r\nc', 'the send buffer, as miniboa builds it');
  await sleep(100);
  t.equal(r.data.length, 0, 'nothing is sent before poll()');
  await cycle(s, () => r.data.length >= 8, 'sent');
  t.equal(r.text(), 'a\r\nb\r\r\nc', "miniboa's newline handling (an existing \\r\\n gets a second \\r)");
  t.equal(c.send_pending, false);
  t.equal(c.bytes_sent, 8);
  t.end();
});

t.test('send_cc(): caret codes to ANSI bytes (miniboa xterm.py)', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  const table: Array<[string, string]> = [
    ['^k', '\x1b[22;30m'], ['^K', '\x1b[1;30m'], ['^r', '\x1b[22;31m'], ['^R', '\x1b[1;31m'], ['^g', '\x1b[22;32m'],
    ['^G', '\x1b[1;32m'], ['^y', '\x1b[22;33m'], ['^Y', '\x1b[1;33m'], ['^b', '\x1b[22;34m'], ['^B', '\x1b[1;34m'],
    ['^m', '\x1b[22;35m'], ['^M', '\x1b[1;35m'], ['^c', '\x1b[22;36m'], ['^C', '\x1b[1;36m'], ['^w', '\x1b[22;37m'],
    ['^W', '\x1b[1;37m'], ['^0', '\x1b[40m'], ['^1', '\x1b[41m'], ['^2', '\x1b[42m'], ['^3', '\x1b[43m'],
    ['^4', '\x1b[44m'], ['^5', '\x1b[45m'], ['^6', '\x1b[46m'], ['^d', '\x1b[39m'], ['^I', '\x1b[7m'],
    ['^i', '\x1b[27m'], ['^~', '\x1b[0m'], ['^U', '\x1b[4m'], ['^u', '\x1b[24m'], ['^!', '\x1b[1m'],
    ['^.', '\x1b[22m'], ['^s', '\x1b[2J'], ['^l', '\x1b[2K'],
  ];
  t.same(ANSI_CODES, table, 'the table');
  let want = '';
  for (const [code, ansi] of table) {
    c.send_cc(`<${code}>`);
    want += `<${ansi}>`;
  }
  c.send_cc('^gYou see a huge pile of ^!gold^. guarded by ^REugene Levy^~!\n');
  want += '\x1b[22;32mYou see a huge pile of \x1b[1mgold\x1b[22m guarded by \x1b[1;31mEugene Levy\x1b[0m!\r\n';
  c.send_cc('a ^^r caret, ^7 and ^z are no codes\n');
  want += 'a ^r caret, ^7 and ^z are no codes\r\n';
  c.use_ansi = false;
  c.send_cc('^Rplain^~ ^^ text\n');
  want += 'plain ^ text\r\n';
  await cycle(s, () => r.text().length >= Buffer.byteLength(want, 'latin1'), 'all sent');
  t.equal(r.text(), want, 'the bytes on the wire');
  t.equal(colorize('^^^r'), '^\x1b[22;31m');
  t.equal(strip_caret_codes('^y^^y^Y'), '^y');
  t.end();
});

t.test('send_wrapped(): word_wrap to the client columns, indent 4 (+1), padding 2', async (t) => {
  const text = 'You are standing in a small room with a door to the north and a passage leading east.\n\n  There is a ^Ylamp^~ here.\nIt is dark.';
  // Computed with miniboa's xterm.word_wrap in CPython.
  t.same(word_wrap(text, 30), ['     You are standing in a', '  small room with a door to', '  the north and a passage', '  leading east.',
    '     There is a ^Ylamp^~', '  here. It is dark.']);
  t.same(word_wrap(text), ['     You are standing in a small room with a door to the north and a passage', '  leading east.',
    '     There is a ^Ylamp^~ here. It is dark.']);
  t.same(word_wrap('', 30), []);
  t.same(word_wrap('   \n\n  ', 30), []);
  t.same(word_wrap('supercalifragilisticexpialidocious word', 20), ['    ', '  supercalifragilisticexpialidocious', '  word']);

  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  c.columns = 30;
  c.send_wrapped(text);
  const want = '     You are standing in a\r\n  small room with a door to\r\n  the north and a passage\r\n  leading east.\r\n' +
    '     There is a \x1b[1;33mlamp\x1b[0m\r\n  here. It is dark.\r\n';
  await cycle(s, () => r.text().length >= want.length, 'sent');
  t.equal(r.text(), want, 'lines wrapped, caret codes converted, CR LF');
  t.end();
});

t.test('request_*(): the bytes on the wire, and the replies they lead to', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  t.equal(c.terminal_type, 'ANSI', "miniboa's defaults");
  t.same([c.columns, c.rows], [80, 24]);
  t.equal(r.data.length, 0, 'nothing is negotiated unless asked');
  const cases: Array<[string, () => void, number[]]> = [
    ['request_do_sga', () => c.request_do_sga(), [255, 253, 3]],
    ['request_will_echo', () => c.request_will_echo(), [255, 251, 1]],
    ['request_wont_echo', () => c.request_wont_echo(), [255, 252, 1]],
    ['password_mode_on', () => c.password_mode_on(), [255, 251, 1]],
    ['password_mode_off', () => c.password_mode_off(), [255, 252, 1]],
    ['request_naws', () => c.request_naws(), [255, 253, 31]],
    ['request_terminal_type', () => c.request_terminal_type(), [255, 253, 24]],
  ];
  for (const [name, call, bytes] of cases) {
    call();
    await cycle(s, () => r.data.length >= bytes.length, name);
    t.same([...r.take()], bytes, `${name}: IAC ${bytes.slice(1).join(' ')}`);
  }
  // The client agrees to NAWS and TTYPE and reports.
  r.socket.write(Buffer.from([255, 251, 31, 255, 250, 31, 0, 132, 0, 50, 255, 240]));
  r.socket.write(Buffer.from([255, 251, 24]));
  await cycle(s, () => r.data.length >= 6, 'TTYPE SEND');
  t.same([...r.take()], [255, 250, 24, 1, 255, 240], 'WILL TTYPE (requested): IAC SB TTYPE SEND IAC SE');
  r.socket.write(Buffer.concat([Buffer.from([255, 250, 24, 0]), Buffer.from('XTERM-256COLOR'), Buffer.from([255, 240])]));
  await cycle(s, () => c.terminal_type !== 'ANSI', 'terminal type');
  t.equal(c.terminal_type, 'XTERM-256COLOR', 'TTYPE IS');
  t.same([c.columns, c.rows], [132, 50], 'NAWS');
  t.equal(r.data.length, 0, 'replies to requested options are not answered again');

  // miniboa's rules for what the client asks.
  r.socket.write(Buffer.from([255, 253, 0])); // DO BINARY -> WILL BINARY
  r.socket.write(Buffer.from([255, 253, 99, 255, 253, 99])); // DO 99 -> WONT 99, once
  r.socket.write(Buffer.from([255, 254, 99])); // DONT 99 -> ignored
  r.socket.write(Buffer.from([255, 251, 1])); // WILL ECHO -> DONT ECHO
  r.socket.write(Buffer.from([255, 252, 42])); // WONT 42 -> ignored
  await cycle(s, () => r.data.length >= 9, 'replies');
  await polls(s, 3);
  t.same([...r.take()], [255, 251, 0, 255, 252, 99, 255, 254, 1], 'WILL BINARY, WONT 99 (once), DONT ECHO');
  t.end();
});

t.test('echo after request_will_echo(); IAC IAC and the encoding', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  c.request_will_echo();
  await cycle(s, () => r.data.length >= 3, 'WILL ECHO');
  r.take();
  r.socket.write(Buffer.from([255, 253, 1])); // DO ECHO: the requested reply, no answer
  r.socket.write(Buffer.concat([Buffer.from('ab\xe9', 'latin1'), Buffer.from([255, 255]), Buffer.from('\n')]));
  await cycle(s, () => c.cmd_ready, 'line');
  await polls(s, 2);
  t.equal(c.get_command(), 'ab\u00e9\u00ff', 'cp1252 input; IAC IAC is a 0xFF data byte');
  t.same(r.take(), Buffer.concat([Buffer.from('ab\xe9', 'latin1'), Buffer.from([255, 255]), Buffer.from('\r\n')]),
    'echoed (LF as CR LF), 0xFF doubled on the way out');
  c.send('caf\u00e9 \u20ac\n');
  await cycle(s, () => r.data.length >= 8, 'sent');
  t.same(r.take(), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x0d, 0x0a]), 'cp1252 output');

  const u = server(t, { encoding: 'utf-8' });
  const r2 = await Raw.connect(u.port);
  await cycle(u, () => u.client_count() === 1, 'accepted');
  const c2 = u.client_list()[0]!;
  r2.socket.write(Buffer.from('\u00e9t\u00e9'.slice(0, 1), 'utf8').subarray(0, 1));
  await polls(u, 2);
  r2.socket.write(Buffer.concat([Buffer.from('\u00e9', 'utf8').subarray(1), Buffer.from('t\u00e9\n')]));
  await cycle(u, () => c2.cmd_ready, 'utf-8 line');
  t.equal(c2.get_command(), '\u00e9t\u00e9', 'a character split across reads stays whole');
  c2.send('\u00ff\n');
  await cycle(u, () => r2.data.length >= 4, 'sent');
  t.same(r2.take(), Buffer.from([0xc3, 0xbf, 0x0d, 0x0a]), 'utf-8 output (miniboa would garble IAC bytes here)');
  t.end();
});

t.test('sends never block poll(): a client that does not read', async (t) => {
  const s = server(t);
  const r = await Raw.connect(s.port);
  r.socket.pause();
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  const size = 4 * 1024 * 1024;
  c.send('x'.repeat(size));
  let slowest = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    s.poll();
    slowest = Math.max(slowest, Date.now() - t0);
    await turn();
  }
  t.ok(slowest < 500, `every poll returned (slowest ${slowest} ms)`);
  t.equal(c.send_pending, true, 'the rest waits');
  t.ok(c.bytes_sent < size, `partial so far (${c.bytes_sent})`);
  r.socket.resume();
  await cycle(s, () => r.data.length >= size, 'all delivered', 20000);
  t.equal(r.data.length, size);
  t.equal(c.bytes_sent, size);
  t.equal(c.send_pending, false);
  t.end();
});

t.test('max_connections, client_class, attributes, stop()', async (t) => {
  class Player extends TelnetClient {
    name = 'nobody';
  }
  t.throws(() => new TelnetServer({ port: 0, address: HOST, client_class: class {} as never }), TypeError, 'client_class must extend TelnetClient');
  t.equal(MAX_CONNECTIONS, 1000);
  const s = server(t, { max_connections: 1, client_class: Player });
  const a = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'a');
  const b = await Raw.connect(s.port);
  await cycle(s, () => b.closed || b.ended, 'b refused');
  t.equal(s.client_count(), 1, 'beyond max_connections: closed at accept');
  const c = s.client_list()[0]!;
  t.type(c, Player, 'the client class is used');
  t.equal((c as Player).name, 'nobody');
  t.equal(c.address, HOST);
  t.equal(c.port, a.socket.localPort);
  t.equal(c.addrport(), `${HOST}:${a.socket.localPort}`);
  t.equal(c.protocol, 'telnet');
  t.equal(c.encoding, 'cp1252');
  t.ok(c.fileno > 0, 'fileno: a connection number');
  t.equal(s.clients.get(c.fileno), c, 'clients by fileno');
  t.ok(Math.abs(c.connect_time - Date.now() / 1000) < 5, 'connect_time in seconds since the epoch');
  t.ok(c.duration() >= 0 && c.duration() < 5, 'duration() in seconds');
  t.type(new ConnectionLost(), Error);
  s.stop();
  const end = Date.now() + 3000;
  while (!(a.ended || a.closed) && Date.now() < end) await sleep(10);
  t.ok(a.ended || a.closed, 'stop() closes every client');
  t.throws(() => s.poll(), { code: 'ERR_TELNET_NOT_STARTED' }, 'no poll after stop()');
  t.end();
});

t.test('a lost client during a poll: data first, then ConnectionLost', async (t) => {
  const seen: string[] = [];
  const s = server(t, { on_disconnect: (c) => seen.push(`gone ${c.get_command()}`) });
  const r = await Raw.connect(s.port);
  await cycle(s, () => s.client_count() === 1, 'accepted');
  const c = s.client_list()[0]!;
  r.socket.end('last words\n');
  await cycle(s, () => !c.active, 'deactivated');
  t.same(c.command_list, ['last words'], 'what came before the close is read');
  t.throws(() => c.socket_recv(), ConnectionLost, 'socket_recv() raises ConnectionLost at the end');
  s.poll();
  t.same(seen, ['gone last words'], 'on_disconnect can still take the command');
  t.end();
});

t.test('stopped servers release every connection in the engine', async (t) => {
  const { engineCall } = await import('../../src/bridge/engine-client.js');
  const end = Date.now() + 6000;
  let stats = engineCall<{ conns: number; servers: number }>('stats');
  while ((stats.conns > 0 || stats.servers > 0) && Date.now() < end) {
    await sleep(50);
    stats = engineCall<{ conns: number; servers: number }>('stats');
  }
  t.same({ conns: stats.conns, servers: stats.servers }, { conns: 0, servers: 0 }, 'nothing is left in the engine');
  t.end();
});

t.test('proxy_protocol: the client is the one the PROXY header names; bytes after it are data; a bad header is refused', async (t) => {
  const s = server(t, { proxy_protocol: true });
  const seen: TelnetClient[] = [];
  s.on_connect = (c) => { seen.push(c); };
  // v1 header and the first line in one segment.
  const a = await Raw.connect(s.port);
  a.socket.write('PROXY TCP4 203.0.113.7 192.0.2.1 40001 6023\r\nlook\r\n');
  await cycle(s, () => seen.length === 1 && seen[0]!.cmd_ready, 'proxied client and its line');
  t.equal(seen[0]!.address, '203.0.113.7', 'address from the header');
  t.equal(seen[0]!.port, 40001, 'port from the header');
  t.equal(seen[0]!.get_command(), 'look', 'the bytes after the header are the first line');
  // A connection without a header is refused; the server goes on.
  const b = await Raw.connect(s.port);
  b.socket.write('look\r\n');
  await cycle(s, () => b.ended || b.closed, 'headerless connection closed');
  t.equal(seen.length, 1, 'no client for it');
  // proxy_from: a balancer outside the list is refused before anything is read.
  const s2 = server(t, { proxy_protocol: true, proxy_from: ['10.9.9.9'] });
  const c = await Raw.connect(s2.port);
  await cycle(s2, () => c.ended || c.closed, 'connection from outside proxy_from closed');
  t.equal(s2.client_count(), 0);
});

t.test('log_level reaches the engine thread: an unknown one is refused at construction', (t) => {
  t.throws(() => new TelnetServer({ port: 0, address: HOST, log_level: 'loud' as never }), { code: 'ERR_TELNET_BAD_OPTION', message: /logLevel must be one of/ });
  const quiet = server(t, { proxy_protocol: true, log_level: 'silent' });
  t.ok(quiet.port > 0, "'silent' is taken (the refusal lines themselves: tests/sync/proxy-protocol.test.ts)");
  t.end();
});
