/**
 * TLS benchmarks, each against raw `node:tls` doing the same work in the
 * same run (servers in child processes, tests/bench/tls-server.ts;
 * certificates made by `openssl req` at start):
 *
 * - bulk.tls.ascii / .binary: 64 MiB server -> async client over TLS, vs a
 *   raw tls.TLSSocket pair doing the same transfer.
 * - setup.tls: sequential connect + TLS handshake + full negotiation +
 *   close until closed (async client), vs a raw TLS connect + handshake +
 *   end until closed against the same server.
 * - rr.blocking.tls: TelnetConnection round trips over TLS ("ping\r\n" ->
 *   "pong\r\n> "), vs a raw async TLS client against the same server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { openConnection } from '../../src/client.js';
import { TelnetConnection } from '../../src/sync/index.js';
import { testCerts } from '../helpers/tls-certs.js';
import { type BulkTransport, type Received, type Sender, bulkBenchmark, cpuSince, watchSender } from './bulk-async.js';
import type { Benchmark } from './harness.js';

const SIZE = 64 * 1024 * 1024;
const SERVER = fileURLToPath(new URL('./tls-server.js', import.meta.url));
const ROUND_TRIPS = Number(process.env.BENCH_RR_COUNT ?? 5000);
const SETUPS = Number(process.env.BENCH_TLS_SETUP_COUNT ?? 300);
const SETUP_WARMUP = Number(process.env.BENCH_TLS_SETUP_WARMUP ?? 600);

function start(...args: string[]): Promise<Sender> {
  const certs = testCerts();
  const child: ChildProcess = spawn(process.execPath, [SERVER, ...args, certs.localhost.certFile, certs.localhost.keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return watchSender(child, 'tls-server');
}

const ca = (): string => testCerts().localhost.cert;

/** Read to EOF over raw TLS; returns [bytes, ms, CPU ms] after the handshake. */
function rawTlsReceive(port: number): Promise<Received> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    let c0 = process.cpuUsage();
    let n = 0;
    const s = tls.connect({ port, host: '127.0.0.1', ca: ca() }, () => { t0 = performance.now(); c0 = process.cpuUsage(); });
    s.on('data', (d: Buffer) => { n += d.length; });
    s.on('end', () => resolve([n, performance.now() - t0, cpuSince(c0)]));
    s.on('error', reject);
  });
}

/** Read to EOF with the async Telnet client over TLS; [units, ms, CPU ms] after negotiation. */
async function telnetTlsReceive(port: number, text: boolean): Promise<Received> {
  const { reader } = await openConnection('127.0.0.1', port, { encoding: text ? 'utf8' : false, connectMaxwait: 1000, tls: { ca: ca() } });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    const chunk = await reader.read(1 << 20);
    if (chunk.length === 0) break;
    n += chunk.length;
  }
  return [n, performance.now() - t0, cpuSince(c0)];
}

function setup(): Benchmark {
  let tel: Sender | null = null;
  const telnetOnce = async (port: number, count: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const { writer } = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 1000, tls: { ca: ca() } });
      writer.close();
      await writer.waitClosed();
    }
    return count / ((performance.now() - t0) / 1000);
  };
  const rawOnce = async (port: number, count: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        // Closed as the Telnet side closes: end, then wait until the socket is closed.
        const s = tls.connect({ port, host: '127.0.0.1', ca: ca() }, () => { s.end(); });
        s.resume(); // read (and drop) the server's negotiation, or 'end' never comes
        s.once('close', () => resolve());
        s.on('error', reject);
      });
    }
    return count / ((performance.now() - t0) / 1000);
  };
  return {
    name: 'setup.tls',
    unit: 'connections/s',
    async warmup() {
      tel = await start('prompt', 'telnet', '-', '0');
      await telnetOnce(tel.port, SETUP_WARMUP);
      await rawOnce(tel.port, SETUP_WARMUP);
    },
    async run() {
      const baseline = await rawOnce(tel!.port, SETUPS);
      return { value: await telnetOnce(tel!.port, SETUPS), baseline };
    },
    async teardown() { tel?.stop(); },
  };
}

/** Round trips per second with a raw async TLS client against the prompt server. */
function rawTlsRoundTrips(port: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: ca() });
    s.setNoDelay(true);
    let pending = '';
    let done = -1;
    let t0 = 0;
    s.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      if (!pending.endsWith('> ')) return;
      pending = '';
      done++;
      if (done === 0) t0 = performance.now();
      if (done === count) {
        const rate = count / ((performance.now() - t0) / 1000);
        s.destroy();
        resolve(rate);
        return;
      }
      s.write('ping\r\n');
    });
    s.on('error', reject);
  });
}

function blockingTlsRoundTrips(port: number, count: number): number {
  const c = new TelnetConnection<Buffer>('127.0.0.1', port, { encoding: false, timeout: 10000, tls: { ca: ca() } });
  c.connect();
  c.readUntil('> ');
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    c.write(Buffer.from('ping\r\n'));
    c.readUntil('> ');
  }
  const rate = count / ((performance.now() - t0) / 1000);
  c.close();
  return rate;
}

function rr(): Benchmark {
  let tel: Sender | null = null;
  return {
    name: 'rr.blocking.tls',
    unit: 'roundtrips/s',
    async warmup() {
      tel = await start('prompt', 'telnet', '-', '0');
      await rawTlsRoundTrips(tel.port, 500);
      blockingTlsRoundTrips(tel.port, 500);
    },
    async run() {
      const baseline = await rawTlsRoundTrips(tel!.port, ROUND_TRIPS);
      return { value: blockingTlsRoundTrips(tel!.port, ROUND_TRIPS), baseline };
    },
    async teardown() { tel?.stop(); },
  };
}

/** Senders are tls-server.ts children; the raw baseline is a plain tls.TLSSocket. */
const tlsTransport: BulkTransport = { startSender: (mode, kind) => start('bulk', mode, kind, String(SIZE)), rawReceive: rawTlsReceive };

export const benchmarks: Benchmark[] = [
  bulkBenchmark('bulk.tls.ascii', 'ascii', telnetTlsReceive, 5, tlsTransport),
  bulkBenchmark('bulk.tls.binary', 'binary', telnetTlsReceive, 5, tlsTransport),
  setup(), rr(),
];
