/**
 * Guard shells (telnetlib3's `guard_shells`): what runs before, or instead
 * of, the real shell when the server is busy or the peer looks like a robot.
 *
 * - {@link ConnectionCounter}: a limit on concurrent sessions
 *   (`--pty-fork-limit`); connections over it get {@link busyShell}.
 * - {@link robotCheck}: asks the terminal for its cursor position (DSR),
 *   writes one space and asks again; a real terminal reports a column one
 *   further on. Failures get {@link robotShell}.
 * - {@link guardShell}: wraps a shell with both.
 *
 * Reads here have deadlines. The reader allows one read at a time, so a
 * read that outlives its deadline is kept in {@link GuardInput} and reused
 * by the next guard read instead of being abandoned.
 */
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import { type Logger, silentLogger } from '../engine/logger.js';
import { LineEditor } from './line-editor.js';

type Shell = (reader: TelnetReader<any>, writer: TelnetWriter) => unknown;

/** telnetlib3's busy message. */
export const BUSY_MESSAGE = 'Machine is busy, do not touch! ';
/** telnetlib3's second busy message. */
export const BUSY_EXPLOSION = '\r\nYou hear a distant explosion... ';
/** The robot shell's questions. */
export const ROBOT_QUESTIONS = ['Do robots dream of electric sheep? [yn] ', '\r\nHave you ever wondered, who are the windowmakers? '] as const;

/** Counts concurrent sessions against a limit. */
export class ConnectionCounter {
  private n = 0;
  constructor(readonly limit: number) {}
  /** Take a slot; false when all are taken. */
  tryAcquire(): boolean {
    if (this.n >= this.limit) return false;
    this.n++;
    return true;
  }
  /** Give a slot back (never below 0). */
  release(): void {
    if (this.n > 0) this.n--;
  }
  /** Slots taken. */
  get count(): number {
    return this.n;
  }
}

/** Reads with deadlines over a reader that allows one read at a time. */
export class GuardInput {
  private pending: Promise<string> | null = null;
  private eof = false;
  private held = '';

  constructor(private readonly reader: TelnetReader<any>) {}

  /** The next text (latin-1 for byte readers); null at EOF; undefined when `ms` passed first. */
  async next(ms: number): Promise<string | null | undefined> {
    if (this.held !== '') {
      const h = this.held;
      this.held = '';
      return h;
    }
    if (this.eof) return null;
    this.pending ??= this.reader.read(4096).then(
      (d: string | Buffer) => (typeof d === 'string' ? d : d.toString('latin1')),
      () => '',
    );
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.pending,
      new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), Math.max(0, ms)); }),
    ]);
    clearTimeout(timer);
    if (r === undefined) return undefined;
    this.pending = null;
    if (r === '') {
      this.eof = true;
      return null;
    }
    return r;
  }

  /** Put text back for the next {@link next}. */
  unread(text: string): void {
    this.held = text + this.held;
  }

  /** True while a read is still outstanding on the reader (its data would go to this object). */
  get busy(): boolean {
    return this.pending !== null;
  }
}

function out(writer: TelnetWriter, text: string): void {
  writer.write(writer.binary ? Buffer.from(text, 'latin1') : text);
}

/**
 * One line typed by the peer, echoed through `writer.echo()` (only when we
 * WILL ECHO); null at EOF or when `ms` pass first.
 */
export async function readLineWithin(input: GuardInput, writer: TelnetWriter, ms: number, maxLength = 2048): Promise<string | null> {
  const editor = new LineEditor({ maxLength });
  const deadline = Date.now() + ms;
  for (;;) {
    const chunk = await input.next(deadline - Date.now());
    if (chunk === null || chunk === undefined) return null;
    // Feed one character at a time so that input after the line end stays for the next read.
    for (let i = 0; i < chunk.length; i++) {
      const r = editor.feed(chunk[i]!);
      if (r.echo) writer.echo(writer.binary ? Buffer.from(r.echo, 'latin1') : r.echo);
      if (r.lines.length > 0) {
        input.unread(chunk.slice(i + 1));
        return r.lines[0]!;
      }
    }
  }
}

/** `Machine is busy, do not touch!`, a line, a distant explosion, a line (30 s each). */
export async function busyShell(reader: TelnetReader<any>, writer: TelnetWriter, input = new GuardInput(reader)): Promise<void> {
  out(writer, BUSY_MESSAGE);
  if (await readLineWithin(input, writer, 30000) === null) return;
  out(writer, BUSY_EXPLOSION);
  await readLineWithin(input, writer, 30000);
  out(writer, '\r\n');
}

/** The robot shell's two questions (10 s each; a blank answer asks again). */
export async function robotShell(reader: TelnetReader<any>, writer: TelnetWriter, input = new GuardInput(reader), logger: Logger = silentLogger): Promise<void> {
  for (const q of ROBOT_QUESTIONS) {
    let answer: string | null = '';
    while (answer === '') {
      out(writer, q);
      answer = await readLineWithin(input, writer, 10000);
      if (answer !== null) answer = answer.trim();
    }
    if (answer === null) return;
    logger.info(`robot shell: ${JSON.stringify(q.trim())} -> ${JSON.stringify(answer)}`);
  }
  out(writer, '\r\n');
}

const CPR = /\x1b\[(\d+);(\d+)R/;

async function cursorPosition(input: GuardInput, writer: TelnetWriter, ms: number): Promise<{ row: number; col: number } | null> {
  out(writer, '\x1b[6n');
  const deadline = Date.now() + ms;
  let text = '';
  for (;;) {
    const chunk = await input.next(deadline - Date.now());
    if (chunk === null || chunk === undefined) return null;
    text += chunk;
    const m = CPR.exec(text);
    if (m !== null) {
      input.unread(text.slice(m.index + m[0].length));
      return { row: Number(m[1]), col: Number(m[2]) };
    }
    if (text.length > 256) text = text.slice(-64);
  }
}

/**
 * telnetlib3's `robot_check`: DSR, a space, DSR again; true when the
 * terminal reported the column one further on. The space is erased.
 */
export async function robotCheck(reader: TelnetReader<any>, writer: TelnetWriter, timeout = 5000, input = new GuardInput(reader)): Promise<boolean> {
  const first = await cursorPosition(input, writer, timeout);
  if (first === null) return false;
  out(writer, ' ');
  const second = await cursorPosition(input, writer, timeout);
  const width = second === null ? 1 : Math.max(1, second.col - first.col);
  out(writer, `\x1b[${first.col}G${' '.repeat(width)}\x1b[${first.col}G`);
  return second !== null && second.col - first.col === 1;
}

/** Options for {@link guardShell}. */
export interface GuardOptions {
  /** Concurrent session limit (`--pty-fork-limit`); over it, {@link busyShell}. */
  counter?: ConnectionCounter | null;
  /** Run {@link robotCheck} first; failures get {@link robotShell}. */
  robotCheck?: boolean;
  /** CPR wait of the robot check (default 5000 ms). */
  robotTimeout?: number;
  logger?: Logger;
}

/** Wrap `shell` with the session limit and the robot check. */
export function guardShell(shell: Shell, options: GuardOptions): Shell {
  const { counter = null, robotCheck: check = false, logger = silentLogger } = options;
  if (counter === null && !check) return shell;
  return async (reader, writer) => {
    if (counter !== null && !counter.tryAcquire()) {
      logger.info(`session limit ${counter.limit} reached: busy shell`);
      await busyShell(reader, writer);
      return;
    }
    try {
      if (check) {
        const input = new GuardInput(reader);
        if (!await robotCheck(reader, writer, options.robotTimeout ?? 5000, input)) {
          logger.info('robot check failed: robot shell');
          await robotShell(reader, writer, input, logger);
          return;
        }
      }
      await shell(reader, writer);
    } finally {
      counter?.release();
    }
  };
}
