/**
 * createServer({ cluster }) as a library (src/cluster.ts): the primary's
 * ClusterPrimary reports each worker and its clients, connections land in
 * different worker processes, and close() drains them all. The app is a
 * child process (tests/helpers/cluster-app.ts): node:cluster forks the
 * script that runs it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { openConnection } from '../src/client.js';
import { clusterOptions } from '../src/cluster.js';
import type { TelnetStreams } from '../src/server.js';

const APP = fileURLToPath(new URL('./helpers/cluster-app.js', import.meta.url));

t.test('clusterOptions: a count or an object; bad counts are usage errors', async (t) => {
  t.same(clusterOptions(3), { workers: 3, graceMs: 1000, reportIntervalMs: 500 });
  t.same(clusterOptions({ workers: 1, graceMs: 5 }), { workers: 1, graceMs: 5, reportIntervalMs: 500 });
  for (const bad of [0, -1, 1.5, Number.NaN, 5000]) t.throws(() => clusterOptions(bad), { code: 'ERR_TELNET_BAD_OPTION' }, String(bad));
});

t.test('primary: workers, clients per worker, close() drains', { timeout: 60000 }, async (t) => {
  const child = spawn(process.execPath, [APP, '2'], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const lines: any[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) { lines.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); }
  });
  const next = async (pred: (l: any) => boolean, what: string, cmd?: string): Promise<any> => {
    const end = Date.now() + 20000;
    for (;;) {
      if (cmd !== undefined) child.stdin.write(`${cmd}\n`);
      const seen = lines.length;
      await new Promise((r) => setTimeout(r, 50));
      const hit = lines.slice(cmd === undefined ? 0 : seen).find(pred);
      if (hit !== undefined) return hit;
      if (Date.now() > end) throw new Error(`${what}: not seen; lines ${JSON.stringify(lines.slice(-3))}`);
    }
  };
  const { port } = await next((l) => typeof l.port === 'number', 'port');
  const st = await next((l) => Array.isArray(l.workers), 'status', 'status');
  t.equal(st.workers.length, 2);
  t.ok(st.workers.every((w: any) => w.listening && w.pid > 0 && w.clients === 0), 'two idle listening workers');
  t.equal(st.serving, true);

  const conns: TelnetStreams[] = [];
  const pids = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const c = await openConnection('127.0.0.1', port, { connectMaxwait: 1000 });
    conns.push(c);
    const line = String(await c.reader.readline());
    pids.add(line.trim());
  }
  t.equal(pids.size, 2, `connections served by two processes (${[...pids].join(', ')})`);
  const busy = await next((l) => Array.isArray(l.workers) && l.clients === 4, 'four clients', 'status');
  t.same(busy.workers.map((w: any) => w.clients).sort(), [2, 2], 'two clients per worker (round robin)');
  for (const c of conns.splice(0, 3)) c.writer.close();
  await next((l) => Array.isArray(l.workers) && l.clients === 1, 'one client left', 'status');

  child.stdin.write('close\n');
  await next((l) => l.closed === true, 'closed');
  const last = conns[0]!;
  t.equal(String(await last.reader.read(100)), '', 'the last client was closed by the drain');
});
