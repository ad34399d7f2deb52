/**
 * The streaming UTF-8 decoder, in a module of its own so that threads which
 * only ever decode UTF-8 (the blocking API's callers and handler threads) do
 * not load iconv-lite with the other codecs of encoding.ts.
 */
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { EncodingErrors, TextDecoderLike } from './encoding.js';

/**
 * Decode large inputs in pieces of at most this many bytes and join the
 * texts with `+` (a rope). V8 gives a string over 128 KiB a large-object
 * page of its own, which costs about ten times as much per byte as a
 * regular one (page faults and zeroing: 0.85 against 0.064 ms/MiB here for
 * 400 KiB at once); a rope that is handed out whole is never flattened.
 */
export const DECODE_PIECE = 64 * 1024;

/** Decode `bytes` in pieces of at most {@link DECODE_PIECE}, handing each result to `take` in order. */
export function decodeInPieces(decoder: TextDecoderLike, bytes: Uint8Array, take: (r: { text: string; bad: boolean }) => void): void {
  if (bytes.length <= DECODE_PIECE && Buffer.isBuffer(bytes)) {
    take(decoder.write(bytes));
    return;
  }
  for (let at = 0; at < bytes.length; at += DECODE_PIECE) {
    take(decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(DECODE_PIECE, bytes.length - at))));
  }
}

/**
 * UTF-8 without a StringDecoder (and its native buffer) while chunks end on
 * an ASCII byte, which is when nothing can be held back: such a chunk decodes
 * exactly as `toString('utf8')`. The StringDecoder comes in for a chunk that
 * ends otherwise and goes again after one that ends on ASCII (it then holds
 * nothing).
 */
export class Utf8Decoder implements TextDecoderLike {
  private decoder: StringDecoder | null = null;

  constructor(private readonly errors: EncodingErrors) {}

  write(buf: Buffer): { text: string; bad: boolean } {
    if (buf.length === 0) return { text: '', bad: false };
    const endsAscii = buf[buf.length - 1]! < 0x80;
    if (this.decoder === null) {
      // All-ASCII chunks (bulk text, most of a session) copy straight into a
      // one-byte string: no UTF-8 decoding, and no U+FFFD to look for.
      if (isAscii(buf)) return { text: buf.toString('latin1'), bad: false };
      if (endsAscii) return this.clean(buf.toString('utf8'));
      this.decoder = new StringDecoder('utf8');
    }
    const text = this.decoder.write(buf);
    if (endsAscii) this.decoder = null;
    return this.clean(text);
  }

  end(): { text: string; bad: boolean } {
    const decoder = this.decoder;
    this.decoder = null;
    return this.clean(decoder === null ? '' : decoder.end());
  }

  private clean(text: string): { text: string; bad: boolean } {
    // U+FFFD can also be sent on purpose; only 'ignore' and 'strict' care.
    if (this.errors === 'replace' || text.indexOf('\ufffd') === -1) return { text, bad: false };
    return { text: this.errors === 'ignore' ? text.replace(/\ufffd/g, '') : text, bad: true };
  }
}
