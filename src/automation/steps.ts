/**
 * The dialogues of an automation session as pure step machines, written
 * once and driven by both {@link Session} (async) and
 * {@link BlockingSession} (blocking).
 *
 * A driver keeps the received text in a buffer and calls `advance(buffer,
 * eof)` whenever it changed. The step answers what to do: how much of the
 * buffer it used up (`consume`), what to send (`send`, a pager answer or a
 * login name), and whether it is finished (`done` with a `value`). When it
 * neither consumed, sent nor finished, the driver waits for more input.
 * Steps never touch sockets, timers or the clock: the driver owns the
 * deadline and, when it passes, asks the step for `partial()`, everything
 * it had collected, so a timeout loses nothing.
 */
import { TelnetError } from '../protocol/errors.js';
import {
  DEFAULT_PAGER_PATTERNS, LineScanner, type LineSeparator, type Pattern, cleanOutput, findFirst, findPattern, stripPagerErase,
} from './text.js';

/** What a step wants done after looking at the buffer. */
export interface StepAction<R> {
  /** Units at the start of the buffer the step has used up. */
  consume: number;
  /** Text to send (already complete, line end included when one is wanted). */
  send: string | null;
  /** The step is finished. */
  done: boolean;
  value?: R;
}

/** A dialogue with the peer. */
export interface Step<R> {
  /** Look at the buffer (all unconsumed input); `eof` once the peer closed. */
  advance(buffer: string, eof: boolean): StepAction<R>;
  /** Everything collected so far, for errors (timeouts, EOF): consumed input plus `buffer`. */
  partial(buffer: string): string;
  /** What the step was waiting for, for error messages. */
  readonly waitingFor: string;
}

const WAIT = { consume: 0, send: null, done: false } as const;

function describe(p: Pattern | null | undefined): string {
  return p === null || p === undefined ? 'nothing' : typeof p === 'string' ? JSON.stringify(p) : String(p);
}

// ------------------------------------------------------------------ pager

/** How pagers are answered (`false` in options turns pager handling off). */
export interface PagerOptions {
  /** What marks a pager prompt (default {@link DEFAULT_PAGER_PATTERNS}). */
  patterns?: ReadonlyArray<Pattern>;
  /** What is sent to get the next page (default a space, no line end). */
  answer?: string;
  /** At most this many pages per command (default 10,000), so a device that pages forever cannot loop us forever. */
  maxPages?: number;
}

// ------------------------------------------------------------------ wait for

/** Wait for a pattern: the value is everything up to and including the match. */
export class WaitForStep implements Step<{ text: string; match: string }> {
  readonly waitingFor: string;
  private readonly scan: LineScanner;

  constructor(private readonly pattern: Pattern) {
    this.waitingFor = describe(pattern);
    this.scan = new LineScanner([pattern]);
  }

  advance(buffer: string, _eof = false): StepAction<{ text: string; match: string }> {
    const f = findPattern(buffer, this.pattern, this.scan.from);
    if (f === null) {
      this.scan.noMatch(buffer);
      return WAIT;
    }
    return { consume: f.end, send: null, done: true, value: { text: buffer.slice(0, f.end), match: f.text } };
  }

  partial(buffer: string): string {
    return buffer;
  }
}

// ------------------------------------------------------------------ exec

/** Options of one exec step. */
export interface ExecStepOptions {
  prompt: Pattern;
  pager: PagerOptions | false;
  irs: LineSeparator;
  echo: 'auto' | number;
}

/** What one command produced. */
export interface ExecResult {
  /** The cleaned output (no echo, no prompt, pager prompts removed, lines joined with `\n`). */
  output: string;
  /** The prompt text that ended it (useful when the prompt changes). */
  prompt: string;
  /** What arrived between the command and the prompt, pager prompts removed, otherwise untouched. */
  raw: string;
  /** How many pager prompts were answered. */
  pages: number;
}

/**
 * Collect a command's output until the prompt, answering pager prompts on
 * the way. Pager prompts are searched only before the prompt's match, so
 * a prompt is never mistaken for a pager.
 */
export class ExecStep implements Step<ExecResult> {
  readonly waitingFor: string;
  private collected = '';
  private pages = 0;
  private afterPager = false;
  private readonly pagerPatterns: ReadonlyArray<Pattern>;
  private readonly answer: string;
  private readonly maxPages: number;
  private readonly scan: LineScanner;

  constructor(private readonly command: string, private readonly opts: ExecStepOptions) {
    this.waitingFor = `the prompt ${describe(opts.prompt)}`;
    this.pagerPatterns = opts.pager === false ? [] : opts.pager.patterns ?? DEFAULT_PAGER_PATTERNS;
    this.answer = opts.pager === false ? ' ' : opts.pager.answer ?? ' ';
    this.maxPages = opts.pager === false ? 0 : opts.pager.maxPages ?? 10_000;
    this.scan = new LineScanner([opts.prompt, ...this.pagerPatterns]);
  }

  advance(buffer: string, _eof = false): StepAction<ExecResult> {
    let skipped = 0;
    if (this.afterPager && buffer.length > 0) {
      this.afterPager = false;
      const rest = stripPagerErase(buffer);
      skipped = buffer.length - rest.length;
      if (skipped > 0) {
        this.scan.consumed(skipped);
        return { consume: skipped, send: null, done: false };
      }
    }
    const from = this.scan.from;
    const prompt = findPattern(buffer, this.opts.prompt, from);
    if (prompt === null && this.pages < this.maxPages && this.pagerPatterns.length > 0) {
      const pager = findFirst(buffer, this.pagerPatterns, from);
      // A pager prompt is the last thing before the device waits: it ends the buffer (or is followed
      // only by what the device sent once answered). Text such as "--more" inside a line is not one.
      if (pager !== null && /^[ \t\x08]*$/.test(buffer.slice(pager.end))) {
        this.collected += buffer.slice(0, pager.index);
        this.pages++;
        this.afterPager = true;
        this.scan.consumed(pager.end);
        return { consume: pager.end, send: this.answer, done: false };
      }
    }
    if (prompt === null) {
      this.scan.noMatch(buffer);
      return WAIT;
    }
    this.collected += buffer.slice(0, prompt.index);
    const output = cleanOutput(this.collected, this.command, { irs: this.opts.irs, echo: this.opts.echo });
    return {
      consume: prompt.end, send: null, done: true,
      value: { output, prompt: prompt.text, raw: this.collected, pages: this.pages },
    };
  }

  partial(buffer: string): string {
    return this.collected + buffer;
  }
}

// ------------------------------------------------------------------ login

/** Options of a login. */
export interface LoginOptions {
  username?: string;
  password?: string;
  /** Default `/(?:login|username)[: ]*$/i`. */
  loginPrompt?: Pattern;
  /** Default `/password[: ]*$/i`. */
  passwordPrompt?: Pattern;
  /** Text that means the login failed (default: common "Login incorrect" / "% Authentication failed" messages). */
  failedLoginMatch?: Pattern | null;
  /** The shell prompt that means we are in (default: the session's prompt). */
  prompt?: Pattern;
  /** ms for the whole login (default: the session's timeout). */
  timeout?: number;
}

/** What a successful login saw. */
export interface LoginResult {
  /** Everything after the last credential up to the prompt (banners, message of the day). */
  banner: string;
  /** The prompt text that was matched. */
  prompt: string;
}

export const DEFAULT_LOGIN_PROMPT = /(?:login|username)[: ]*$/i;
export const DEFAULT_PASSWORD_PROMPT = /password[: ]*$/i;
export const DEFAULT_FAILED_LOGIN = /login incorrect|authentication failed|access denied|login invalid|bad password|permission denied/i;

/** A login was refused (the failure text, or the login prompt asked a second time). */
export class LoginFailedError extends TelnetError {
  /** What the device said. */
  readonly text: string;

  constructor(message: string, text: string) {
    super(message, 'ERR_TELNET_LOGIN_FAILED');
    this.text = text;
  }
}

/**
 * Answer the login and password prompts until the shell prompt appears.
 * A login prompt after the username was sent, or the failure text, is a
 * {@link LoginFailedError} (never an endless retry).
 */
export class LoginStep implements Step<LoginResult> {
  readonly waitingFor: string;
  private collected = '';
  private sentUser = false;
  private sentPassword = false;
  private readonly patterns: Array<Pattern | null>;

  constructor(private readonly opts: Required<Pick<LoginOptions, 'loginPrompt' | 'passwordPrompt' | 'prompt'>> & LoginOptions, private readonly ors: string) {
    this.waitingFor = `a login, password or shell prompt (${describe(opts.prompt)})`;
    this.patterns = [opts.failedLoginMatch ?? null, opts.loginPrompt, opts.passwordPrompt, opts.prompt];
  }

  advance(buffer: string, _eof = false): StepAction<LoginResult> {
    const f = findFirst(buffer, this.patterns);
    if (f === null) return WAIT;
    const seen = this.collected + buffer.slice(0, f.end);
    switch (f.which) {
      case 0:
        throw new LoginFailedError(`login failed: ${JSON.stringify(f.text)}`, seen);
      case 1:
        if (this.sentUser || this.opts.username === undefined) {
          throw new LoginFailedError(this.sentUser ? 'login failed: asked for the login again' : 'login prompt, but no username given', seen);
        }
        this.sentUser = true;
        this.sentPassword = false;
        this.collected = '';
        return { consume: f.end, send: this.opts.username + this.ors, done: false };
      case 2:
        if (this.sentPassword || this.opts.password === undefined) {
          throw new LoginFailedError(this.sentPassword ? 'login failed: asked for the password again' : 'password prompt, but no password given', seen);
        }
        this.sentPassword = true;
        this.collected = '';
        return { consume: f.end, send: this.opts.password + this.ors, done: false };
      default:
        return { consume: f.end, send: null, done: true, value: { banner: this.collected + buffer.slice(0, f.index), prompt: f.text } };
    }
  }

  partial(buffer: string): string {
    return this.collected + buffer;
  }
}
