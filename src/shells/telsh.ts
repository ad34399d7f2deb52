/**
 * telsh: the default server shell (telnetlib3's `telnet_server_shell`), a
 * tiny REPL for looking at and toggling the state of the connection.
 *
 *   Ready.
 *   tel:sh> help
 *   quit, writer, slc, linemode, toggle [option|all], reader, proto, dump
 *
 * After the banner it prints the prompt `tel:sh> ` followed by IAC GA
 * (unless `neverSendGa`; the engine itself sends no GA once the client
 * agreed to suppress go-ahead), reads one line with telnetlib3's line editor
 * (see line-editor.ts; typed characters are echoed through `writer.echo()`,
 * which only writes when we WILL ECHO), and answers it. A CR LF precedes the
 * prompt after every non-empty command. EOF from the client ends the shell;
 * the server then closes the connection.
 *
 * Works for text connections and for byte connections (`encoding: false`):
 * input is then decoded as latin-1 and output written as latin-1 Buffers.
 * Input is read in chunks, never one call per character.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Cmd, Opt, cmdName } from '../protocol/constants.js';
import { TelnetEncodingError } from '../protocol/errors.js';
import { LflowCmd } from '../protocol/options/lflow.js';
import { ModeBit } from '../protocol/options/linemode.js';
import { NSLC, SLC_NOVALUE, SlcFlag, type SlcEntry, slcName } from '../protocol/options/slc.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import { LineEditor } from './line-editor.js';

/** Options for {@link telsh}. */
export interface TelshOptions {
  /** Never send IAC GA after the prompt (telnetlib3 `never_send_ga`). */
  neverSendGa?: boolean;
}

const CRLF = '\r\n';
/** The banner. */
export const TELSH_BANNER = 'Ready.\r\n';
/** The prompt. */
export const TELSH_PROMPT = 'tel:sh> ';
/** The `help` text (`version` exists but is not listed, as in telnetlib3). */
export const TELSH_HELP = 'quit, writer, slc, linemode, toggle [option|all], reader, proto, dump';
/** `dump` writes at most this many KiB, so a client cannot keep the server busy forever. */
export const DUMP_MAX_KB = 100_000;
/** `dump` waits at most this long between lines (seconds). */
export const DUMP_MAX_DELAY = 3600;
/** Default `dump` size in KiB (telnetlib3's default). */
const DUMP_DEFAULT_KB = 1000;
/** How much input one read takes. */
const READ_CHUNK = 4096;
/** CR or LF (global, for scanning with lastIndex). */
const LINE_END = /[\r\n]/g;
/** Without drain, yield to the event loop after this many dump lines. */
const DUMP_YIELD_EVERY = 64;

// ---------------------------------------------------------------- version

let cachedVersion: string | null = null;

/** This package's version, from its package.json (found above this module, in src or dist). */
export function packageVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  let version = 'unknown';
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'telnetlib3' && typeof pkg.version === 'string') {
        version = pkg.version;
        break;
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  cachedVersion = version;
  return version;
}

// ---------------------------------------------------------------- I/O

/** Chunked input through the line editor, and output in the connection's unit (text or bytes). */
class ShellIO {
  private readonly editor = new LineEditor();
  private pending = '';
  private pos = 0;

  constructor(private readonly reader: TelnetReader<any>, private readonly writer: TelnetWriter) {}

  /** Write text (latin-1 bytes on a byte connection). */
  write(text: string): void {
    this.writer.write(this.writer.binary ? Buffer.from(text, 'latin1') : text);
  }

  /** Echo text; only written while we WILL ECHO. */
  echo(text: string): void {
    this.writer.echo(this.writer.binary ? Buffer.from(text, 'latin1') : text);
  }

  /** Input received but not yet read, here and in the reader. */
  get buffered(): number {
    return this.reader.buffered + (this.pending.length - this.pos);
  }

  /** The next line, or null at EOF. */
  async readline(): Promise<string | null> {
    for (;;) {
      while (this.pos < this.pending.length) {
        // Feed up to and including the next CR/LF: at most one line per
        // feed, so the echo of what follows a line is not sent before the
        // answer to that line.
        LINE_END.lastIndex = this.pos;
        const m = LINE_END.exec(this.pending);
        const end = m === null ? this.pending.length : m.index + 1;
        const piece = this.pending.slice(this.pos, end);
        this.pos = end;
        const r = this.editor.feed(piece);
        if (r.echo) this.echo(r.echo);
        if (r.lines.length > 0) return r.lines[0]!;
      }
      this.pending = '';
      this.pos = 0;
      let chunk: string | Buffer;
      try {
        chunk = await this.reader.read(READ_CHUNK);
      } catch (err) {
        // encodingErrors 'strict': the bad bytes are reported once; go on.
        if (err instanceof TelnetEncodingError) continue;
        throw err;
      }
      if (chunk.length === 0) return null;
      this.pending = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    }
  }
}

// ---------------------------------------------------------------- commands

/** `name_unicode` of telnetlib3: a 7-bit printable name for one character. */
function nameUnicode(code: number): string {
  if (code >= 32 && code <= 126) return String.fromCharCode(code);
  if (code === 127) return '^?';
  if (code < 32) return `^${String.fromCharCode(((code & 0x7f) | 0x20) + 0x20)}`;
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** telnetlib3's `str(SLC)`: `(value, flag|flag)`. */
function describeSlc(e: SlcEntry): string {
  const level = e.flags & SlcFlag.LEVELBITS;
  const flags: string[] = [];
  if (level === SlcFlag.NOSUPPORT) flags.push('nosupport');
  if (level === SlcFlag.VARIABLE) flags.push('variable');
  if (level === SlcFlag.DEFAULT) flags.push('default');
  if (e.flags & SlcFlag.ACK) flags.push('ack');
  if (e.flags & SlcFlag.FLUSHIN) flags.push('flushin');
  if (e.flags & SlcFlag.FLUSHOUT) flags.push('flushout');
  if (level === SlcFlag.CANTCHANGE) flags.push('cantchange');
  const value = e.value === SLC_NOVALUE ? '(DISABLED:\\xff)' : nameUnicode(e.value);
  return `(${value}, ${flags.join('|')})`;
}

/** The `slc` command: telnetlib3's `get_slcdata` over this connection's SLC table. */
export function slcReport(writer: TelnetWriter): string {
  const table = writer.session.linemodeState.table;
  const shown: string[] = [];
  const unset: string[] = [];
  const nosupport: string[] = [];
  for (let f = 1; f <= NSLC; f++) {
    const e = table.get(f);
    const name = `SLC_${slcName(f)}`;
    const unsupported = (e.flags & SlcFlag.LEVELBITS) === SlcFlag.NOSUPPORT;
    if (!unsupported && e.value !== 0) shown.push(`${name.padStart(15)}: ${describeSlc(e)}`);
    if (e.value === 0) unset.push(name);
    if (unsupported) nosupport.push(name);
  }
  shown.sort();
  unset.sort();
  nosupport.sort();
  return `Special Line Characters:${CRLF}${shown.join(CRLF)}` +
    `${CRLF}Unset by client: ${unset.join(', ')}` +
    `${CRLF}Not supported by server: ${nosupport.join(', ')}`;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');

/** The `linemode` command. */
export function linemodeReport(writer: TelnetWriter): string {
  const s = writer.session;
  if (!s.remoteEnabled(Opt.LINEMODE)) return 'LINEMODE not negotiated.';
  const m = s.linemodeMask;
  // The engine only puts a mode in force once it was acknowledged (the
  // client's ACK of our proposal, or our ACK of the client's); before any
  // MODE exchange completed the mask is 0 and nothing is acknowledged yet.
  return `LINEMODE active. Mode: ${writer.mode}${CRLF}` +
    `EDIT=${onOff((m & ModeBit.EDIT) !== 0)} TRAPSIG=${onOff((m & ModeBit.TRAPSIG) !== 0)} ` +
    `SOFT_TAB=${onOff((m & ModeBit.SOFT_TAB) !== 0)} LIT_ECHO=${onOff((m & ModeBit.LIT_ECHO) !== 0)} ` +
    `ACK=${onOff(m !== 0)}`;
}

/** Flow-control settings telsh toggles itself (telnetlib3 keeps them on the writer). */
export interface FlowState {
  /** Any character restarts output (LFLOW RESTART-ANY), else only XON. Default false. */
  xonAny: boolean;
  /** Client-side flow control on. Default true. */
  lflow: boolean;
}

const verbName = (cmd: number): string => cmdName(cmd).toLowerCase();

/** The `toggle [option|all]` command (telnetlib3's `do_toggle`, plus the LINEMODE entries). */
export function toggle(writer: TelnetWriter, option: string | null, flow: FlowState): string {
  const s = writer.session;
  const lmActive = s.remoteEnabled(Opt.LINEMODE);
  const mask = s.linemodeMask;
  const tbl: Record<string, boolean> = {
    binary: writer.outbinary && writer.inbinary,
    echo: s.localEnabled(Opt.ECHO),
    goahead: !s.localEnabled(Opt.SGA),
    inbinary: writer.inbinary,
    lflow: flow.lflow,
    linemode: lmActive,
    'linemode-edit': lmActive && (mask & ModeBit.EDIT) !== 0,
    'linemode-trapsig': lmActive && (mask & ModeBit.TRAPSIG) !== 0,
    outbinary: writer.outbinary,
    'xon-any': flow.xonAny,
  };
  if (!option) {
    return Object.keys(tbl).sort().map((k) => `${k} ${tbl[k] ? 'ON' : 'off'}`).join(CRLF);
  }
  const all = option === 'all';
  const msgs: string[] = [];
  if (option === 'echo' || all) {
    const cmd = tbl.echo ? Cmd.WONT : Cmd.WILL;
    writer.iac(cmd, Opt.ECHO);
    msgs.push(`${verbName(cmd)} echo.`);
  }
  if (option === 'goahead' || all) {
    const cmd = tbl.goahead ? Cmd.WILL : Cmd.WONT;
    writer.iac(cmd, Opt.SGA);
    msgs.push(`${verbName(cmd)} suppress go-ahead.`);
  }
  if (option === 'outbinary' || option === 'binary' || all) {
    const cmd = tbl.outbinary ? Cmd.WONT : Cmd.WILL;
    writer.iac(cmd, Opt.BINARY);
    msgs.push(`${verbName(cmd)} outbinary.`);
  }
  if (option === 'inbinary' || option === 'binary' || all) {
    const cmd = tbl.inbinary ? Cmd.DONT : Cmd.DO;
    writer.iac(cmd, Opt.BINARY);
    msgs.push(`${verbName(cmd)} inbinary.`);
  }
  if (option === 'xon-any' || all) {
    flow.xonAny = !tbl['xon-any'];
    // Sent only when the client said WILL LFLOW.
    s.sendLflow(flow.xonAny ? LflowCmd.RESTART_ANY : LflowCmd.RESTART_XON);
    msgs.push(`xon-any ${flow.xonAny ? 'en' : 'dis'}abled.`);
  }
  if (option === 'lflow' || all) {
    flow.lflow = !tbl.lflow;
    // telnetlib3 re-sends the restart mode here; flow on/off is what RFC 1372 has for it.
    s.sendLflow(flow.lflow ? LflowCmd.ON : LflowCmd.OFF);
    msgs.push(`lineflow ${flow.lflow ? 'en' : 'dis'}abled.`);
  }
  // LINEMODE entries are not part of `all`.
  if (option === 'linemode') {
    const cmd = tbl.linemode ? Cmd.DONT : Cmd.DO;
    writer.iac(cmd, Opt.LINEMODE);
    msgs.push(`${verbName(cmd)} linemode.`);
  }
  if (option === 'linemode-edit' || option === 'linemode-trapsig') {
    if (!lmActive) {
      msgs.push('linemode not active.');
    } else {
      const bit = option === 'linemode-edit' ? ModeBit.EDIT : ModeBit.TRAPSIG;
      const next = mask ^ bit;
      s.sendLinemode(next);
      msgs.push(`${option} ${(next & bit) !== 0 ? 'en' : 'dis'}abled.`);
    }
  }
  if (!Object.hasOwn(tbl, option) && !all) msgs.push('toggle: not an option.');
  return msgs.join(CRLF);
}

/** The `reader` command: a summary like telnetlib3's reader repr. */
function readerReport(reader: TelnetReader<any>, io: ShellIO): string {
  const enc = reader.encoding === null ? 'false' : `'${reader.encoding}'`;
  return `<TelnetReader encoding=${enc} limit=${reader.limit} buflen=${io.buffered} eof=${reader.atEof()}>`;
}

/** The `proto` command: `<Peer address port>`. */
function protoReport(writer: TelnetWriter): string {
  const peer = writer.getExtraInfo<{ address?: string; port?: number }>('peername');
  return `<Peer ${peer?.address ?? '?'} ${peer?.port ?? '?'}>`;
}

/** telnetlib3's `character_dump`: 80-column lines of `/` then `\`, then a byte count. */
export function* characterDump(kbLimit: number): Generator<string> {
  let bytes = 0;
  while (bytes < kbLimit * 1024) {
    for (const ch of ['/', '\\']) {
      const line = `${ch.repeat(80)}\x1b[1G`;
      yield line;
      bytes += line.length;
    }
  }
  yield `\x1b[1Gwrote ${bytes} bytes`;
}

/** Parsed `dump [kb] [ms_delay] [drain|nodrain] [close|noclose]`. */
export interface DumpArgs {
  kbLimit: number;
  /** Seconds between lines (telnetlib3: `int(float(ms) / 1000)`). */
  delay: number;
  drain: boolean;
  doClose: boolean;
}

/** Parse the `dump` arguments as telnetlib3 does (with limits on size and delay). */
export function parseDump(command: string): DumpArgs {
  const args = command.split(/\s+/).filter((a) => a.length > 0);
  let kbLimit = DUMP_DEFAULT_KB;
  if (args[1] !== undefined && /^[+-]?\d+$/.test(args[1])) kbLimit = Number(args[1]);
  kbLimit = Math.min(kbLimit, DUMP_MAX_KB);
  let delay = 0;
  if (args[2] !== undefined) {
    const ms = Number(args[2]);
    if (args[2].trim() !== '' && Number.isFinite(ms)) delay = Math.trunc(ms / 1000);
  }
  delay = Math.min(delay, DUMP_MAX_DELAY);
  // telnetlib3 quirk, kept on purpose: the word `nodrain` turns draining ON
  // and `drain` (or anything else) turns it OFF; draining is on when the
  // word is absent. Pinned by telnetlib3's test_shell.py dump tests
  // (features section 1.18), so `dump 1 0 nodrain` reports drain=True.
  const drain = args[3] === undefined ? true : args[3].toLowerCase() === 'nodrain';
  const doClose = args[4] === undefined ? false : args[4].toLowerCase() === 'close';
  return { kbLimit, delay, drain, doClose };
}

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

async function dump(io: ShellIO, writer: TelnetWriter, a: DumpArgs): Promise<void> {
  // Delays end early when the connection closes (one listener for the whole dump).
  const closed = new AbortController();
  if (a.delay > 0) void writer.waitClosed().then(() => closed.abort());
  io.write(`kb_limit=${a.kbLimit}, delay=${a.delay}, drain=${pyBool(a.drain)}, do_close=${pyBool(a.doClose)}:\r\n`);
  let n = 0;
  for (const line of characterDump(a.kbLimit)) {
    if (writer.isClosing()) break;
    io.write(line);
    if (a.drain) await writer.drain();
    else if (++n % DUMP_YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r)); // keep other clients served
    if (a.delay > 0) await sleep(a.delay * 1000, undefined, { signal: closed.signal }).catch(() => {});
  }
  if (!writer.isClosing()) io.write(`\r\n${a.kbLimit} OK`);
}

// ---------------------------------------------------------------- shell

/**
 * The default server shell. Returns when the client quits or sends EOF (the
 * server then closes the connection; telsh also closes it itself).
 */
export async function telsh(reader: TelnetReader<any>, writer: TelnetWriter, opts: TelshOptions = {}): Promise<void> {
  const io = new ShellIO(reader, writer);
  const flow: FlowState = { xonAny: false, lflow: true };
  // Over TLS, telnetlib3 says so: `Ready (secure: TLSv1.3).`
  const secure = writer.getExtraInfo<string>('tlsVersion');
  io.write(secure === undefined ? TELSH_BANNER : `Ready (secure: ${secure}).\r\n`);
  let command: string | null = null;
  while (!writer.isClosing()) {
    if (command) io.write(CRLF);
    io.write(TELSH_PROMPT);
    if (!opts.neverSendGa) writer.sendGa();
    await writer.drain();

    command = await io.readline();
    if (command === null) return; // EOF at the prompt
    io.write(CRLF);

    if (command === 'quit') {
      io.write(`Goodbye.${CRLF}`);
      break;
    }
    if (command === 'help') io.write(TELSH_HELP);
    else if (command === 'writer') io.write(String(writer));
    else if (command === 'reader') io.write(readerReport(reader, io));
    else if (command === 'proto') io.write(protoReport(writer));
    else if (command === 'version') io.write(packageVersion());
    else if (command === 'slc') io.write(slcReport(writer));
    else if (command === 'linemode') io.write(linemodeReport(writer));
    else if (command.startsWith('toggle')) {
      const option = command.slice('toggle '.length).trim() || null;
      io.write(toggle(writer, option, flow));
    } else if (command.startsWith('dump')) {
      const args = parseDump(command);
      await dump(io, writer, args);
      if (args.doClose) break;
    } else if (command) {
      io.write('no such command.');
    }
  }
  writer.close();
}

export default telsh;
