/**
 * What the client-side probe answers when a server queries "the terminal"
 * (telnetlib3's fingerprint client does the same, so servers that wait for
 * a terminal carry on): a cursor position report for `ESC[6n` from a
 * virtual cursor, `ESC[?1;2c` for device attributes (`ESC[c`, `ESC[0c`),
 * `ESC[0n` for a status report (`ESC[5n`). It also notices a SyncTERM font
 * switch (`CSI Ps1 ; Ps2 SP D`) and which character set that font implies.
 */

/** SyncTERM font numbers → the encoding of that font (telnetlib3 `SYNCTERM_FONT_ENCODINGS`, partial). */
export const SYNCTERM_FONT_ENCODINGS: Readonly<Record<number, string>> = Object.freeze({
  0: 'cp437', 1: 'cp1251', 2: 'koi8-r', 3: 'iso-8859-2', 4: 'iso-8859-4', 5: 'cp866', 6: 'iso-8859-9', 8: 'iso-8859-8',
  9: 'koi8-u', 10: 'iso-8859-15', 11: 'iso-8859-4', 12: 'koi8-r', 13: 'iso-8859-4', 14: 'iso-8859-5', 16: 'iso-8859-15',
  17: 'cp850', 18: 'cp850', 20: 'cp865', 21: 'iso-8859-7', 22: 'koi8-r', 23: 'iso-8859-1', 24: 'cp866', 25: 'cp437',
  26: 'cp866', 27: 'cp1131', 29: 'cp866', 30: 'iso-8859-1', 31: 'cp1125', 32: 'petscii', 33: 'petscii', 34: 'petscii',
  35: 'petscii', 36: 'atascii', 37: 'cp437', 38: 'cp437', 39: 'cp437', 40: 'latin1', 41: 'latin1', 42: 'latin1',
});

/** A font switch seen in the server's output. */
export interface SynctermFont {
  page: number;
  font: number;
  encoding: string | null;
}

const QUERY = /\x1b\[(\d*);?(\d*) D|\x1b\[6n|\x1b\[0?c|\x1b\[5n|\x05/g;

/**
 * Watches the server's output, tracks a virtual cursor, and returns the
 * replies owed to any terminal queries in it.
 */
export class VirtualTerminal {
  row = 1;
  col = 1;
  /** Replies sent, by kind (for the record). */
  readonly answered: Record<string, number> = {};
  /** The last SyncTERM font switch, if any. */
  font: SynctermFont | null = null;
  private tail = '';

  constructor(private readonly cols = 80, private readonly rows = 25) {}

  /** Feed output (latin-1 text); returns the bytes to send back (may be empty). */
  feed(text: string): string {
    const hay = this.tail + text;
    const skip = this.tail.length;
    let reply = '';
    let last = 0;
    QUERY.lastIndex = 0;
    for (let m = QUERY.exec(hay); m !== null; m = QUERY.exec(hay)) {
      const end = m.index + m[0].length;
      this.move(hay.slice(Math.max(last, skip), Math.max(m.index, skip)));
      last = end;
      if (end <= skip) continue; // handled with the previous chunk
      const q = m[0];
      if (q === '\x1b[6n') { reply += `\x1b[${this.row};${this.col}R`; this.count('cpr'); }
      else if (q === '\x1b[5n') { reply += '\x1b[0n'; this.count('dsr'); }
      else if (q === '\x05') { this.count('enq'); }
      else if (q.endsWith('c')) { reply += '\x1b[?1;2c'; this.count('da'); }
      else {
        const a = m[1] === '' ? 0 : Number(m[1]);
        const b = m[2] === '' ? null : Number(m[2]);
        const font = b ?? a;
        this.font = { page: b === null ? 0 : a, font, encoding: SYNCTERM_FONT_ENCODINGS[font] ?? null };
      }
    }
    this.move(hay.slice(Math.max(last, skip)));
    this.tail = hay.slice(-12);
    return reply;
  }

  private count(kind: string): void {
    this.answered[kind] = (this.answered[kind] ?? 0) + 1;
  }

  /** Advance the virtual cursor over plain output (cursor addressing and clears are honoured roughly). */
  private move(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x1b) {
        const m = /^\x1b\[(\d*)(?:;(\d*))?([A-Za-z])/.exec(text.slice(i, i + 16));
        if (m !== null) {
          const n1 = m[1] === '' ? 1 : Number(m[1]);
          const n2 = m[2] === undefined || m[2] === '' ? 1 : Number(m[2]);
          switch (m[3]) {
            case 'H': case 'f': this.row = n1; this.col = n2; break;
            case 'A': this.row = Math.max(1, this.row - n1); break;
            case 'B': this.row = Math.min(this.rows, this.row + n1); break;
            case 'C': this.col = Math.min(this.cols, this.col + n1); break;
            case 'D': this.col = Math.max(1, this.col - n1); break;
            case 'G': this.col = n1; break;
            case 'J': if (m[1] === '2') { this.row = 1; this.col = 1; } break;
            default: break;
          }
          i += m[0].length - 1;
        }
        continue;
      }
      if (c === 0x0d) this.col = 1;
      else if (c === 0x0a) this.row = Math.min(this.rows, this.row + 1);
      else if (c === 0x08) this.col = Math.max(1, this.col - 1);
      else if (c >= 0x20) {
        this.col++;
        if (this.col > this.cols) { this.col = 1; this.row = Math.min(this.rows, this.row + 1); }
      }
    }
  }
}

/**
 * The answer to a prompt in the banner, as telnetlib3's fingerprint client
 * gives: `yes` for yes/no, `y` for y/n (and colour questions), ESC ESC for
 * "press escape" bot checks, otherwise a bare return. `null` when the text
 * holds no prompt worth a reply (after the first round).
 */
export function promptReply(banner: string, first: boolean): string | null {
  const b = banner.replace(/\x1b\[[\d;?]*[A-Za-z]/g, '');
  const yn = /(?:^|[^a-z0-9])(yes\/no|y\/n)(?:[^a-z0-9]|$)/i.exec(b);
  if (yn !== null) return yn[1]!.toLowerCase() === 'yes/no' ? 'yes\r\n' : 'y\r\n';
  if (/press\s+(?:<?esc(?:ape)?>?)\s*(?:twice|two times)?/i.test(b)) return '\x1b\x1b';
  if (/colou?rs?\s*\?|ansi\s*\?|ansi\s+(?:graphics|colou?r)/i.test(b)) return 'y\r\n';
  if (/(?:press|hit)\s+(?:<?(?:return|enter)>?|any\s+key)|\[?more\]?\s*$|continue\s*\?/i.test(b)) return '\r\n';
  return first ? '\r\n' : null;
}
