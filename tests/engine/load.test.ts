/**
 * Load and fault tests (reliability.md section 5), shortened to run in well
 * under a minute: L1 slowloris, L3 idle connections and echo latency, L3b a
 * connect storm without leaked handles, L6 throwing shells, L7 a shell that
 * never returns, L9 shutdown under load.
 */
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import type { TelnetStreams } from '../../src/server.js';
import {
  DO_TTYPE, HOST, RawPeer, bytes, memoryLogger, rejection, sleep, startServer, trackUnhandled, until, within,
} from './helpers.js';

const unhandled = trackUnhandled();

/** Greets, then echoes every line back. */
async function echoShell(reader: TelnetReader<any>, writer: TelnetWriter): Promise<void> {
  writer.write('READY\r\n');
  for await (const line of reader) writer.write(line);
}

/** Resource counts by type (sockets, timers, ...). */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** A client's negotiation as sent on the wire. */
const TRANSCRIPT = bytes(
  [0xff, 0xfb, 0x18], [0xff, 0xfa, 0x18, 0x00], 'xterm', [0xff, 0xf0],
  [0xff, 0xfd, 0x03, 0xff, 0xfd, 0x00, 0xff, 0xfb, 0x1f],
  [0xff, 0xfa, 0x1f, 0x00, 0x50, 0x00, 0x18, 0xff, 0xf0],
  [0xff, 0xfa, 0x18, 0x00], 'xterm', [0xff, 0xf0],
);

t.test('L1 slowloris: 20 clients dribbling a negotiation, one byte every 200 ms', async (t) => {
  const server = await startServer(t, { connectMaxwait: 1000, shell: echoShell });
  const peers: RawPeer[] = [];
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) peers.push(await RawPeer.connect(t, server.port));
  let stop = false;
  const dribble = (async () => {
    for (let k = 0; !stop && k < TRANSCRIPT.length; k++) {
      for (const p of peers) if (!p.closed) p.write(TRANSCRIPT.subarray(k, k + 1));
      await sleep(200);
    }
  })();
  // A normal client in the middle of it.
  await sleep(400);
  const t1 = performance.now();
  const c = await openConnection(HOST, server.port);
  t.teardown(() => c.writer.close());
  t.equal(await within(c.reader.readline(), 1000, 'normal client READY'), 'READY\r\n');
  const dt = performance.now() - t1;
  t.ok(dt < 1000, `a normal client negotiated and got its shell in ${dt.toFixed(0)} ms`);
  c.writer.write('hi\r\n');
  t.equal(await within(c.reader.readline(), 1000, 'echo'), 'hi\r\n');
  // Every slow client gets its shell by connectMaxwait (or is closed).
  await until(() => peers.every((p) => p.closed || p.received.includes('READY\r\n')), 2500, 'every slow client served');
  const elapsed = Date.now() - t0;
  t.ok(elapsed < 2500, `all 20 slow clients got their shell within ${elapsed} ms (connectMaxwait 1000)`);
  t.ok(peers.every((p) => p.received.subarray(0, 3).equals(DO_TTYPE)), 'each was greeted with IAC DO TTYPE');
  stop = true;
  await dribble;
  for (const p of peers) p.socket.destroy();
  c.writer.close();
  await until(() => server.clients.length === 0, 2000, 'socket count back to zero');
  t.pass('all closed');
});

t.test('L3 300 idle connections, then 100 echo round trips on one more', async (t) => {
  const server = await startServer(t, { shell: echoShell });
  const rss0 = process.memoryUsage().rss;
  const idle: TelnetStreams[] = [];
  t.teardown(() => { for (const c of idle) c.writer.close(); });
  const t0 = Date.now();
  for (let batch = 0; batch < 6; batch++) {
    const opened = await Promise.all(Array.from({ length: 50 }, () => openConnection(HOST, server.port)));
    idle.push(...opened);
  }
  await within(Promise.all(idle.map((c) => c.reader.readline())), 5000, 'every idle client got READY');
  t.equal(server.clients.length, 300, `300 connections accepted and negotiated in ${Date.now() - t0} ms`);
  const perPair = (process.memoryUsage().rss - rss0) / 300;
  t.comment(`RSS per connection (client and server side together): ${(perPair / 1024).toFixed(1)} KiB`);
  t.ok(perPair < 256 * 1024, `memory per idle connection pair bounded (${(perPair / 1024).toFixed(1)} KiB)`);
  await sleep(300);
  const c = await openConnection(HOST, server.port);
  t.equal(await within(c.reader.readline(), 1000, 'READY'), 'READY\r\n');
  const lat: number[] = [];
  for (let i = 0; i < 100; i++) {
    const s = performance.now();
    c.writer.write(`ping ${i}\r\n`);
    const l = await within(c.reader.readline(), 1000, `echo ${i}`);
    lat.push(performance.now() - s);
    if (l !== `ping ${i}\r\n`) t.fail(`echo ${i}: ${JSON.stringify(l)}`);
  }
  lat.sort((a, b) => a - b);
  const p99 = lat[98]!;
  t.ok(p99 < 50, `p99 echo latency ${p99.toFixed(2)} ms (p50 ${lat[49]!.toFixed(2)} ms)`);
  c.writer.close();
  for (const x of idle) x.writer.close();
  await within(Promise.all([c, ...idle].map((x) => x.writer.waitClosed())), 5000, 'all clients closed');
  await until(() => server.clients.length === 0, 3000, 'server connection count back to 0');
  t.pass('all 301 closed cleanly');
});

t.test('L3b 500 connects/closes in batches of 100: no leaked handles or timers', async (t) => {
  const server = await startServer(t, { shell: echoShell });
  const before = resources();
  for (let batch = 0; batch < 5; batch++) {
    const opened = await within(Promise.all(Array.from({ length: 100 }, () => openConnection(HOST, server.port))), 5000, `batch ${batch}`);
    // Half close politely after the greeting, half at once.
    await Promise.all(opened.map(async (c, i) => {
      if (i % 2 === 0) await c.reader.readline();
      c.writer.close();
      await c.writer.waitClosed();
    }));
  }
  await until(() => server.clients.length === 0, 3000, 'server side all closed');
  let after = resources();
  const same = (): boolean => ['TCPSocketWrap', 'TCPWrap', 'Timeout', 'TCPServerWrap'].every((k) => (after[k] ?? 0) <= (before[k] ?? 0));
  for (let i = 0; i < 50 && !same(); i++) { await sleep(20); after = resources(); }
  t.ok(same(), `sockets, servers and timers back to baseline: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
});

t.test('L6 shells that throw synchronously and asynchronously', async (t) => {
  const log = memoryLogger();
  let n = 0;
  const reported: Array<{ message: string; peerPort: number }> = [];
  const server = await startServer(t, {
    logger: log,
    onError: (err, writer) => {
      reported.push({ message: err.message, peerPort: writer.getExtraInfo<{ port: number }>('peername')!.port });
      throw new Error('a throwing onError is logged, not fatal');
    },
    shell: (reader, writer) => {
      n++;
      if (n === 1) throw new Error('sync failure');
      if (n === 2) return sleep(300).then(() => { throw new Error('async failure'); });
      return echoShell(reader, writer);
    },
  });
  const c1 = await openConnection(HOST, server.port);
  const c2 = await openConnection(HOST, server.port);
  const c3 = await openConnection(HOST, server.port);
  t.teardown(() => { for (const c of [c1, c2, c3]) c.writer.close(); });
  await within(c1.writer.waitClosed(), 2000, '#1 closed');
  await within(c2.writer.waitClosed(), 2000, '#2 closed');
  t.equal(await within(c3.reader.readline(), 1000, '#3 READY'), 'READY\r\n');
  c3.writer.write('still here\r\n');
  t.equal(await within(c3.reader.readline(), 1000, '#3 echo'), 'still here\r\n');
  t.ok(log.lines.some((l) => l.startsWith('error shell failed: Error: sync failure')), 'sync failure logged');
  t.ok(log.lines.some((l) => l.startsWith('error shell failed: Error: async failure')), 'async failure logged');
  const ports = (c: { writer: { getExtraInfo<V>(k: string): V | undefined } }): number => c.writer.getExtraInfo<{ port: number }>('sockname')!.port;
  t.same(reported.map((r) => r.message).sort(), ['async failure', 'sync failure'], 'onError got both failures');
  t.same(reported.map((r) => r.peerPort).sort(), [ports(c1), ports(c2)].sort(), 'each with the writer of its own connection');
  t.ok(log.lines.some((l) => l.startsWith('error onError callback threw')), 'the throwing callback was logged');
  const c4 = await openConnection(HOST, server.port);
  t.teardown(() => c4.writer.close());
  t.equal(await within(c4.reader.readline(), 1000, '#4 READY'), 'READY\r\n', 'the server keeps accepting');
});

t.test('L7 a shell that never returns: idle timeout and server.close(grace) still work', async (t) => {
  const never = (): Promise<void> => new Promise<void>(() => {});
  // Idle timeout.
  const s1 = await startServer(t, { timeout: 300, connectMaxwait: 100, shell: async (_r, w) => { w.write('hi\r\n'); await never(); } });
  const p1 = await RawPeer.connect(t, s1.port);
  await p1.waitEnd(2000);
  t.ok(p1.received.toString('latin1').endsWith('hi\r\n\r\nTimeout.\r\n'), 'idle timeout ends the session');
  // Shutdown with a peer that neither reads nor closes its side.
  const s2 = await startServer(t, { connectMaxwait: 100, shell: async () => { await never(); } });
  const p2 = await RawPeer.connect(t, s2.port);
  p2.socket.pause();
  const c2 = await openConnection(HOST, s2.port);
  t.teardown(() => c2.writer.close());
  await until(() => s2.clients.length === 2, 1000, 'both connected');
  await sleep(150);
  const t0 = performance.now();
  s2.close(500);
  await within(s2.waitClosed(), 1500, 'waitClosed');
  const dt = performance.now() - t0;
  t.ok(dt < 1500, `server.close(500) + waitClosed() resolved in ${dt.toFixed(0)} ms`);
  t.ok(dt >= 400, 'the stubborn peer was destroyed at the grace period');
  await within(c2.writer.waitClosed(), 1000, 'our client saw the close');
  p2.socket.resume();
  await p2.waitEnd(1000); // the server's FIN reached it
});

t.test('L9 shutdown with 100 active sessions, grace 500 ms', async (t) => {
  const server = await startServer(t, { shell: echoShell });
  const timeoutsBefore = resources().Timeout ?? 0;
  const clients = await within(Promise.all(Array.from({ length: 100 }, () => openConnection(HOST, server.port))), 5000, 'open 100');
  t.teardown(() => { for (const c of clients) c.writer.close(); });
  await within(Promise.all(clients.map((c) => c.reader.readline())), 3000, 'READY x 100');
  let roundTrips = 0;
  const active = clients.map(async (c, i) => {
    for (let k = 0; ; k++) {
      c.writer.write(`${i}:${k}\r\n`);
      const l = await c.reader.readline();
      if (l === '') return;
      roundTrips++;
      await sleep(5);
    }
  });
  // A few peers that neither read nor close: only the grace period ends them.
  const stubborn: RawPeer[] = [];
  for (let i = 0; i < 5; i++) { const p = await RawPeer.connect(t, server.port); p.socket.pause(); stubborn.push(p); }
  await sleep(300);
  t.ok(roundTrips > 100, `sessions are active (${roundTrips} round trips)`);
  const port = server.port;
  const t0 = performance.now();
  server.close(500);
  const refused = await rejection(openConnection(HOST, port, { connectTimeout: 500 }), 1000, 'connect after close');
  t.equal(refused.code, 'ERR_TELNET_CONNECTION_REFUSED', 'new connections are refused at once');
  await within(server.waitClosed(), 1500, 'waitClosed');
  const dt = performance.now() - t0;
  t.ok(dt < 1000, `close(500) resolved in ${dt.toFixed(0)} ms`);
  await within(Promise.all(active), 2000, 'every session saw EOF');
  await within(Promise.all(clients.map((c) => c.writer.waitClosed())), 2000, 'every client closed');
  for (const p of stubborn) p.socket.resume();
  await within(Promise.all(stubborn.map((p) => p.waitEnd(1000))), 1500, 'stubborn peers got the close notice');
  let timeouts = resources().Timeout ?? 0;
  for (let i = 0; i < 50 && timeouts > timeoutsBefore; i++) { await sleep(20); timeouts = resources().Timeout ?? 0; }
  t.ok(timeouts <= timeoutsBefore, `no timers remain (${timeoutsBefore} → ${timeouts})`);
});

t.test('close(5000) with cooperative clients resolves at once and leaves no grace timer behind', async (t) => {
  const server = await startServer(t, { shell: echoShell });
  const clients = await Promise.all(Array.from({ length: 10 }, () => openConnection(HOST, server.port)));
  await Promise.all(clients.map((c) => c.reader.readline()));
  const t0 = performance.now();
  server.close(5000);
  await within(server.waitClosed(), 1000, 'waitClosed');
  t.ok(performance.now() - t0 < 500, 'clients answered the FIN: no need to wait for the grace period');
  await sleep(10);
  t.equal((server as unknown as { graceTimer: unknown }).graceTimer, null, 'the grace timer was cleared');
});

t.test('no unhandled promise rejection in this file', async (t) => unhandled.check(t));
