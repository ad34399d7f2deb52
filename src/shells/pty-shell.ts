/**
 * The `--pty-exec` shell (telnetlib3's `server_pty_shell`): run a program in
 * a pseudo-terminal and connect it to the Telnet client.
 *
 *   const shell = makePtyShell({ program: '/bin/bash', args: ['--login'] });
 *   await createServer({ shell });
 *
 * - Character mode by default (the server's WILL ECHO and WILL SGA stand:
 *   every keystroke goes to the PTY, and the PTY echoes): the PTY keeps a
 *   terminal's usual settings, so the program and the PTY's line
 *   discipline edit and echo, as under telnetd or sshd; programs that want
 *   raw input (readline, vim) set it themselves. telnetlib3 clears ICANON
 *   and ECHO here, which leaves readline programs such as bash without any
 *   echo: readline checks ECHO at start and stays silent when it is off.
 *   `lineMode` (`--line-mode`): the client edits and echoes lines (WONT
 *   ECHO is sent if we had agreed to echo) and the PTY is cooked with ECHO
 *   off. In both, VERASE is ^H and DEL from the client becomes ^H (as
 *   telnetlib3), so either backspace key erases.
 * - The child's environment is built from scratch: a few of the server's
 *   own variables (PATH, HOME, SHELL, USER, LOGNAME, TZ, TMPDIR) plus, from
 *   the client, only TERM (validated, lower-cased), LANG (validated),
 *   COLUMNS and LINES (from NAWS). Nothing the client sends reaches the
 *   child's argv, and no other client variable (USER, LD_PRELOAD,
 *   CREDENTIALS_DIRECTORY, ...) reaches its environment: inetutils
 *   telnetd's `NEW_ENVIRON USER "-f root"` (CVE-2026-24061) and
 *   CVE-2026-28372 are the cautionary tales.
 * - NAWS updates resize the PTY (debounced); the kernel signals SIGWINCH.
 * - Telnet commands become the PTY's control characters: IP and BRK → ^C,
 *   EC → ^H, EL → ^U, EOF → ^D, SUSP → ^Z, ABORT → ^\; AYT is answered
 *   with `[Yes]`.
 * - GA after 100 ms without output, only when neither side agreed to
 *   suppress go-ahead and GA is wanted (`neverSendGa` false).
 * - The child exiting closes the connection after its last output; the
 *   connection closing ends the child (SIGHUP to its process group, then
 *   SIGKILL after a grace period).
 *
 * POSIX only (node-pty). The PTY's termios are set by `stty` in a
 * `/bin/sh -c '...; exec "$0" "$@"'` wrapper before the program starts, so
 * the program never sees the PTY in the wrong mode; the program and its
 * arguments are positional parameters of that wrapper, never interpolated.
 */
import fs from 'node:fs';
import path from 'node:path';
import pty from 'node-pty';
import { Cmd } from '../protocol/constants.js';
import { TelnetEncodingError } from '../protocol/errors.js';
import { encodeText, makeDecoder, normalizeEncoding, type TextDecoderLike } from '../engine/encoding.js';
import { lookupRetroCodec } from '../encodings/registry.js';
import { type Logger, silentLogger } from '../engine/logger.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';

/** The server's own environment variables a PTY child inherits (trusted: they are not the client's). */
export const PTY_SERVER_ENV = Object.freeze(['PATH', 'HOME', 'SHELL', 'USER', 'LOGNAME', 'TZ', 'TMPDIR'] as const);

/** The only names whose values may come from the client. */
export const PTY_CLIENT_ENV = Object.freeze(['TERM', 'LANG', 'COLUMNS', 'LINES'] as const);

/** PATH for the child when the server has none. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** A terminal type the child may see: `^[A-Za-z0-9._+-]{1,64}$`. */
const TERM_RE = /^[A-Za-z0-9._+-]{1,64}$/;
/** A LANG the child may see: `C`, `POSIX`, or `ll[_CC][.codeset][@modifier]`. */
const LANG_RE = /^(?:C|POSIX|[A-Za-z]{2,3}(?:_[A-Za-z]{2,3})?)(?:\.[A-Za-z0-9_-]{1,32})?(?:@[A-Za-z0-9_-]{1,32})?$/;

/** The client's terminal type made safe for a child's TERM, or null when it is not acceptable. */
export function validTerm(value: unknown): string | null {
  if (typeof value !== 'string' || !TERM_RE.test(value)) return null;
  const t = value.toLowerCase();
  if (t === 'unknown') return null;
  // Microsoft telnet's VTNT has no terminfo entry; it understands ANSI (as telnetlib3).
  if (t === 'vtnt') return 'ansi';
  return t;
}

/** The client's LANG made safe for a child, or null when it is not acceptable. */
export function validLang(value: unknown): string | null {
  return typeof value === 'string' && LANG_RE.test(value) ? value : null;
}

function validSize(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535 ? value : fallback;
}

/** What the child environment is built from (the client's values are untrusted). */
export interface ChildEnvInput {
  /** The client's terminal type (TTYPE, or NEW_ENVIRON TERM): validated, lower-cased; `xterm` otherwise. */
  term?: unknown;
  /** The client's LANG: validated; otherwise `en_US.<encoding>`. */
  lang?: unknown;
  /** Window size from NAWS (default 80x25). */
  cols?: unknown;
  rows?: unknown;
  /** The connection's text encoding (normalised name), for the default LANG. */
  encoding?: string | null;
  /** The server's environment to take PTY_SERVER_ENV from (default `process.env`). */
  serverEnv?: NodeJS.ProcessEnv;
  /** Extra variables set by the server operator (trusted). */
  extra?: Readonly<Record<string, string>>;
}

/** A LANG for an encoding: `utf-8` → `en_US.UTF-8`. */
function langFor(encoding: string | null | undefined): string {
  if (encoding === null || encoding === undefined || encoding === 'us-ascii') return 'en_US.UTF-8';
  return `en_US.${encoding === 'utf-8' ? 'UTF-8' : encoding.toUpperCase()}`;
}

/**
 * The PTY child's environment, built from an allow-list: the server's own
 * PATH, HOME, SHELL, USER, LOGNAME, TZ and TMPDIR, the operator's `extra`,
 * and from the client only TERM, LANG, COLUMNS and LINES, validated.
 */
export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  const server = input.serverEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of PTY_SERVER_ENV) {
    const v = server[name];
    if (typeof v === 'string' && v !== '') env[name] = v;
  }
  env.PATH ??= DEFAULT_PATH;
  for (const [k, v] of Object.entries(input.extra ?? {})) env[k] = v;
  env.TERM = validTerm(input.term) ?? 'xterm';
  env.LANG = validLang(input.lang) ?? langFor(input.encoding);
  env.COLUMNS = String(validSize(input.cols, 80));
  env.LINES = String(validSize(input.rows, 25));
  return env;
}

/** Options for {@link ptyShell} / {@link makePtyShell}. */
export interface PtyShellOptions {
  /** The program (a path, or a name looked up in the child's PATH). */
  program: string;
  /** Its arguments (from the server's command line; never from the client). */
  args?: readonly string[];
  /** The client edits and echoes lines; the PTY is cooked without echo. Default false (character mode). */
  lineMode?: boolean;
  /**
   * telnetlib3's literal raw PTY: ICANON and ECHO cleared, for programs that
   * drive the terminal themselves and echo on their own (curses, blessed).
   * Readline programs such as bash stay silent in it. Ignored with `lineMode`.
   */
  raw?: boolean;
  /** Never send IAC GA. */
  neverSendGa?: boolean;
  /** Working directory (default the server's). */
  cwd?: string;
  /** Extra environment for the child, set by the operator (trusted). */
  env?: Readonly<Record<string, string>>;
  /** The server's environment to inherit PTY_SERVER_ENV from (default `process.env`). */
  serverEnv?: NodeJS.ProcessEnv;
  /** Between SIGHUP and SIGKILL when the connection closes first (default 1000 ms). */
  killGraceMs?: number;
  /** Output idle time before IAC GA (default 100 ms, as telnetlib3's code). */
  gaIdleMs?: number;
  /** NAWS updates closer together than this are merged (default 100 ms). */
  resizeDebounceMs?: number;
  /** Longest wait for TTYPE / NEW_ENVIRON / NAWS answers before starting (default 2000 ms). */
  negotiationWaitMs?: number;
  /** Client input is held until the program's first output, or this long (default 200 ms). */
  inputDelayMs?: number;
  /** Where spawn and exit are logged (default nowhere). */
  logger?: Logger;
  /** The shell used to set the PTY modes before exec (default `/bin/sh`). */
  wrapperShell?: string;
}

/** Returned by {@link ptyShell}: how the program ended (null when it never started). */
export interface PtyExit {
  exitCode: number;
  signal: number | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => { const t = setTimeout(r, ms); t.unref?.(); });
}

/**
 * Client bytes on their way to the PTY: CR LF and CR NUL become CR (the
 * PTY's ICRNL makes a line end of it), DEL becomes ^H (VERASE).
 */
export class PtyInputFilter {
  private afterCr = false;

  /** Translate one chunk. */
  push(data: Buffer): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    let o = 0;
    for (const b of data) {
      if (this.afterCr && (b === 0x0a || b === 0x00)) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = b === 0x0d;
      out[o++] = b === 0x7f ? 0x08 : b;
    }
    return out.subarray(0, o);
  }
}

/** The `stty` settings for the PTY. */
function sttyArgs(lineMode: boolean, utf8: boolean, raw = false): string[] {
  const args = lineMode ? ['icanon', '-echo'] : raw ? ['-icanon', '-echo'] : ['icanon', 'echo'];
  args.push('erase', '^H');
  if (utf8 && process.platform === 'linux') args.push('iutf8');
  return args;
}

/**
 * Run `program` in a PTY for one Telnet connection; resolves when it is over
 * with the program's exit status (null if it could not be started). The
 * caller (the server) closes the connection afterwards.
 */
export async function ptyShell(reader: TelnetReader<any>, writer: TelnetWriter, options: PtyShellOptions): Promise<PtyExit | null> {
  const log = options.logger ?? silentLogger;
  const binary = writer.binary;
  const say = (text: string): void => { writer.write(binary ? Buffer.from(text, 'latin1') : text); };

  // TTYPE, NEW_ENVIRON and NAWS answers, if still on their way (negotiation normally settled already).
  try {
    await Promise.race([
      writer.waitFor({ pending: { TTYPE: false, NEW_ENVIRON: false, NAWS: false } }),
      sleep(options.negotiationWaitMs ?? 2000),
    ]);
  } catch {
    return null; // closed while waiting
  }
  if (writer.isClosing()) return null;

  const lineMode = options.lineMode ?? false;
  if (lineMode && writer.localOption.enabled('ECHO')) writer.iac(Cmd.WONT, 'ECHO');

  const charset = writer.getExtraInfo<string>('charset');
  const encoding = binary ? null : (normalizeEncoding(charset ?? '') ?? normalizeEncoding(writer.outgoingEncoding) ?? 'utf-8');
  // No Unix program speaks a retro BBS charset (atascii, petscii, ...): the
  // child gets UTF-8 and a UTF-8 LANG, and the connection's codec transcodes.
  const retro = encoding !== null && lookupRetroCodec(encoding) !== null;
  const childEncoding = encoding === null || encoding === 'us-ascii' || retro ? 'utf-8' : encoding;
  const env = buildChildEnv({
    term: writer.getExtraInfo('TERM'),
    lang: retro ? undefined : writer.getExtraInfo('LANG'),
    cols: writer.getExtraInfo('cols'),
    rows: writer.getExtraInfo('rows'),
    encoding: childEncoding,
    serverEnv: options.serverEnv ?? process.env,
    extra: options.env ?? {},
  });
  const cols = Number(env.COLUMNS);
  const rows = Number(env.LINES);
  const wrapper = options.wrapperShell ?? '/bin/sh';
  const script = `stty ${sttyArgs(lineMode, childEncoding === 'utf-8', options.raw ?? false).map((a) => `'${a}'`).join(' ')} 2>/dev/null; exec "$0" "$@"`;
  let child: pty.IPty;
  try {
    child = pty.spawn(wrapper, ['-c', script, options.program, ...(options.args ?? [])], {
      name: env.TERM!,
      cols,
      rows,
      cwd: options.cwd ?? process.cwd(),
      env,
      encoding: null,
    });
  } catch (err) {
    log.error(`cannot start ${options.program}: ${(err as Error).message}`);
    say(`\r\nCannot start ${path.basename(options.program)}: ${(err as Error).message}\r\n`);
    return null;
  }
  log.info(`pty-exec ${options.program} pid ${child.pid} (${lineMode ? 'line' : 'character'} mode, TERM=${env.TERM}, ${cols}x${rows})`);

  let exited = false;
  let resolveExit!: (e: PtyExit) => void;
  const exit = new Promise<PtyExit>((r) => { resolveExit = r; });

  // ---- output: PTY → client
  const decoder: TextDecoderLike | null = binary ? null : makeDecoder(childEncoding);
  let gaTimer: NodeJS.Timeout | null = null;
  const gaIdle = options.gaIdleMs ?? 100;
  const gaWanted = (): boolean => !options.neverSendGa && !writer.remoteOption.enabled('SGA') && !writer.localOption.enabled('SGA');
  let paused = false;
  const emit = (text: string | Buffer): void => {
    if (text.length === 0 || writer.isClosing()) return;
    const ok = writer.write(text);
    if (!ok && !paused && !exited) {
      paused = true;
      child.pause();
      void writer.drain().then(() => { paused = false; if (!exited) child.resume(); });
    }
    if (gaTimer !== null) clearTimeout(gaTimer);
    gaTimer = null;
    if (gaWanted()) {
      gaTimer = setTimeout(() => { gaTimer = null; if (gaWanted()) writer.sendGa(); }, gaIdle);
    }
  };
  // Client input waits for the child's first output (or 200 ms): before the
  // wrapper's stty has run, the PTY would echo it in line mode.
  let opened!: () => void;
  const gate = new Promise<void>((r) => { opened = r; });
  const gateTimer = setTimeout(() => opened(), options.inputDelayMs ?? 200);
  let lastOutputAt = Date.now();
  child.onData((chunk: string | Buffer) => {
    opened();
    lastOutputAt = Date.now();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    emit(decoder === null ? buf : decoder.write(buf).text);
  });
  child.onExit(({ exitCode, signal }) => {
    exited = true;
    if (gaTimer !== null) clearTimeout(gaTimer);
    log.info(`pty-exec ${options.program} pid ${child.pid} exited: code ${exitCode}${signal ? `, signal ${signal}` : ''}`);
    // The exit can be reported before the PTY's last output was read: wait
    // until the output has been quiet for 50 ms (at most 1 s) before closing.
    const exitAt = Date.now();
    const finish = (): void => {
      const now = Date.now();
      if (now - lastOutputAt < 50 && now - exitAt < 1000) {
        setTimeout(finish, 50 - (now - lastOutputAt));
        return;
      }
      if (decoder !== null) emit(decoder.end().text);
      resolveExit({ exitCode, signal });
    };
    setTimeout(finish, 50);
  });

  // ---- window size: NAWS → TIOCSWINSZ (the kernel sends SIGWINCH)
  let resizeTimer: NodeJS.Timeout | null = null;
  writer.setExtCallback('NAWS', (r: number, c: number) => {
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      resizeTimer = null;
      if (exited) return;
      try {
        child.resize(validSize(c, cols), validSize(r, rows));
      } catch (err) {
        log.debug(`pty resize failed: ${(err as Error).message}`);
      }
    }, options.resizeDebounceMs ?? 100);
  });

  // ---- Telnet commands → control characters
  const control = (byte: number) => () => { if (!exited) child.write(Buffer.from([byte])); };
  writer.setIacCallback(Cmd.IP, control(0x03));
  writer.setIacCallback(Cmd.BRK, control(0x03));
  writer.setIacCallback(Cmd.EC, control(0x08));
  writer.setIacCallback(Cmd.EL, control(0x15));
  writer.setIacCallback(Cmd.EOF, control(0x04));
  writer.setIacCallback(Cmd.SUSP, control(0x1a));
  writer.setIacCallback(Cmd.ABORT, control(0x1c));
  writer.setIacCallback(Cmd.AYT, () => say('\r\n[Yes]\r\n'));

  // ---- input: client → PTY
  const filter = new PtyInputFilter();
  const pump = (async (): Promise<void> => {
    for (;;) {
      let data: string | Buffer;
      try {
        data = await reader.read(4096);
      } catch (err) {
        if (err instanceof TelnetEncodingError) continue;
        return;
      }
      if (data.length === 0 || exited) return;
      await gate;
      if (exited) return;
      const bytes = typeof data === 'string' ? encodeText(data, childEncoding, 'replace') : data;
      const out = filter.push(bytes);
      if (out.length > 0) child.write(out);
    }
  })();

  const closed = writer.waitClosed();
  const winner = await Promise.race([exit.then(() => 'exit' as const), pump.then(() => 'eof' as const), closed.then(() => 'closed' as const)]);
  if (winner !== 'exit') {
    // The client went away: hang up the program, then make sure.
    log.info(`connection ended (${winner}): hanging up ${options.program} pid ${child.pid}`);
    signalGroup(child.pid, 'SIGHUP');
    const grace = options.killGraceMs ?? 1000;
    const t = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), grace);
    const result = await exit;
    clearTimeout(t);
    cleanup();
    return result;
  }
  const result = await exit;
  cleanup();
  return result;

  function cleanup(): void {
    clearTimeout(gateTimer);
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    if (gaTimer !== null) clearTimeout(gaTimer);
    writer.setExtCallback('NAWS', null);
    for (const c of [Cmd.IP, Cmd.BRK, Cmd.EC, Cmd.EL, Cmd.EOF, Cmd.SUSP, Cmd.ABORT, Cmd.AYT]) writer.setIacCallback(c, null);
  }
}

/** Signal a process group (the PTY child leads its own session), falling back to the process. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* gone */ }
  }
}

/** A server shell that runs `options.program` in a PTY for each connection. */
export function makePtyShell(options: PtyShellOptions): (reader: TelnetReader<any>, writer: TelnetWriter) => Promise<void> {
  return async (reader, writer) => {
    await ptyShell(reader, writer, options);
    await writer.drain();
  };
}

/**
 * Where `program` would be found: a path containing `/` as is (if
 * executable), otherwise the first executable match in `searchPath`; null
 * when there is none (for a clear error at startup rather than per
 * connection).
 */
export function resolveProgram(program: string, searchPath = process.env.PATH ?? DEFAULT_PATH): string | null {
  const candidates = program.includes('/') ? [path.resolve(program)] : searchPath.split(':').filter(Boolean).map((d) => path.join(d, program));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}
