/**
 * Helpers for the interop tests (tests/interop): real third-party Telnet
 * peers from Debian packages, run over loopback.
 *
 * - {@link peer}: where a peer binary is, and whether a missing one skips or
 *   fails the test. `.ci/install-peers` writes a marker file
 *   (`$TELNETLIB3_PEERS_DIR/installed`, default `/opt/telnetlib3-peers`); a
 *   machine without it never installed the peers, so tests skip with the
 *   reason; a machine with it did, so a missing peer is a failure.
 * - {@link spawnPeer}: a child process in its own process group, output
 *   collected, with a hard timeout that kills the whole group.
 * - {@link spawnPty}: a child in an 80x24 pseudo-terminal (node-pty) with
 *   `expect(regex, ms)`, `send(text)` and the collected output.
 * - {@link freePort}, {@link waitListening}: loopback ports without probing
 *   connections (a probe would start a telnetd session).
 * - {@link killAll}: kill every process group started here (teardown).
 *
 * Every process started here is killed by its own PID (as a group); nothing
 * is ever killed by name.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';

// ------------------------------------------------------------------ paths

/** The repository root (the directory holding package.json), from src or dist. */
export const REPO_ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tests'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`cannot find the repository root above ${fileURLToPath(import.meta.url)}`);
})();

/** A file under tests/fixtures (source tree; fixtures are not compiled). */
export function fixture(name: string): string {
  const p = path.join(REPO_ROOT, 'tests', 'fixtures', name);
  if (!existsSync(p)) throw new Error(`fixture missing: ${p}`);
  return p;
}

/** The harmless login program for telnetd peers: READY, `echo: LINE`, `quit` → BYE. */
export function catLoginPath(): string {
  const p = fixture('cat_login.sh');
  try {
    accessSync(p, fsConstants.X_OK);
  } catch {
    throw new Error(`${p} is not executable (chmod +x it): telnetd runs it directly`);
  }
  return p;
}

/** Where .ci/install-peers keeps unpacked peers and its marker. */
export const PEERS_DIR = process.env.TELNETLIB3_PEERS_DIR ?? '/opt/telnetlib3-peers';
/** Written by .ci/install-peers once every peer is in place. */
export const PEERS_MARKER = path.join(PEERS_DIR, 'installed');

/** True when .ci/install-peers has run on this machine (then a missing peer is a failure). */
export function peersInstalled(): boolean {
  return existsSync(PEERS_MARKER);
}

// ------------------------------------------------------------------ peers

/** The peers the interop tests know how to find. */
export type PeerName =
  | 'inetutils-telnet' | 'inetutils-telnetd' | 'telnet-ssl' | 'tt++' | 'busybox-telnet'
  | 'busybox-telnetd' | 'tcpserver' | 'socat' | 'python3-telnetlib' | 'wat2wasm' | 'haproxy';

/** A located peer: `path` is null when missing; `skip` is the tap skip reason, or false. */
export interface Peer {
  name: PeerName;
  path: string | null;
  /** tap `skip` option: a reason when missing and .ci/install-peers never ran here. */
  skip: string | false;
  /** Why it is missing (null when found). */
  missing: string | null;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd: string, extra: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extra];
  for (const d of dirs) {
    const p = path.join(d, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function hasApplet(busybox: string, applet: string): boolean {
  const r = spawnSync(busybox, ['--list'], { encoding: 'utf8', timeout: 3000 });
  return r.status === 0 && r.stdout.split('\n').includes(applet);
}

function locate(name: PeerName): { path: string | null; why: string } {
  switch (name) {
    case 'inetutils-telnet':
      return { path: onPath('inetutils-telnet'), why: 'inetutils-telnet not found (apt-get install inetutils-telnet)' };
    case 'inetutils-telnetd': {
      const p = isExecutable('/usr/sbin/telnetd') ? '/usr/sbin/telnetd' : null;
      // Make sure it is the inetutils one (netkit's in.telnetd has no -E).
      const v = p === null ? null : spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 3000 });
      if (p !== null && v !== null && /GNU inetutils/.test(v.stdout ?? '')) return { path: p, why: '' };
      return { path: null, why: '/usr/sbin/telnetd (inetutils-telnetd) not found (apt-get install inetutils-telnetd)' };
    }
    case 'telnet-ssl':
      return { path: onPath('telnet-ssl'), why: 'telnet-ssl not found (apt-get install telnet-ssl)' };
    case 'tt++':
      return { path: onPath('tt++', ['/usr/games']), why: 'tt++ not found (apt-get install tintin++)' };
    case 'busybox-telnet': {
      const p = onPath('busybox');
      if (p !== null && hasApplet(p, 'telnet')) return { path: p, why: '' };
      return { path: null, why: 'busybox with a telnet applet not found (apt-get install busybox)' };
    }
    case 'busybox-telnetd': {
      const p = path.join(PEERS_DIR, 'busybox-static', 'bin', 'busybox');
      if (isExecutable(p) && hasApplet(p, 'telnetd')) return { path: p, why: '' };
      return { path: null, why: `${p} (busybox-static with telnetd) not found: run .ci/install-peers` };
    }
    case 'tcpserver':
      return { path: onPath('tcpserver'), why: 'tcpserver not found (apt-get install ucspi-tcp)' };
    case 'socat':
      return { path: onPath('socat'), why: 'socat not found (apt-get install socat)' };
    case 'haproxy':
      // Not a Telnet peer: the load balancer that sends PROXY headers (tests/interop/haproxy.test.ts).
      return { path: onPath('haproxy', ['/usr/sbin']), why: 'haproxy not found (apt-get install haproxy)' };
    case 'wat2wasm':
      // Not a peer: wabt's assembler, to check the embedded IAC escaper against its source.
      return { path: onPath('wat2wasm'), why: 'wat2wasm not found (apt-get install wabt)' };
    case 'python3-telnetlib': {
      for (const py of [onPath('python3'), '/usr/bin/python3']) {
        if (py === null || !isExecutable(py)) continue;
        const r = spawnSync(py, ['-W', 'ignore', '-c', 'import telnetlib'], { timeout: 5000 });
        if (r.status === 0) return { path: py, why: '' };
      }
      return { path: null, why: 'no python3 with the stdlib telnetlib module (Python <= 3.12)' };
    }
    default:
      return { path: null, why: `unknown peer ${String(name)}` };
  }
}

const peerCache = new Map<PeerName, Peer>();

/**
 * Locate a peer. When it is missing, `skip` carries the reason if
 * .ci/install-peers never ran on this machine; otherwise `skip` is false and
 * the test must fail ({@link needPeer} does that).
 */
export function peer(name: PeerName): Peer {
  const hit = peerCache.get(name);
  if (hit !== undefined) return hit;
  const { path: p, why } = locate(name);
  const missing = p === null ? why : null;
  const skip = p === null && !peersInstalled()
    ? `${why}; interop peers are not installed on this machine (run: sudo bash .ci/install-peers)`
    : false;
  const out: Peer = { name, path: p, skip, missing };
  peerCache.set(name, out);
  return out;
}

/** tap options for a test that needs these peers: skipped with a reason, or run. */
export function peerTestOptions(timeoutMs: number, ...peers: Peer[]): { skip?: string; timeout: number } {
  const reasons = peers.map((p) => p.skip).filter((s): s is string => s !== false);
  return reasons.length > 0 ? { skip: reasons.join('; '), timeout: timeoutMs } : { timeout: timeoutMs };
}

/** Minimal view of a tap test for {@link needPeer}. */
interface FailTarget {
  fail(message: string): unknown;
}

/**
 * The peer's path, or null after failing the test (a peer missing on a
 * machine where .ci/install-peers ran is a CI failure, not a skip).
 */
export function needPeer(t: FailTarget, p: Peer): string | null {
  if (p.path !== null) return p.path;
  t.fail(`interop peer ${p.name} missing although ${PEERS_MARKER} exists: ${p.missing}`);
  return null;
}

// ------------------------------------------------------------------ processes

/** Anything started here that can be killed as a group. */
interface Killable {
  readonly pid: number | undefined;
  kill(): void;
}

const live = new Set<Killable>();

function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Not a group leader (or already gone): the process itself.
    try { process.kill(pid, signal); } catch { /* gone */ }
  }
}

/** Kill every process group started by this module that is still running. */
export function killAll(): void {
  for (const k of [...live]) k.kill();
}

process.on('exit', () => killAll());

/** How a spawned process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the hard timeout killed it. */
  timedOut: boolean;
}

/** A child process started by {@link spawnPeer}. */
export interface PeerProcess extends Killable {
  readonly child: ChildProcess;
  readonly command: string;
  /** Everything written to stdout so far (latin1, one char per byte). */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process exited. */
  readonly exited: Promise<ExitInfo>;
  /** True once exited. */
  readonly done: boolean;
  /** SIGKILL the process group (idempotent). */
  kill(): void;
  /** SIGTERM the group, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/** Options for {@link spawnPeer}. */
export interface SpawnOptions {
  /** Hard limit: the process group is SIGKILLed after this long (required). */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** What to do with stdin: `ignore` (default, /dev/null) or `pipe`. */
  stdin?: 'ignore' | 'pipe';
}

/** Start `cmd args` in its own process group, bounded by `timeoutMs`. */
export function spawnPeer(cmd: string, args: readonly string[], options: SpawnOptions): PeerProcess {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    detached: true, // own process group: killGroup(-pid) reaches its children too
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('latin1');
  child.stderr?.setEncoding('latin1');
  child.stdout?.on('data', (d: string) => { out += d; });
  child.stderr?.on('data', (d: string) => { err += d; });
  let timedOut = false;
  let done = false;
  const handle: PeerProcess = {
    child,
    command: [cmd, ...args].join(' '),
    get pid() { return child.pid; },
    get done() { return done; },
    stdout: () => out,
    stderr: () => err,
    exited: new Promise<ExitInfo>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        live.delete(handle);
        // The leader is gone; make sure nothing of its group lingers.
        killGroup(child.pid);
        resolve({ code, signal, timedOut });
      };
      child.once('exit', finish);
      child.once('error', (e) => { err += `\n[spawn error] ${e.message}\n`; finish(127, null); });
    }),
    kill: () => { if (!done) killGroup(child.pid); },
    stop: async (graceMs = 500) => {
      if (!done) {
        killGroup(child.pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(child.pid), graceMs);
        const r = await handle.exited;
        clearTimeout(t);
        return r;
      }
      return handle.exited;
    },
  };
  const timer = setTimeout(() => { timedOut = true; killGroup(child.pid); }, options.timeoutMs);
  timer.unref();
  live.add(handle);
  return handle;
}

// ------------------------------------------------------------------ pty driver

/** A program running in a pseudo-terminal, driven like pexpect. */
export interface PtySession extends Killable {
  readonly command: string;
  /** Everything the program printed so far. */
  output(): string;
  /**
   * Wait until `re` matches the output after the previous match (or the
   * start); rejects after `ms` with the unmatched tail in the message, or
   * when the program exits first.
   */
  expect(re: RegExp, ms: number): Promise<RegExpExecArray>;
  /** Type `text` (no translation: send `\r` for Enter). */
  send(text: string): void;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ exitCode: number; signal: number | undefined; timedOut: boolean }>;
  readonly done: boolean;
  /** SIGKILL the program's process group (idempotent). */
  kill(): void;
}

/** Options for {@link spawnPty}. */
export interface PtyOptions {
  /** Hard limit: the process group is SIGKILLed after this long (required). */
  timeoutMs: number;
  cols?: number;
  rows?: number;
  /** TERM for the program (default `xterm`). */
  term?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Start `cmd args` in an 80x24 (by default) pty with TERM=xterm. */
export function spawnPty(cmd: string, args: readonly string[], options: PtyOptions): PtySession {
  const term = options.term ?? 'xterm';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? process.env)) if (v !== undefined) env[k] = v;
  env.TERM = term;
  env.LANG = 'C.UTF-8';
  const p = pty.spawn(cmd, [...args], {
    name: term,
    cols: options.cols ?? 80,
    rows: options.rows ?? 24,
    cwd: options.cwd ?? process.cwd(),
    env,
  });
  let out = '';
  let cursor = 0;
  let done = false;
  let timedOut = false;
  let wake: (() => void) | null = null;
  p.onData((d) => {
    out += d;
    wake?.();
  });
  const exited = new Promise<{ exitCode: number; signal: number | undefined; timedOut: boolean }>((resolve) => {
    p.onExit(({ exitCode, signal }) => {
      done = true;
      clearTimeout(timer);
      live.delete(session);
      killGroup(p.pid);
      wake?.();
      resolve({ exitCode, signal, timedOut });
    });
  });
  const session: PtySession = {
    command: [cmd, ...args].join(' '),
    get pid() { return p.pid; },
    get done() { return done; },
    output: () => out,
    exited,
    send: (text) => { if (!done) p.write(text); },
    kill: () => { if (!done) killGroup(p.pid); },
    expect: (re, ms) => new Promise<RegExpExecArray>((resolve, reject) => {
      const rx = new RegExp(re.source, re.flags.replace('g', ''));
      const tail = (): string => JSON.stringify(out.slice(cursor).slice(-400));
      let timer2: NodeJS.Timeout | undefined;
      const attempt = (): boolean => {
        const m = rx.exec(out.slice(cursor));
        if (m !== null) {
          cursor += m.index + m[0].length;
          wake = null;
          if (timer2 !== undefined) clearTimeout(timer2);
          resolve(m);
          return true;
        }
        if (done) {
          wake = null;
          if (timer2 !== undefined) clearTimeout(timer2);
          reject(new Error(`pty expect ${re}: ${cmd} exited first; unmatched output: ${tail()}`));
          return true;
        }
        return false;
      };
      if (attempt()) return;
      timer2 = setTimeout(() => {
        wake = null;
        reject(new Error(`pty expect ${re} timed out after ${ms} ms; unmatched output: ${tail()}`));
      }, ms);
      wake = () => { attempt(); };
    }),
  };
  const timer = setTimeout(() => { timedOut = true; killGroup(p.pid); }, options.timeoutMs);
  timer.unref();
  live.add(session);
  return session;
}

// ------------------------------------------------------------------ ports

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** True when something LISTENs on 127.0.0.1:port (or 0.0.0.0:port), from /proc/net/tcp: no connection is made. */
export function isListening(port: number): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return false;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [addr, p] = (f[1] ?? '').split(':');
    if (p === hexPort && f[3] === '0A' && (addr === '0100007F' || addr === '00000000')) return true;
  }
  return false;
}

/**
 * Wait until a peer server listens on `port` (polling /proc/net/tcp, so no
 * probe connection starts a telnetd session). Rejects after `ms`, or at once
 * if `proc` exits first.
 */
export async function waitListening(port: number, ms: number, proc?: PeerProcess): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (isListening(port)) return;
    if (proc?.done) throw new Error(`${proc.command} exited before listening on ${port}: ${proc.stderr().slice(-400)}`);
    if (Date.now() > until) throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms${proc ? `: ${proc.stderr().slice(-400)}` : ''}`);
    await sleep(20);
  }
}

/** setTimeout as a promise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Race `p` against a deadline; rejects with `what` after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ relay

/** The bytes of one relayed connection, per direction, in arrival order. */
export interface RelayedConnection {
  /** Chunks from the connecting side (the client) towards the target (the server). */
  c2s: Buffer[];
  /** Chunks from the target (the server) towards the client. */
  s2c: Buffer[];
  /** Every chunk in arrival order, with its direction and ms since accept. */
  log: Array<{ dir: 'c2s' | 's2c'; ms: number; data: Buffer }>;
  /** Resolves once both directions are closed. */
  closed: Promise<void>;
}

/** A loopback logging relay (see {@link startRelay}). */
export interface Relay {
  /** The port to connect to instead of the target. */
  port: number;
  connections: RelayedConnection[];
  /** All client→server bytes of connection `i` (default 0). */
  c2s(i?: number): Buffer;
  /** All server→client bytes of connection `i` (default 0). */
  s2c(i?: number): Buffer;
  close(): Promise<void>;
}

/**
 * A transparent TCP relay on 127.0.0.1:0 to 127.0.0.1:targetPort that keeps
 * every byte in both directions, so a test can assert what went over the
 * wire (and print it when something fails). Half-closes are passed on.
 */
export async function startRelay(targetPort: number): Promise<Relay> {
  const connections: RelayedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    let open = 2;
    let done!: () => void;
    const t0 = Date.now();
    const rec: RelayedConnection = { c2s: [], s2c: [], log: [], closed: new Promise<void>((r) => { done = r; }) };
    connections.push(rec);
    const closeOne = (): void => { if (--open === 0) done(); };
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => { rec.c2s.push(d); rec.log.push({ dir: 'c2s', ms: Date.now() - t0, data: d }); upstream.write(d); });
    upstream.on('data', (d: Buffer) => { rec.s2c.push(d); rec.log.push({ dir: 's2c', ms: Date.now() - t0, data: d }); client.write(d); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => { sockets.delete(client); upstream.end(); closeOne(); });
    upstream.on('close', () => { sockets.delete(upstream); client.end(); closeOne(); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const a = server.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  const pick = (i: number, dir: 'c2s' | 's2c'): Buffer => Buffer.concat(connections[i]?.[dir] ?? []);
  return {
    port,
    connections,
    c2s: (i = 0) => pick(i, 'c2s'),
    s2c: (i = 0) => pick(i, 's2c'),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
