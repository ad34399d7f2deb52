/**
 * The poll-loop API a single thread uses to serve many connections
 * (what compat/miniboa is built on): BlockingTelnetServer.activityMark() and
 * waitForActivity(timeout, since), ServerConnection.hasInput(), writeNow()
 * and closedLocally. The server runs in raw mode (bytes untouched) and the
 * peer is a plain socket of this process.
 */
import net from 'node:net';
import t from 'tap';
import { BlockingTelnetServer } from '../../src/sync/index.js';
import { HOST, until, within } from './helpers.js';

t.test('activity marks, hasInput, writeNow, closedLocally', async (t) => {
  const server = new BlockingTelnetServer(HOST, 0, { raw: true, ringSize: 16 * 1024 } as never);
  server.start();
  t.teardown(() => server.shutdown());

  const quiet = server.activityMark();
  const t0 = Date.now();
  t.equal(server.waitForActivity(100, quiet), false, 'nothing happens: false at the timeout');
  t.ok(Date.now() - t0 >= 90, 'after about the timeout');

  const mark = server.activityMark();
  const sock = net.connect(server.port, HOST);
  t.teardown(() => { sock.destroy(); });
  const received: Buffer[] = [];
  sock.on('data', (b: Buffer) => received.push(b));
  await within(new Promise((r) => sock.once('connect', r)), 2000, 'connect');
  await until(() => server.waitForActivity(50, mark), 2000, 'a new connection is news');
  t.ok(server.waitForActivity(0, mark), 'a stale mark returns at once');
  const conn = server.acceptNow();
  if (conn === null) throw new Error('no connection');
  t.equal(server.acceptNow(), null, 'only one connection');
  t.notOk(conn.hasInput(), 'no input yet');

  const before = server.activityMark();
  await new Promise<void>((r) => sock.write('hi', () => r()));
  await until(() => server.waitForActivity(50, before), 2000, 'data is news');
  await until(() => conn.hasInput(), 2000, 'hasInput');
  t.equal(conn.readAvailable().toString(), 'hi');
  t.notOk(conn.hasInput(), 'nothing left after reading it all');

  t.equal(conn.writeNow(Buffer.from('yo')), 2, 'a small write is taken whole');
  await until(() => Buffer.concat(received).toString() === 'yo', 2000, 'the peer got it');

  // More than the 16 KiB ring at once: a partial take, never a block.
  const big = Buffer.alloc(64 * 1024, 0x61);
  const t1 = Date.now();
  const n = conn.writeNow(big);
  t.ok(Date.now() - t1 < 200, 'writeNow does not wait');
  t.ok(n > 0 && n <= 16 * 1024, `it took what fits in the ring (${n} bytes)`);
  await until(() => Buffer.concat(received).length === 2 + n, 2000, 'the peer got exactly what was taken');

  t.notOk(conn.closedLocally);
  conn.close();
  t.ok(conn.closedLocally, 'closedLocally after close()');
  t.equal(conn.writeNow(Buffer.from('x')), -1, 'writeNow after close: -1');
  t.ok(conn.hasInput(), 'a closed connection reads at once (no blocking on it)');
});
