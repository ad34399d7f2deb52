/**
 * Channel reuse (src/bridge/channel-pool.ts): a closed TelnetConnection's
 * channel goes to the thread's next connection once the engine has released
 * it. What must hold: the new connection sees only its own data, the closed
 * one keeps answering `atEof`, `writer` and `getExtraInfo` from what it had,
 * and only default-size channels are reused.
 */
import t, { type Test } from 'tap';
import { C, type Channel, F } from '../../src/bridge/channel.js';
import { poolCounters } from '../../src/bridge/channel-pool.js';
import { TelnetConnection, type TelnetConnectionOptions } from '../../src/sync/index.js';
import { connectRaw } from '../../src/sync/raw-connection.js';
import { HOST, asyncServers, cmd, until } from './helpers.js';

const { text: TEXT, bytes: BYTES } = await asyncServers(t);

function open<T extends string | Buffer = string>(tt: Test, options: TelnetConnectionOptions = {}, port = TEXT): TelnetConnection<T> {
  const c = new TelnetConnection<T>(HOST, port, { timeout: 3000, connectMaxwait: 2000, ...options });
  c.connect();
  tt.teardown(() => c.close());
  return c;
}

function channelOf(c: TelnetConnection<any>): Channel {
  return (c as unknown as { core: { ch: Channel } }).core.ch;
}

const released = (ch: Channel): boolean => (Atomics.load(ch.ctrl, C.FLAGS) & F.RELEASED) !== 0;

t.test('the next connection gets the released channel and sees only its own data', async (tt) => {
  const a = open(tt);
  a.write(cmd.send('old-data-left-unread'));
  tt.equal(a.read(4), 'old-');
  const shared = channelOf(a);
  const view = a.writer;
  const before = { sga: view.remoteOption.enabled('SGA'), ttype: view.localOption.enabled('TTYPE'), binary: view.localOption.enabled('BINARY') };
  const peer = a.getExtraInfo<unknown>('peername');
  a.close();
  await until(() => released(shared), 5000, 'the engine releases the closed connection\'s channel');

  const b = open<Buffer>(tt, { encoding: false }, BYTES);
  tt.equal(channelOf(b), shared, 'the new connection took the released channel');
  tt.not(channelOf(a), shared, 'the closed one let go of it');
  b.write(Buffer.from(cmd.send('fresh')));
  const got = b.readUntil('fresh').toString('latin1');
  tt.notMatch(got, /old|unread/, `nothing of the old connection's stream (${JSON.stringify(got)})`);
  tt.match(got, /fresh$/);

  // The closed connection answers from what it had.
  tt.same({ sga: view.remoteOption.enabled('SGA'), ttype: view.localOption.enabled('TTYPE'), binary: view.localOption.enabled('BINARY') }, before,
    'a writer view taken before close still shows the closed connection\'s options');
  tt.same(a.getExtraInfo('peername'), peer, 'getExtraInfo after close');
  tt.type(a.writer.mode, 'string', 'writer.mode after close');
  tt.equal(a.atEof, false, 'atEof: the peer had not closed');
  tt.throws(() => a.read(1), { code: 'ERR_TELNET_CLOSED_LOCALLY' }, 'reads stay refused');
  b.close();
});

t.test('a loop of connections reuses channels instead of making one each', async (tt) => {
  const created0 = poolCounters.created;
  const reused0 = poolCounters.reused;
  for (let i = 0; i < 10; i++) {
    const c = new TelnetConnection(HOST, TEXT, { timeout: 3000, connectMaxwait: 2000 });
    c.connect();
    c.write(cmd.send(`n${i}.`));
    tt.equal(c.readUntil('.'), `n${i}.`, `connection ${i} reads its own data`);
    const ch = channelOf(c);
    c.close();
    await until(() => released(ch), 5000, `channel ${i} released`);
  }
  tt.ok(poolCounters.created - created0 <= 1, `channels made: ${poolCounters.created - created0}`);
  tt.ok(poolCounters.reused - reused0 >= 9, `channels reused: ${poolCounters.reused - reused0}`);
});

t.test('a channel of another size is never reused', async (tt) => {
  const small = open(tt, { ringSize: 64 * 1024 });
  const ch = channelOf(small);
  small.close();
  await until(() => released(ch), 5000, 'released by the engine');
  const next = open(tt);
  tt.not(channelOf(next), ch, 'a default-size connection does not take it');
  next.close();
});

t.test('raw connections (compat/telnetlib) reuse their channels too', async (tt) => {
  const a = connectRaw(HOST, TEXT, 3000, Date.now() + 3000);
  a.core.write(Buffer.from(cmd.send('old-raw-data')));
  a.core.readUntil('old-', 3000);
  const shared = a.core.ch;
  a.core.close();
  await until(() => released(shared), 5000, 'the raw channel is released');
  const created = poolCounters.created;
  const reused = poolCounters.reused;
  const b = connectRaw(HOST, TEXT, 3000, Date.now() + 3000);
  tt.teardown(() => b.core.close());
  tt.same([poolCounters.created - created, poolCounters.reused - reused], [0, 1], 'the next raw connection took a parked channel');
  tt.equal(b.core.ch, shared, 'the newest released one');
  tt.not(a.core.ch, shared, 'the closed raw connection let go of its channel');
  b.core.write(Buffer.from(cmd.send('new-raw')));
  const got = b.core.readUntil('new-raw', 3000).toString('latin1');
  tt.notMatch(got, /old|data/, 'nothing of the old stream');
  tt.throws(() => a.core.read(1, 0), { code: 'ERR_TELNET_CLOSED_LOCALLY' });
});
