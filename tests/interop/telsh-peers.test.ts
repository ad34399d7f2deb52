/**
 * Interop: our server running the real default shell, telsh
 * (src/shells/telsh.ts), driven by real clients: its line editor and echo
 * under inetutils telnet in kludge mode and in LINEMODE (the `-PORT` form),
 * busybox telnet, and Python's telnetlib (which refuses SGA, so telsh's
 * IAC GA after the prompt reaches it).
 *
 * server-peers.test.ts covers negotiation with a small inline shell; this
 * file checks the shell people actually get.
 */
import t, { type Test } from 'tap';
import { TELSH_HELP, TELSH_PROMPT, telsh } from '../../src/shells/telsh.js';
import {
  type PtySession, type Relay, fixture, killAll, needPeer, peer, peerTestOptions, spawnPeer, spawnPty, startRelay, withTimeout,
} from '../helpers/peers.js';
import { type ShellRecord, type TestServer, startTestServer } from './harness.js';
import { negotiations, transcript } from './wire.js';

const MAXWAIT = 1000;
const TEST_MS = 15000;
const STEP_MS = 5000;

const inetutils = peer('inetutils-telnet');
const busybox = peer('busybox-telnet');
const python = peer('python3-telnetlib');

t.teardown(() => killAll());

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function rig(tt: Test): Promise<{ srv: TestServer; relay: Relay }> {
  const srv = await startTestServer({ connectMaxwait: MAXWAIT }, telsh);
  const relay = await startRelay(srv.port);
  tt.teardown(async () => {
    if (!tt.passing() || process.env.INTEROP_TRANSCRIPT === '1') tt.comment(`wire transcript:\n${transcript(relay)}`);
    await relay.close();
    await srv.close();
  });
  return { srv, relay };
}

async function finished(srv: TestServer): Promise<ShellRecord> {
  const rec = await srv.nextSession(STEP_MS);
  await withTimeout(rec.finished, STEP_MS, 'telsh end');
  return rec;
}

/** Banner, `help` (typed with a correction: DEL erases a wrong character), `writer`, `quit`. */
async function driveTelsh(tt: Test, p: PtySession): Promise<string> {
  await p.expect(/Ready\./, STEP_MS);
  await p.expect(new RegExp(esc(TELSH_PROMPT)), STEP_MS);
  p.send('helx\x7fp\r');
  await p.expect(new RegExp(esc(TELSH_HELP)), STEP_MS);
  tt.pass('help (with a DEL correction) answered');
  await p.expect(new RegExp(esc(TELSH_PROMPT)), STEP_MS);
  p.send('writer\r');
  const m = await p.expect(/<TelnetWriter server[^>]*>/, STEP_MS);
  await p.expect(new RegExp(esc(TELSH_PROMPT)), STEP_MS);
  p.send('quit\r');
  await p.expect(/Goodbye\./, STEP_MS);
  tt.pass('quit → Goodbye.');
  return m[0];
}

t.test('telsh under inetutils telnet, port mode (kludge)', peerTestOptions(TEST_MS, inetutils), async (tt) => {
  const bin = needPeer(tt, inetutils);
  if (bin === null) return;
  const { srv, relay } = await rig(tt);
  const p = spawnPty(bin, ['127.0.0.1', String(relay.port)], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => p.kill());
  const w = await driveTelsh(tt, p);
  tt.match(w, /mode:kludge/, `writer shows kludge mode (${w})`);
  tt.match(p.output(), /tel:sh> helx\x08 \x08p\r\n/, 'typed characters echoed by telsh, DEL erased with BS SP BS');
  const exit = await withTimeout(p.exited, STEP_MS, 'telnet exit');
  tt.equal(exit.exitCode, 0, 'telnet exits 0 after telsh closes');
  const rec = await finished(srv);
  tt.ok(rec.negotiationMs < MAXWAIT, `negotiation settled before connectMaxwait (${rec.negotiationMs} ms)`);
});

t.test('telsh under inetutils telnet, `-- host -PORT` (LINEMODE)', peerTestOptions(TEST_MS, inetutils), async (tt) => {
  const bin = needPeer(tt, inetutils);
  if (bin === null) return;
  const { srv, relay } = await rig(tt);
  const p = spawnPty(bin, ['--', '127.0.0.1', `-${relay.port}`], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => p.kill());
  const w = await driveTelsh(tt, p);
  tt.match(w, /mode:(remote|local)/, `writer shows a LINEMODE mode (${w})`);
  await withTimeout(p.exited, STEP_MS, 'telnet exit');
  const rec = await finished(srv);
  tt.ok(rec.atStart.remote.includes('LINEMODE'), 'LINEMODE agreed');
  tt.ok(negotiations(relay.c2s()).includes('WILL LINEMODE'), 'client offered LINEMODE');
});

t.test('telsh under busybox telnet', peerTestOptions(TEST_MS, busybox), async (tt) => {
  const bin = needPeer(tt, busybox);
  if (bin === null) return;
  const { srv, relay } = await rig(tt);
  const p = spawnPty(bin, ['telnet', '127.0.0.1', String(relay.port)], { timeoutMs: TEST_MS - 2000 });
  tt.teardown(() => p.kill());
  const w = await driveTelsh(tt, p);
  tt.match(w, /mode:kludge/, 'kludge mode');
  await withTimeout(p.exited, STEP_MS, 'busybox telnet exit');
  await finished(srv);
});

t.test('telsh under Python telnetlib (GA after the prompt, no SGA)', peerTestOptions(TEST_MS, python), async (tt) => {
  const bin = needPeer(tt, python);
  if (bin === null) return;
  const { srv, relay } = await rig(tt);
  const p = spawnPeer(bin, ['-W', 'ignore', fixture('telnetlib_client.py'), String(relay.port), TELSH_PROMPT, 'help'], { timeoutMs: 12000 });
  tt.teardown(() => p.kill());
  const exit = await withTimeout(p.exited, 13000, 'python exit');
  tt.equal(exit.code, 0, `telnetlib client exits 0 (stdout: ${p.stdout().slice(-300)})`);
  tt.match(p.stdout(), new RegExp(esc(TELSH_HELP)), 'help text read');
  tt.match(p.stdout(), /TAIL b'.*Goodbye\./, 'Goodbye. after quit');
  await finished(srv);
  tt.ok(relay.s2c().includes(Buffer.from([0xff, 0xf9])), 'IAC GA sent (SGA was refused)');
});
