/**
 * Pure text helpers shared by {@link Session} and {@link BlockingSession}
 * (and the telnet-client drop-in): prompt matching, a streaming ANSI
 * escape stripper, and the cleaning that turns what a device sent after a
 * command into its output (line ends, backspaces, carriage-return
 * overwrites, the echoed command).
 *
 * No I/O, no timers: everything here is a function of its input.
 */

/** A prompt or pattern: a string matches literally, a RegExp as written. */
export type Pattern = string | RegExp;

/** Where a pattern matched in a text. */
export interface Found {
  index: number;
  end: number;
  text: string;
}

/** Escape a literal for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The first match of `pattern` in `text` (at or after `from`), or null.
 * A RegExp is used without its `g`/`y` state: matching never depends on
 * what an earlier call did.
 */
export function findPattern(text: string, pattern: Pattern, from = 0): Found | null {
  if (typeof pattern === 'string') {
    if (pattern.length === 0) return null;
    const at = text.indexOf(pattern, from);
    return at === -1 ? null : { index: at, end: at + pattern.length, text: pattern };
  }
  const re = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
  const hay = from === 0 ? text : text.slice(from);
  const m = re.exec(hay);
  if (m === null) return null;
  // A zero-width match (say /$/) still counts: a prompt pattern may be all anchors.
  return { index: m.index + from, end: m.index + from + m[0].length, text: m[0] };
}

/** The earliest match among `patterns` (ties go to the lower index), with its index. */
export function findFirst(text: string, patterns: ReadonlyArray<Pattern | null | undefined>, from = 0): (Found & { which: number }) | null {
  let best: (Found & { which: number }) | null = null;
  patterns.forEach((p, which) => {
    if (p === null || p === undefined) return;
    const f = findPattern(text, p, from);
    if (f !== null && (best === null || f.index < best.index)) best = { ...f, which };
  });
  return best;
}

/**
 * True when no match of `pattern` can contain a line break, and matching it
 * from the start of a line gives the same result as from the start of the
 * text. Such patterns need only be searched in lines not searched before.
 * Conservative: anything that might match a newline (`\s`, `[^...]`, `.`
 * with the `s` flag, `\n`, ...) or a `^` without the `m` flag says no.
 */
export function isSingleLine(pattern: Pattern): boolean {
  if (typeof pattern === 'string') return !pattern.includes('\n');
  const src = pattern.source;
  if (/\\[nrsSWDvfxupP0cR]|\[\^/.test(src)) return false;
  if (pattern.flags.includes('s') && src.includes('.')) return false;
  if (!pattern.flags.includes('m') && src.includes('^')) return false;
  return true;
}

/**
 * Searches a growing buffer without rescanning: lines already searched
 * (everything before the last line break seen) are skipped for patterns
 * that cannot span lines ({@link isSingleLine}); others are searched from
 * the start each time.
 */
export class LineScanner {
  private searched = 0;
  private readonly incremental: boolean;

  constructor(patterns: ReadonlyArray<Pattern | null | undefined>) {
    this.incremental = patterns.every((p) => p === null || p === undefined || isSingleLine(p));
  }

  /** Where searching may start. */
  get from(): number {
    return this.incremental ? this.searched : 0;
  }

  /** Nothing matched in `buffer`: its complete lines need no second look. */
  noMatch(buffer: string): void {
    if (this.incremental) this.searched = buffer.lastIndexOf('\n') + 1;
  }

  /** `n` units were consumed from the front of the buffer. */
  consumed(n: number): void {
    this.searched = Math.max(0, this.searched - n);
  }
}

// ------------------------------------------------------------------ ANSI

/**
 * Removes ANSI/VT100 escape sequences (CSI, OSC, two-character ESC
 * sequences) from a stream of text. A sequence split between two chunks is
 * held back until it completes, so it is never half-delivered.
 */
export class AnsiStripper {
  private held = '';

  /** Text with escape sequences removed; an incomplete trailing sequence is kept for the next call. */
  push(chunk: string): string {
    const text = this.held + chunk;
    this.held = '';
    if (text.indexOf('\x1b') === -1 && text.indexOf('\x9b') === -1) return text;
    let out = '';
    let i = 0;
    while (i < text.length) {
      const esc = text.indexOf('\x1b', i);
      const csi8 = text.indexOf('\x9b', i);
      const at = esc === -1 ? csi8 : csi8 === -1 ? esc : Math.min(esc, csi8);
      if (at === -1) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, at);
      const end = sequenceEnd(text, at);
      if (end === -1) {
        // Incomplete: keep it (bounded, so a stray ESC cannot hold text forever).
        if (text.length - at <= 64) this.held = text.slice(at);
        else out += text.slice(at + 1);
        return out;
      }
      i = end;
    }
    return out;
  }

  /** Whatever is held back (at EOF, an unfinished sequence is dropped). */
  flush(): string {
    this.held = '';
    return '';
  }
}

/** End (exclusive) of the escape sequence starting at `at`, or -1 when it is not complete yet. */
function sequenceEnd(s: string, at: number): number {
  let i = at + 1;
  if (s[at] === '\x9b') return csiEnd(s, i);
  if (i >= s.length) return -1;
  const c = s[i] as string;
  if (c === '[') return csiEnd(s, i + 1);
  if (c === ']' || c === 'P' || c === '_' || c === '^') {
    // OSC / DCS / APC / PM: until BEL or ST (ESC \).
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\x07') return j + 1;
      if (s[j] === '\x1b') return j + 1 < s.length ? j + 2 : -1;
    }
    return -1;
  }
  if (c === '(' || c === ')' || c === '*' || c === '+' || c === '#' || c === '%') return i + 1 < s.length ? i + 2 : -1;
  return i + 1;
}

function csiEnd(s: string, i: number): number {
  for (let j = i; j < s.length; j++) {
    const code = s.charCodeAt(j);
    if (code >= 0x40 && code <= 0x7e) return j + 1;
    if (code < 0x20 || code > 0x3f) return j; // not a CSI after all: drop the introducer only
  }
  return -1;
}

/** Strip every ANSI escape sequence from a complete text. */
export function stripAnsi(text: string): string {
  return new AnsiStripper().push(text);
}

// ------------------------------------------------------------------ output

/** Line separators: a string or RegExp to split on; null means any of CR LF, LF CR, LF (and CR CR LF). */
export type LineSeparator = string | RegExp | null;

/**
 * Render one line as a terminal would show it: a backspace removes the
 * character before it, a carriage return goes back to the start of the
 * line and what follows overwrites; NULs are dropped.
 */
export function renderLine(line: string): string {
  if (line.indexOf('\b') === -1 && line.indexOf('\r') === -1 && line.indexOf('\0') === -1) return line;
  const cells: string[] = [];
  let col = 0;
  for (const ch of line) {
    if (ch === '\b') {
      if (col > 0) col--;
    } else if (ch === '\r') {
      col = 0;
    } else if (ch !== '\0') {
      cells[col++] = ch;
    }
  }
  // A backspace then a space then a backspace (the usual erase) leaves a trailing space: trim that.
  return cells.join('').replace(/ +$/, (sp) => (line.endsWith(sp) ? sp : ''));
}

/** Split text into rendered lines. */
export function splitLines(text: string, irs: LineSeparator = null): string[] {
  const lines = irs === null ? text.split(/\r*\n\r?/) : text.split(irs);
  return lines.map(renderLine);
}

/**
 * What `exec` returns: the text between the command and the prompt,
 * without the echoed command line and without the line end before the
 * prompt, lines joined with `\n`.
 *
 * @param echo `'auto'` drops the first line when it ends with the command
 *   (devices that do not echo lose nothing); a number drops that many lines.
 */
export function cleanOutput(raw: string, command: string, options: { irs?: LineSeparator; echo?: 'auto' | number } = {}): string {
  const lines = splitLines(raw, options.irs ?? null);
  const echo = options.echo ?? 'auto';
  if (echo === 'auto') {
    const cmd = command.replace(/[\r\n]+$/, '').trim();
    if (lines.length > 1 || cmd.length > 0) {
      const first = (lines[0] ?? '').trimEnd();
      if (lines.length > 0 && (cmd.length === 0 ? first.length === 0 : first.endsWith(cmd))) lines.shift();
    }
  } else if (echo > 0) {
    lines.splice(0, echo);
  }
  // The prompt started a line of its own: the empty piece before it is not output.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

// ------------------------------------------------------------------ pagers

/** The pagers recognised by default: `--More--`, `-- More --`, `---- More ----`, `---(more 45%)---`, `Press any key to continue`. */
export const DEFAULT_PAGER_PATTERNS: readonly RegExp[] = [
  /[ \t]*-+ ?\(?more(?: \d+%)?\)? ?-*[ \t]*/i,
  /[ \t]*press any key(?: to continue)?[^\r\n]*/i,
];

/**
 * What a device sends to erase its pager prompt once answered (backspaces
 * over it, a CR and spaces, or an erase-line sequence). Only these exact
 * shapes are removed, so the indentation of the next page's first line stays.
 */
const PAGER_ERASE = /^(?:\x08+[ ]*\x08*|\r[ ]+\r|\r?\x1b\[K|\x1b\[\d*D(?:\x1b\[K)?|\r(?=[^\n]))+/;

/** Remove the pager's erase sequence at the start of `text`. */
export function stripPagerErase(text: string): string {
  const m = PAGER_ERASE.exec(text);
  return m === null ? text : text.slice(m[0].length);
}
