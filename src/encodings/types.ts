/**
 * The shapes every codec in src/encodings has. They match the engine's
 * `TextDecoderLike` and `EncodingErrors` (src/engine/encoding.ts)
 * structurally, so the engine uses these codecs as they are, without this
 * layer importing the engine.
 */

/** How to treat what a codec cannot represent (Python's codec error handlers). */
export type ErrorMode = 'replace' | 'ignore' | 'strict';

/** A streaming decoder: bytes in, text out, state kept between chunks. */
export interface StreamDecoder {
  /** Decode a chunk; `bad` is true when a sequence could not be decoded. */
  write(buf: Buffer): { text: string; bad: boolean };
  /** The end of input: flush what is held. */
  end(): { text: string; bad: boolean };
}

/** A streaming encoder: text in, bytes out, state kept between chunks. */
export interface StreamEncoder {
  /** Encode a chunk. Throws {@link TelnetEncodingError} under `strict` for text the codec lacks. */
  write(text: string): Buffer;
  /** Forget the state (telnetlib3's `reset()`). */
  reset(): void;
  /** The state as a number, 0 when none (telnetlib3's `getstate()`). */
  getState(): number;
  /** Restore a state from {@link getState}. */
  setState(state: number): void;
}

/** One codec of this folder. */
export interface RetroCodec {
  /** The canonical name (telnetlib3's codec name). */
  readonly name: string;
  /** Other names it answers to, as telnetlib3 lists them. */
  readonly aliases: readonly string[];
  /** True when every byte decodes to text that encodes back to that same byte. */
  readonly lossless: boolean;
  /** A new streaming decoder. */
  decoder(errors?: ErrorMode): StreamDecoder;
  /** A new streaming encoder. */
  encoder(errors?: ErrorMode): StreamEncoder;
  /** Encode `text` in one go (no state carried to the next call). */
  encode(text: string, errors?: ErrorMode): Buffer;
  /** Decode `bytes` in one go (as `decoder().write()` then `end()`). */
  decode(bytes: Buffer, errors?: ErrorMode): string;
}
