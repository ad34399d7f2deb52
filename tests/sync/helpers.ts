/**
 * Helpers for the blocking-API tests.
 *
 * A blocking call stops the calling thread's event loop, so the other end of
 * every connection runs elsewhere: in a child process ({@link Child}), or
 * here while the blocking side runs in a child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { mulberry32 } from '../helpers/session-harness.js';

export const HOST = '127.0.0.1';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Path of a compiled child script under tests/sync/fixtures/. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

/** URL of a compiled handler module under tests/fixtures/handlers/ (optionally `#export`). */
export function handlerUrl(name: string, exportName?: string): string {
  const u = new URL(`../fixtures/handlers/${name}.js`, import.meta.url).href;
  return exportName === undefined ? u : `${u}#${exportName}`;
}

/** `p`, or a rejection naming `what` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Poll `cond` every 5 ms until true; rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not true within ${ms} ms`);
    await sleep(5);
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen. */
  at: number;
}

/**
 * A node child process running a compiled script. Every stdout line that is
 * JSON is kept in `lines` (with `_at`, the time it was seen); stderr is kept
 * as text. Killed (SIGKILL) in teardown if it is still running.
 */
export class Child {
  readonly proc: ChildProcess;
  readonly lines: any[] = [];
  stderr = '';
  stdout = '';
  exit: ExitInfo | null = null;
  readonly exited: Promise<ExitInfo>;

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    let rest = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (s: string) => {
      this.stdout += s;
      rest += s;
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        try {
          const v = JSON.parse(line) as unknown;
          if (v !== null && typeof v === 'object') this.lines.push({ ...(v as object), _at: Date.now() });
        } catch { /* not JSON */ }
      }
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => { this.stderr += s; });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        resolve(this.exit);
      });
    });
  }

  /** Start `node <fixture(script)> ...args`. */
  static start(t: Test, script: string, args: string[] = [], env: Record<string, string> = {}): Child {
    // Without tap's NODE_OPTIONS (`--import` of its process-info hooks, which
    // every worker thread of the child would load too, making a handler
    // thread's start-up about ten times slower). tap re-adds NODE_OPTIONS to
    // any spawn's env, so `env -u` drops it; `env` execs node (same pid).
    const proc = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, fixture(script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const c = new Child(proc);
    t.teardown(async () => {
      if (c.exit === null) {
        proc.kill('SIGKILL');
        await within(c.exited, 5000, `${script} exit after SIGKILL`);
      }
    });
    return c;
  }

  /** The first line (in order) for which `pred` holds; waits up to `ms`. */
  async line(pred: (l: any) => boolean, ms: number, what: string): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const l = this.lines.find(pred);
      if (l !== undefined) return l;
      if (this.exit !== null) {
        throw new Error(`${what}: child exited (${this.exit.code ?? this.exit.signal}) first; stderr: ${this.stderr.slice(-2000)}`);
      }
      if (Date.now() > end) throw new Error(`${what}: no such line within ${ms} ms; stderr: ${this.stderr.slice(-2000)}`);
      await sleep(5);
    }
  }

  /** Resident set size in bytes (Linux), or null once gone. */
  rss(): number | null {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.proc.pid}/status`, 'utf8'));
      return m === null ? null : Number(m[1]) * 1024;
    } catch {
      return null;
    }
  }
}

/** The async servers child (tests/sync/fixtures/async-server.ts): its text and byte ports. */
export async function asyncServers(t: Test): Promise<{ child: Child; text: number; bytes: number }> {
  const child = Child.start(t, 'async-server');
  const l = await child.line((x) => typeof x.text === 'number', 30000, 'async servers listening');
  return { child, text: l.text as number, bytes: l.bytes as number };
}

const b64 = (d: string | Buffer): string => (typeof d === 'string' ? Buffer.from(d, 'utf8') : d).toString('base64');

/** Command lines for the async-server fixture's shell (see its header). */
export const cmd = {
  name: (n: string): string => `name ${n}\r\n`,
  send: (d: string | Buffer): string => `send ${b64(d)}\r\n`,
  later: (ms: number, d: string | Buffer): string => `later ${ms} ${b64(d)}\r\n`,
  closeat: (ms: number): string => `closeat ${ms}\r\n`,
  end: (d: string | Buffer): string => `end ${b64(d)}\r\n`,
  echo: 'echo\r\n',
  hold: 'hold\r\n',
  bulk: (n: number, close = false): string => `bulk ${n}${close ? ' close' : ''}\r\n`,
  random: (n: number, seed: number): string => `random ${n} ${seed}\r\n`,
};

/** A port nothing listens on (bound once, then released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, HOST, () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Rethrows unless `fn` throws; returns the error. */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, got a return');
}

/** `n` pseudo-random bytes from `seed` (every value, 0xFF included): the async-server fixture's `random`. */
export function randomBytesFor(n: number, seed: number): Buffer {
  const rand = mulberry32(seed);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}
