/**
 * The local terminal of `telnetlib3-client`: termios modes through
 * `stty(1)` on the controlling terminal (stdin), window size and resize
 * events from stdout, and the terminal's state saved at start and restored
 * on every exit path (`restore()` is idempotent and synchronous, so it can
 * run from an 'exit' handler).
 *
 * Falls back to Node's `setRawMode` when `stty` cannot be run (then
 * `line-noecho` behaves like `line`).
 */
import { spawnSync } from 'node:child_process';
import type { ReadStream } from 'node:tty';
import type { LocalMode, ShellTerminal } from '../src/client-shell.js';

/** The `stty` arguments of each mode, applied on top of the saved state. */
export const STTY_MODES: Readonly<Record<LocalMode, readonly string[]>> = Object.freeze({
  // Cooked: the terminal edits and echoes; ^] and ^D end a read at once and
  // VEOF is off, so neither waits for Enter nor ends the input stream.
  'line': ['icanon', 'echo', 'isig', 'opost', 'eof', 'undef', 'eol', '^]', 'eol2', '^D'],
  'line-noecho': ['icanon', '-echo', 'isig', 'opost', 'eof', 'undef', 'eol', '^]', 'eol2', '^D'],
  // Raw (telnetlib3's "setraw"): no editing, echo, signals, flow control,
  // CR/NL mapping or output processing.
  'raw': ['-icanon', '-echo', '-isig', '-iexten', '-ixon', '-icrnl', '-inlcr', '-igncr', '-brkint', '-inpck', '-istrip',
    'cs8', '-parenb', '-opost', 'min', '1', 'time', '0'],
  'raw-echo': ['-icanon', '-echo', '-isig', '-iexten', '-ixon', '-icrnl', '-inlcr', '-igncr', '-brkint', '-inpck', '-istrip',
    'cs8', '-parenb', '-opost', 'min', '1', 'time', '0'],
});

function stty(args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('stty', [...args], { stdio: ['inherit', 'pipe', 'pipe'], encoding: 'utf8', timeout: 5000 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

/** stdin/stdout as a {@link ShellTerminal}. */
export class TtyTerminal implements ShellTerminal {
  readonly input: NodeJS.ReadableStream = process.stdin;
  readonly output: NodeJS.WritableStream = process.stdout;
  readonly interactive: boolean;
  private saved: string | null = null;
  private useStty = false;
  private current: LocalMode | null = null;
  private restored = false;

  constructor() {
    this.interactive = process.stdin.isTTY === true;
    if (this.interactive) {
      const r = stty(['-g']);
      if (r.ok && r.out !== '') {
        this.saved = r.out;
        this.useStty = true;
      }
    }
  }

  setMode(mode: LocalMode): void {
    if (!this.interactive || mode === this.current) return;
    this.current = mode;
    this.restored = false;
    if (this.useStty) {
      stty([this.saved!]);
      const r = stty(STTY_MODES[mode]);
      if (r.ok) return;
      this.useStty = false; // fall through to setRawMode from now on
    }
    (process.stdin as ReadStream).setRawMode?.(mode === 'raw' || mode === 'raw-echo');
  }

  /** Put the terminal back as it was at start. Idempotent, synchronous. */
  restore(): void {
    if (!this.interactive || this.restored) return;
    this.restored = true;
    this.current = null;
    if (this.useStty && this.saved !== null) stty([this.saved]);
    else (process.stdin as ReadStream).setRawMode?.(false);
  }

  size(): { cols: number; rows: number } | null {
    const out = process.stdout;
    if (out.isTTY && out.columns > 0 && out.rows > 0) return { cols: out.columns, rows: out.rows };
    return null;
  }

  onResize(cb: () => void): () => void {
    if (!process.stdout.isTTY) return () => {};
    process.stdout.on('resize', cb);
    return () => { process.stdout.off('resize', cb); };
  }

  onSignal(cb: (signal: 'SIGINT' | 'SIGQUIT') => void): () => void {
    const int = (): void => cb('SIGINT');
    const quit = (): void => cb('SIGQUIT');
    process.on('SIGINT', int);
    process.on('SIGQUIT', quit);
    return () => { process.off('SIGINT', int); process.off('SIGQUIT', quit); };
  }
}
