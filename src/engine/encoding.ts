/**
 * Text codecs for the engine. UTF-8 and US-ASCII use Node's native paths
 * (the bulk-transfer hot path); the retro BBS codecs (atascii, petscii,
 * atarist, big5bbs and their aliases) come from src/encodings; every other
 * name goes through iconv-lite, which knows the code pages Telnet peers use
 * (cp437, koi8-u, big5, ...).
 *
 * Decoding never throws into the engine: with `errors: 'strict'` a bad byte
 * sequence is reported to the caller of the read instead.
 */
import { isAscii } from 'node:buffer';
import iconv from 'iconv-lite';
import { TelnetEncodingError } from '../protocol/errors.js';
import { lookupRetroCodec, retroCodecByName } from '../encodings/registry.js';
import { Utf8Decoder } from './utf8-decoder.js';

/** How to treat text that does not fit the encoding (Python's codec error handlers). */
export type EncodingErrors = 'replace' | 'ignore' | 'strict';

/** A streaming decoder: keeps incomplete multi-byte characters between chunks. */
export interface TextDecoderLike {
  /** Decode a chunk; returns the text and whether a bad sequence was seen. */
  write(buf: Buffer): { text: string; bad: boolean };
  /** The end of input: flush what is held. */
  end(): { text: string; bad: boolean };
}

/** The canonical lower-case name, or null when no codec knows it. */
export function normalizeEncoding(name: string): string | null {
  const retro = lookupRetroCodec(name);
  if (retro !== null) return retro.name;
  const n = name.trim().toLowerCase().replace(/_/g, '-');
  if (n === 'utf8' || n === 'utf-8') return 'utf-8';
  if (n === 'ascii' || n === 'us-ascii' || n === 'ansi-x3.4-1968') return 'us-ascii';
  if (n === 'latin1' || n === 'latin-1' || n === 'iso-8859-1' || n === 'iso8859-1') return 'latin1';
  if (!iconv.encodingExists(n)) {
    const compact = (n as string).replace(/-/g, '');
    return iconv.encodingExists(compact) ? compact : null;
  }
  return n;
}

/** True when `name` is an encoding this engine can use. */
export function isEncodingSupported(name: string): boolean {
  return normalizeEncoding(name) !== null;
}

/**
 * The encoding a LANG value names (`en_US.UTF-8@euro` → `utf-8`), or null
 * (telnetlib3's `encoding_from_lang`).
 */
export function encodingFromLang(lang: string): string | null {
  const dot = lang.indexOf('.');
  if (dot === -1) return null;
  let enc = lang.slice(dot + 1);
  const at = enc.indexOf('@');
  if (at !== -1) enc = enc.slice(0, at);
  return enc === '' ? null : normalizeEncoding(enc);
}

class AsciiDecoder implements TextDecoderLike {
  constructor(private readonly errors: EncodingErrors) {}

  write(buf: Buffer): { text: string; bad: boolean } {
    if (isAscii(buf)) return { text: buf.toString('latin1'), bad: false };
    let text = '';
    for (const b of buf) {
      if (b < 0x80) text += String.fromCharCode(b);
      else if (this.errors === 'replace') text += '\ufffd';
    }
    return { text, bad: true };
  }

  end(): { text: string; bad: boolean } {
    return { text: '', bad: false };
  }
}

class IconvDecoder implements TextDecoderLike {
  private readonly decoder: ReturnType<typeof iconv.getDecoder>;

  constructor(name: string) {
    this.decoder = iconv.getDecoder(name);
  }

  write(buf: Buffer): { text: string; bad: boolean } {
    return { text: this.decoder.write(buf), bad: false };
  }

  end(): { text: string; bad: boolean } {
    return { text: this.decoder.end() ?? '', bad: false };
  }
}

/** A streaming decoder for `name` (already normalised). */
export function makeDecoder(name: string, errors: EncodingErrors = 'replace'): TextDecoderLike {
  if (name === 'utf-8') return new Utf8Decoder(errors);
  if (name === 'us-ascii') return ASCII_DECODERS[errors] ?? new AsciiDecoder(errors);
  if (name === 'latin1') return LATIN1_DECODER;
  const retro = retroCodecByName(name);
  if (retro !== null) return retro.decoder(errors);
  return new IconvDecoder(name);
}

// Stateless decoders, shared by every connection.
const ASCII_DECODERS: Record<EncodingErrors, TextDecoderLike> = {
  replace: new AsciiDecoder('replace'),
  ignore: new AsciiDecoder('ignore'),
  strict: new AsciiDecoder('strict'),
};
const LATIN1_DECODER: TextDecoderLike = {
  write: (b) => ({ text: b.toString('latin1'), bad: false }),
  end: () => ({ text: '', bad: false }),
};

/**
 * Encode text. Characters the encoding lacks become `?` (`replace`), are
 * dropped (`ignore`), or raise {@link TelnetEncodingError} (`strict`).
 */
export function encodeText(text: string, name: string, errors: EncodingErrors = 'replace'): Buffer {
  if (name === 'utf-8') return Buffer.from(text, 'utf8');
  if (name === 'us-ascii' || name === 'latin1') {
    const max = name === 'us-ascii' ? 0x7f : 0xff;
    // eslint-disable-next-line no-control-regex
    const bad = max === 0x7f ? /[^\x00-\x7f]/ : /[^\x00-\xff]/;
    if (!bad.test(text)) return Buffer.from(text, 'latin1');
    if (errors === 'strict') throw new TelnetEncodingError(`text is not ${name}: ${JSON.stringify(text.slice(0, 40))}`);
    const g = new RegExp(bad.source, 'gu');
    return Buffer.from(text.replace(g, errors === 'ignore' ? '' : '?'), 'latin1');
  }
  const retro = retroCodecByName(name);
  if (retro !== null) return retro.encode(text, errors);
  const out = iconv.encode(text, name);
  if (errors !== 'replace' && out.includes(0x3f) && !text.includes('?')) {
    if (errors === 'strict') throw new TelnetEncodingError(`text is not ${name}: ${JSON.stringify(text.slice(0, 40))}`);
    // iconv-lite replaces with '?'; without a '?' in the input every '?' is a replacement.
    return Buffer.from(out.filter((b) => b !== 0x3f));
  }
  return out;
}
