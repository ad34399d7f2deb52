/**
 * BlockingTelnetServer and ServerConnection. The blocking server runs in a
 * child process (accept() and serveForever() block its thread); this
 * process drives it with our async client. API misuse that needs no
 * client is checked here directly.
 */
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { BlockingTelnetServer, TelnetConnection, TelnetTimeoutError, TelnetUsageError, resolveHandler } from '../../src/sync/index.js';
import { Child, HOST, handlerUrl, thrown, until, within } from './helpers.js';

/** Our async client, closed in teardown. */
async function connect(tt: Test, port: number, opts = {}): Promise<TelnetStreams> {
  const c = await within(openConnection(HOST, port, { connectTimeout: 5000, connectMaxwait: 3000, ...opts }), 15000, 'openConnection');
  tt.teardown(() => c.writer.close());
  return c;
}

t.test('start, port 0, address, errors with stable codes (in this process)', (t) => {
  const s = new BlockingTelnetServer(HOST, 0);
  t.teardown(() => s.shutdown());
  const notStarted = thrown(() => s.accept(10));
  t.type(notStarted, TelnetUsageError);
  t.equal(notStarted.code, 'ERR_TELNET_NOT_STARTED', 'accept() before start()');
  t.equal(thrown(() => s.port).code, 'ERR_TELNET_NOT_STARTED', 'port before start()');
  s.start();
  t.ok(s.port > 0 && s.port < 65536, `port 0 binds a real port (${s.port})`);
  t.equal(s.address.address, HOST);
  t.equal(s.address.port, s.port);
  const again = thrown(() => s.start());
  t.type(again, TelnetUsageError);
  t.equal(again.code, 'ERR_TELNET_ALREADY_STARTED', 'a second start()');
  const t0 = Date.now();
  const timeout = thrown(() => s.accept(150));
  const dt = Date.now() - t0;
  t.type(timeout, TelnetTimeoutError);
  t.equal(timeout.code, 'ERR_TELNET_TIMEOUT', 'accept(timeout) with no client');
  t.ok(dt >= 140 && dt < 1000, `after ${dt} ms`);
  t.equal(thrown(() => s.serveForever()).code, 'ERR_TELNET_NO_HANDLER', 'serveForever() without a handler');

  const busy = new BlockingTelnetServer(HOST, s.port);
  t.equal(thrown(() => busy.start()).code, 'ERR_TELNET_LISTEN', 'a port in use: the bind error is thrown by start()');
  s.shutdown();
  s.shutdown();
  t.pass('shutdown is idempotent');
  t.end();
});

t.test('options that are functions cannot cross to the engine thread: a clear usage error', (t) => {
  const s = new BlockingTelnetServer(HOST, 0, { handler: handlerUrl('echo'), onError: () => {} } as never);
  const err = thrown(() => s.start());
  t.type(err, TelnetUsageError);
  t.equal(err.code, 'ERR_TELNET_BAD_OPTION');
  t.match(err.message, /onError/);
  const c = new TelnetConnection(HOST, 1, { onProtocolError: () => {} } as never);
  t.equal(thrown(() => c.connect()).code, 'ERR_TELNET_BAD_OPTION', 'TelnetConnection too');
  t.end();
});

t.test('a handler must be a module, not a function', (t) => {
  const fn = (): void => {};
  const err = thrown(() => new BlockingTelnetServer(HOST, 0, { handler: fn as unknown as string }));
  t.type(err, TelnetUsageError);
  t.equal(err.code, 'ERR_TELNET_HANDLER_NOT_MODULE', 'a function as handler');
  t.equal(thrown(() => resolveHandler(fn)).code, 'ERR_TELNET_HANDLER_NOT_MODULE');
  t.equal(thrown(() => resolveHandler('')).code, 'ERR_TELNET_HANDLER_NOT_MODULE', 'an empty spec');
  const url = handlerUrl('echo');
  t.same(resolveHandler(url), { url, name: 'default' }, 'a file URL, default export');
  t.same(resolveHandler(`${url}#echo`), { url, name: 'echo' }, 'URL#export');
  t.same(resolveHandler(`${fileURLToPath(url)}#echo`), { url, name: 'echo' }, 'a path with #export');
  t.same(resolveHandler(new URL(url)), { url, name: 'default' }, 'a URL object');
  t.end();
});

t.test('accept(): a ServerConnection in the calling thread with miniboa attributes', async (t) => {
  const child = Child.start(t, 'accept');
  const { port } = await child.line((l) => typeof l.port === 'number', 30000, 'listening');
  const c = await connect(t, port, { term: 'xterm-256color', cols: 100, rows: 40 });
  const sock = c.writer.getExtraInfo<{ port: number }>('sockname')!;
  const a = await child.line((l) => l.ev === 'accepted', 30000, 'accepted');
  t.equal(a.terminalType, 'xterm-256color', 'terminalType');
  t.equal(a.columns, 100, 'columns');
  t.equal(a.rows, 40, 'rows');
  t.equal(a.address, HOST, 'address');
  t.equal(a.port, sock.port, 'port: the client\'s port');
  t.equal(a.addrport, `${HOST}:${sock.port}`, 'addrport()');
  t.equal(a.active, true, 'active');
  t.ok(a.duration >= 0 && a.duration < 5000, `duration() ${a.duration} ms`);

  const table = await within(c.reader.readUntil('bare text|'), 5000, 'send() table');
  t.equal(table, 'Hello\r\n|Hello\r\n|A\r\nB\r\nC\r\n|bare text|',
    'send(): "Hello\\n"→"Hello\\r\\n", "Hello\\r\\n"→"Hello\\r\\n", "A\\nB\\r\\nC\\n"→"A\\r\\nB\\r\\nC\\r\\n", bare text unchanged');

  c.writer.write('ping\r\n');
  const r = await child.line((l) => l.ev === 'read', 30000, 'read');
  t.equal(r.line, 'ping\r\n', 'readline in the accepting thread');
  t.ok(r.idleBefore >= 290, `idle() grew while nothing was read (${r.idleBefore} ms)`);
  t.ok(r.idleAfter < 100, `idle() reset by the read (${r.idleAfter} ms)`);
  t.ok(r.duration >= r.idleBefore, 'duration() counts from the accept');

  await within(c.reader.readUntil('bye\r\n'), 5000, 'bye');
  c.writer.close();
  const pc = await child.line((l) => l.ev === 'peer-closed', 30000, 'peer closed');
  t.equal(pc.active, false, 'active is false once the peer closed (and all was read)');
  t.equal((await child.line((l) => l.ev === 'closed', 5000, 'closed')).active, false, 'and after close()');

  const c2 = await connect(t, port);
  t.equal((await child.line((l) => l.ev === 'accepted2', 30000, 'accepted2')).active, true);
  t.equal((await child.line((l) => l.ev === 'closed2', 5000, 'closed2')).active, false, 'active flips false on a local close');
  t.equal(await within(c2.reader.read(100), 5000, 'EOF at the client'), '', 'the client sees the close');

  const to = await child.line((l) => l.ev === 'accept-timeout', 5000, 'accept timeout');
  t.equal(to.code, 'ERR_TELNET_TIMEOUT', 'accept(200) in the child');
  t.equal(to.name, 'TelnetTimeoutError');
  const done = await child.line((l) => l.ev === 'done', 30000, 'done');
  const exit = await within(child.exited, 5000, 'exit');
  t.equal(exit.code, 0, `exit 0 (stderr: ${child.stderr.slice(0, 500)})`);
  t.ok(exit.at - done.last < 1500, `the child exited ${exit.at - done.last} ms after shutdown()`);
});

/** A serveForever child with `handler`; its port. */
async function serve(tt: Test, handler: string, options: object = {}): Promise<{ child: Child; port: number }> {
  const child = Child.start(tt, 'serve', [handler, JSON.stringify(options)]);
  const { port } = await child.line((l) => typeof l.port === 'number', 30000, 'serveForever listening');
  return { child, port };
}

/** Write `line`, read one line back. */
async function roundTrip(c: TelnetStreams, line: string, ms = 20000): Promise<string> {
  c.writer.write(line);
  return within(c.reader.readline(), ms, `round trip ${JSON.stringify(line)}`) as Promise<string>;
}

t.test('serveForever: 200 concurrent handler threads, 5 round trips each, all succeed', async (t) => {
  const { child, port } = await serve(t, handlerUrl('echo'));
  const N = 200;
  const BATCH = 20;
  const t0 = Date.now();
  const msg = (i: number, j: number): string => `client ${i} trip ${j} ${'x'.repeat(i)}\r\n`;
  const clients: TelnetStreams[] = [];
  const failures: string[] = [];
  const connectMs: number[] = [];
  const firstTripMs: number[] = [];
  // Connect in batches (each client's first round trip proves its handler thread
  // runs), so that no more than BATCH threads start at once on this 2-core machine.
  for (let b = 0; b < N; b += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, async (_, k) => {
      const i = b + k;
      try {
        const c0 = Date.now();
        const c = await connect(t, port);
        const c1 = Date.now();
        clients[i] = c;
        const back = await roundTrip(c, msg(i, 0), 30000);
        connectMs.push(c1 - c0);
        firstTripMs.push(Date.now() - c1);
        if (back !== msg(i, 0)) failures.push(`client ${i} trip 0: got ${JSON.stringify(back)}`);
      } catch (err) {
        failures.push(`client ${i} trip 0: ${String(err)}`);
      }
    }));
  }
  const connected = Date.now() - t0;
  // All 200 connections are open, each with its handler thread blocked in readline: the rest concurrently.
  await Promise.all(clients.map(async (c, i) => {
    for (let j = 1; j < 5; j++) {
      try {
        const back = await roundTrip(c, msg(i, j), 30000);
        if (back !== msg(i, j)) failures.push(`client ${i} trip ${j}: got ${JSON.stringify(back)}`);
      } catch (err) {
        failures.push(`client ${i} trip ${j}: ${String(err)}`);
        return;
      }
    }
  }));
  t.equal(clients.filter((c) => c !== undefined).length, N, `${N} clients connected`);
  t.same(failures.slice(0, 5), [], `all ${N} clients did 5 round trips, ${N} handler threads at once`);
  const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? -1;
  t.comment(`200 handler threads: connected with a first round trip in ${connected} ms (connect median ${pct(connectMs, 0.5)} max ${pct(connectMs, 1)} ms; `
    + `first trip median ${pct(firstTripMs, 0.5)} max ${pct(firstTripMs, 1)} ms), 4 more round trips each concurrently in ${Date.now() - t0 - connected} ms`);
  // One more client asks for shutdown: serveForever returns, the process exits.
  const c = await connect(t, port);
  t.equal(await roundTrip(c, 'shutdown\r\n'), 'ok\r\n');
  const ret = await child.line((l) => l.ev === 'returned', 30000, 'serveForever returned');
  const exit = await within(child.exited, 30000, 'exit');
  t.equal(exit.code, 0, `the child exited normally (stderr: ${child.stderr.slice(0, 500)})`);
  t.ok(exit.at - ret._at < 3000, `${exit.at - ret._at} ms after serveForever returned`);
});

t.test('serveForever: handlers that throw, exit or spin do not disturb others; shutdown from a handler ends it', async (t) => {
  const { child, port } = await serve(t, handlerUrl('router'), { warmHandlers: 2 });
  const echo = await connect(t, port);
  t.equal(await roundTrip(echo, 'echo\r\n'), 'echoing\r\n');
  t.equal(await roundTrip(echo, 'one\r\n'), 'one\r\n', 'the echo handler works');

  const thrower = await connect(t, port);
  t.equal(await roundTrip(thrower, 'throw\r\n'), 'throwing\r\n');
  t.equal(await within(thrower.reader.read(100), 5000, 'EOF after throw'), '', 'a handler that throws: its connection is closed');
  await until(() => /handler for 127\.0\.0\.1:\d+ failed: Error: handler failure on purpose/.test(child.stderr), 5000, 'failure reported');
  t.pass('and the error is reported on stderr');

  const exiter = await connect(t, port);
  t.equal(await roundTrip(exiter, 'exit\r\n'), 'exiting\r\n');
  t.equal(await within(exiter.reader.read(100), 5000, 'EOF after process.exit'), '', 'a handler that calls process.exit(): its connection is closed');

  const laterThrower = await connect(t, port);
  t.equal(await roundTrip(laterThrower, 'later\r\n'), 'later\r\n');
  t.equal(await within(laterThrower.reader.read(100), 5000, 'EOF after later'), '', 'its connection is closed when the handler returns');
  await until(() => /handler thread failed: Error: async failure on purpose/.test(child.stderr), 5000, 'async failure reported');
  t.pass('an exception thrown from a timer in a handler thread is reported on stderr');

  const logger = await connect(t, port);
  t.equal(await roundTrip(logger, 'log\r\n'), 'logged\r\n');
  const logged = await child.line((l) => l.ev === 'handler-log', 5000, 'handler console.log');
  t.ok(logged._at - logged.at < 1000, 'console.log in a handler reaches stdout while serveForever blocks the serving thread');
  t.equal(await roundTrip(logger, 'still here\r\n'), 'still here\r\n');

  t.equal(await roundTrip(echo, 'two\r\n'), 'two\r\n', 'the echo connection is undisturbed');
  const later = await connect(t, port);
  t.equal(await roundTrip(later, 'echo\r\n'), 'echoing\r\n', 'new connections still get a handler');
  t.equal(await roundTrip(later, 'three\r\n'), 'three\r\n');

  const spinner = await connect(t, port);
  t.equal(await roundTrip(spinner, 'loop\r\n'), 'looping\r\n', 'a handler is spinning');
  t.equal(await roundTrip(echo, 'four\r\n'), 'four\r\n', 'others still answer while one spins');

  const stopper = await connect(t, port);
  const t0 = Date.now();
  t.equal(await roundTrip(stopper, 'shutdown\r\n'), 'ok\r\n');
  const ret = await child.line((l) => l.ev === 'returned', 30000, 'serveForever returned');
  t.ok(ret.at - t0 < 5000, `serveForever returned ${ret.at - t0} ms after the shutdown request, with a handler still spinning`);
  const exit = await within(child.exited, 5000, 'child exit');
  t.equal(exit.code, 0, 'the process exits by itself, normally');
  t.ok(exit.at - ret._at < 3000, `${exit.at - ret._at} ms after serveForever returned`);
  t.notMatch(child.stderr, /Unhandled 'error' event|Emitted 'error' event/, 'no handler thread failure reached the serving thread');
  for (const [name, c] of [['echo', echo], ['spinner', spinner], ['later', later], ['logger', logger]] as const) {
    t.equal(await within(c.reader.read(100), 5000, `${name} EOF`), '', `${name}: closed by the shutdown`);
  }
});

t.test('handler threads run the bundle; the classes of telnetlib3/sync still recognise what it gives them', async (t) => {
  const { child, port } = await serve(t, handlerUrl('identity'));
  const c = await connect(t, port);
  const report = JSON.parse((await within(c.reader.readUntil('\r\n'), 10000, 'identity report')).toString('utf8')) as Record<string, unknown>;
  t.same(report, {
    connection: true, timeoutError: true, telnetError: true, code: 'ERR_TELNET_TIMEOUT', bundled: true, plainObject: false,
  }, 'instanceof ServerConnection / TelnetTimeoutError / TelnetError hold; the error came from handler.bundle.js');
  t.equal(await roundTrip(c, 'still echoing\r\n'), 'still echoing\r\n');
  t.equal(await roundTrip(c, 'shutdown\r\n'), 'ok\r\n');
  await child.line((l) => l.ev === 'returned', 30000, 'serveForever returned');
});

t.test('serveForever with a path#export handler spec', async (t) => {
  const { child, port } = await serve(t, `${fileURLToPath(handlerUrl('echo'))}#echo`);
  const c = await connect(t, port);
  t.equal(await roundTrip(c, 'named export\r\n'), 'named export\r\n');
  t.equal(await roundTrip(c, 'shutdown\r\n'), 'ok\r\n');
  await child.line((l) => l.ev === 'returned', 30000, 'serveForever returned');
  const exit = await within(child.exited, 5000, 'child exit');
  t.same([exit.code, exit.signal], [0, null], `the child exits normally (stderr: ${child.stderr.slice(-2000)})`);
});

t.test('serveForever with a handler module that cannot be loaded: clients are closed, the error is reported', async (t) => {
  const missing = new URL('../fixtures/handlers/no-such-handler.js', handlerUrl('echo')).href;
  const { child, port } = await serve(t, missing, { warmHandlers: 1 });
  for (let i = 0; i < 2; i++) {
    const c = await connect(t, port);
    t.equal(await within(c.reader.read(100), 5000, 'EOF'), '', `client ${i} is closed, not left hanging`);
  }
  await until(() => /cannot load handler .*no-such-handler\.js/.test(child.stderr), 5000, 'load error reported');
  t.pass('the load error is reported on stderr');
  t.equal(child.exit, null, 'the server keeps running');
});
