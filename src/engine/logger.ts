/**
 * Logging: the engine takes any object with `debug`, `info`, `warn` and
 * `error` methods (`console`, pino, winston...) and is silent by default.
 * Byte traces (a hexdump of every byte each way) are off unless asked for,
 * because `console.trace` prints stack traces rather than a trace level.
 */

/** Anything with the four usual log methods; `trace` is used for hexdumps when present. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  trace?(message: string, ...args: unknown[]): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/**
 * telnetlib3's hexdump layout: offset, two groups of eight hex bytes, then
 * the printable ASCII (others as `.`), each line prefixed (`<<  ` received,
 * `>>  ` sent).
 */
export function hexdump(buf: Buffer, prefix = ''): string {
  const lines: string[] = [];
  for (let off = 0; off < buf.length; off += 16) {
    const row = buf.subarray(off, off + 16);
    const hex = (part: Buffer): string => [...part].map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(23);
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${prefix}${off.toString(16).padStart(8, '0')}  ${hex(row.subarray(0, 8))}  ${hex(row.subarray(8, 16))}  |${ascii}|`);
  }
  return lines.join('\n');
}

/** Logger levels by name, for CLIs (`trace` is the most verbose). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A logger writing `LEVEL message` lines to a stream, filtered by level;
 * `trace` enables byte hexdumps through its `trace` method.
 */
export function makeLogger(level: LogLevel, write: (line: string) => void): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const at = (name: LogLevel) => (LOG_LEVELS.indexOf(name) >= rank
    ? (message: string, ...args: unknown[]) => write(`${name.toUpperCase()} ${[message, ...args.map(String)].join(' ')}`)
    : noop);
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
