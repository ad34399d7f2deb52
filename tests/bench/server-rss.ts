/**
 * server.async.rss: resident memory per idle, negotiated connection with
 * 10,000 connections open to the async server (each in its shell), against
 * a bare net server holding the same number of idle sockets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { type Benchmark, note } from './harness.js';

const SERVER = fileURLToPath(new URL('./rss-server.js', import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_RSS_CONNECTIONS ?? 10000);
const BATCH = 200;

class Child {
  private readonly proc: ChildProcess;
  private lines: string[] = [];
  private waiting: ((l: string) => void) | null = null;

  constructor(mode: string) {
    this.proc = spawn(process.execPath, ['--expose-gc', SERVER, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (this.waiting) { const w = this.waiting; this.waiting = null; w(line); } else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => { this.waiting = r; });
  }

  async ask(cmd: string): Promise<number> {
    this.proc.stdin!.write(`${cmd}\n`);
    return Number(await this.next());
  }

  stop(): void {
    this.proc.stdin!.write('exit\n');
    setTimeout(() => this.proc.kill(), 1000).unref();
  }
}

async function measure(mode: 'raw' | 'telnet'): Promise<number> {
  const child = new Child(mode);
  const port = Number(await child.next());
  const before = await child.ask('rss');
  const raws: net.Socket[] = [];
  const tels: TelnetStreams[] = [];
  for (let done = 0; done < CONNECTIONS; done += BATCH) {
    const n = Math.min(BATCH, CONNECTIONS - done);
    if (mode === 'raw') {
      await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve());
        s.on('error', reject);
        raws.push(s);
      })));
    } else {
      tels.push(...await Promise.all(Array.from({ length: n }, () => openConnection('127.0.0.1', port, { connectMaxwait: 4000 }))));
    }
  }
  // Wait until the server sees every connection (in its shell, for telnet).
  for (let i = 0; i < 200 && (await child.ask('count')) < CONNECTIONS; i++) await new Promise((r) => setTimeout(r, 100));
  const seen = await child.ask('count');
  if (seen < CONNECTIONS) throw new Error(`${mode}: only ${seen} of ${CONNECTIONS} connections reached the server`);
  const after = await child.ask('rss');
  for (const s of raws) s.destroy();
  for (const t of tels) t.writer.close();
  child.stop();
  const perConn = (after - before) / CONNECTIONS / 1024;
  note(`server.async.rss ${mode}: ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB, ${perConn.toFixed(2)} KiB/connection`);
  await new Promise((r) => setTimeout(r, 500));
  return perConn;
}

export const benchmarks: Benchmark[] = [{
  name: 'server.async.rss',
  unit: 'KiB',
  async run() {
    const baseline = await measure('raw');
    const value = await measure('telnet');
    return { value, baseline };
  },
}];
