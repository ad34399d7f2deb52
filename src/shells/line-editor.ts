/**
 * The line editor of telsh: telnetlib3's `readline_async` (`filter_ansi` +
 * `_LineEditor`) as a pure state machine. Feed it decoded input text in
 * pieces of any size; it returns the lines completed by that piece and the
 * text to echo back. It does no I/O: the caller decides whether to echo
 * (telsh echoes through `writer.echo()`, which only writes when the server
 * WILL ECHO).
 *
 *   - CR or LF ends a line; an LF or NUL right after a CR is part of that
 *     line end; LF and NUL are skipped while the line is empty (so CR LF
 *     split across pieces never makes an empty line).
 *   - BS (0x08) and DEL (0x7F) delete the last grapheme cluster and echo
 *     `\b \b` once per display column (twice for a wide character).
 *   - ANSI escape sequences typed by terminals (arrow and function keys:
 *     CSI, SS3 `ESC O x`; also OSC, DCS, APC, PM, charset designations and
 *     two-byte ESC sequences) are dropped and never reach the line; at most
 *     256 characters are consumed by one sequence.
 *   - A line holds at most `maxLength` UTF-16 units (default 4096); further
 *     input is ignored without echo until the line ends, so a client cannot
 *     grow memory. `maxVisibleWidth` (0 = none) caps the display width the
 *     same way (telnetlib3's `max_visible_width`).
 */

const CR = '\r';
const LF = '\n';
const NUL = '\x00';
const ESC = '\x1b';
const BEL = '\x07';

/** Longest escape sequence consumed (telnetlib3's limit). */
export const MAX_ESCAPE_SEQUENCE = 256;
/** Default longest line, in UTF-16 code units. */
export const DEFAULT_MAX_LINE_LENGTH = 4096;

/** Options for {@link LineEditor}. */
export interface LineEditorOptions {
  /** Longest line in UTF-16 code units (default 4096); more input is ignored until the line ends. */
  maxLength?: number;
  /** Longest line in display columns (default 0: no limit). */
  maxVisibleWidth?: number;
}

/** What one {@link LineEditor.feed} produced. */
export interface LineEditorResult {
  /** Completed lines, without their line ends, in order. */
  lines: string[];
  /** Text to echo to the peer (typed characters and `\b \b` erasures). */
  echo: string;
}

/** Escape-filter states. */
const enum Esc {
  /** Ordinary input. */
  None,
  /** After ESC. */
  Start,
  /** After ESC O: one more character ends it. */
  Ss3,
  /** After ESC [: parameters, intermediates, then a final byte. */
  Csi,
  /** Inside OSC, DCS, APC or PM: until BEL or ST (ESC \). */
  Str,
  /** Inside a string sequence, after ESC. */
  StrEsc,
  /** After ESC ( / ) / * / +: one designator character ends it. */
  Charset,
}

// ---------------------------------------------------------------- widths

/**
 * East Asian Wide and Fullwidth ranges (Unicode 15, condensed), inclusive.
 * Emoji with default emoji presentation are handled separately.
 */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3041, 0x33ff],
  [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x17000, 0x18cff],
  [0x1aff0, 0x1b2ff], [0x1f200, 0x1f2ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const EXTENDED_PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const REGIONAL_INDICATOR = /\p{Regional_Indicator}/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b\u1160-\u11ff]$/u;

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE_RANGES[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Display columns of one code point: 0 (combining, format), 1, or 2 (wide). */
export function codePointWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp === 0) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 1; // controls: one column here, like telnetlib3's max(w, 1)
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  if (isWide(cp) || EMOJI_PRESENTATION.test(ch)) return 2;
  return 1;
}

/**
 * Display columns of one grapheme cluster: an emoji sequence (ZWJ family,
 * flag, emoji + VS16) is 2, otherwise the width of its widest code point.
 */
export function graphemeWidth(g: string): number {
  if (g.length === 0) return 0;
  if (REGIONAL_INDICATOR.test(g) && [...g].length >= 2) return 2;
  if (g.includes('\ufe0f') && EXTENDED_PICTOGRAPHIC.test(g)) return 2;
  let w = 0;
  for (const ch of g) w = Math.max(w, codePointWidth(ch));
  return w;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Display columns of a string (sum over its grapheme clusters). */
export function displayWidth(text: string): number {
  let w = 0;
  // Plain ASCII is the common case: one column per character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  for (const { segment } of segmenter.segment(text)) w += graphemeWidth(segment);
  return w;
}

/** The last grapheme cluster of a non-empty string. */
export function lastGrapheme(text: string): string {
  let last = '';
  for (const { segment } of segmenter.segment(text)) last = segment;
  return last;
}

// ---------------------------------------------------------------- editor

/** telnetlib3's server line editor, without I/O. */
export class LineEditor {
  private readonly maxLength: number;
  private readonly maxVisibleWidth: number;
  private command = '';
  /** Display width of `command`, kept only when `maxVisibleWidth` is set. */
  private width = 0;
  private lastChar = '';
  private esc: Esc = Esc.None;
  private escLength = 0;

  constructor(options: LineEditorOptions = {}) {
    this.maxLength = options.maxLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.maxVisibleWidth = options.maxVisibleWidth ?? 0;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 1) {
      throw new RangeError(`maxLength must be a positive integer, got ${options.maxLength}`);
    }
    if (!Number.isInteger(this.maxVisibleWidth) || this.maxVisibleWidth < 0) {
      throw new RangeError(`maxVisibleWidth must be an integer >= 0, got ${options.maxVisibleWidth}`);
    }
  }

  /** The line typed so far. */
  get buffer(): string {
    return this.command;
  }

  /** True while inside an escape sequence. */
  get inEscape(): boolean {
    return this.esc !== Esc.None;
  }

  /** Feed decoded input; returns the lines it completed and the echo. */
  feed(text: string): LineEditorResult {
    const lines: string[] = [];
    let echo = '';
    for (const ch of text) {
      const c = this.filter(ch);
      if (c === null) continue;
      // Leading LF/NUL: the rest of a CR LF / CR NUL split across reads.
      if ((c === LF || c === NUL) && this.command.length === 0) {
        this.lastChar = c;
        continue;
      }
      const r = this.edit(c);
      if (r.echo) echo += r.echo;
      if (r.line !== null) lines.push(r.line);
    }
    return { lines, echo };
  }

  /** Forget the partial line and any escape sequence in progress. */
  reset(): void {
    this.command = '';
    this.width = 0;
    this.lastChar = '';
    this.esc = Esc.None;
    this.escLength = 0;
  }

  /** One character through the escape filter: the character, or null when consumed. */
  private filter(ch: string): string | null {
    switch (this.esc) {
      case Esc.None:
        if (ch === ESC) return this.begin();
        return ch;
      case Esc.Start:
        return this.afterEsc(ch);
      case Esc.Ss3:
        this.end();
        return null;
      case Esc.Charset:
        this.end();
        return null;
      case Esc.Csi: {
        const cp = ch.codePointAt(0)!;
        if (cp >= 0x40 && cp <= 0x7e) {
          this.end();
          return null;
        }
        if (cp >= 0x20 && cp <= 0x3f) return this.grow();
        // Not part of a CSI (a control or non-ASCII character): the
        // sequence was malformed; end it and let the character through, so
        // that e.g. a CR still ends the line.
        this.end();
        return ch === ESC ? this.begin() : ch;
      }
      case Esc.Str:
        if (ch === BEL || ch === '\u009c') {
          this.end();
          return null;
        }
        if (ch === ESC) {
          this.esc = Esc.StrEsc;
          return this.grow();
        }
        return this.grow();
      case Esc.StrEsc:
        if (ch === '\\') {
          this.end();
          return null;
        }
        // ESC inside a string that is not ST: a new sequence begins.
        this.end();
        this.begin();
        return this.afterEsc(ch);
    }
  }

  private begin(): null {
    this.esc = Esc.Start;
    this.escLength = 1;
    return null;
  }

  private end(): void {
    this.esc = Esc.None;
    this.escLength = 0;
  }

  /** Count one more consumed character; past the limit the sequence is abandoned. */
  private grow(): null {
    this.escLength++;
    if (this.escLength >= MAX_ESCAPE_SEQUENCE) this.end();
    return null;
  }

  private afterEsc(ch: string): string | null {
    this.escLength++;
    switch (ch) {
      case 'O': this.esc = Esc.Ss3; return null;
      case '[': this.esc = Esc.Csi; return null;
      case ']': case 'P': case '_': case '^': this.esc = Esc.Str; return null;
      case '(': case ')': case '*': case '+': this.esc = Esc.Charset; return null;
      case ESC: this.escLength = 1; return null; // ESC ESC: the second one starts over
      default: break;
    }
    this.end();
    const cp = ch.codePointAt(0)!;
    // Two-character sequences: Fp (ESC 0-?), Fe (ESC @-_), Fs (ESC `-~).
    if (cp >= 0x30 && cp <= 0x7e) return null;
    // Anything else is not a sequence: ESC is dropped, the character kept (as telnetlib3).
    return ch;
  }

  /** telnetlib3's `_LineEditor.feed` for one filtered character. */
  private edit(c: string): { echo: string; line: string | null } {
    if ((c === LF || c === NUL) && this.lastChar === CR) {
      this.lastChar = c;
      return { echo: '', line: null };
    }
    if (c === CR || c === LF) {
      this.lastChar = c;
      const line = this.command;
      this.command = '';
      this.width = 0;
      return { echo: '', line };
    }
    this.lastChar = c;
    if (c === '\b' || c === '\x7f') {
      if (this.command.length === 0) return { echo: '', line: null };
      const g = lastGrapheme(this.command);
      this.command = this.command.slice(0, this.command.length - g.length);
      const w = graphemeWidth(g);
      this.width = Math.max(0, this.width - w);
      return { echo: '\b \b'.repeat(Math.max(1, w)), line: null };
    }
    if (this.command.length + c.length > this.maxLength) return { echo: '', line: null };
    if (this.maxVisibleWidth > 0) {
      // A printable ASCII character is one more column; anything else may
      // join the last grapheme (a combining mark, ZWJ, VS16), so measure again.
      const cp = c.codePointAt(0)!;
      const w = cp >= 0x20 && cp <= 0x7e ? this.width + 1 : displayWidth(this.command + c);
      if (w > this.maxVisibleWidth) return { echo: '', line: null };
      this.width = w;
    }
    this.command += c;
    return { echo: c, line: null };
  }
}
