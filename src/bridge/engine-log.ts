/**
 * The engine thread's log for the blocking API. A logger object cannot
 * cross into the engine thread, and a worker's `console` output waits for
 * the main thread's event loop (which a blocked caller never runs), so the
 * engine writes its own lines straight to standard error, `LEVEL message`,
 * at or above the level the caller chose (`logLevel`, default `warn`).
 */
import { writeSync } from 'node:fs';
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

function toStderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr closed or full (EAGAIN on a non-blocking pipe): the line is dropped, serving goes on.
  }
}

const loggers = new Map<LogLevel, Logger>();

/** The engine thread's logger writing to fd 2 at `level` and above (one per level, shared). */
export function engineLogger(level: unknown): Logger {
  const l = checkLogLevel(level);
  let logger = loggers.get(l);
  if (logger === undefined) loggers.set(l, logger = l === 'silent' ? silentLogger : makeLogger(l, toStderr));
  return logger;
}
