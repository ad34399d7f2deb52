/**
 * Interop: our client (openConnection) against real Telnet servers from
 * Debian packages, over loopback: inetutils telnetd (run per connection by
 * tcpserver, and by socat with `nofork`) and busybox telnetd (one
 * long-lived daemon). The login program is tests/fixtures/cat_login.sh:
 * READY, `echo: LINE`, `quit` → BYE. A logging relay between client and
 * server checks the bytes on the wire.
 */
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import {
  type PeerProcess, type Relay, catLoginPath, freePort, killAll, needPeer, peer, peerTestOptions, spawnPeer, startRelay,
  waitListening, withTimeout,
} from '../helpers/peers.js';
import { snapshot } from './harness.js';
import { negotiations, sbPayloads, transcript } from './wire.js';

const TEST_MS = 15000;
const STEP_MS = 5000;

const inetutilsd = peer('inetutils-telnetd');
const tcpserver = peer('tcpserver');
const socat = peer('socat');
const busyboxd = peer('busybox-telnetd');

t.teardown(() => killAll());

/** Start a server process on a free port, wait until it listens, and put a relay in front. */
async function serve(tt: Test, start: (port: number) => PeerProcess): Promise<{ proc: PeerProcess; relay: Relay }> {
  let lastErr: unknown;
  // The port is free when picked but could be taken before the peer binds it: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = start(port);
    try {
      await waitListening(port, 3000, proc);
    } catch (err) {
      lastErr = err;
      proc.kill();
      await proc.exited;
      continue;
    }
    const relay = await startRelay(port);
    tt.teardown(async () => {
      if (!tt.passing() || process.env.INTEROP_TRANSCRIPT === '1') {
        tt.comment(`wire transcript:\n${transcript(relay)}`);
        tt.comment(`${proc.command}\nstdout: ${proc.stdout().slice(-500)}\nstderr: ${proc.stderr().slice(-500)}`);
      }
      await relay.close();
      await proc.stop();
    });
    return { proc, relay };
  }
  throw lastErr;
}

/** Connect our client through the relay. */
async function connect(tt: Test, port: number): Promise<TelnetStreams> {
  const streams = await withTimeout(
    openConnection('127.0.0.1', port, { term: 'xterm', cols: 80, rows: 24, connectMaxwait: 3000, connectTimeout: 3000 }),
    STEP_MS, 'openConnection');
  tt.teardown(() => streams.writer.close());
  return streams;
}

/** READY, hello → echo: hello, quit → BYE, then EOF. Returns everything read. */
async function session(tt: Test, { reader, writer }: TelnetStreams): Promise<string> {
  let all = '';
  const until = async (s: string): Promise<void> => {
    all += await withTimeout(reader.readUntil(s), STEP_MS, `read until ${JSON.stringify(s)}`);
  };
  await until('READY');
  tt.pass('READY');
  writer.write('hello\r\n');
  await until('echo: hello');
  tt.pass('hello → echo: hello');
  writer.write('quit\r\n');
  await until('BYE');
  tt.pass('quit → BYE');
  all += await withTimeout(reader.read(), STEP_MS, 'read to EOF');
  tt.equal(await withTimeout(reader.read(), STEP_MS, 'EOF'), '', 'server closed the connection');
  return all;
}

/** Checks shared by both inetutils telnetd launchers. */
async function inetutilsChecks(tt: Test, relay: Relay, streams: TelnetStreams, text: string): Promise<void> {
  const snap = snapshot(streams.writer);
  tt.ok(snap.refusedRemote.includes('AUTHENTICATION'), 'WILL AUTHENTICATION refused');
  tt.ok(snap.refusedRemote.includes('ENCRYPT'), 'WILL ENCRYPT refused');
  tt.ok(snap.refusedLocal.includes('OLD_ENVIRON'), 'DO OLD_ENVIRON refused');
  for (const o of ['TTYPE', 'TSPEED', 'XDISPLOC', 'NEW_ENVIRON', 'NAWS']) {
    tt.ok(snap.local.includes(o), `we agreed to ${o}`);
  }
  tt.ok(snap.remote.includes('SGA'), 'server SGA');
  tt.ok(snap.remote.includes('ECHO'), 'server ECHO (after its re-offer)');

  const c2s = relay.c2s();
  const s2c = relay.s2c();
  const ours = negotiations(c2s);
  tt.ok(ours.includes('DONT AUTHENTICATION') && ours.includes('DONT ENCRYPT'), 'sent DONT AUTHENTICATION, DONT ENCRYPT');
  tt.notOk(sbPayloads(c2s, 'AUTHENTICATION').length + sbPayloads(c2s, 'ENCRYPT').length > 0, 'no AUTHENTICATION/ENCRYPT subnegotiation from us');
  const theirs = negotiations(s2c).slice(0, 7);
  tt.same(theirs, ['WILL AUTHENTICATION', 'WILL ENCRYPT', 'DO TTYPE', 'DO TSPEED', 'DO XDISPLOC', 'DO NEW_ENVIRON', 'DO OLD_ENVIRON'],
    'telnetd opened as documented');
  // telnetd waits for an answer to every SEND before it runs the login program.
  const ttype = sbPayloads(c2s, 'TTYPE');
  tt.ok(ttype.some((b) => b.equals(Buffer.from('\0xterm', 'latin1'))), 'answered TTYPE SEND with IS "xterm"');
  tt.ok(sbPayloads(c2s, 'TSPEED').some((b) => b[0] === 0 && /^\d+,\d+$/.test(b.subarray(1).toString('latin1'))), 'answered TSPEED SEND');
  tt.ok(sbPayloads(c2s, 'XDISPLOC').some((b) => b[0] === 0), 'answered XDISPLOC SEND');
  tt.ok(sbPayloads(c2s, 'NEW_ENVIRON').some((b) => b[0] === 0), 'answered NEW_ENVIRON SEND with IS');
  tt.ok(sbPayloads(c2s, 'NAWS').some((b) => b.equals(Buffer.from([0, 80, 0, 24]))), 'sent NAWS 80x24');
  // NVT output: telnetd sends "READY\r\0\r\n"; CR NUL must arrive as a bare CR.
  tt.ok(s2c.includes(Buffer.from('READY\r\0', 'latin1')), 'telnetd sent CR NUL');
  tt.notOk(text.includes('\0'), 'no NUL reached the reader');
}

t.test('inetutils telnetd via tcpserver', peerTestOptions(TEST_MS, inetutilsd, tcpserver), async (tt) => {
  const telnetd = needPeer(tt, inetutilsd);
  const tcpsrv = needPeer(tt, tcpserver);
  if (telnetd === null || tcpsrv === null) return;
  const login = catLoginPath();
  const { relay } = await serve(tt, (port) => spawnPeer(tcpsrv,
    ['-R', '-H', '-l', 'localhost', '-c', '4', '127.0.0.1', String(port), telnetd, '-h', '-E', login],
    { timeoutMs: TEST_MS - 1000 }));
  const streams = await connect(tt, relay.port);
  const text = await session(tt, streams);
  await inetutilsChecks(tt, relay, streams, text);
});

t.test('inetutils telnetd via socat (nofork)', peerTestOptions(TEST_MS, inetutilsd, socat), async (tt) => {
  const telnetd = needPeer(tt, inetutilsd);
  const socatBin = needPeer(tt, socat);
  if (telnetd === null || socatBin === null) return;
  const login = catLoginPath();
  const { relay } = await serve(tt, (port) => spawnPeer(socatBin,
    [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `EXEC:${telnetd} -h -E ${login},nofork`],
    { timeoutMs: TEST_MS - 1000 }));
  const streams = await connect(tt, relay.port);
  const text = await session(tt, streams);
  await inetutilsChecks(tt, relay, streams, text);
});

t.test('busybox telnetd', peerTestOptions(TEST_MS, busyboxd), async (tt) => {
  const bb = needPeer(tt, busyboxd);
  if (bb === null) return;
  const login = catLoginPath();
  const { relay } = await serve(tt, (port) => spawnPeer(bb,
    ['telnetd', '-F', '-K', '-f', '/dev/null', '-b', '127.0.0.1', '-p', String(port), '-l', login],
    { timeoutMs: TEST_MS - 1000 }));
  const streams = await connect(tt, relay.port);
  const text = await session(tt, streams);
  const snap = snapshot(streams.writer);
  tt.ok(snap.remote.includes('ECHO'), 'remote ECHO enabled');
  tt.ok(snap.remote.includes('SGA'), 'remote SGA enabled');
  tt.ok(snap.local.includes('NAWS'), 'we do NAWS');
  tt.ok(snap.refusedLocal.includes('ECHO'), 'DO ECHO refused (a client does not echo)');
  tt.equal(snap.mode, 'kludge', 'character-at-a-time');
  const s2c = relay.s2c();
  tt.same(negotiations(s2c).slice(0, 4), ['DO ECHO', 'DO NAWS', 'WILL ECHO', 'WILL SGA'], 'busybox opened as documented');
  const c2s = relay.c2s();
  const ours = negotiations(c2s);
  for (const n of ['WONT ECHO', 'WILL NAWS', 'DO ECHO', 'DO SGA']) tt.ok(ours.includes(n), `we sent ${n}`);
  tt.ok(sbPayloads(c2s, 'NAWS').some((b) => b.equals(Buffer.from([0, 80, 0, 24]))), 'sent NAWS 80x24');
  tt.match(text, /READY\r*\n/, 'banner line (busybox writes CR CR LF)');
  tt.match(text, /echo: hello/, 'echo');
});
