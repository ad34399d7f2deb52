/**
 * bulk.mccp2: 64 MiB of MUD text server -> our async client with MCCP2, in
 * MB/s of decompressed text, against node's zlib doing the same work in
 * the same run (a plain net server piping deflate, a plain client piping
 * inflate, same zlib parameters). Senders run in child processes. The wire
 * bytes saved and the client's CPU ms per MB go to stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { openConnection } from '../../src/client.js';
import { type Benchmark, note } from './harness.js';

const SIZE = 64 * 1024 * 1024;
const SENDER = fileURLToPath(new URL('./mccp-server.js', import.meta.url));

async function startSender(mode: 'zlib' | 'telnet', size: number): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn(process.execPath, [SENDER, mode, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(Number(out.slice(0, nl)));
    });
    child.once('exit', (code) => reject(new Error(`sender exited with ${code}`)));
  });
  return { port, stop: () => child.kill() };
}

/** Plain socket + zlib inflate to EOF: [inflated bytes, wire bytes, ms, cpu ms]. */
function zlibReceive(port: number): Promise<[number, number, number, number]> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let n = 0;
    let wire = 0;
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const z = zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    s.on('data', (d: Buffer) => { wire += d.length; });
    s.pipe(z);
    z.on('data', (d: Buffer) => { n += d.length; });
    z.on('end', () => { const c = process.cpuUsage(c0); resolve([n, wire, performance.now() - t0, (c.user + c.system) / 1000]); });
    s.on('error', reject);
    z.on('error', reject);
  });
}

/** Our client (MCCP2 accepted by default) to EOF: [bytes, wire bytes, ms, cpu ms]. */
async function telnetReceive(port: number): Promise<[number, number, number, number]> {
  const { reader, writer } = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 1000 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    const chunk = await reader.read(1 << 20);
    if (chunk.length === 0) break;
    n += chunk.length;
  }
  const c = process.cpuUsage(c0);
  const rx = writer.compression.receive;
  return [n, rx?.wireBytes ?? writer.rxBytes, performance.now() - t0, (c.user + c.system) / 1000];
}

export function mccpBenchmark(name: string, size: number, runs?: number, warmups = 2): Benchmark {
  let z: Awaited<ReturnType<typeof startSender>> | null = null;
  let tel: Awaited<ReturnType<typeof startSender>> | null = null;
  const bench: Benchmark = {
    name,
    unit: 'MB/s',
    async warmup() {
      z = await startSender('zlib', size);
      tel = await startSender('telnet', size);
      for (let i = 0; i < warmups; i++) {
        await zlibReceive(z.port);
        await telnetReceive(tel.port);
      }
    },
    async run() {
      const [zb, zw, zms, zcpu] = await zlibReceive(z!.port);
      const [tb, tw, tms, tcpu] = await telnetReceive(tel!.port);
      if (zb !== size || tb !== size) throw new Error(`short transfer: zlib ${zb}, telnet ${tb} of ${size}`);
      const mb = size / 1e6;
      note(`${name}: telnet ${tw} wire bytes for ${tb} (${(100 * (1 - tw / tb)).toFixed(1)} % saved, ratio ${(tb / tw).toFixed(2)}:1), `
        + `${(tcpu / mb).toFixed(2)} CPU ms/MB; zlib pipe ${zw} wire bytes, ${(zcpu / mb).toFixed(2)} CPU ms/MB (client side)`);
      return { value: mb / (tms / 1000), baseline: mb / (zms / 1000) };
    },
    async teardown() {
      z?.stop();
      tel?.stop();
    },
  };
  if (runs !== undefined) bench.runs = runs;
  return bench;
}

export const benchmarks: Benchmark[] = [mccpBenchmark('bulk.mccp2', SIZE, 5)];
