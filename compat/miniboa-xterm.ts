/**
 * miniboa's `xterm` module: caret colour codes (`^R` bright red, `^0` black
 * background, `^~` reset, ...), `colorize()`, `strip_caret_codes()` and
 * `word_wrap()`, with Python's whitespace rules for strip and split.
 */
import { PY_ALL_WS, PY_WS, pySplit } from './python.js';

/** Caret constants (miniboa `xterm.py`). */
export const BLACK = '^k';
export const BLACK_BACKGROUND = '^0';
export const BRIGHT_BLACK = '^K';
export const BLUE = '^b';
export const BLUE_BACKGROUND = '^4';
export const BRIGHT_BLUE = '^B';
export const CYAN = '^c';
export const CYAN_BACKGROUND = '^6';
export const BRIGHT_CYAN = '^C';
export const DEFAULT = '^d';
export const GREEN = '^g';
export const GREEN_BACKGROUND = '^2';
export const BRIGHT_GREEN = '^G';
export const MAGENTA = '^m';
export const MAGENTA_BACKGROUND = '^5';
export const BRIGHT_MAGENTA = '^M';
export const RED = '^r';
export const RED_BACKGROUND = '^1';
export const BRIGHT_RED = '^R';
export const WHITE = '^w';
export const BRIGHT_WHITE = '^W';
export const YELLOW = '^y';
export const YELLOW_BACKGROUND = '^3';
export const BRIGHT_YELLOW = '^Y';
export const BOLD_OFF = '^.';
export const BOLD_ON = '^!';
export const CLEAR_SCREEN = '^s';
export const CLEAR_TO_END_OF_LINE = '^l';
export const INVERSE_TEXT_OFF = '^i';
export const INVERSE_TEXT_ON = '^I';
export const RESET_ALL = '^~';
export const UNDERLINE_OFF = '^u';
export const UNDERLINE_ON = '^U';

/** Caret code to ANSI table, in miniboa's order (replacement is sequential, as there). */
export const ANSI_CODES: ReadonlyArray<readonly [string, string]> = [
  ['^k', '\x1b[22;30m'], // black
  ['^K', '\x1b[1;30m'], // bright black (grey)
  ['^r', '\x1b[22;31m'], // red
  ['^R', '\x1b[1;31m'], // bright red
  ['^g', '\x1b[22;32m'], // green
  ['^G', '\x1b[1;32m'], // bright green
  ['^y', '\x1b[22;33m'], // yellow
  ['^Y', '\x1b[1;33m'], // bright yellow
  ['^b', '\x1b[22;34m'], // blue
  ['^B', '\x1b[1;34m'], // bright blue
  ['^m', '\x1b[22;35m'], // magenta
  ['^M', '\x1b[1;35m'], // bright magenta
  ['^c', '\x1b[22;36m'], // cyan
  ['^C', '\x1b[1;36m'], // bright cyan
  ['^w', '\x1b[22;37m'], // white
  ['^W', '\x1b[1;37m'], // bright white
  ['^0', '\x1b[40m'], // black background
  ['^1', '\x1b[41m'], // red background
  ['^2', '\x1b[42m'], // green background
  ['^3', '\x1b[43m'], // yellow background
  ['^4', '\x1b[44m'], // blue background
  ['^5', '\x1b[45m'], // magenta background
  ['^6', '\x1b[46m'], // cyan background
  ['^d', '\x1b[39m'], // default (should be white on black)
  ['^I', '\x1b[7m'], // inverse text on
  ['^i', '\x1b[27m'], // inverse text off
  ['^~', '\x1b[0m'], // reset all
  ['^U', '\x1b[4m'], // underline on
  ['^u', '\x1b[24m'], // underline off
  ['^!', '\x1b[1m'], // bold on
  ['^.', '\x1b[22m'], // bold off
  ['^s', '\x1b[2J'], // clear screen
  ['^l', '\x1b[2K'], // clear to end of line
];

/** Strip out any caret codes from a string (`^^` becomes a literal caret). */
export function strip_caret_codes(text: string): string {
  // temporarily escape out ^^
  let t = text.split('^^').join('\x00');
  for (const [token] of ANSI_CODES) t = t.split(token).join('');
  return t.split('\x00').join('^');
}

/** Replace the caret codes with ANSI sequences, or strip them when `ansi` is false. */
export function colorize(text: string, ansi = true): string {
  if (!ansi) return strip_caret_codes(text);
  let t = text.split('^^').join('\x00');
  for (const [token, code] of ANSI_CODES) t = t.split(token).join(code);
  return t.split('\x00').join('^');
}

const PARA_BREAK = new RegExp(`(\\n[${PY_WS}]*\\n)`);

/**
 * Break a block of text into lines wrapped to `columns` (miniboa's
 * `word_wrap`: paragraphs at blank lines, the first line of each indented by
 * `indent` spaces plus one, the next ones by `padding`; `columns - padding`
 * is the width used).
 */
export function word_wrap(text: string, columns = 80, indent = 4, padding = 2): string[] {
  const paragraphs = text.split(PARA_BREAK);
  const lines: string[] = [];
  columns -= padding;
  for (const para of paragraphs) {
    if (PY_ALL_WS.test(para)) continue;
    let line = ' '.repeat(indent);
    for (const word of pySplit(para)) {
      if (line.length + 1 + word.length > columns) {
        lines.push(line);
        line = ' '.repeat(padding);
        line += word;
      } else {
        line += ` ${word}`;
      }
    }
    if (!PY_ALL_WS.test(line)) lines.push(line);
  }
  return lines;
}
