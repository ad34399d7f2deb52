/**
 * Closing in every state: during negotiation, with reads pending on either
 * side, with writes pending to a peer that does not read, RST at every point
 * of a negotiation, and half-close.
 */
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import {
  DO_TTYPE, HOST, RawPeer, bytes, connect, pair, rawServer, rejection, sleep, startServer, trackUnhandled, until, within,
} from './helpers.js';

const unhandled = trackUnhandled();

/** Time `p` takes from now, in ms. */
async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

t.test('client goes away during negotiation (after DO TTYPE)', async (t) => {
  for (const how of ['rst', 'destroy', 'end'] as const) {
    let shells = 0;
    const server = await startServer(t, {
      connectMaxwait: 4000,
      shell: async (reader) => { shells++; await reader.read(-1); },
    });
    const p = await RawPeer.connect(t, server.port);
    await p.waitForBytes(DO_TTYPE, 1000);
    await until(() => server.clients.length === 1, 500, 'accepted');
    const t0 = Date.now();
    if (how === 'rst') p.socket.resetAndDestroy();
    else if (how === 'destroy') p.socket.destroy();
    else p.socket.end();
    await until(() => server.clients.length === 0, 1000, `${how}: connection gone`);
    const dt = Date.now() - t0;
    t.ok(dt < 500, `${how}: server side closed ${dt} ms later, not at connectMaxwait`);
    if (how === 'rst') t.equal(shells, 0, 'rst: the shell never started');
    else t.ok(shells <= 1, `${how}: the shell ran at most once against EOF (${shells})`);
  }
});

t.test('server goes away during negotiation: openConnection resolves, reader at EOF', async (t) => {
  for (const how of ['end', 'rst'] as const) {
    const { port } = await rawServer(t, (s) => {
      s.write(DO_TTYPE);
      s.once('data', () => { if (how === 'rst') s.resetAndDestroy(); else s.end(); });
    });
    const [c, dt] = await timed(within(openConnection(HOST, port, { connectMaxwait: 3000 }), 2000, `open (${how})`));
    t.ok(dt < 500, `${how}: resolved after ${dt.toFixed(0)} ms, not at maxwait`);
    t.equal(await within(c.reader.read(10), 500, 'read'), '', `${how}: EOF`);
    await within(c.writer.waitClosed(), 3000, `${how}: client closed`);
    t.ok(c.writer.isClosing());
  }
});

t.test('our client closes right after openConnection', async (t) => {
  let shells = 0;
  const server = await startServer(t, { shell: async (r) => { shells++; await r.read(-1); } });
  for (let i = 0; i < 20; i++) {
    const c = await openConnection(HOST, server.port);
    c.writer.close();
    await within(c.writer.waitClosed(), 3000, 'client closed');
  }
  await until(() => server.clients.length === 0, 2000, 'all server sides gone');
  t.ok(shells <= 20, `shells started: ${shells}`);
  t.ok(server.isServing());
});

t.test('a pending read on the server resolves at the client close within 100 ms', async (t) => {
  for (const how of ['close', 'destroy'] as const) {
    const { s, c } = await pair(t);
    c.writer.write('par');
    await within(s.writer.waitForCondition(() => s.reader.buffered === 3), 1000, 'partial line buffered');
    const line = s.reader.readline();
    await sleep(20);
    const t0 = performance.now();
    if (how === 'close') c.writer.close();
    else (c.writer as any).conn.destroy();
    const v = await within(line, 1000, 'readline');
    const dt = performance.now() - t0;
    t.equal(v, 'par', `${how}: readline returns the partial line`);
    t.ok(dt < 100, `${how}: after ${dt.toFixed(1)} ms`);
    const [v2, dt2] = await timed(within(s.reader.readline(), 100, 'second readline'));
    t.equal(v2, '', 'then EOF');
    t.ok(dt2 < 20, 'at once');
    const [v3] = await timed(within(s.reader.read(5), 100, 'read after EOF'));
    t.equal(v3, '');
  }
});

t.test('pending reads and waits on the client resolve at the server close within 100 ms', async (t) => {
  const cases: Array<[string, (r: TelnetReader<any>, w: TelnetWriter) => Promise<unknown>, (v: unknown, t: any) => void]> = [
    ['read', (r) => r.read(100), (v, t) => t.equal(v, '')],
    ['readline', (r) => r.readline(), (v, t) => t.equal(v, '')],
    ['readexactly', (r) => r.readexactly(10).catch((e) => e), (v: any, t) => t.equal(v.code, 'ERR_TELNET_CLOSED')],
    ['readUntil', (r) => r.readUntil('$ ').catch((e) => e), (v: any, t) => t.equal(v.code, 'ERR_TELNET_CLOSED')],
    ['waitFor', (_r, w) => w.waitFor({ remote: { LOGOUT: true } }).catch((e) => e), (v: any, t) => t.equal(v.code, 'ERR_TELNET_CLOSED')],
  ];
  for (const [name, start, check] of cases) {
    for (const how of ['close', 'destroy'] as const) {
      const { s, c } = await pair(t);
      const p = start(c.reader, c.writer);
      await sleep(20);
      const t0 = performance.now();
      if (how === 'close') s.writer.close();
      else (s.writer as any).conn.destroy();
      const v = await within(p, 1000, name);
      const dt = performance.now() - t0;
      check(v, t);
      t.ok(dt < 100, `${name} (${how}): settled after ${dt.toFixed(1)} ms`);
      await within(c.writer.waitClosed(), 3000, 'client closed');
    }
  }
});

t.test('readUntil at EOF carries the partial data', async (t) => {
  const { s, c } = await pair(t);
  s.writer.write('login');
  const p = c.reader.readUntil('login: ');
  await sleep(20);
  s.writer.close();
  const e = await rejection(p, 1000, 'readUntil');
  t.equal(e.code, 'ERR_TELNET_CLOSED');
  t.equal(e.partial, 'login');
});

t.test('close with writes pending to a peer that does not read', async (t) => {
  const MiB = 1024 * 1024;
  // Server → raw client that never reads.
  let drainSettled = false;
  let shellDone = false;
  const server = await startServer(t, {
    connectMaxwait: 100,
    shell: async (_r, w) => {
      const chunk = 'z'.repeat(64 * 1024);
      for (let i = 0; i < 64; i++) w.write(chunk);
      void w.drain().then(() => { drainSettled = true; });
      shellDone = true;
    },
  });
  const p = await RawPeer.connect(t, server.port);
  p.socket.pause();
  await until(() => shellDone, 2000, 'shell wrote 4 MiB and returned');
  t.notOk(drainSettled, 'drain is pending while the peer does not read');
  const [, dt] = await timed(until(() => server.clients.length === 0, 4000, 'server side closed'));
  t.ok(dt < 3000, `the connection was destroyed ${dt.toFixed(0)} ms after close (peer never read)`);
  await until(() => drainSettled, 500, 'drain settles at close');
  t.ok(drainSettled);
  const w = server.clients[0]?.writer;
  t.equal(w, undefined);

  // server.close(grace) is faster than the 2 s default.
  const server2 = await startServer(t, {
    connectMaxwait: 100,
    shell: async (_r, w) => { for (let i = 0; i < 64; i++) w.write('y'.repeat(64 * 1024)); await new Promise(() => {}); },
  });
  const p2 = await RawPeer.connect(t, server2.port);
  p2.socket.pause();
  await until(() => server2.clients.length === 1, 1000, 'accepted');
  await sleep(300);
  server2.close(200);
  const [, dt2] = await timed(within(server2.waitClosed(), 1500, 'waitClosed'));
  t.ok(dt2 < 700, `server.close(200) finished in ${dt2.toFixed(0)} ms`);

  // Our client → a raw server that never reads.
  const { port } = await rawServer(t, (s) => { s.pause(); s.write(DO_TTYPE); });
  const c = await openConnection(HOST, port, { connectMaxwait: 300 });
  for (let i = 0; i < 4 * 16; i++) c.writer.write('q'.repeat(64 * 1024));
  t.ok(4 * MiB > 0);
  c.writer.close();
  c.writer.write('ignored after close');
  t.ok(c.writer.isClosing());
  const [, dt3] = await timed(within(c.writer.waitClosed(), 4000, 'client closed'));
  t.ok(dt3 < 3000, `client with unsendable output closed after ${dt3.toFixed(0)} ms`);
});

/** What a real client says during negotiation, then a line of data. */
const TRANSCRIPT = bytes(
  [0xff, 0xfb, 0x18], // WILL TTYPE
  [0xff, 0xfa, 0x18, 0x00], 'xterm', [0xff, 0xf0],
  [0xff, 0xfd, 0x03, 0xff, 0xfd, 0x00, 0xff, 0xfb, 0x1f, 0xff, 0xfb, 0x2a], // DO SGA, DO BINARY, WILL NAWS, WILL CHARSET
  [0xff, 0xfa, 0x1f, 0x00, 0x50, 0x00, 0x18, 0xff, 0xf0], // NAWS 80x24
  [0xff, 0xfa, 0x18, 0x00], 'xterm', [0xff, 0xf0],
  [0xff, 0xfd, 0x01, 0xff, 0xfb, 0x27], // DO ECHO, WILL NEW_ENVIRON
  [0xff, 0xfa, 0x27, 0x00, 0x00], 'TERM', [0x01], 'xterm', [0x00], 'LANG', [0x01], 'en_US.UTF-8', [0xff, 0xf0],
  [0xff, 0xfb, 0x00, 0xff, 0xfd, 0x2a], // WILL BINARY, DO CHARSET
  [0xff, 0xfa, 0x2a, 0x02], 'UTF-8', [0xff, 0xf0],
  'hello\r\n',
);

t.test('RST at 50 offsets of a negotiation: the server keeps serving', async (t) => {
  let started = 0;
  let finished = 0;
  const server = await startServer(t, {
    connectMaxwait: 300,
    shell: async (reader, writer) => {
      started++;
      try {
        for await (const line of reader) writer.write(`echo:${line}`);
      } finally {
        finished++;
      }
    },
  });
  const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  for (let i = 0; i < 50; i++) {
    const offset = Math.round((i * TRANSCRIPT.length) / 49);
    const p = await RawPeer.connect(t, server.port);
    await p.waitForBytes(DO_TTYPE, 1000);
    // Send in two pieces so the server is mid-parse at some offsets.
    const cut = Math.floor(offset / 2);
    p.write(TRANSCRIPT.subarray(0, cut));
    await sleep(i % 5);
    p.write(TRANSCRIPT.subarray(cut, offset));
    if (i % 3 === 0) await sleep(2);
    p.socket.resetAndDestroy();
  }
  await until(() => server.clients.length === 0, 2000, 'every reset connection torn down');
  t.equal(server.clients.length, 0);
  await until(() => started === finished, 1000, 'every started shell finished');
  t.equal(started, finished, `${started} shells started, all finished`);
  const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  t.ok(timersAfter <= timersBefore, `no timers left behind (${timersBefore} → ${timersAfter})`);
  // Still serving.
  const c = await connect(t, server.port);
  c.writer.write('ping\r\n');
  t.equal(await within(c.reader.readline(), 2000, 'echo after 50 resets'), 'echo:ping\r\n');
});

t.test('RST while the shell waits in readline and while it writes', async (t) => {
  const errors: string[] = [];
  const server = await startServer(t, {
    connectMaxwait: 100,
    logger: { debug: () => {}, info: () => {}, warn: (m) => errors.push(m), error: (m) => errors.push(m) },
    shell: async (reader, writer) => {
      const l = await reader.readline();
      if (l.startsWith('flood')) {
        for (let i = 0; i < 200 && !writer.isClosing(); i++) { writer.write('w'.repeat(16 * 1024)); await writer.drain(); }
      }
      await reader.read(-1);
    },
  });
  for (let i = 0; i < 10; i++) {
    const p = await RawPeer.connect(t, server.port);
    await p.waitForBytes(DO_TTYPE, 1000);
    if (i % 2 === 1) {
      p.write('flood\r\n');
      await p.waitFor((b) => b.length > 64 * 1024, 2000, 'flood output');
    } else {
      p.write('partial');
      await sleep(150);
    }
    p.socket.resetAndDestroy();
  }
  await until(() => server.clients.length === 0, 2000, 'all torn down');
  t.same(errors.filter((e) => !/ECONNRESET|EPIPE/.test(e)), [], 'no error logged beyond the reset');
});

t.test('half-close: the client ends its side, the server still writes BYE, then closes', async (t) => {
  const server = await startServer(t, {
    connectMaxwait: 200,
    shell: async (reader, writer) => {
      const lines: string[] = [];
      for await (const l of reader) lines.push(l as string);
      writer.write(`BYE after ${lines.length} lines\r\n`);
    },
  });
  // Raw client: sends two lines and FIN, keeps reading.
  const p = await RawPeer.connect(t, server.port);
  p.write('one\r\ntwo\r\n');
  p.socket.end();
  await p.waitEnd(2000);
  t.ok(p.received.toString('latin1').endsWith('BYE after 2 lines\r\n'), 'BYE arrives after our FIN');
  await within(p.closedP, 1000, 'socket closed');
  // Our client: close() is a half-close that keeps reading until the server's FIN.
  const c = await connect(t, server.port);
  c.writer.write('three\r\n');
  c.writer.close();
  const rest = await within(c.reader.read(-1), 2000, 'read to EOF');
  t.equal(rest, 'BYE after 1 lines\r\n');
  await within(c.writer.waitClosed(), 2000, 'client closed');
  await until(() => server.clients.length === 0, 1000, 'server side gone');
});

t.test('a client FIN before negotiation ends starts the shell at once (no connectMaxwait wait)', async (t) => {
  const server = await startServer(t, {
    connectMaxwait: 4000,
    shell: async (reader, writer) => {
      const l = await reader.readline();
      writer.write(`you said ${l}`);
    },
  });
  const p = await RawPeer.connect(t, server.port);
  p.write('help\r\n');
  p.socket.end();
  const t0 = Date.now();
  await p.waitEnd(2000);
  t.ok(Date.now() - t0 < 500, 'answered without waiting for connectMaxwait');
  t.ok(p.received.toString('latin1').endsWith('you said help\r\n'));
});

t.test('no unhandled promise rejection in this file', async (t) => unhandled.check(t));
