/**
 * What both CLIs share: argument parsers (seconds, ports, option lists),
 * loading a `module[:export]` shell, and the log sink. No protocol here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { optionFromName } from '../src/protocol/constants.js';
import { LOG_LEVELS, type LogLevel, type Logger, makeLogger } from '../src/engine/logger.js';
import { normalizeEncoding } from '../src/engine/encoding.js';

/** A duration in seconds (>= 0), as telnetlib3's CLIs take them. */
export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0.');
  return n;
}

/** A TCP port; `allowZero` for servers (0 picks a free port). */
export function portParser(allowZero: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const min = allowZero ? 0 : 1;
    if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > 65535) {
      throw new InvalidArgumentError(`expected a port number ${min}-65535.`);
    }
    return n;
  };
}

/** A non-negative integer. */
export function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer >= 0.');
  return n;
}

/** A log level name. */
export function logLevel(value: string): LogLevel {
  const v = value.toLowerCase() === 'warning' ? 'warn' : value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}.`);
  return v as LogLevel;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(...choices: T[]): (value: string) => T {
  return (value) => {
    if (!(choices as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return value as T;
  };
}

/** `--encoding`: a codec name, or `false` for a byte connection. */
export function encodingArg(value: string): string | false {
  if (value.toLowerCase() === 'false') return false;
  if (normalizeEncoding(value) === null) throw new InvalidArgumentError(`unknown encoding: ${value}.`);
  return value;
}

/** Whether an encoding implies BINARY from the start (telnetlib3: anything but ASCII). */
export function impliesBinary(encoding: string | false): boolean {
  return encoding !== false && normalizeEncoding(encoding) !== 'us-ascii';
}

/** Collects repeatable, comma-separated Telnet option names or numbers (`--always-do GMCP,201`). */
export function optionList(value: string, previous: number[] = []): number[] {
  const out = [...previous];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const code = optionFromName(part);
    if (code === undefined) throw new InvalidArgumentError(`unknown Telnet option: ${part}.`);
    out.push(code);
  }
  return out;
}

/** `--proxy-from`: addresses/CIDRs, comma-separated, the flag repeatable. */
export function addressList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((x) => x.trim()).filter(Boolean)];
}

/** The PROXY-protocol flags of the server bins (telnetlib3-server, telnetlib3-fingerprint-server). */
export function addProxyOptions(program: Command): Command {
  return program
    .option('--proxy-protocol', 'expect a PROXY protocol v1/v2 header (HAProxy send-proxy) first on each connection', false)
    .option('--proxy-from <addrs>', 'with --proxy-protocol: addresses/CIDRs allowed to connect, comma-separated (repeatable)', addressList);
}

/** createServer's PROXY options from those flags; exits with a usage error for --proxy-from alone. */
export function proxyOptions(program: Command, o: { proxyProtocol: boolean; proxyFrom?: string[] }): { proxyProtocol?: true; proxyFrom?: string[] } {
  if (o.proxyFrom !== undefined && !o.proxyProtocol) program.error('error: --proxy-from needs --proxy-protocol');
  return o.proxyProtocol ? { proxyProtocol: true, proxyFrom: o.proxyFrom } : {};
}

/** Split `argv` at the first `--`: [before, after] (after is null without one). */
export function splitAtDoubleDash(argv: readonly string[]): [string[], string[] | null] {
  const i = argv.indexOf('--', 2);
  return i === -1 ? [[...argv], null] : [argv.slice(0, i), argv.slice(i + 1)];
}

/**
 * Load `module[:export]`: a path (relative to the current directory) or a
 * package specifier; the export defaults to `default`, then `shell`.
 */
export async function loadShell<F extends (...args: any[]) => unknown>(spec: string): Promise<F> {
  const colon = spec.lastIndexOf(':');
  const hasExport = colon > 1 && !spec.slice(colon + 1).includes('/');
  const file = hasExport ? spec.slice(0, colon) : spec;
  const name = hasExport ? spec.slice(colon + 1) : null;
  const isPath = file.startsWith('.') || path.isAbsolute(file) || fs.existsSync(file);
  const url = isPath ? pathToFileURL(path.resolve(file)).href : file;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--shell ${spec}: cannot import ${file}: ${(err as Error).message}`);
  }
  const fn = name !== null ? mod[name] : (mod.default ?? mod.shell);
  if (typeof fn !== 'function') {
    throw new Error(`--shell ${spec}: ${name !== null ? `export ${JSON.stringify(name)}` : 'no default or "shell" export'} is not a function`);
  }
  return fn as F;
}

/** A log sink: a file (appended or rewritten) or stderr; lines end in CR LF when stderr is a raw terminal. */
export function makeCliLogger(level: LogLevel, logfile: string | undefined, mode: 'append' | 'rewrite' = 'append', crlf = false): Logger {
  if (logfile !== undefined) {
    const fd = fs.openSync(logfile, mode === 'rewrite' ? 'w' : 'a');
    return makeLogger(level, (line) => { fs.writeSync(fd, `${line}\n`); });
  }
  const eol = crlf && process.stderr.isTTY ? '\r\n' : '\n';
  return makeLogger(level, (line) => { process.stderr.write(`${line.replace(/\n/g, eol)}${eol}`); });
}
