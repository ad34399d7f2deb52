/**
 * Helpers for the CLI tests (tests/cli): run the compiled CLIs
 * (`node dist/bin/telnetlib3-*.js`) and examples as child processes, drive
 * programs in a pseudo-terminal that can be resized, and drive our client in
 * a real terminal (tmux).
 *
 * Every process started here is killed by its own PID (as a process group)
 * in teardown, and never by name.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pty from 'node-pty';
import type { Test } from 'tap';
import { type PeerProcess, REPO_ROOT, type SpawnOptions, sleep, spawnPeer } from '../helpers/peers.js';

/** dist/ of this checkout. */
export const DIST = path.join(REPO_ROOT, 'dist');
export const SERVER_CLI = path.join(DIST, 'bin', 'telnetlib3-server.js');
export const CLIENT_CLI = path.join(DIST, 'bin', 'telnetlib3-client.js');
export const EXAMPLES = path.join(DIST, 'bin', 'examples');
/** Compiled fixtures of these tests (shell modules). */
export const CLI_FIXTURES = path.join(DIST, 'tests', 'cli', 'fixtures');
/** Source fixtures (scripts that are run as they are). */
export const CLI_SCRIPTS = path.join(REPO_ROOT, 'tests', 'cli', 'fixtures');

/** Start `node script args` (own process group, killed in `t`'s teardown). */
export function node(t: Test, script: string, args: readonly string[], options: Partial<SpawnOptions> = {}): PeerProcess {
  const p = spawnPeer(process.execPath, [script, ...args], { timeoutMs: 30000, ...options });
  t.teardown(() => p.kill());
  return p;
}

/** Wait until `read()` matches `re`; rejects after `ms` (or when `proc` exits first). */
export async function waitFor(read: () => string, re: RegExp, ms: number, what: string, proc?: PeerProcess): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = re.exec(read());
    if (m !== null) return m;
    if (proc?.done) {
      await sleep(50);
      const again = re.exec(read());
      if (again !== null) return again;
      throw new Error(`${what}: process exited before ${re}; output: ${JSON.stringify(read().slice(-600))}`);
    }
    if (Date.now() > until) throw new Error(`${what}: ${re} not seen within ${ms} ms; output: ${JSON.stringify(read().slice(-600))}`);
    await sleep(20);
  }
}

/** A server CLI on 127.0.0.1, port 0: the process and the port it reported. */
export async function startServer(t: Test, args: readonly string[], options: Partial<SpawnOptions> = {}): Promise<{ proc: PeerProcess; port: number }> {
  const proc = node(t, SERVER_CLI, ['127.0.0.1', '0', '--connect-maxwait', '1', ...args], options);
  // The log goes to stderr, or to --logfile.
  const i = args.indexOf('--logfile');
  const log = i === -1 ? () => proc.stderr() : () => { try { return readFileSync(args[i + 1]!, 'utf8'); } catch { return ''; } };
  const m = await waitFor(log, /Server ready on [^\s]+:(\d+)/, 10000, 'server start', proc);
  return { proc, port: Number(m[1]) };
}

/** A standalone example that prints `listening on HOST:PORT`. */
export async function startExample(t: Test, name: string, args: readonly string[] = ['127.0.0.1', '0']): Promise<{ proc: PeerProcess; port: number }> {
  const proc = node(t, path.join(EXAMPLES, `${name}.js`), args);
  const m = await waitFor(() => proc.stdout(), /listening on [^\s]+:(\d+)/, 10000, `${name} start`, proc);
  return { proc, port: Number(m[1]) };
}

// ------------------------------------------------------------------ pty with resize

/** A program in a pseudo-terminal that can be resized. */
export interface Pty {
  readonly pid: number;
  output(): string;
  /** Wait for `re` after the previous match. */
  expect(re: RegExp, ms: number): Promise<RegExpExecArray>;
  send(text: string): void;
  resize(cols: number, rows: number): void;
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

/** Start `cmd args` in a `cols`x`rows` pty (TERM=xterm), killed (as a group) in `t`'s teardown. */
export function ptySpawn(t: Test, cmd: string, args: readonly string[], opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Pty {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (v !== undefined) env[k] = v;
  env.TERM = 'xterm';
  env.LANG = 'C.UTF-8';
  const p = pty.spawn(cmd, [...args], { name: 'xterm', cols: opts.cols ?? 80, rows: opts.rows ?? 24, cwd: REPO_ROOT, env });
  let out = '';
  let cursor = 0;
  let done = false;
  p.onData((d) => { out += d; });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    p.onExit((e) => { done = true; resolve(e); });
  });
  const kill = (): void => {
    if (done) return;
    try { process.kill(-p.pid, 'SIGKILL'); } catch { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  };
  const timer = setTimeout(kill, opts.timeoutMs ?? 30000);
  timer.unref();
  t.teardown(() => { clearTimeout(timer); kill(); });
  return {
    pid: p.pid,
    output: () => out,
    send: (text) => { if (!done) p.write(text); },
    resize: (cols, rows) => { if (!done) p.resize(cols, rows); },
    exited,
    kill,
    expect: async (re, ms) => {
      const until = Date.now() + ms;
      for (;;) {
        const m = re.exec(out.slice(cursor));
        if (m !== null) {
          cursor += m.index + m[0].length;
          return m;
        }
        if (done || Date.now() > until) {
          throw new Error(`pty ${cmd}: ${re} ${done ? 'not seen before exit' : `not seen within ${ms} ms`}; unmatched: ${JSON.stringify(out.slice(cursor).slice(-600))}`);
        }
        await sleep(20);
      }
    },
  };
}

// ------------------------------------------------------------------ tmux

/** tmux, or null when it is not installed. */
export function tmuxPath(): string | null {
  for (const p of ['/usr/bin/tmux', '/usr/local/bin/tmux', '/bin/tmux']) if (existsSync(p)) return p;
  return null;
}

/**
 * One tmux server on a private socket, with one window running `command`
 * in a `cols`x`rows` terminal. Its server is killed by PID in teardown.
 */
export class Tmux {
  readonly dir: string;
  private readonly socket: string;
  private serverPid = 0;
  private panePid = 0;
  private cursor = 0;

  private constructor(private readonly bin: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'tl3-tmux-'));
    this.socket = path.join(this.dir, 'sock');
  }

  /**
   * Start tmux running `command` (a shell command line for /bin/sh, or a
   * function of this session's temporary directory returning one).
   */
  static start(t: Test, bin: string, command: string | ((dir: string) => string), cols = 80, rows = 24): Tmux {
    const tm = new Tmux(bin);
    t.teardown(() => tm.kill());
    const line = typeof command === 'string' ? command : command(tm.dir);
    tm.run(['new-session', '-d', '-s', 'cli', '-x', String(cols), '-y', String(rows), line]);
    const [server, pane] = tm.run(['display-message', '-p', '-t', 'cli', '#{pid} #{pane_pid}']).trim().split(' ');
    tm.serverPid = Number(server);
    tm.panePid = Number(pane);
    tm.run(['set-option', '-t', 'cli', 'remain-on-exit', 'on']);
    return tm;
  }

  private run(args: string[]): string {
    const r = spawnSync(this.bin, ['-S', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8', timeout: 5000, env: { ...process.env, TMUX: '' },
    });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** Type keys (tmux key names: `Enter`, `C-]`, or literal text with `literal`). */
  keys(...keys: string[]): void {
    this.run(['send-keys', '-t', 'cli', ...keys]);
  }

  /** Type text literally (no key-name lookup). */
  type(text: string): void {
    this.run(['send-keys', '-t', 'cli', '-l', text]);
  }

  /** The screen and scrollback, joined, trailing blank lines trimmed. */
  screen(): string {
    return this.run(['capture-pane', '-p', '-J', '-t', 'cli', '-S', '-200']).replace(/\n+$/, '');
  }

  /** Resize the terminal (the client gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    this.run(['resize-window', '-t', 'cli', '-x', String(cols), '-y', String(rows)]);
  }

  /**
   * Wait until the screen (with scrollback, wrapped lines joined) matches
   * `re` after the end of the previous match.
   */
  async expect(re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
    const from = this.cursor;
    const m = await waitFor(() => this.screen().slice(from), re, ms, what);
    this.cursor = from + m.index + m[0].length;
    return m;
  }

  /** A file in this session's temporary directory. */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  kill(): void {
    if (this.panePid > 0) {
      // The pane's program leads its own session: its whole process group.
      try { process.kill(-this.panePid, 'SIGKILL'); } catch { try { process.kill(this.panePid, 'SIGKILL'); } catch { /* gone */ } }
      this.panePid = 0;
    }
    if (this.serverPid > 0) {
      try { process.kill(this.serverPid, 'SIGKILL'); } catch { /* gone */ }
      this.serverPid = 0;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Quote for /bin/sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
