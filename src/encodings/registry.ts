/**
 * The retro BBS codecs and the names they answer to: telnetlib3 4.0.5's
 * codec names and aliases (`telnetlib3/encodings/`). Names are matched
 * case-insensitively with `-`, `_` and spaces ignored, as Python's codec
 * registry normalises them (`atari_8bit` = `atari-8bit` = `Atari8bit`).
 */
import { ATARIST_TABLE, ATASCII_TABLE, PETSCII_TABLE } from './tables.generated.js';
import { BIG5BBS } from './big5bbs.js';
import { charmapCodec } from './charmap.js';
import type { RetroCodec } from './types.js';

/** ATASCII (Atari 8-bit): graphics at 0x00-0x1F, inverse video at 0x80-0xFF, 0x9B end of line. */
export const ATASCII: RetroCodec = charmapCodec({ name: 'atascii', aliases: ['atari8bit', 'atari_8bit'], table: ATASCII_TABLE, eolByte: 0x9b });
/** PETSCII (Commodore), shifted set: a-z at 0x41-0x5A, A-Z at 0xC1-0xDA. */
export const PETSCII: RetroCodec = charmapCodec({ name: 'petscii', aliases: ['cbm', 'commodore', 'c64', 'c128'], table: PETSCII_TABLE });
/** Atari ST (Unicode's ATARIST.TXT). */
export const ATARIST: RetroCodec = charmapCodec({ name: 'atarist', aliases: ['atari'], table: ATARIST_TABLE });
export { BIG5BBS };

/** Every retro codec. */
export const RETRO_CODECS: readonly RetroCodec[] = Object.freeze([ATASCII, PETSCII, ATARIST, BIG5BBS]);

function key(name: string): string {
  return name.trim().toLowerCase().replace(/[-_\s]/g, '');
}

const BY_NAME = new Map<string, RetroCodec>();
for (const c of RETRO_CODECS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(key(n), c);

const BY_CANONICAL = new Map<string, RetroCodec>(RETRO_CODECS.map((c) => [c.name, c]));

/** The retro codec of a canonical name (`atascii`, `petscii`, `atarist`, `big5bbs`) exactly, or null: the engine's per-write lookup. */
export function retroCodecByName(name: string): RetroCodec | null {
  return BY_CANONICAL.get(name) ?? null;
}

/** The retro codec `name` (or an alias) names, or null. */
export function lookupRetroCodec(name: string): RetroCodec | null {
  return BY_NAME.get(key(name)) ?? null;
}

/**
 * The 8-bit machine charsets whose boards expect raw character-at-a-time
 * input and native key codes (telnetlib3's `FORCE_BINARY_ENCODINGS`):
 * atascii, petscii, atarist (big5bbs boards are ordinary ANSI boards).
 */
export function isRetroTerminalEncoding(name: string): boolean {
  const c = lookupRetroCodec(name);
  return c !== null && c !== BIG5BBS;
}
