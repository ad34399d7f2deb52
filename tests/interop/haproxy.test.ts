/**
 * Interop: Debian's haproxy in TCP mode in front of two telnetlib3-server
 * processes started with --proxy-protocol, on loopback. One frontend sends
 * PROXY v1 (`send-proxy`), the other v2 (`send-proxy-v2`); health checks
 * send their own header (`check-send-proxy`). Clients bind distinct
 * loopback addresses (127.0.0.x), so the address the servers log can only
 * have come from the header: every backend connection comes from haproxy
 * at 127.0.0.1. Then one backend is killed and new connections still get
 * telsh from the other.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { freePort, killAll, needPeer, peer, peerTestOptions, spawnPeer, waitListening, withTimeout } from '../helpers/peers.js';
import { startServer, waitFor } from '../cli/helpers.js';

const haproxy = peer('haproxy');
t.teardown(() => killAll());

/** Connect from `local` through haproxy and read up to the telsh prompt. */
async function viaProxy(port: number, local: string): Promise<{ c: TelnetStreams; text: string; localPort: number }> {
  const c = await openConnection('127.0.0.1', port, { localAddress: local, connectMaxwait: 2000, connectTimeout: 10000 });
  let text = '';
  const end = Date.now() + 15000;
  while (!text.includes('tel:sh>')) {
    if (Date.now() > end) throw new Error(`no telsh prompt through haproxy; got ${JSON.stringify(text)}`);
    const chunk = await withTimeout(c.reader.read(4096) as Promise<string>, 15000, 'prompt through haproxy');
    if (!chunk) throw new Error(`EOF through haproxy before the prompt; got ${JSON.stringify(text)}`);
    text += chunk;
  }
  const sock = c.writer.getExtraInfo<{ port: number }>('sockname');
  return { c, text, localPort: sock?.port ?? 0 };
}

t.test('haproxy send-proxy / send-proxy-v2 to two servers; one killed, the other serves', peerTestOptions(120000, haproxy), async (t) => {
  const bin = needPeer(t, haproxy);
  if (bin === null) return;
  const args = ['--proxy-protocol', '--proxy-from', '127.0.0.1', '--timeout', '0', '--loglevel', 'info'];
  const a = await startServer(t, args);
  const b = await startServer(t, args);
  const [v1Port, v2Port] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telnetlib3-haproxy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const backend = (name: string, send: string): string => `
backend ${name}
  balance roundrobin
  option redispatch
  retries 3
  server a 127.0.0.1:${a.port} ${send} check check-send-proxy inter 300 fall 1 rise 1
  server b 127.0.0.1:${b.port} ${send} check check-send-proxy inter 300 fall 1 rise 1
`;
  const cfg = `
global
  maxconn 200
defaults
  mode tcp
  timeout connect 3s
  timeout client 60s
  timeout server 60s
frontend v1
  bind 127.0.0.1:${v1Port}
  default_backend b_v1
frontend v2
  bind 127.0.0.1:${v2Port}
  default_backend b_v2
${backend('b_v1', 'send-proxy')}${backend('b_v2', 'send-proxy-v2')}`;
  const cfgPath = path.join(dir, 'haproxy.cfg');
  writeFileSync(cfgPath, cfg);
  // -db: foreground, no daemon; killed with the test's process groups.
  const hp = spawnPeer(bin, ['-db', '-f', cfgPath], { timeoutMs: 110000 });
  t.teardown(() => hp.kill());
  await waitListening(v1Port, 10000, hp);
  await waitListening(v2Port, 10000, hp);

  const logs = (): string => a.proc.stderr() + b.proc.stderr();
  const open: TelnetStreams[] = [];
  const first: Array<{ c: TelnetStreams; local: string; localPort: number }> = [];
  t.teardown(() => { for (const c of open) c.writer.close(); });
  // Four clients on each frontend, each from its own loopback address.
  for (const [version, port] of [[1, v1Port], [2, v2Port]] as const) {
    for (let i = 0; i < 4; i++) {
      const local = `127.0.${version}.${10 + i}`;
      const r = await viaProxy(port, local);
      open.push(r.c);
      first.push({ c: r.c, local, localPort: r.localPort });
      t.match(r.text, /tel:sh>/, `v${version} client ${local} sees telsh`);
      const esc = local.replace(/\./g, '\\.');
      await waitFor(logs, new RegExp(`connection from ${esc}:${r.localPort} \\(PROXY v${version} via 127\\.0\\.0\\.1:\\d+\\)`), 10000,
        `server logs ${local}:${r.localPort}`);
    }
  }
  // Round robin reached both servers.
  t.match(a.proc.stderr(), /connection from 127\.0\.[12]\.\d+:\d+ \(PROXY/, 'server a served some');
  t.match(b.proc.stderr(), /connection from 127\.0\.[12]\.\d+:\d+ \(PROXY/, 'server b served some');
  t.notMatch(logs(), /ERR_TELNET_PROXY_(MISSING|MALFORMED|TOO_LONG|CHECKSUM|FORBIDDEN)/, 'no header was refused');

  // Kill server a mid-run; new connections on both frontends are served by b.
  a.proc.kill();
  await withTimeout(a.proc.exited, 10000, 'server a exit');
  const before = b.proc.stderr().length;
  for (const [version, port] of [[1, v1Port], [2, v2Port]] as const) {
    for (let i = 0; i < 3; i++) {
      const local = `127.0.${version}.${50 + i}`;
      const r = await viaProxy(port, local);
      open.push(r.c);
      t.match(r.text, /tel:sh>/, `after the kill: v${version} client ${local} sees telsh`);
      await waitFor(() => b.proc.stderr().slice(before), new RegExp(`connection from ${local.replace(/\./g, '\\.')}:${r.localPort} \\(PROXY v${version}`),
        10000, `server b logs ${local}`);
    }
  }
  // Clients already on b were not disturbed: each still answers.
  const onB = first.filter((r) => b.proc.stderr().slice(0, before).includes(`connection from ${r.local}:${r.localPort} `));
  t.ok(onB.length > 0, `${onB.length} of the first clients were on b`);
  for (const r of onB) {
    r.c.writer.write('help\r');
    let text = '';
    while (!/quit, writer/.test(text)) {
      const chunk = await withTimeout(r.c.reader.read(4096) as Promise<string>, 10000, `help answer for ${r.local}`);
      if (!chunk) throw new Error(`${r.local}: EOF`);
      text += chunk;
    }
    t.pass(`${r.local} on b still answers`);
  }
  t.equal(hp.done, false, 'haproxy still running');
});
