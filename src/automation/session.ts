/**
 * `Session`: login / exec / send over an async connection (the reader and
 * writer of `openConnection`). The dialogue logic is the shared step
 * machines (steps.ts); this file only awaits input.
 */
import { openConnection, type ClientOptions } from '../client.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import { TelnetUsageError } from '../protocol/errors.js';
import {
  type ExecOptions, type ExecResult, type LoginOptions, type SendOptions, type SessionOptions, SessionState,
} from './options.js';
import type { LoginResult, Step } from './steps.js';
import type { Pattern } from './text.js';

/** How much one read asks for. */
const READ_SIZE = 1 << 16;

/** An automation session over an async Telnet connection. */
export class Session {
  private readonly st: SessionState;
  /** The read in flight: a timeout leaves it pending and the next call takes it over (nothing read is lost). */
  private pending: Promise<string> | null = null;

  constructor(readonly reader: TelnetReader<string> | TelnetReader, readonly writer: TelnetWriter, options: SessionOptions = {}) {
    if (reader.binary) throw new TelnetUsageError('a Session needs a text connection (encoding other than false)');
    this.st = new SessionState(options);
  }

  /** Connect with `openConnection` and wrap the connection. */
  static async connect(host: string, port = 23, options: SessionOptions & ClientOptions = {}): Promise<Session> {
    const { prompt, timeout, pager, stripAnsi, irs, ors, echo, transcript, limit, ...client } = options;
    const { reader, writer } = await openConnection(host, port, { connectTimeout: timeout ?? 10_000, ...client });
    const o: SessionOptions = {};
    if (prompt !== undefined) o.prompt = prompt;
    if (timeout !== undefined) o.timeout = timeout;
    if (pager !== undefined) o.pager = pager;
    if (stripAnsi !== undefined) o.stripAnsi = stripAnsi;
    if (irs !== undefined) o.irs = irs;
    if (ors !== undefined) o.ors = ors;
    if (echo !== undefined) o.echo = echo;
    if (transcript !== undefined) o.transcript = transcript;
    if (limit !== undefined) o.limit = limit;
    return new Session(reader, writer, o);
  }

  /** The shell prompt used when a call names none; set it when the prompt changes for good. */
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

  /** Answer login and password prompts until the shell prompt. Rejects with `LoginFailedError` (`ERR_TELNET_LOGIN_FAILED`). */
  async login(options: LoginOptions = {}): Promise<LoginResult> {
    return this.run(this.st.loginStep(options), options.timeout, 'login');
  }

  /**
   * Run a command: send it with `ors`, answer pagers, and resolve with its
   * output (no echo, no prompt). A timeout rejects with a
   * `SessionTimeoutError` whose `partial` holds what arrived.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<string> {
    return (await this.execFull(command, options)).output;
  }

  /** {@link exec} with the prompt that ended the output, the raw text and the page count. */
  async execFull(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const step = this.st.execStep(command, options);
    this.write(command + this.st.ors);
    return this.run(step, options.timeout, `exec ${JSON.stringify(command)}`);
  }

  /** Send text (with `ors` unless `newline: false`); with `waitFor`, resolve with everything up to and including its match. */
  async send(text: string, options: SendOptions = {}): Promise<string> {
    this.write(options.newline === false ? text : text + this.st.ors);
    if (options.waitFor === undefined) return '';
    return (await this.run(this.st.waitStep(options.waitFor), options.timeout, 'send')).text;
  }

  /** Wait for a pattern; resolves with everything up to and including it. */
  async waitFor(pattern: Pattern, options: { timeout?: number } = {}): Promise<string> {
    return (await this.run(this.st.waitStep(pattern), options.timeout, 'waitFor')).text;
  }

  /** Close the connection. */
  async close(): Promise<void> {
    this.writer.close();
    await this.writer.waitClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private write(text: string): void {
    this.st.log('send', text);
    this.writer.write(text);
  }

  private async run<R>(step: Step<R>, timeout: number | undefined, what: string): Promise<R> {
    const st = this.st;
    const ms = timeout ?? st.timeout;
    const deadline = st.deadline(timeout);
    // One timer per call, made only when the call has to wait.
    let timer: NodeJS.Timeout | undefined;
    let late: Promise<null> | null = null;
    try {
      for (;;) {
        const a = step.advance(st.buffer, st.eof);
        if (st.apply(a)) {
          if (a.send !== null) this.write(a.send);
          if (a.done) return a.value as R;
          continue;
        }
        if (st.eof) throw st.closed(step, what);
        st.checkLimit(step, what);
        if (this.pending === null && this.reader.buffered > 0) {
          st.ingest(await (this.reader.read(READ_SIZE) as Promise<string>));
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw st.timedOut(step, what, ms);
        late ??= new Promise<null>((resolve) => { timer = setTimeout(resolve, left, null); });
        // A read left pending by a timeout is taken over here: nothing it brings is lost.
        if (this.pending === null) {
          this.pending = this.reader.read(READ_SIZE) as Promise<string>;
          // Left pending by a timeout, it may fail before the next call looks at it: that must not be
          // an unhandled rejection (the next call still sees the failure through the race).
          this.pending.catch(() => undefined);
        }
        let got: string | null;
        try {
          got = await Promise.race([this.pending, late]);
        } catch (err) {
          this.pending = null;
          throw err;
        }
        if (got === null) throw st.timedOut(step, what, ms);
        this.pending = null;
        st.ingest(got);
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
