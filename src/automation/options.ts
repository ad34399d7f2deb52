/**
 * Options and the driver state shared by {@link Session} and
 * {@link BlockingSession}: the receive buffer, ANSI stripping, the
 * transcript, and applying a step's action. Only the waiting differs
 * between the two (await vs block), so that is all each session writes.
 */
import { TelnetClosedError, TelnetLimitError, TelnetTimeoutError } from '../protocol/errors.js';
import {
  DEFAULT_FAILED_LOGIN, DEFAULT_LOGIN_PROMPT, DEFAULT_PASSWORD_PROMPT, ExecStep, type ExecResult, type LoginOptions,
  LoginStep, type PagerOptions, type Step, type StepAction, WaitForStep,
} from './steps.js';
import { AnsiStripper, type LineSeparator, type Pattern } from './text.js';

/** Where a transcript goes: a function sees both directions, a writable (`process.stdout`, a file stream) what was received. */
export type TranscriptSink = ((direction: 'recv' | 'send', text: string) => void) | { write(text: string): unknown };

/** Options of a session (both kinds). Durations in milliseconds. */
export interface SessionOptions {
  /** The shell prompt (default `/[$#>%] ?$/`: `$`, `#`, `>` or `%` ending what arrived). */
  prompt?: Pattern;
  /** Per-call timeout for login, exec and send (default 10,000 ms). */
  timeout?: number;
  /** Pager handling, on by default (`false` turns it off). */
  pager?: PagerOptions | false;
  /** Strip ANSI escape sequences from everything received (default false). */
  stripAnsi?: boolean;
  /** How output is split into lines (default null: CR LF, LF or LF CR). */
  irs?: LineSeparator;
  /**
   * What ends a command or a credential (default `\n`). Not CR LF: once
   * BINARY is agreed a telnetd hands CR LF to its pty unchanged, which reads
   * it as two Enters (two prompts, and exec would fall one prompt behind);
   * a lone LF is one Enter for a pty, for routers' CLIs and in NVT mode alike.
   */
  ors?: string;
  /** How many echoed lines exec drops: `'auto'` (default) drops the first line when it ends with the command. */
  echo?: 'auto' | number;
  /** Record the conversation. */
  transcript?: TranscriptSink;
  /** At most this many units of unconsumed input while a call waits (default 8 Mi); past it, `SessionLimitError`. */
  limit?: number;
}

/** Options of one exec call. */
export interface ExecOptions {
  prompt?: Pattern;
  timeout?: number;
  pager?: PagerOptions | false;
  echo?: 'auto' | number;
}

/** Options of one send call. */
export interface SendOptions {
  /** Wait until this arrives and return everything up to and including it. */
  waitFor?: Pattern;
  timeout?: number;
  /** Append `ors` (default true). */
  newline?: boolean;
}

/** The default shell prompt. */
export const DEFAULT_PROMPT = /[$#>%] ?$/;
/** The default per-call timeout (ms). */
export const DEFAULT_TIMEOUT = 10_000;

/**
 * A command (or login, or send) did not finish in time. `partial` is
 * everything received for it, none of which stays in the session's buffer.
 */
export class SessionTimeoutError extends TelnetTimeoutError {
  readonly partial: string;

  constructor(message: string, partial: string) {
    super(message, 'ERR_TELNET_TIMEOUT');
    this.partial = partial;
  }
}

/** A call's input grew past the session's `limit` without a match; `partial` holds it (it left the buffer). */
export class SessionLimitError extends TelnetLimitError {
  readonly partial: string;

  constructor(message: string, partial: string) {
    super(message);
    this.partial = partial;
  }
}

/** The default `limit` (units). */
export const DEFAULT_LIMIT = 8 * 1024 * 1024;

/** The state and rules both sessions share. */
export class SessionState {
  prompt: Pattern;
  readonly timeout: number;
  readonly pager: PagerOptions | false;
  readonly irs: LineSeparator;
  readonly ors: string;
  readonly echo: 'auto' | number;
  readonly limit: number;
  /** Received text not yet used by any call. */
  buffer = '';
  eof = false;
  private readonly ansi: AnsiStripper | null;
  private readonly transcript: TranscriptSink | null;

  constructor(o: SessionOptions) {
    this.prompt = o.prompt ?? DEFAULT_PROMPT;
    this.timeout = o.timeout ?? DEFAULT_TIMEOUT;
    this.pager = o.pager ?? {};
    this.irs = o.irs ?? null;
    this.ors = o.ors ?? '\n';
    this.echo = o.echo ?? 'auto';
    this.limit = o.limit ?? DEFAULT_LIMIT;
    this.ansi = o.stripAnsi === true ? new AnsiStripper() : null;
    this.transcript = o.transcript ?? null;
  }

  /** Text arrived (`''` means EOF). */
  ingest(chunk: string): void {
    if (chunk.length === 0) {
      this.eof = true;
      return;
    }
    this.log('recv', chunk);
    this.buffer += this.ansi === null ? chunk : this.ansi.push(chunk);
  }

  log(direction: 'recv' | 'send', text: string): void {
    const t = this.transcript;
    if (t === null) return;
    try {
      if (typeof t === 'function') t(direction, text);
      else if (direction === 'recv') t.write(text);
    } catch {
      /* a failing transcript never breaks the session */
    }
  }

  /** Apply a step's action to the buffer; returns whether anything happened. */
  apply<R>(a: StepAction<R>): boolean {
    if (a.consume > 0) this.buffer = this.buffer.slice(a.consume);
    return a.consume > 0 || a.send !== null || a.done;
  }

  deadline(timeout: number | undefined): number {
    return Date.now() + (timeout ?? this.timeout);
  }

  /** The timeout error for a step; the partial output leaves the buffer with it. */
  timedOut(step: Step<unknown>, what: string, ms: number): SessionTimeoutError {
    const partial = step.partial(this.buffer);
    this.buffer = '';
    return new SessionTimeoutError(`${what}: no ${step.waitingFor} within ${ms} ms`, partial);
  }

  /** Throws {@link SessionLimitError} when the buffer is past the limit. */
  checkLimit(step: Step<unknown>, what: string): void {
    if (this.buffer.length <= this.limit) return;
    const partial = step.partial(this.buffer);
    this.buffer = '';
    throw new SessionLimitError(`${what}: no ${step.waitingFor} within ${this.limit} units`, partial);
  }

  closed(step: Step<unknown>, what: string): TelnetClosedError {
    const partial = step.partial(this.buffer);
    this.buffer = '';
    return new TelnetClosedError(`${what}: connection closed while waiting for ${step.waitingFor}`, partial);
  }

  execStep(command: string, o: ExecOptions): ExecStep {
    return new ExecStep(command, { prompt: o.prompt ?? this.prompt, pager: o.pager ?? this.pager, irs: this.irs, echo: o.echo ?? this.echo });
  }

  loginStep(o: LoginOptions): LoginStep {
    return new LoginStep({
      ...o,
      loginPrompt: o.loginPrompt ?? DEFAULT_LOGIN_PROMPT,
      passwordPrompt: o.passwordPrompt ?? DEFAULT_PASSWORD_PROMPT,
      failedLoginMatch: o.failedLoginMatch === undefined ? DEFAULT_FAILED_LOGIN : o.failedLoginMatch,
      prompt: o.prompt ?? this.prompt,
    }, this.ors);
  }

  waitStep(p: Pattern): WaitForStep {
    return new WaitForStep(p);
  }
}

export type { ExecResult, LoginOptions };
