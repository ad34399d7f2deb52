/**
 * `BlockingSession`: login / exec / send over a blocking
 * `TelnetConnection` (telnetlib3/sync), with the same names and options as
 * the async {@link Session}. The dialogue logic is the shared step machines
 * (steps.ts); this file only blocks for input.
 */
import { TelnetClosedError, TelnetTimeoutError, TelnetUsageError } from '../protocol/errors.js';
import { TelnetConnection, type TelnetConnectionOptions } from '../sync/telnet-connection.js';
import {
  type ExecOptions, type ExecResult, type LoginOptions, type SendOptions, type SessionOptions, SessionState,
} from './options.js';
import type { LoginResult, Step } from './steps.js';
import type { Pattern } from './text.js';

/** What a byte connection (`encoding: false`) is refused with, from connect() and the constructor. */
const NEEDS_TEXT = 'a BlockingSession needs a text connection (encoding other than false)';

/** An automation session over a blocking Telnet connection. Every call blocks the calling thread. */
export class BlockingSession {
  private readonly st: SessionState;

  constructor(readonly conn: TelnetConnection<string>, options: SessionOptions = {}) {
    if (conn.binary) throw new TelnetUsageError(NEEDS_TEXT);
    this.st = new SessionState(options);
  }

  /** Connect a `TelnetConnection` (blocking) and wrap it. */
  static connect(host: string, port = 23, options: SessionOptions & TelnetConnectionOptions = {}): BlockingSession {
    const { prompt, pager, stripAnsi, irs, ors, echo, transcript, limit: sessionLimit, ...conn } = options;
    if (conn.encoding === false) throw new TelnetUsageError(NEEDS_TEXT);
    const c = new TelnetConnection<string>(host, port, { ...conn, timeout: options.timeout ?? 10_000 });
    c.connect();
    const o: SessionOptions = {};
    if (prompt !== undefined) o.prompt = prompt;
    if (options.timeout !== undefined) o.timeout = options.timeout;
    if (pager !== undefined) o.pager = pager;
    if (stripAnsi !== undefined) o.stripAnsi = stripAnsi;
    if (irs !== undefined) o.irs = irs;
    if (ors !== undefined) o.ors = ors;
    if (echo !== undefined) o.echo = echo;
    if (transcript !== undefined) o.transcript = transcript;
    if (sessionLimit !== undefined) o.limit = sessionLimit;
    return new BlockingSession(c, o);
  }

  /** The shell prompt used when a call names none. */
  get prompt(): Pattern {
    return this.st.prompt;
  }

  set prompt(p: Pattern) {
    this.st.prompt = p;
  }

  /** Received text no call has used yet. */
  get buffered(): string {
    return this.st.buffer;
  }

  /** Answer login and password prompts until the shell prompt. Throws `LoginFailedError` (`ERR_TELNET_LOGIN_FAILED`). */
  login(options: LoginOptions = {}): LoginResult {
    return this.run(this.st.loginStep(options), options.timeout, 'login');
  }

  /** Run a command and return its output (no echo, no prompt); a timeout throws `SessionTimeoutError` with `partial`. */
  exec(command: string, options: ExecOptions = {}): string {
    return this.execFull(command, options).output;
  }

  /** {@link exec} with the prompt that ended the output, the raw text and the page count. */
  execFull(command: string, options: ExecOptions = {}): ExecResult {
    const step = this.st.execStep(command, options);
    this.write(command + this.st.ors);
    return this.run(step, options.timeout, `exec ${JSON.stringify(command)}`);
  }

  /** Send text (with `ors` unless `newline: false`); with `waitFor`, return everything up to and including its match. */
  send(text: string, options: SendOptions = {}): string {
    this.write(options.newline === false ? text : text + this.st.ors);
    if (options.waitFor === undefined) return '';
    return this.run(this.st.waitStep(options.waitFor), options.timeout, 'send').text;
  }

  /** Wait for a pattern; returns everything up to and including it. */
  waitFor(pattern: Pattern, options: { timeout?: number } = {}): string {
    return this.run(this.st.waitStep(pattern), options.timeout, 'waitFor').text;
  }

  /** Close the connection. */
  close(): void {
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private write(text: string): void {
    this.st.log('send', text);
    this.conn.write(text);
  }

  private run<R>(step: Step<R>, timeout: number | undefined, what: string): R {
    const st = this.st;
    const ms = timeout ?? st.timeout;
    const deadline = st.deadline(timeout);
    for (;;) {
      const a = step.advance(st.buffer, st.eof);
      if (st.apply(a)) {
        if (a.send !== null) this.write(a.send);
        if (a.done) return a.value as R;
        continue;
      }
      if (st.eof) throw st.closed(step, what);
      st.checkLimit(step, what);
      const left = deadline - Date.now();
      if (left <= 0) throw st.timedOut(step, what, ms);
      try {
        st.ingest(this.conn.readSome(left));
      } catch (err) {
        if (err instanceof TelnetClosedError) st.ingest('');
        else if (err instanceof TelnetTimeoutError) throw st.timedOut(step, what, ms);
        else throw err;
      }
    }
  }
}
