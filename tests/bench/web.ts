/**
 * web.bulk: 64 MiB from a Telnet server through createWebGateway() to a
 * Node `ws` client (binary frames counted to the close), against a bare
 * `ws` relay that forwards a plain TCP sender's bytes as binary frames, in
 * the same run. Senders and relays run in child processes; the figure is
 * MB/s from the first output frame to the close. The relays' CPU time per
 * MiB is printed on stderr (`cpu:` notes) for both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startSender } from './bulk-async.js';
import { type Benchmark, note } from './harness.js';

const SIZE = 64 * 1024 * 1024;
const RELAY = fileURLToPath(new URL('./web-relay.js', import.meta.url));

interface Relay {
  gatewayPort: number;
  barePort: number;
  cpuMicros(): Promise<number>;
  stop(): void;
}

async function startRelay(telnetPort: number, rawPort: number): Promise<Relay> {
  const child: ChildProcess = spawn(process.execPath, [RELAY, String(telnetPort), String(rawPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  const waiters: Array<(line: string) => void> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const line = (): Promise<string> => new Promise((r) => waiters.push(r));
  const [gatewayPort, barePort] = (await line()).split(' ').map(Number) as [number, number];
  return {
    gatewayPort, barePort,
    cpuMicros: async () => { const p = line(); child.stdin!.write('cpu\n'); return Number(await p); },
    stop: () => { child.stdin!.end(); child.kill(); },
  };
}

/** Receive binary frames to the close; returns [bytes, ms from the first frame]. */
export function wsReceive(port: number): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    let n = 0;
    let t0 = 0;
    ws.on('message', (d, isBinary) => {
      if (!isBinary) return;
      if (n === 0) t0 = performance.now();
      n += (d as Buffer).length;
    });
    ws.on('close', () => resolve([n, performance.now() - t0]));
    ws.on('error', reject);
  });
}

/** The benchmark; `size` and `warmups` shrink it for the test that keeps it working. */
export function webBulk(size = SIZE, warmups = 2): Benchmark {
  let tel: Awaited<ReturnType<typeof startSender>> | null = null;
  let raw: Awaited<ReturnType<typeof startSender>> | null = null;
  let relay: Relay | null = null;
  const cpu = { gateway: [] as number[], bare: [] as number[] };
  const measure = async (port: number, into: number[]): Promise<number> => {
    const c0 = await relay!.cpuMicros();
    const [n, ms] = await wsReceive(port);
    const c1 = await relay!.cpuMicros();
    if (n !== size) throw new Error(`web.bulk: received ${n} bytes, expected ${size}`);
    into.push((c1 - c0) / 1000 / (n / 2 ** 20));
    return n / 1e6 / (ms / 1000);
  };
  return {
    name: 'web.bulk',
    unit: 'MB/s',
    async warmup() {
      tel = await startSender('telnet', 'ascii', size);
      raw = await startSender('raw', 'ascii', size);
      relay = await startRelay(tel.port, raw.port);
      for (let i = 0; i < warmups; i++) {
        await measure(relay.barePort, []);
        await measure(relay.gatewayPort, []);
      }
    },
    async run() {
      const baseline = await measure(relay!.barePort, cpu.bare);
      const value = await measure(relay!.gatewayPort, cpu.gateway);
      note(`web.bulk: cpu: gateway ${cpu.gateway.at(-1)!.toFixed(2)} ms/MiB, bare ws relay ${cpu.bare.at(-1)!.toFixed(2)} ms/MiB (relay process)`);
      return { value, baseline };
    },
    async teardown() {
      relay?.stop();
      tel?.stop();
      raw?.stop();
    },
  };
}

export const benchmarks: Benchmark[] = [webBulk()];
