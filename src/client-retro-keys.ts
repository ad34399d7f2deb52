/**
 * Keyboard translation for retro BBSes in the client (telnetlib3 4.0.5's
 * `InputFilter`, `_INPUT_XLAT`, `_INPUT_SEQ_XLAT`): an Atari or Commodore
 * board wants its own machine's key codes, not a VT100's. In raw mode the
 * terminal's arrow-key sequences, Backspace/Delete and Enter become them:
 *
 * | key             | ATASCII      | PETSCII |
 * | --------------- | ------------ | ------- |
 * | Up/Down         | 0x1C / 0x1D  | 0x91 / 0x11 |
 * | Right/Left      | 0x1F / 0x1E  | 0x1D / 0x9D |
 * | Delete (ESC[3~) | 0x7E         | 0x14    |
 * | BS / DEL        | 0x7E         | 0x14    |
 * | Enter (CR, LF)  | 0x9B         | (CR)    |
 * | Tab             | 0x7F         |         |
 * | Home / Insert   |              | 0x13 / 0x94 |
 *
 * `ansiKeys` (`--ansi-keys`) leaves the escape sequences alone; `asciiEol`
 * (`--ascii-eol`) sends CR and LF as themselves instead of the ATASCII end
 * of line. Translated keys, and control characters (ESC, ^A, ...), are
 * sent as raw bytes; everything else is text for the codec (so a typed `a`
 * still becomes PETSCII 0x41).
 *
 * A sequence split between reads waits in the filter; a lone ESC is let go
 * after `ESCDELAY` ms (environment, default 350, as telnetlib3 and curses).
 */

/** Which board keyboard, by codec. */
export type RetroKeyboard = 'atascii' | 'petscii';

/** Options of {@link RetroKeyFilter}. */
export interface RetroKeyOptions {
  /** Send the terminal's escape sequences unchanged (`--ansi-keys`). */
  ansiKeys?: boolean;
  /** Send CR/LF as ASCII, not as the codec's end of line (`--ascii-eol`). */
  asciiEol?: boolean;
}

/** Single input bytes -> board bytes. */
const BYTE_KEYS: Readonly<Record<RetroKeyboard, ReadonlyMap<number, number>>> = {
  atascii: new Map([[0x7f, 0x7e], [0x08, 0x7e], [0x0d, 0x9b], [0x0a, 0x9b]]),
  petscii: new Map([[0x7f, 0x14], [0x08, 0x14]]),
};

/** Terminal escape sequences -> board bytes. */
const SEQUENCE_KEYS: Readonly<Record<RetroKeyboard, ReadonlyArray<readonly [string, number]>>> = {
  atascii: [
    ['\x1b[A', 0x1c], ['\x1b[B', 0x1d], ['\x1b[C', 0x1f], ['\x1b[D', 0x1e],
    ['\x1bOA', 0x1c], ['\x1bOB', 0x1d], ['\x1bOC', 0x1f], ['\x1bOD', 0x1e],
    ['\x1b[3~', 0x7e], ['\t', 0x7f],
  ],
  petscii: [
    ['\x1b[A', 0x91], ['\x1b[B', 0x11], ['\x1b[C', 0x1d], ['\x1b[D', 0x9d],
    ['\x1bOA', 0x91], ['\x1bOB', 0x11], ['\x1bOC', 0x1d], ['\x1bOD', 0x9d],
    ['\x1b[3~', 0x14], ['\x1b[H', 0x13], ['\x1b[2~', 0x94],
  ],
};

/** The keyboard of an encoding (already normalised), or null when keys need no translation. */
export function retroKeyboard(encoding: string | null): RetroKeyboard | null {
  return encoding === 'atascii' || encoding === 'petscii' ? encoding : null;
}

/** The ESC delay in ms: `ESCDELAY` from the environment, else 350. */
export function escDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.ESCDELAY);
  return env.ESCDELAY !== undefined && env.ESCDELAY.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : 350;
}

/** A piece of translated input: board bytes to send raw, or text for the codec. */
export type KeyPiece = { raw: Buffer } | { text: Buffer };

/**
 * Translates terminal input bytes for one board keyboard, keeping a partial
 * escape sequence between calls (see the module comment).
 */
export class RetroKeyFilter {
  private readonly bytes: ReadonlyMap<number, number>;
  private readonly sequences: ReadonlyArray<readonly [Buffer, number]>;
  private readonly prefixes: ReadonlySet<string>;
  private held: Buffer = Buffer.alloc(0);

  constructor(readonly keyboard: RetroKeyboard, options: RetroKeyOptions = {}) {
    const bytes = new Map(BYTE_KEYS[keyboard]);
    if (options.asciiEol) {
      // CR and LF go out as themselves, past the codec (which would make them 0x9B).
      bytes.set(0x0d, 0x0d);
      bytes.set(0x0a, 0x0a);
    }
    this.bytes = bytes;
    const seqs = options.ansiKeys ? [] : SEQUENCE_KEYS[keyboard];
    // Longest first, so ESC [ 3 ~ wins over any shorter match.
    this.sequences = seqs.map(([s, b]) => [Buffer.from(s, 'latin1'), b] as const).sort((a, b) => b[0].length - a[0].length);
    const prefixes = new Set<string>();
    for (const [s] of this.sequences) for (let i = 1; i < s.length; i++) prefixes.add(s.subarray(0, i).toString('latin1'));
    this.prefixes = prefixes;
  }

  /**
   * The board byte for one input byte, or undefined for text. Control
   * characters the table does not list (ESC, ^A, ...) go as they are: the
   * codec could not encode most of them (ATASCII has glyphs there), and the
   * machines' own keyboards send these codes for those keys. CR and LF stay
   * text unless listed: the codec makes them its end of line.
   */
  private byteKey(b: number): number | undefined {
    const mapped = this.bytes.get(b);
    if (mapped !== undefined) return mapped;
    return (b < 0x20 && b !== 0x0d && b !== 0x0a) || b === 0x7f ? b : undefined;
  }

  /** True while a partial escape sequence waits for more input (start the ESC delay). */
  get pending(): boolean {
    return this.held.length > 0;
  }

  /** Translate `input`; a partial sequence at its end is held back. */
  feed(input: Buffer): KeyPiece[] {
    const buf = this.held.length > 0 ? Buffer.concat([this.held, input]) : input;
    this.held = Buffer.alloc(0);
    const out: KeyPiece[] = [];
    let textFrom = 0;
    let i = 0;
    const flushText = (to: number): void => {
      if (to > textFrom) out.push({ text: buf.subarray(textFrom, to) });
    };
    while (i < buf.length) {
      let hit: readonly [Buffer, number] | undefined;
      for (const s of this.sequences) {
        if (buf.length - i >= s[0].length && buf.compare(s[0], 0, s[0].length, i, i + s[0].length) === 0) { hit = s; break; }
      }
      if (hit !== undefined) {
        flushText(i);
        pushRaw(out, hit[1]);
        i += hit[0].length;
        textFrom = i;
        continue;
      }
      if (this.prefixes.has(buf.subarray(i).toString('latin1'))) {
        flushText(i);
        this.held = Buffer.from(buf.subarray(i));
        return out;
      }
      const mapped = this.byteKey(buf[i]!);
      if (mapped !== undefined) {
        flushText(i);
        pushRaw(out, mapped);
        textFrom = i + 1;
      }
      i++;
    }
    flushText(buf.length);
    return out;
  }

  /** The ESC delay passed: what is held is not a key sequence; let it go (bytes translated one by one). */
  flush(): KeyPiece[] {
    const held = this.held;
    this.held = Buffer.alloc(0);
    const out: KeyPiece[] = [];
    let from = 0;
    for (let i = 0; i < held.length; i++) {
      const mapped = this.byteKey(held[i]!);
      if (mapped === undefined) continue;
      if (i > from) out.push({ text: held.subarray(from, i) });
      pushRaw(out, mapped);
      from = i + 1;
    }
    if (from < held.length) out.push({ text: held.subarray(from) });
    return out;
  }
}

function pushRaw(out: KeyPiece[], byte: number): void {
  const last = out[out.length - 1];
  if (last !== undefined && 'raw' in last) last.raw = Buffer.concat([last.raw, Buffer.from([byte])]);
  else out.push({ raw: Buffer.from([byte]) });
}
