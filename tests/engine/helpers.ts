/**
 * Helpers for the engine tests: real sockets on 127.0.0.1, port 0, every
 * wait bounded, everything closed in `t.teardown`.
 *
 * - {@link within}: a promise with a deadline (rejects with a clear message).
 * - {@link startServer} / {@link connect} / {@link pair}: our server and client.
 * - {@link RawPeer}: a raw TCP client that records every byte it receives.
 * - {@link rawServer}: a fake server for client-side cases.
 * - {@link probeGreeting}: how long a fresh connection waits for `IAC DO TTYPE`.
 * - {@link trackUnhandled}: fail on any unhandled rejection.
 * - {@link serverConnections}: the server's live engine connections (test-only introspection).
 */
import net from 'node:net';
import type { Test } from 'tap';
import { type ClientOptions, openConnection } from '../../src/client.js';
import type { EngineConnection } from '../../src/engine/connection.js';
import type { Logger } from '../../src/engine/logger.js';
import { type ServerOptions, type TelnetServer, type TelnetStreams, createServer } from '../../src/server.js';

export const HOST = '127.0.0.1';
export const IAC = 0xff;
export const DO_TTYPE = Buffer.from([0xff, 0xfd, 0x18]);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves to the rejection reason of `p` (fails if it resolves, or takes over `ms`). */
export async function rejection(p: Promise<unknown>, ms: number, what: string): Promise<any> {
  try {
    await within(p, ms, what);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`${what}: not done within`)) throw err;
    return err;
  }
  throw new Error(`${what}: resolved, expected a rejection`);
}

/** Poll `cond` every 5 ms until true; rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not true within ${ms} ms`);
    await sleep(5);
  }
}

/** A logger that keeps every line (level + message). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string): void => { lines.push(`${level} ${m}`); };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), trace: at('trace') };
}

/** Our server on 127.0.0.1:0, closed (grace 100 ms) in teardown. */
export async function startServer(t: Test, opts: ServerOptions = {}): Promise<TelnetServer> {
  const server = await createServer({ host: HOST, port: 0, ...opts });
  t.teardown(async () => {
    server.close(100);
    await within(server.waitClosed(), 5000, 'server.waitClosed in teardown');
  });
  return server;
}

/** Our client, closed in teardown. */
export async function connect(t: Test, port: number, opts: ClientOptions = {}): Promise<TelnetStreams> {
  const c = await openConnection(HOST, port, { connectTimeout: 3000, connectMaxwait: 2000, ...opts });
  t.teardown(() => c.writer.close());
  return c;
}

/** A connected pair: our client and the server side of the same connection (server without shell). */
export async function pair(
  t: Test, serverOpts: ServerOptions = {}, clientOpts: ClientOptions = {},
): Promise<{ server: TelnetServer; s: TelnetStreams; c: TelnetStreams }> {
  const server = await startServer(t, serverOpts);
  const accepted = server.waitForClient();
  const c = await connect(t, server.port, clientOpts);
  const s = await within(accepted, 3000, 'server side of the pair');
  return { server, s, c };
}

/** Both ends of a pair agree on BINARY in both directions. */
export async function bothBinary(a: TelnetStreams, b: TelnetStreams): Promise<void> {
  const spec = { local: { BINARY: true }, remote: { BINARY: true } };
  await within(Promise.all([a.writer.waitFor(spec), b.writer.waitFor(spec)]), 2000, 'BINARY both ways');
}

/** A raw TCP client that records what it receives. */
export class RawPeer {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private total = 0;
  ended = false;
  closed = false;
  readonly closedP: Promise<void>;
  private wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (b: Buffer) => { this.chunks.push(b); this.total += b.length; this.poke(); });
    socket.on('end', () => { this.ended = true; this.poke(); });
    socket.on('error', () => {});
    this.closedP = new Promise((r) => socket.once('close', () => { this.closed = true; this.poke(); r(); }));
  }

  /** Connect (allowHalfOpen, so `end()` keeps reading); destroyed in teardown. */
  static async connect(t: Test | null, port: number, host = HOST): Promise<RawPeer> {
    const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    await within(new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }), 3000, 'raw connect');
    const p = new RawPeer(socket);
    if (t !== null) t.teardown(() => { socket.destroy(); });
    return p;
  }

  /** Everything received so far. */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get receivedLength(): number {
    return this.total;
  }

  write(data: Buffer | string): boolean {
    return this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves once `pred(received)` holds. */
  async waitFor(pred: (b: Buffer) => boolean, ms: number, what: string): Promise<Buffer> {
    const end = Date.now() + ms;
    for (;;) {
      const got = this.received;
      if (pred(got)) return got;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${what}: not received within ${ms} ms (got ${got.length} bytes: ${hexShort(got)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
    }
  }

  /** Resolves once `bytes` occur in what was received. */
  waitForBytes(bytes: Buffer | string, ms: number, what = `bytes ${String(bytes)}`): Promise<Buffer> {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    return this.waitFor((got) => got.includes(b), ms, what);
  }

  /** Resolves at the peer's FIN (or close). */
  async waitEnd(ms: number): Promise<void> {
    await this.waitFor(() => this.ended || this.closed, ms, 'end of stream');
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** A fake server: `onConn` gets each raw socket; closed in teardown. */
export async function rawServer(t: Test, onConn: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onConn(s);
  });
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Milliseconds until a fresh raw connection receives `IAC DO TTYPE` (rejects after `ms`). */
export async function probeGreeting(port: number, ms = 500): Promise<number> {
  const t0 = performance.now();
  const p = await RawPeer.connect(null, port);
  try {
    await p.waitForBytes(DO_TTYPE, ms, 'greeting IAC DO TTYPE');
    return performance.now() - t0;
  } finally {
    p.socket.destroy();
  }
}

/** Collects unhandled rejections while the file runs; `check(t)` asserts none happened. */
export function trackUnhandled(): { seen: unknown[]; check: (t: Test) => void } {
  const seen: unknown[] = [];
  process.on('unhandledRejection', (reason) => { seen.push(reason); });
  return {
    seen,
    check: (t: Test) => {
      t.same(seen.map((r) => String((r as Error)?.stack ?? r)), [], 'no unhandled promise rejection');
    },
  };
}

/** The server's live engine connections (reads a private field; tests only). */
export function serverConnections(server: TelnetServer): EngineConnection[] {
  return [...(server as unknown as { live: Set<EngineConnection> }).live];
}

/** The socket of an engine connection (reads a private field; tests only). */
export function connSocket(conn: EngineConnection): net.Socket {
  return (conn as unknown as { socket: net.Socket }).socket;
}

/** First bytes of a buffer as hex, for messages. */
export function hexShort(b: Buffer, n = 48): string {
  const h = b.subarray(0, n).toString('hex').replace(/(..)/g, '$1 ').trim();
  return b.length > n ? `${h} ...` : h;
}

/** Count non-overlapping occurrences of `needle` in `hay`. */
export function countOf(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Bytes from a mix of numbers, strings (latin1) and Buffers. */
export function bytes(...parts: Array<number | string | Buffer | number[]>): Buffer {
  return Buffer.concat(parts.map((p) => {
    if (typeof p === 'number') return Buffer.from([p]);
    if (typeof p === 'string') return Buffer.from(p, 'latin1');
    if (Array.isArray(p)) return Buffer.from(p);
    return p;
  }));
}
