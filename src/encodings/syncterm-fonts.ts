/**
 * SyncTERM / CTerm font selection, `CSI Ps1 ; Ps2 SP D` (ESC [ 0 ; 36 SP D):
 * Ps2 is the font, and a BBS that switches to a Commodore or Atari font
 * sends that machine's charset from then on. telnetlib3 4.0.5 switches the
 * session's codec to the font's (`SYNCTERM_FONT_ENCODINGS` in
 * server_fingerprinting.py; font numbers from the CTerm specification,
 * syncterm.bbsdev.net/cterm.html, and Synchronet). This module only finds
 * the sequences in a byte stream; src/engine/font-switch.ts acts on them.
 */

/** The codec of each SyncTERM font number (telnetlib3's table; fonts not listed change nothing). */
export const SYNCTERM_FONT_ENCODINGS: Readonly<Record<number, string>> = Object.freeze({
  0: 'cp437', 1: 'cp1251', 2: 'koi8-r', 3: 'iso-8859-2', 4: 'iso-8859-4', 5: 'cp866', 6: 'iso-8859-9',
  8: 'iso-8859-8', 9: 'koi8-u', 10: 'iso-8859-15', 11: 'iso-8859-4', 12: 'koi8-r', 13: 'iso-8859-4',
  14: 'iso-8859-5', 16: 'iso-8859-15', 17: 'cp850', 18: 'cp850', 20: 'cp1251', 21: 'iso-8859-7',
  22: 'koi8-r', 23: 'iso-8859-4', 24: 'iso-8859-1', 25: 'cp866', 26: 'cp437', 27: 'cp866', 29: 'cp866',
  30: 'iso-8859-1', 31: 'cp1131', 32: 'petscii', 33: 'petscii', 34: 'petscii', 35: 'petscii',
  36: 'atascii', 37: 'cp437', 38: 'cp437', 39: 'cp437', 40: 'cp437', 41: 'cp437', 42: 'cp437',
});

/** One font selection found by {@link SyncTermFontScanner.scan}. */
export interface FontSelection {
  /** Offset of its ESC in this chunk; 0 when it began in an earlier chunk. */
  start: number;
  /** Offset just past its final `D`. */
  end: number;
  /** Ps1, the font page (0 = primary). */
  page: number;
  /** Ps2, the font number. */
  font: number;
  /** The font's codec, or null for a font telnetlib3's table does not list. */
  encoding: string | null;
}

// Scanner states: after ESC, after '[', in Ps1, after ';', in Ps2, after SP.
const IDLE = 0;
const ESC = 1;
const CSI = 2;
const P1 = 3;
const SEMI = 4;
const P2 = 5;
const SPACE = 6;
/** Longest parameter we accept (digits); longer is not a font selection. */
const MAX_DIGITS = 5;

/**
 * Finds font selections in a byte stream given chunk by chunk; a sequence
 * split between chunks is found in the chunk holding its end.
 */
export class SyncTermFontScanner {
  private state = IDLE;
  private p1 = 0;
  private p2 = 0;
  private digits = 0;
  private begin = 0;

  /** The font selections that end in `buf`, in order. */
  scan(buf: Uint8Array): FontSelection[] {
    const found: FontSelection[] = [];
    const n = buf.length;
    let i = 0;
    if (this.state !== IDLE) this.begin = 0;
    while (i < n) {
      if (this.state === IDLE) {
        const at = buf.indexOf(0x1b, i);
        if (at === -1) break;
        this.state = ESC;
        this.begin = at;
        i = at + 1;
        continue;
      }
      const b = buf[i]!;
      const isDigit = b >= 0x30 && b <= 0x39;
      switch (this.state) {
        case ESC:
          this.state = b === 0x5b ? CSI : IDLE;
          break;
        case CSI:
          if (isDigit) { this.state = P1; this.p1 = b - 0x30; this.digits = 1; } else this.state = IDLE;
          break;
        case P1:
          if (isDigit && this.digits < MAX_DIGITS) { this.p1 = this.p1 * 10 + b - 0x30; this.digits++; } else if (b === 0x3b) this.state = SEMI;
          else this.state = IDLE;
          break;
        case SEMI:
          if (isDigit) { this.state = P2; this.p2 = b - 0x30; this.digits = 1; } else this.state = IDLE;
          break;
        case P2:
          if (isDigit && this.digits < MAX_DIGITS) { this.p2 = this.p2 * 10 + b - 0x30; this.digits++; } else if (b === 0x20) this.state = SPACE;
          else this.state = IDLE;
          break;
        case SPACE:
          if (b === 0x44) {
            found.push({ start: this.begin, end: i + 1, page: this.p1, font: this.p2, encoding: SYNCTERM_FONT_ENCODINGS[this.p2] ?? null });
          }
          this.state = IDLE;
          break;
        default:
          this.state = IDLE;
      }
      // A failed match on ESC starts a new one there.
      if (this.state === IDLE && b === 0x1b) {
        this.state = ESC;
        this.begin = i;
      }
      i++;
    }
    return found;
  }

  /** Forget a partial sequence. */
  reset(): void {
    this.state = IDLE;
  }
}
