/**
 * The engine thread's log for the blocking API. A logger object cannot
 * cross into the engine thread, and a worker's `console` output waits for
 * the main thread's event loop (which a blocked caller never runs), so the
 * engine writes its own lines to standard error itself, `LEVEL message`,
 * at or above the level the caller chose (`logLevel`, default `warn`).
 */
import { write } from 'node:fs';
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
const queue: string[] = [];
let writing = false;
let dropped = 0;

/**
 * Queue a line for fd 2. One write is in flight at a time, on libuv's
 * thread pool, so lines keep their order and a standard error that nobody
 * reads (a full pipe blocks its writer) stalls that one pool thread, never
 * the engine thread: peers that make warnings cannot make it hang. What
 * does not fit the queue is counted and reported once there is room.
 */
function toStderr(line: string): void {
  if (queue.length >= MAX_QUEUED) {
    dropped++;
    return;
  }
  if (dropped > 0) {
    queue.push(`WARN ${dropped} log lines dropped: standard error did not keep up\n`);
    dropped = 0;
  }
  queue.push(`${line}\n`);
  if (!writing) writeNext();
}

function writeNext(): void {
  const text = queue.length === 1 ? queue.pop()! : queue.splice(0).join('');
  writing = true;
  write(2, text, (err) => {
    writing = false;
    if (err !== null) {
      // Full (EAGAIN on a non-blocking pipe), closed or broken: these lines
      // and the queued ones are dropped and counted; serving goes on.
      dropped += text.split('\n').length - 1 + queue.length;
      queue.length = 0;
    }
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
