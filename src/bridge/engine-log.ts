/**
 * The engine thread's log for the blocking API. A logger object cannot
 * cross into the engine thread, and a worker's `console` output waits for
 * the main thread's event loop (which a blocked caller never runs), so the
 * engine writes its own lines to standard error itself, `LEVEL message`,
 * at or above the level the caller chose (`logLevel`, default `warn`).
 */
import { write, writeSync } from 'node:fs';
import { TelnetUsageError } from '../protocol/errors.js';
import { LOG_LEVELS, type LogLevel, type Logger, makeLogger, silentLogger } from '../engine/logger.js';

/** The level a blocking server logs at when none is given. */
export const DEFAULT_ENGINE_LOG_LEVEL: LogLevel = 'warn';

/** Throw a usage error unless `level` is a {@link LogLevel} (or undefined). */
export function checkLogLevel(level: unknown): LogLevel {
  if (level === undefined) return DEFAULT_ENGINE_LOG_LEVEL;
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TelnetUsageError(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${String(level)}`, 'ERR_TELNET_BAD_OPTION');
  }
  return level as LogLevel;
}

/** Lines waiting for standard error at most; more are counted and dropped. */
const MAX_QUEUED = 256;
const queue: Buffer[] = [];
let writing = false;
let dropped = 0;

/**
 * Write a line to fd 2 at once (so that a script's last warning is there
 * when it exits). When fd 2 cannot take it (EAGAIN: a pipe nobody reads,
 * which Node leaves non-blocking), the line waits in a bounded queue that
 * drains one write at a time on libuv's thread pool, in order, so the
 * engine thread never waits for standard error; what does not fit is
 * counted and reported as dropped once writes go through again.
 */
function toStderr(line: string): void {
  if (!writing && queue.length === 0) {
    const bytes = Buffer.from(`${droppedNotice()}${line}\n`);
    try {
      const n = writeSync(2, bytes);
      if (n === bytes.length) return;
      enqueue(bytes.subarray(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') enqueue(bytes);
      else dropped++;
    }
    return;
  }
  enqueue(Buffer.from(`${line}\n`));
}

/** The line that reports lines dropped so far (and forgets them), or ''. */
function droppedNotice(): string {
  if (dropped === 0) return '';
  const notice = `WARN ${dropped} log lines dropped: standard error did not keep up\n`;
  dropped = 0;
  return notice;
}

function enqueue(bytes: Buffer): void {
  if (queue.length >= MAX_QUEUED) {
    dropped++;
    return;
  }
  const notice = droppedNotice();
  if (notice !== '') queue.push(Buffer.from(notice));
  queue.push(bytes);
  if (!writing) writeNext();
}

function writeNext(): void {
  const chunk = queue.length === 1 ? queue.pop()! : Buffer.concat(queue.splice(0));
  writing = true;
  write(2, chunk, (err, n) => {
    writing = false;
    if (err !== null) {
      // Still full (EAGAIN), closed or broken: what waited is dropped and counted; serving goes on.
      dropped += queue.length + 1;
      queue.length = 0;
      return;
    }
    if (n < chunk.length) queue.unshift(chunk.subarray(n));
    if (queue.length > 0) writeNext();
  });
}

const loggers = new Map<LogLevel, Logger>();

/** The engine thread's logger writing to fd 2 at `level` and above (one per level, shared). */
export function engineLogger(level: unknown): Logger {
  const l = checkLogLevel(level);
  let logger = loggers.get(l);
  if (logger === undefined) loggers.set(l, logger = l === 'silent' ? silentLogger : makeLogger(l, toStderr));
  return logger;
}
