/**
 * Interop: fingerprints of real peers over loopback.
 *
 * - Our fingerprinting shell probed by inetutils telnet, busybox telnet,
 *   TinTin++, Python's stdlib telnetlib and our own client: each session
 *   gives a record of the documented shape; each client's hash is the same
 *   on a second session and differs from every other client's.
 * - Our server probe against inetutils telnetd (via tcpserver), busybox
 *   telnetd and our own telsh server: the same, for servers.
 *
 * Peers missing where .ci/install-peers never ran are skipped; where it
 * ran, they fail (tests/helpers/peers.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { createServer } from '../../src/server.js';
import { telsh } from '../../src/shells/telsh.js';
import type { ClientFingerprintRecord } from '../../src/fingerprint/client-record.js';
import { makeFingerprintShell } from '../../src/fingerprint/server-shell.js';
import { probeServer, type ServerFingerprintRecord } from '../../src/fingerprint/server-probe.js';
import { clientRecordProblems, serverRecordProblems } from '../helpers/fingerprint-shape.js';
import {
  type PeerProcess, catLoginPath, freePort, killAll, needPeer, peer, peerTestOptions, spawnPeer, spawnPty, waitListening, withTimeout,
} from '../helpers/peers.js';

const TEST_MS = 60000;
const STEP_MS = 10000;
const SUMMARY = /telnetlib3 client fingerprint/;

const inetutils = peer('inetutils-telnet');
const busybox = peer('busybox-telnet');
const tintin = peer('tt++');
const python = peer('python3-telnetlib');
const inetutilsd = peer('inetutils-telnetd');
const tcpserver = peer('tcpserver');
const busyboxd = peer('busybox-telnetd');

t.teardown(() => killAll());

// ------------------------------------------------------------ clients

interface FpServer {
  port: number;
  next(): Promise<ClientFingerprintRecord>;
}

async function fpServer(tt: Test): Promise<FpServer> {
  const queue: ClientFingerprintRecord[] = [];
  const waiters: Array<(r: ClientFingerprintRecord) => void> = [];
  const server = await createServer({
    host: '127.0.0.1', port: 0, connectMaxwait: 1500,
    shell: makeFingerprintShell({
      terminalTimeout: 500,
      onRecord: (r) => { const w = waiters.shift(); if (w !== undefined) w(r); else queue.push(r); },
    }),
  });
  tt.teardown(async () => { server.close(); await server.waitClosed(); });
  return {
    port: server.port,
    next: () => withTimeout(queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r)), STEP_MS, 'fingerprint record'),
  };
}

/** Two sessions of one client: both records, checked for shape and equal hashes. */
async function twice(tt: Test, srv: FpServer, run: () => Promise<void>): Promise<string> {
  const hashes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const rec = srv.next();
    await run();
    const r = await rec;
    tt.same(clientRecordProblems(r), [], `session ${i + 1}: documented shape`);
    hashes.push(r['telnet-probe'].fingerprint);
  }
  tt.equal(hashes[1], hashes[0], `stable hash ${hashes[0]}`);
  return hashes[0]!;
}

const clientHashes = new Map<string, string>();

t.test('fingerprint server: clients', async (t) => {
  const srv = await fpServer(t);

  t.test('inetutils telnet', peerTestOptions(TEST_MS, inetutils), async (tt) => {
    const bin = needPeer(tt, inetutils);
    if (bin === null) return;
    clientHashes.set('inetutils telnet', await twice(tt, srv, async () => {
      const p = spawnPty(bin, ['127.0.0.1', String(srv.port)], { timeoutMs: STEP_MS });
      tt.teardown(() => p.kill());
      await p.expect(SUMMARY, STEP_MS);
      await withTimeout(p.exited, STEP_MS, 'telnet exit');
    }));
  });

  t.test('busybox telnet', peerTestOptions(TEST_MS, busybox), async (tt) => {
    const bin = needPeer(tt, busybox);
    if (bin === null) return;
    clientHashes.set('busybox telnet', await twice(tt, srv, async () => {
      const p = spawnPty(bin, ['telnet', '127.0.0.1', String(srv.port)], { timeoutMs: STEP_MS });
      tt.teardown(() => p.kill());
      await p.expect(SUMMARY, STEP_MS);
      await withTimeout(p.exited, STEP_MS, 'busybox telnet exit');
    }));
  });

  t.test('TinTin++', peerTestOptions(TEST_MS, tintin), async (tt) => {
    const bin = needPeer(tt, tintin);
    if (bin === null) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fp-tintin-'));
    tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'session.tin');
    writeFileSync(script, ['#delay {9} {#end}', '#event {SESSION DISCONNECTED} {#end}', `#session {peer} {127.0.0.1} {${srv.port}}`, ''].join('\n'));
    clientHashes.set('tt++', await twice(tt, srv, async () => {
      const p = spawnPeer(bin, ['-H', '-G', '-r', script], { timeoutMs: STEP_MS, cwd: dir, env: { ...process.env, HOME: dir, TERM: 'xterm' } });
      tt.teardown(() => p.kill());
      await withTimeout(p.exited, STEP_MS + 1000, 'tt++ exit');
      tt.match(p.stdout(), SUMMARY, 'tt++ showed the summary');
    }));
  });

  t.test('Python telnetlib', peerTestOptions(TEST_MS, python), async (tt) => {
    const bin = needPeer(tt, python);
    if (bin === null) return;
    const code = 'import sys, telnetlib\nt = telnetlib.Telnet("127.0.0.1", int(sys.argv[1]), timeout=8)\nsys.stdout.write(repr(t.read_all()))\n';
    clientHashes.set('python telnetlib', await twice(tt, srv, async () => {
      const p = spawnPeer(bin, ['-W', 'ignore', '-c', code, String(srv.port)], { timeoutMs: STEP_MS });
      tt.teardown(() => p.kill());
      const exit = await withTimeout(p.exited, STEP_MS + 1000, 'python exit');
      tt.equal(exit.code, 0, `python exits 0 (${p.stderr().slice(-200)})`);
      tt.match(p.stdout(), SUMMARY, 'telnetlib read the summary');
    }));
  });

  t.test('our client', async (tt) => {
    clientHashes.set('telnetlib3 (ours)', await twice(tt, srv, async () => {
      const { reader, writer } = await openConnection('127.0.0.1', srv.port, { term: 'xterm', connectMaxwait: 3000, connectTimeout: 3000 });
      const timer = setTimeout(() => writer.close(), STEP_MS);
      const all = await reader.read(-1);
      clearTimeout(timer);
      tt.match(all, SUMMARY, 'our client read the summary');
    }));
  });

  t.test('every client has its own hash', (tt) => {
    const seen = [...clientHashes.entries()];
    tt.comment(seen.map(([k, v]) => `${v}  ${k}`).join('\n'));
    tt.equal(new Set(seen.map(([, v]) => v)).size, seen.length, `${seen.length} clients, ${seen.length} hashes`);
    tt.end();
  });
});

// ------------------------------------------------------------ servers

const FAST = { bannerQuietTime: 500, bannerMaxWait: 3000, msspWait: 0, settle: 200, connectTimeout: 3000, totalTimeout: 20000 };
const serverHashes = new Map<string, string>();

async function serveProc(tt: Test, start: (port: number) => PeerProcess): Promise<number> {
  let lastErr: unknown;
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
    tt.teardown(() => proc.stop());
    return port;
  }
  throw lastErr;
}

async function probeTwice(tt: Test, port: number): Promise<ServerFingerprintRecord> {
  const a = await probeServer('127.0.0.1', port, FAST);
  tt.same(serverRecordProblems(a), [], 'documented shape');
  const b = await probeServer('127.0.0.1', port, FAST);
  tt.equal(b['server-probe'].fingerprint, a['server-probe'].fingerprint, `stable hash ${a['server-probe'].fingerprint}`);
  return a;
}

t.test('fingerprint client: servers', async (t) => {
  t.test('inetutils telnetd via tcpserver', peerTestOptions(TEST_MS, inetutilsd, tcpserver), async (tt) => {
    const telnetd = needPeer(tt, inetutilsd);
    const tcpsrv = needPeer(tt, tcpserver);
    if (telnetd === null || tcpsrv === null) return;
    const login = catLoginPath();
    const port = await serveProc(tt, (p) => spawnPeer(tcpsrv, ['-R', '-H', '-l', 'localhost', '-c', '4', '127.0.0.1', String(p), telnetd, '-h', '-E', login], { timeoutMs: TEST_MS - 1000 }));
    const rec = await probeTwice(tt, port);
    const fd = rec['server-probe']['fingerprint-data'];
    tt.ok(fd['requested-options'].includes('TTYPE'), `telnetd asked for TTYPE (${fd['requested-options'].join(',')})`);
    tt.match((rec['server-probe'].session_data as any).banner_before_return, /READY/, 'banner from the login program');
    serverHashes.set('inetutils telnetd', rec['server-probe'].fingerprint);
  });

  t.test('busybox telnetd', peerTestOptions(TEST_MS, busyboxd), async (tt) => {
    const bb = needPeer(tt, busyboxd);
    if (bb === null) return;
    const login = catLoginPath();
    const port = await serveProc(tt, (p) => spawnPeer(bb, ['telnetd', '-F', '-K', '-f', '/dev/null', '-b', '127.0.0.1', '-p', String(p), '-l', login], { timeoutMs: TEST_MS - 1000 }));
    const rec = await probeTwice(tt, port);
    const fd = rec['server-probe']['fingerprint-data'];
    tt.ok(fd['offered-options'].includes('ECHO') && fd['offered-options'].includes('SGA'), 'busybox WILLs ECHO and SGA');
    serverHashes.set('busybox telnetd', rec['server-probe'].fingerprint);
  });

  t.test('our telsh server', async (tt) => {
    const server = await createServer({ host: '127.0.0.1', port: 0, connectMaxwait: 1000, shell: (r, w) => telsh(r, w) });
    tt.teardown(async () => { server.close(); await server.waitClosed(); });
    const rec = await probeTwice(tt, server.port);
    serverHashes.set('telnetlib3 (ours)', rec['server-probe'].fingerprint);
  });

  t.test('every server has its own hash', (tt) => {
    const seen = [...serverHashes.entries()];
    tt.comment(seen.map(([k, v]) => `${v}  ${k}`).join('\n'));
    tt.equal(new Set(seen.map(([, v]) => v)).size, seen.length, `${seen.length} servers, ${seen.length} hashes`);
    tt.end();
  });
});
