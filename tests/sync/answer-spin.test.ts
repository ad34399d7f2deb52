/**
 * The engine's answer spin (src/bridge/engine-host.ts): after data reaches
 * the caller of a connection whose writes must pass through the engine
 * thread (TLS here), the engine watches briefly for the caller's answer and
 * sends it without waiting to be woken. Only while the engine serves one
 * connection, and never for connections the caller writes to directly.
 * The peer is a line replier in its own process; every reply is checked.
 */
import { availableParallelism } from 'node:os';
import t, { type Test } from 'tap';
import { engineCall } from '../../src/bridge/engine-client.js';
import { SPIN_US } from '../../src/bridge/spin.js';
import { TelnetConnection } from '../../src/sync/index.js';
import { testCerts } from '../helpers/tls-certs.js';
import { Child, HOST, until } from './helpers.js';

const certs = testCerts();
type Stats = { conns: number; answerSpins: { armed: number; sent: number } };
const stats = (): Stats => engineCall<Stats>('stats');
// The engine spins only where callers may (spin.ts): a budget, and a second CPU.
const spins = SPIN_US > 0 && availableParallelism() > 1;

async function replier(t: Test, tlsPeer: boolean): Promise<number> {
  const child = Child.start(t, 'line-replier', tlsPeer ? [certs.localhost.certFile, certs.localhost.keyFile] : []);
  return (await child.line((l) => typeof l.port === 'number', 30000, 'replier listening')).port as number;
}

/** `n` round trips, each reply checked; the answer-spin counters they moved. */
function roundTrips(t: Test, c: TelnetConnection<string>, n: number): Stats['answerSpins'] {
  const before = stats().answerSpins;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    c.write(`line ${i}\r\n`);
    const reply = c.readUntil('> ', 10000);
    if (reply !== `got line ${i}\r\n> `) bad++;
  }
  t.equal(bad, 0, `${n} replies, in order and whole`);
  const after = stats().answerSpins;
  return { armed: after.armed - before.armed, sent: after.sent - before.sent };
}

const tlsOptions = { tls: { ca: certs.localhost.cert }, connectMaxwait: 200, timeout: 10000 };

t.test('TLS, one connection: answers go out from the spin', async (t) => {
  const port = await replier(t, true);
  const c = new TelnetConnection<string>(HOST, port, tlsOptions);
  c.connect();
  t.teardown(() => c.close());
  await until(() => stats().conns === 1, 5000, 'the engine serves this connection alone');
  const moved = roundTrips(t, c, 400);
  if (!spins) {
    t.equal(moved.armed, 0, 'no spin without a budget and a second CPU');
    return;
  }
  t.ok(moved.armed >= 400, `a spin was armed after each reply (${moved.armed})`);
  t.ok(moved.sent > 0, `some answers were sent by the spin (${moved.sent} of 400)`);
  // A bulk reply comes as full 16 KiB records: those deliveries arm no spin.
  const before = stats().answerSpins.armed;
  c.write('bulk 1048576\r\n');
  const reply = c.readUntil('> ', 10000);
  t.equal(reply.length, 1048576 + 4, 'the bulk reply whole');
  const armed = stats().answerSpins.armed - before;
  t.ok(armed < 16, `${armed} spins armed over 64 records`);
});

t.test('TLS, two connections: no spin, so the other connection never waits behind one', async (t) => {
  const port = await replier(t, true);
  const a = new TelnetConnection<string>(HOST, port, tlsOptions);
  const b = new TelnetConnection<string>(HOST, port, tlsOptions);
  a.connect();
  b.connect();
  t.teardown(() => { a.close(); b.close(); });
  const moved = roundTrips(t, a, 200);
  t.same(moved, { armed: 0, sent: 0 });
  b.write('still here\r\n');
  t.equal(b.readUntil('> ', 10000), 'got still here\r\n> ');
});

t.test('plain TCP, one connection: the caller writes directly, the engine does not spin', async (t) => {
  const port = await replier(t, false);
  const c = new TelnetConnection<string>(HOST, port, { connectMaxwait: 200, timeout: 10000 });
  c.connect();
  t.teardown(() => c.close());
  await until(() => stats().conns === 1, 5000, 'the engine serves this connection alone');
  t.same(roundTrips(t, c, 200), { armed: 0, sent: 0 });
});
