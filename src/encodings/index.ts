/**
 * Character codecs that Node and iconv-lite lack: the retro BBS encodings
 * of telnetlib3 (ATASCII, PETSCII, Atari ST, big5bbs), and the SyncTERM
 * font table that selects them. Pure: no I/O, no engine.
 */
export type { ErrorMode, RetroCodec, StreamDecoder, StreamEncoder } from './types.js';
export { ATARIST, ATASCII, BIG5BBS, PETSCII, RETRO_CODECS, isRetroTerminalEncoding, lookupRetroCodec, retroCodecByName } from './registry.js';
export { Big5BbsDecoder } from './big5bbs.js';
