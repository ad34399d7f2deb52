/**
 * The interactive terminal client shell (telnetlib3's
 * `telnet_client_shell`), used by `telnetlib3-client`: it relays between a
 * local terminal and a Telnet connection.
 *
 * The terminal itself (termios, window size, signals) is behind the small
 * {@link ShellTerminal} interface, implemented by the CLI; this module only
 * decides what the terminal should do.
 *
 * Local mode (telnetlib3's selection, re-checked whenever the server sends
 * something, so it follows the server mid-session):
 *
 * | server says            | local mode                                   |
 * | ---------------------- | -------------------------------------------- |
 * | nothing                | `line`: the terminal edits and echoes lines  |
 * | WILL ECHO and WILL SGA | `raw`: character at a time, no local echo    |
 * | WILL ECHO only         | `line-noecho`: lines, the server echoes      |
 * | WILL SGA only          | `raw-echo`: character at a time, echoed here |
 * | LINEMODE EDIT / remote | `line` / `raw` (by the server's ECHO)        |
 *
 * `--line-mode` / `--raw-mode` force `line` / `raw`.
 *
 * The escape character (^]) opens a `telnet>` prompt: `quit`, `send brk`,
 * `send ayt`, `send ip`, `send escape`, `mode [line|char|auto]` (no
 * argument toggles line/char), `status`, `help`; an empty line returns to
 * the session.
 *
 * When stdin is not a terminal it behaves like nc: input is sent as it
 * comes (LF becomes CR LF), output is written as received, and at the end of
 * input the connection is half-closed; the shell ends when the server
 * closes.
 */
import { StringDecoder } from 'node:string_decoder';
import { Cmd, optName } from './protocol/constants.js';
import { TelnetEncodingError } from './protocol/errors.js';
import { type Logger, silentLogger } from './engine/logger.js';
import type { TelnetReader } from './engine/reader.js';
import type { TelnetWriter } from './engine/writer.js';
import { type KeyPiece, type RetroKeyOptions, RetroKeyFilter, escDelayMs, retroKeyboard } from './client-retro-keys.js';

/** ATASCII 0x0D and 0x0A decode to these glyphs; `--ascii-eol` shows them as CR and LF. */
const ATASCII_CR_GLYPH = /\u{1fb82}/gu;
const ATASCII_LF_GLYPH = /\u25e3/g;

/** How the local terminal is set. */
export type LocalMode = 'line' | 'line-noecho' | 'raw' | 'raw-echo';

/** The user's choice: follow the server, or force a mode. */
export type ModeChoice = 'auto' | 'line' | 'raw';

/** What the client shell needs from the local terminal (the CLI implements it over stdin/stdout). */
export interface ShellTerminal {
  /** Keyboard (bytes). */
  readonly input: NodeJS.ReadableStream;
  /** Screen. */
  readonly output: NodeJS.WritableStream;
  /** True when stdin is a terminal: modes, the escape character and resizing apply. */
  readonly interactive: boolean;
  /**
   * Put the terminal in `mode`: `line` cooked with echo, `line-noecho`
   * cooked without echo, `raw`/`raw-echo` character at a time with no
   * echo, no signals and no output processing. In the line modes the
   * escape character and ^D must end a read at once (VEOL / VEOL2) and
   * VEOF must be off, so that neither waits for Enter nor ends the input.
   */
  setMode(mode: LocalMode): void;
  /** The window size, when known. */
  size(): { cols: number; rows: number } | null;
  /** Call `cb` when the window size changes; returns a function that stops it. */
  onResize(cb: () => void): () => void;
  /** Call `cb` on interrupt (^C) / quit (^\) typed in a line mode; returns a function that stops it. */
  onSignal?(cb: (signal: 'SIGINT' | 'SIGQUIT') => void): () => void;
}

/** Options for {@link telnetClientShell}. */
export interface ClientShellOptions {
  terminal: ShellTerminal;
  /** Follow the server (`auto`, default) or force `line` / `raw`. */
  mode?: ModeChoice;
  /** The escape character (default `\x1d`, ^]); null disables it. */
  escape?: string | null;
  /** Receives everything from the server, as decoded (Buffers on a byte connection) (`--typescript`). */
  typescript?: { write(data: string | Buffer): unknown } | null;
  /**
   * Where status messages go (`Escape character is '^]'.`, `Connection
   * closed by foreign host.`), one line at a time without its end. Default:
   * the terminal's output when interactive, nowhere otherwise.
   */
  message?: (line: string) => void;
  /** For `status`: what we are connected to. */
  peer?: string;
  logger?: Logger;
  /** NAWS updates closer together than this are merged (default 50 ms). */
  resizeDebounceMs?: number;
  /**
   * Translate keys for ATASCII / PETSCII boards in raw mode (arrows,
   * BS/DEL, Enter; see client-retro-keys.ts), following the connection's
   * encoding as it changes; null (default) sends what is typed as text.
   */
  retroKeys?: RetroKeyOptions | null;
  /** How long a lone ESC waits for the rest of a key sequence (default: `ESCDELAY` or 350 ms). */
  escDelayMs?: number;
}

/** How the shell ended. */
export type ClientShellEnd = 'closed' | 'quit';

/** The text of the escape prompt's `help`. */
export const ESCAPE_MENU_HELP = [
  'Commands may be abbreviated. Commands are:',
  '',
  'quit         close the connection and exit',
  'send brk     send BREAK (also: brk)',
  'send ayt     send Are You There (also: ayt)',
  'send ip      send Interrupt Process (also: ip)',
  'send escape  send the escape character itself',
  'mode line    line at a time, edited and echoed here',
  'mode char    character at a time (raw)',
  'mode auto    follow the server (WILL ECHO / WILL SGA)',
  'mode         toggle between line and character mode',
  'status       show the connection state',
  '<Enter>      return to the session',
].join('\n');

/** `^]`-style name of a control character. */
export function controlName(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x20) return `^${String.fromCharCode(c + 0x40)}`;
  if (c === 0x7f) return '^?';
  return ch;
}

/** The mode telnetlib3 picks from what the server agreed to. */
export function autoMode(writer: TelnetWriter): LocalMode {
  const echo = writer.remoteOption.enabled('ECHO');
  const sga = writer.remoteOption.enabled('SGA');
  if (writer.localOption.enabled('LINEMODE')) {
    if (writer.mode === 'local') return echo ? 'line-noecho' : 'line';
    return echo ? 'raw' : 'raw-echo';
  }
  if (echo && sga) return 'raw';
  if (echo) return 'line-noecho';
  if (sga) return 'raw-echo';
  return 'line';
}

function isRaw(mode: LocalMode): boolean {
  return mode === 'raw' || mode === 'raw-echo';
}

/** One menu command, matched by unique prefix of its words. */
interface MenuCommand {
  names: string[];
  run: () => string | null;
}

class ClientShell {
  private readonly term: ShellTerminal;
  private readonly escape: string | null;
  private readonly log: Logger;
  private readonly notify: (line: string) => void;
  private choice: ModeChoice;
  private applied: LocalMode | null = null;
  private inMenu = false;
  private menuBuffer = '';
  private held: string[] = [];
  private pendingLine = '';
  private outAfterCr = false;
  private inAfterCr = false;
  private closedLocally = false;
  private readonly decoder: StringDecoder;
  private resolveEnd!: (end: ClientShellEnd) => void;
  readonly ended: Promise<ClientShellEnd>;
  private readonly cleanups: Array<() => void> = [];
  private resizeTimer: NodeJS.Timeout | null = null;
  private keyFilter: RetroKeyFilter | null = null;
  private keyTimer: NodeJS.Timeout | null = null;
  private readonly keyText = new StringDecoder('utf8');

  constructor(private readonly reader: TelnetReader<any>, private readonly writer: TelnetWriter, private readonly opts: ClientShellOptions) {
    this.term = opts.terminal;
    this.escape = opts.escape === undefined ? '\x1d' : opts.escape;
    this.log = opts.logger ?? silentLogger;
    this.choice = opts.mode ?? 'auto';
    this.decoder = new StringDecoder(writer.binary ? 'latin1' : 'utf8');
    const out = this.term.output;
    this.notify = opts.message ?? ((line) => { if (this.term.interactive) out.write(`${line}\r\n`); });
    this.ended = new Promise((r) => { this.resolveEnd = r; });
  }

  async run(): Promise<ClientShellEnd> {
    const { term } = this;
    if (term.interactive) this.applyMode();
    if (this.escape !== null && term.interactive) this.notify(`Escape character is '${controlName(this.escape)}'.`);

    if (term.interactive) {
      this.cleanups.push(term.onResize(() => this.onResize()));
      if (term.onSignal) this.cleanups.push(term.onSignal((s) => this.onSignal(s)));
    }
    const onData = (d: Buffer | string): void => this.onInput(typeof d === 'string' ? Buffer.from(d, 'utf8') : d);
    const onEnd = (): void => this.onInputEnd();
    term.input.on('data', onData);
    term.input.on('end', onEnd);
    this.cleanups.push(() => { term.input.off('data', onData); term.input.off('end', onEnd); term.input.pause(); });
    term.input.resume();

    void this.pumpOutput();
    const end = await this.ended;
    for (const c of this.cleanups.splice(0)) c();
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    if (this.keyTimer !== null) clearTimeout(this.keyTimer);
    return end;
  }

  // ------------------------------------------------------------------ output

  private async pumpOutput(): Promise<void> {
    for (;;) {
      let data: string | Buffer;
      try {
        data = await this.reader.read(65536);
      } catch (err) {
        if (err instanceof TelnetEncodingError) continue;
        this.log.warn(`read failed: ${(err as Error).message}`);
        data = '';
      }
      if (data.length === 0) break;
      this.opts.typescript?.write(data);
      const text = typeof data === 'string' ? data : data.toString('latin1');
      if (this.inMenu) {
        this.held.push(text);
        continue;
      }
      if (this.term.interactive) this.applyMode();
      if (!this.show(text)) await new Promise<void>((r) => this.term.output.once('drain', () => r()));
    }
    if (!this.closedLocally) {
      this.leaveMenu(false);
      this.notify(`${this.term.interactive ? '\x1b[m' : ''}Connection closed by foreign host.`);
    }
    this.resolveEnd(this.closedLocally ? 'quit' : 'closed');
  }

  /** Write server text to the screen, with line ends fitted to the local mode. */
  private show(text: string): boolean {
    if (this.opts.retroKeys?.asciiEol && this.reader.encoding === 'atascii') {
      // --ascii-eol: the board sends ASCII CR/LF, which ATASCII decodes as glyphs.
      text = text.replace(ATASCII_CR_GLYPH, '\r').replace(ATASCII_LF_GLYPH, '\n');
    }
    if (!this.term.interactive) return this.term.output.write(this.writer.binary ? Buffer.from(text, 'latin1') : text);
    let out: string;
    if (this.applied !== null && isRaw(this.applied)) {
      // No output processing: a bare LF would not return the carriage.
      out = '';
      let from = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
        const prev = i > 0 ? text.charCodeAt(i - 1) : (this.outAfterCr ? 0x0d : 0);
        if (prev !== 0x0d) {
          out += `${text.slice(from, i)}\r\n`;
          from = i + 1;
        }
      }
      out += text.slice(from);
    } else {
      out = text.replace(/\r\n/g, '\n');
    }
    this.outAfterCr = text.endsWith('\r');
    return this.term.output.write(out);
  }

  // ------------------------------------------------------------------ modes

  private wanted(): LocalMode {
    if (this.choice === 'line') return 'line';
    if (this.choice === 'raw') return 'raw';
    return autoMode(this.writer);
  }

  private applyMode(force = false): void {
    if (!this.term.interactive || this.inMenu) return;
    const mode = this.wanted();
    if (mode === this.applied && !force) return;
    this.log.debug(`local terminal mode: ${mode}${this.choice === 'auto' ? ' (following the server)' : ' (forced)'}`);
    this.applied = mode;
    this.term.setMode(mode);
  }

  /** Re-apply the terminal mode (after SIGCONT, when something else changed the terminal). */
  refresh(): void {
    if (!this.term.interactive) return;
    if (this.inMenu) this.term.setMode('line');
    else this.applyMode(true);
  }

  private onResize(): void {
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      const size = this.term.size();
      if (size !== null && !this.writer.isClosing()) {
        const sent = this.writer.setWindowSize(size.cols, size.rows);
        this.log.debug(`window size ${size.cols}x${size.rows}${sent ? ' sent by NAWS' : ''}`);
      }
    }, this.opts.resizeDebounceMs ?? 50);
  }

  private onSignal(signal: 'SIGINT' | 'SIGQUIT'): void {
    if (this.inMenu || this.writer.isClosing()) return;
    // BSD telnet's "localchars": the terminal's interrupt and quit become Telnet commands.
    this.writer.sendCommand(signal === 'SIGINT' ? Cmd.IP : Cmd.BRK);
  }

  // ------------------------------------------------------------------ input

  private send(text: string): void {
    if (text.length === 0 || this.writer.isClosing()) return;
    this.writer.write(this.writer.binary ? Buffer.from(text, 'latin1') : text);
  }

  /** The key filter for the connection's encoding now, or null when keys go as typed. */
  private keys(): RetroKeyFilter | null {
    const opts = this.opts.retroKeys;
    const kb = opts == null ? null : retroKeyboard(this.writer.outgoingEncoding);
    if (kb === null) return (this.keyFilter = null);
    if (this.keyFilter?.keyboard !== kb) this.keyFilter = new RetroKeyFilter(kb, opts!);
    return this.keyFilter;
  }

  private sendKeys(pieces: KeyPiece[], echo: boolean): void {
    for (const p of pieces) {
      if ('raw' in p) {
        if (!this.writer.isClosing()) this.writer.writeRaw(p.raw);
      } else {
        this.sendRaw(this.keyText.write(p.text), echo);
      }
    }
  }

  /** Raw mode on a retro board: translate keys (client-retro-keys.ts); true when handled. */
  private retroInput(bytes: Buffer): boolean {
    if (!this.term.interactive || this.inMenu) return false;
    const mode = this.applied ?? this.wanted();
    if (!isRaw(mode)) return false;
    const filter = this.keys();
    if (filter === null) return false;
    if (this.keyTimer !== null) { clearTimeout(this.keyTimer); this.keyTimer = null; }
    const esc = this.escape === null ? -1 : bytes.indexOf(Buffer.from(this.escape, 'utf8'));
    const echo = mode === 'raw-echo';
    this.sendKeys(filter.feed(esc === -1 ? bytes : bytes.subarray(0, esc)), echo);
    if (esc !== -1) {
      this.sendKeys(filter.flush(), echo);
      this.enterMenu();
    } else if (filter.pending) {
      this.keyTimer = setTimeout(() => { this.keyTimer = null; this.sendKeys(filter.flush(), echo); }, this.opts.escDelayMs ?? escDelayMs());
    }
    return true;
  }

  private onInput(bytes: Buffer): void {
    if (this.opts.retroKeys != null && this.retroInput(bytes)) return;
    const text = this.decoder.write(bytes);
    if (text.length === 0) return;
    if (!this.term.interactive) {
      // nc-like: LF becomes the NVT line end CR LF.
      let out = '';
      for (const ch of text) {
        if (ch === '\n' && !this.inAfterCr) out += '\r\n';
        else out += ch;
        this.inAfterCr = ch === '\r';
      }
      this.send(out);
      return;
    }
    if (this.inMenu) {
      this.menuInput(text);
      return;
    }
    const esc = this.escape === null ? -1 : text.indexOf(this.escape);
    const before = esc === -1 ? text : text.slice(0, esc);
    const mode = this.applied ?? this.wanted();
    if (isRaw(mode)) {
      this.sendRaw(before, mode === 'raw-echo');
    } else if (esc !== -1) {
      this.pendingLine += before; // the rest of this line follows the menu
    } else {
      const line = this.pendingLine + before;
      this.pendingLine = '';
      this.send(line.replace(/\n/g, '\r\n'));
    }
    if (esc !== -1) this.enterMenu();
  }

  /** Character mode: CR is sent as CR NUL (CR in BINARY), as BSD telnet does. */
  private sendRaw(text: string, echo: boolean): void {
    if (text.length === 0) return;
    const cr = this.writer.outbinary ? '\r' : '\r\0';
    this.send(text.replace(/\r/g, cr));
    if (echo) {
      let e = '';
      for (const ch of text) {
        if (ch === '\r') e += '\r\n';
        else if (ch === '\x7f' || ch === '\b') e += '\b \b';
        else if (ch >= ' ' || ch === '\t') e += ch;
      }
      if (e) this.term.output.write(e);
    }
  }

  private onInputEnd(): void {
    const rest = this.decoder.end();
    if (rest) this.onInput(Buffer.from(rest, this.writer.binary ? 'latin1' : 'utf8'));
    if (this.term.interactive) {
      // A terminal never ends (VEOF is off); treat it as quit.
      this.quit();
      return;
    }
    // nc-like: half-close; the server's close ends the shell.
    this.log.debug('end of input: closing our side');
    this.writer.close();
  }

  // ------------------------------------------------------------------ escape menu

  private enterMenu(): void {
    this.inMenu = true;
    this.menuBuffer = '';
    this.term.setMode('line');
    this.term.output.write('\r\ntelnet> ');
  }

  private leaveMenu(resume: boolean): void {
    if (!this.inMenu) return;
    this.inMenu = false;
    if (!resume) return;
    this.applyMode(true);
    const held = this.held.splice(0);
    for (const h of held) this.show(h);
  }

  private menuInput(text: string): void {
    for (const ch of text) {
      if (ch === '\n' || ch === '\r' || ch === '\x04') {
        const line = this.menuBuffer.trim();
        this.menuBuffer = '';
        this.runMenu(line);
        return; // anything typed after the command line is dropped
      }
      if (this.escape !== null && ch === this.escape) {
        // The escape character at the prompt: send it and return.
        this.send(this.escape);
        this.term.output.write('\n');
        this.leaveMenu(true);
        return;
      }
      this.menuBuffer += ch;
    }
  }

  private commands(): MenuCommand[] {
    const w = this.writer;
    const cmd = (code: number, name: string) => () => { w.sendCommand(code); return `sent ${name}.`; };
    const setMode = (m: ModeChoice) => () => { this.choice = m; return `mode ${m === 'raw' ? 'char' : m}${m === 'auto' ? ` (now ${autoMode(w)})` : ''}.`; };
    return [
      { names: ['quit'], run: () => { this.quit(); return null; } },
      { names: ['close'], run: () => { this.quit(); return null; } },
      { names: ['exit'], run: () => { this.quit(); return null; } },
      { names: ['send', 'brk'], run: cmd(Cmd.BRK, 'BRK') },
      { names: ['send', 'break'], run: cmd(Cmd.BRK, 'BRK') },
      { names: ['brk'], run: cmd(Cmd.BRK, 'BRK') },
      { names: ['break'], run: cmd(Cmd.BRK, 'BRK') },
      { names: ['send', 'ayt'], run: cmd(Cmd.AYT, 'AYT') },
      { names: ['ayt'], run: cmd(Cmd.AYT, 'AYT') },
      { names: ['send', 'ip'], run: cmd(Cmd.IP, 'IP') },
      { names: ['ip'], run: cmd(Cmd.IP, 'IP') },
      { names: ['send', 'escape'], run: () => { this.send(this.escape ?? '\x1d'); return 'sent the escape character.'; } },
      { names: ['mode', 'line'], run: setMode('line') },
      { names: ['mode', 'char'], run: setMode('raw') },
      { names: ['mode', 'raw'], run: setMode('raw') },
      { names: ['mode', 'auto'], run: setMode('auto') },
      { names: ['line'], run: setMode('line') },
      { names: ['char'], run: setMode('raw') },
      { names: ['auto'], run: setMode('auto') },
      { names: ['mode'], run: () => setMode(isRaw(this.applied ?? this.wanted()) ? 'line' : 'raw')() },
      { names: ['status'], run: () => this.status() },
      { names: ['help'], run: () => ESCAPE_MENU_HELP },
      { names: ['?'], run: () => ESCAPE_MENU_HELP },
    ];
  }

  private runMenu(line: string): void {
    const out = (text: string): void => { this.term.output.write(`${text.replace(/\r?\n/g, '\r\n')}\r\n`); };
    if (line === '') {
      this.leaveMenu(true);
      return;
    }
    const words = line.toLowerCase().split(/\s+/);
    const all = this.commands();
    // Exact names first, then unique prefixes word by word.
    let hits = all.filter((c) => c.names.length === words.length && c.names.every((n, i) => n === words[i]));
    if (hits.length === 0) {
      hits = all.filter((c) => c.names.length === words.length && c.names.every((n, i) => n.startsWith(words[i]!)));
      // The same command by two spellings (brk, break) is not ambiguous; two commands are.
      const meant = new Set(hits.map((h) => canonical(h.names)));
      if (meant.size > 1) {
        out(`?Ambiguous command: ${line} (${[...meant].join(', ')})`);
        this.leaveMenu(true);
        return;
      }
    }
    const hit = hits[0];
    if (hit === undefined) {
      out(`?Invalid command: ${line} (try 'help')`);
      this.leaveMenu(true);
      return;
    }
    const result = hit.run();
    if (result === null) return; // quit
    // Switch the terminal back before saying so: whoever reads the message
    // and types at once must already get the new mode.
    const held = this.inMenu;
    this.inMenu = false;
    this.applyMode(true);
    out(result);
    this.inMenu = held;
    this.leaveMenu(true);
  }

  private status(): string {
    const w = this.writer;
    const lines = [
      `Connected to ${this.opts.peer ?? String(w.getExtraInfo<{ address: string; port: number }>('peername')?.address ?? '?')}.`,
      `Local mode: ${this.applied ?? this.wanted()} (${this.choice === 'auto' ? 'following the server' : 'forced'}).`,
      `Server will: ${w.remoteOption.list().map(optName).join(', ') || '-'}; we will: ${w.localOption.list().map(optName).join(', ') || '-'}.`,
      `Escape character is '${controlName(this.escape ?? '\x1d')}'.`,
    ];
    return lines.join('\n');
  }

  /** Close the connection from our side and end the shell. */
  quit(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.inMenu = false;
    this.writer.close();
    this.notify(`${this.term.interactive ? '\x1b[m' : ''}Connection closed.`);
    this.resolveEnd('quit');
  }
}

/** The command a menu entry stands for (`send brk` and `break` are both BRK). */
function canonical(names: string[]): string {
  const n = names.length > 1 ? names.slice(1).join(' ') : names[0]!;
  const aliases: Record<string, string> = { break: 'brk', close: 'quit', exit: 'quit', raw: 'char', '?': 'help' };
  return aliases[n] ?? n;
}

/** A running client shell (see {@link telnetClientShell}). */
export interface ClientShellHandle {
  /** Resolves when the session is over. */
  readonly ended: Promise<ClientShellEnd>;
  /** Re-apply the terminal mode (after SIGCONT). */
  refresh(): void;
  /** Close the connection and end (as the menu's `quit`). */
  quit(): void;
}

/** Start the client shell; see the module comment. */
export function startClientShell(reader: TelnetReader<any>, writer: TelnetWriter, options: ClientShellOptions): ClientShellHandle {
  const shell = new ClientShell(reader, writer, options);
  const ended = shell.run();
  return { ended, refresh: () => shell.refresh(), quit: () => shell.quit() };
}

/** Run the client shell until the session is over. */
export async function telnetClientShell(reader: TelnetReader<any>, writer: TelnetWriter, options: ClientShellOptions): Promise<ClientShellEnd> {
  return startClientShell(reader, writer, options).ended;
}
