/**
 * The blocking client in child processes, with the server side here:
 * the engine worker dying mid-read, a script's process exiting as soon as
 * its last statement ran, and write back-pressure with bounded memory.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { createServer } from '../../src/server.js';
import { Child, HOST, until, within } from './helpers.js';

/** An async echo-lines server here, closed in teardown. */
async function echoServer(tt: Test): Promise<number> {
  const server = await createServer({
    host: HOST, port: 0, connectMaxwait: 1000,
    shell: async (reader, writer) => {
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) return;
        writer.write(line);
      }
    },
  });
  tt.teardown(async () => {
    server.close(100);
    await within(server.waitClosed(), 5000, 'echo server closed');
  });
  return server.port;
}

t.test('the engine worker dies during a blocked readUntil: TelnetWorkerError, bounded', async (t) => {
  const port = await echoServer(t);
  const child = Child.start(t, 'crash-read', [String(port)]);
  await child.line((l) => l.ev === 'connected', 30000, 'connected');
  const read = await child.line((l) => l.ev === 'read', 15000, 'the blocked read ended');
  t.equal(read.name, 'TelnetWorkerError', `readUntil threw ${read.name}: ${read.message}`);
  t.equal(read.code, 'ERR_TELNET_WORKER');
  t.ok(read.isWorkerError, 'instanceof TelnetWorkerError');
  t.ok(read.ms < 6000, `within ${read.ms} ms of the read starting (the engine died at 300 ms)`);
  const again = await child.line((l) => l.ev === 'again', 30000, 'a later read');
  t.equal(again.code, 'ERR_TELNET_WORKER', 'later calls on the connection fail the same way');
  t.ok(again.ms < 1000, `at once (${again.ms} ms)`);
  const re = await child.line((l) => l.ev === 'reconnect', 25000, 'a new connection');
  t.equal(re.code, 'ERR_TELNET_WORKER', `a new connection fails too: ${re.message}`);
  t.ok(re.ms < 1000, `at once (${re.ms} ms)`);
  const closed = await child.line((l) => l.ev === 'closed', 30000, 'close');
  t.ok(closed.ms < 1000, 'close() with a dead engine returns at once and does not throw');
  const exit = await within(child.exited, 5000, 'child exit');
  t.equal(exit.code, 0, 'the script ends normally');
  t.ok(exit.at - closed.last < 1500, `and exits ${exit.at - closed.last} ms after its last statement`);
});

t.test('a script that closes its connection exits at once', async (t) => {
  const port = await echoServer(t);
  for (let i = 0; i < 2; i++) {
    const child = Child.start(t, 'client-script', [String(port)]);
    const done = await child.line((l) => typeof l.last === 'number', 15000, 'last statement');
    t.equal(done.line, 'hello\r\n', 'it connected, wrote, read the answer');
    const exit = await within(child.exited, 5000, 'child exit');
    t.equal(exit.code, 0);
    const lag = exit.at - done.last;
    t.ok(lag < 1000, `process exited ${lag} ms after the script's last statement (no handle left behind)`);
  }
});

t.test('write back-pressure: 100 MiB to a peer that stops reading; the writer blocks, memory stays bounded', async (t) => {
  const MIB = 100;
  const STALL_MS = 2500;
  let received = 0;
  let resumedAt = 0;
  const sockets = new Set<net.Socket>();
  const raw = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pause(); // not reading at all for a while: the kernel buffers fill, then the engine's
    setTimeout(() => {
      resumedAt = Date.now();
      s.on('data', (d: Buffer) => { received += d.length; });
      s.resume();
    }, STALL_MS);
  });
  await new Promise<void>((r) => raw.listen(0, HOST, () => r()));
  t.teardown(() => { for (const s of sockets) s.destroy(); raw.close(); });

  const child = Child.start(t, 'flood', [String((raw.address() as net.AddressInfo).port), String(MIB)]);
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, child.rss() ?? 0); }, 20);
  t.teardown(() => clearInterval(sampler));
  const connected = await child.line((l) => l.ev === 'connected', 30000, 'flood connected');
  const base = connected.rss as number;

  await until(() => resumedAt !== 0, STALL_MS + 5000, 'reader resumed');
  const duringStall = child.lines.filter((l) => l.ev === 'wrote' && l._at < resumedAt);
  t.ok(duringStall.length < 16, `while the peer read nothing, only ${duringStall.length} of ${MIB} MiB were written`);
  const lastAt = Math.max(connected._at, ...duringStall.map((l) => l._at as number));
  t.ok(resumedAt - lastAt > 1000, `write() was blocked for the last ${resumedAt - lastAt} ms of the stall`);

  const flushed = await child.line((l) => l.ev === 'flushed', 60000, 'all written and flushed');
  await until(() => received >= MIB * 1048576, 30000, 'everything received');
  clearInterval(sampler);
  t.equal(received, MIB * 1048576, `the peer got exactly ${MIB} MiB`);
  const growth = (maxRss - base) / 1048576;
  t.ok(maxRss > 0, 'RSS was sampled');
  t.ok(growth < 200, `RSS: ${(base / 1048576).toFixed(0)} MiB after connect, peak ${(maxRss / 1048576).toFixed(0)} MiB (+${growth.toFixed(0)} MiB < +200 MiB)`);
  t.comment(`back-pressure: base RSS ${(base / 1048576).toFixed(1)} MiB, peak ${(maxRss / 1048576).toFixed(1)} MiB, growth ${growth.toFixed(1)} MiB; ${MIB} MiB moved in ${flushed.at - resumedAt} ms after the stall`);
  const exit = await within(child.exited, 5000, 'flood exit');
  t.equal(exit.code, 0);
});

t.test('read back-pressure: a caller that stops reading bounds memory; the sender is held back', async (t) => {
  const TOTAL = 64 * 1024 * 1024;
  let sent = 0;
  const pattern = Buffer.from('0123456789'.repeat(6554)).subarray(0, 65530);
  const server = await createServer({
    host: HOST, port: 0, connectMaxwait: 1000,
    shell: async (_reader, writer) => {
      while (sent < TOTAL) {
        const part = pattern.subarray(0, Math.min(TOTAL - sent, pattern.length));
        writer.write(part.toString('latin1'));
        sent += part.length;
        await writer.drain();
        if (writer.isClosing()) return;
      }
    },
  });
  t.teardown(async () => {
    server.close(100);
    await within(server.waitClosed(), 5000, 'server closed');
  });
  const child = Child.start(t, 'slow-reader', [String(server.port), String(TOTAL), '2000']);
  const connected = await child.line((l) => l.ev === 'connected', 30000, 'connected');
  const stalled = await child.line((l) => l.ev === 'stalled', 30000, 'stalled');
  const sentDuringStall = sent;
  t.ok(sentDuringStall < 24 * 1024 * 1024, `while the caller read nothing the server could send only ${(sentDuringStall / 1048576).toFixed(1)} MiB of 64`);
  const growth = (stalled.rss - connected.rss) / 1048576;
  t.ok(growth < 100, `the reader's RSS grew ${growth.toFixed(1)} MiB during the stall`);
  const done = await child.line((l) => l.ev === 'done' || l.ev === 'failed', 60000, 'read everything');
  t.equal(done.ev, 'done', `the reader finished (${JSON.stringify(done)}, server sent ${sent})`);
  t.equal(done.got, TOTAL, 'then every byte arrived');
  t.equal(done.bad, -1, 'in order');
  t.comment(`read back-pressure: RSS ${(connected.rss / 1048576).toFixed(1)} MiB at connect, ${(stalled.rss / 1048576).toFixed(1)} after the stall, peak ${(done.maxRss / 1048576).toFixed(1)} while reading`);
  t.equal((await within(child.exited, 5000, 'exit')).code, 0);
});
