/**
 * server.blocking.*: BlockingTelnetServer with one handler thread per
 * connection (child process), driven by async clients from this process.
 *
 * - server.blocking.accept: negotiation done → the handler's first byte,
 *   sequential connections, p50 (p99 on stderr); baseline: the same with a
 *   plain net server that writes at once.
 * - server.blocking.concurrent: N connections (default 1,000) held open,
 *   each doing one round trip per second for 5 s; value = connections whose
 *   every round trip succeeded.
 * - server.blocking.rss: the server process's RSS growth per connection (MiB).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { type Benchmark, note } from './harness.js';

const CHILD = fileURLToPath(new URL('./blocking-server-child.js', import.meta.url));
const N = Number(process.env.BENCH_BLOCKING_SERVER_CONNECTIONS ?? 1000);

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function startChild(warm: number): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [CHILD, String(warm)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`server child exited ${code}`)));
  });
  return { port, child };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function firstByteAfterNegotiation(port: number): Promise<number> {
  const { reader, writer } = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 1000 });
  const t0 = performance.now();
  await reader.readUntil('> ');
  const ms = performance.now() - t0;
  writer.close();
  return ms;
}

function rawFirstByte(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let t0 = 0;
    s.once('connect', () => { t0 = performance.now(); });
    s.once('data', () => { const ms = performance.now() - t0; s.destroy(); resolve(ms); });
    s.on('error', reject);
  });
}

function accept(): Benchmark {
  let srv: { port: number; child: ChildProcess } | null = null;
  let raw: net.Server | null = null;
  let rawPort = 0;
  return {
    name: 'server.blocking.accept',
    unit: 'ms',
    async warmup() {
      srv = await startChild(8);
      raw = net.createServer((c) => { c.on('error', () => {}); c.write('> '); });
      await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', () => r()));
      rawPort = (raw.address() as net.AddressInfo).port;
      for (let i = 0; i < 20; i++) await firstByteAfterNegotiation(srv.port);
    },
    async run() {
      const xs: number[] = [];
      const bs: number[] = [];
      for (let i = 0; i < 100; i++) {
        xs.push(await firstByteAfterNegotiation(srv!.port));
        bs.push(await rawFirstByte(rawPort));
      }
      note(`server.blocking.accept: p50 ${percentile(xs, 50).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms (plain server p50 ${percentile(bs, 50).toFixed(3)} ms)`);
      return { value: percentile(xs, 50), baseline: percentile(bs, 50) };
    },
    async teardown() { srv?.child.kill(); raw?.close(); },
  };
}

let lastRss = 0;

function concurrent(): Benchmark {
  return {
    name: 'server.blocking.concurrent',
    unit: 'connections ok',
    async run() {
      const { port, child } = await startChild(8);
      try {
        const before = rssOf(child.pid!);
        const conns: TelnetStreams[] = [];
        for (let i = 0; i < N; i += 50) {
          conns.push(...await Promise.all(Array.from({ length: Math.min(50, N - i) }, async () => {
            const c = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 2000 });
            await c.reader.readUntil('> ');
            return c;
          })));
        }
        const okRounds = new Array<number>(conns.length).fill(0);
        for (let round = 0; round < 5; round++) {
          const t0 = Date.now();
          await Promise.all(conns.map(async (c, i) => {
            c.writer.write(Buffer.from(`ping ${round}\r\n`));
            const got = await c.reader.readUntil('> ');
            if (got.toString('latin1').startsWith(`ping ${round}`)) okRounds[i]!++;
          }));
          await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
        }
        const after = rssOf(child.pid!);
        lastRss = (after - before) / conns.length / 2 ** 20;
        note(`server.blocking.concurrent: ${conns.length} connections, RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB, ${lastRss.toFixed(2)} MiB/connection`);
        for (const c of conns) c.writer.close();
        return { value: okRounds.filter((n) => n === 5).length };
      } finally {
        child.kill();
      }
    },
  };
}

function rss(): Benchmark {
  return {
    name: 'server.blocking.rss',
    unit: 'MiB',
    async run() {
      if (lastRss === 0) await concurrent().run();
      const v = lastRss;
      lastRss = 0;
      return { value: v };
    },
  };
}

export const benchmarks: Benchmark[] = [accept(), concurrent(), rss()];
