/**
 * MCCP2 (server to client, option 86) and MCCP3 (client to server, option
 * 87) as stream layers between a connection's socket and its protocol
 * session, on node:zlib. The protocol core never sees compressed bytes: it
 * says where compression starts (a `compress` event; for input,
 * `session.receive()` returns the offset just past IAC SB MCCPx IAC SE) and
 * the connection routes bytes through these layers from there on.
 *
 *   input:  socket bytes ──▶ [inflate] ──▶ session.receive
 *   output: session.onSend ──▶ [deflate, Z_SYNC_FLUSH per tick] ──▶ socket
 *
 * Input:
 * - The rest of the chunk that held the start sequence, and every later
 *   chunk, is copied (client connections read into a shared buffer, see
 *   static-reads.ts) and written to the inflate stream, in order.
 * - Z_STREAM_END (the peer ended compression): the bytes after the end are
 *   Telnet again. zlib reports the end when input follows it; how much
 *   input it consumed (`bytesWritten`) tells where plain data resumes, so
 *   the input since then is kept until it is known to be consumed.
 * - Bounded: a stream that inflates to more than `maxRatio` times its
 *   compressed size plus {@link INFLATE_SLACK} (a zip bomb: 64 MiB of zeros
 *   fit in 64 KiB) closes the connection with DECOMPRESSION_LIMIT; invalid
 *   zlib closes it with DECOMPRESSION_ERROR. Both are logged warnings and
 *   problem events. Output comes in 16 KiB pieces and the stream is paused
 *   with the socket when the consumer pushes back, so memory stays bounded.
 * - The peer's FIN is processed after the inflated data before it.
 *
 * Output: every write goes into deflate; one Z_SYNC_FLUSH per event-loop
 * turn makes everything written so far decodable by the peer. Closing ends
 * the stream (Z_FINISH, the peer sees Z_STREAM_END) before the FIN.
 * Parameters as telnetlib3 (window 2^12, memLevel 5: about 32 KiB of
 * deflate state per connection), level 6.
 */
import zlib from 'node:zlib';
import { optName } from '../protocol/constants.js';
import { ProblemCode } from '../protocol/errors.js';

/** Inflated bytes allowed beyond `maxRatio` × compressed bytes, for small highly compressible starts. */
export const INFLATE_SLACK = 1024 * 1024;
/** Default largest inflate ratio of a peer's stream (text compresses 3-20 times; zeros about 1000). */
export const DEFAULT_MAX_INFLATE_RATIO = 256;
/** Size of each inflated piece. */
const CHUNK = 16 * 1024;

/** Byte counts of one direction: `raw` before compression, `wire` on the socket. */
export interface MccpStats {
  option: number;
  rawBytes: number;
  wireBytes: number;
  /** True until the stream ended (Z_STREAM_END, close or failure). */
  active: boolean;
}

/** What an inflate layer needs from its connection. */
export interface InflateHost {
  /** Inflated Telnet bytes (a fresh buffer the receiver may keep). */
  inflated(bytes: Buffer): void;
  /** The compressed stream ended; `trailing` (maybe empty) is plain Telnet again. */
  inflateEnded(trailing: Buffer): void;
  /** The stream is bad or too big: close with this problem. */
  inflateFailed(code: ProblemCode, message: string): void;
  /** The peer's FIN, deferred until the data before it was inflated. */
  inflatedEof(): void;
}

/** The peer's compressed input. */
export class MccpInflater {
  readonly stats: MccpStats;
  private readonly z: zlib.Inflate;
  /** Copies of input written but not yet known to be consumed, from offset {@link keptFrom}. */
  private kept: Buffer[] = [];
  private keptFrom = 0;
  private written = 0;
  private done = false;
  private eof = false;

  constructor(option: number, private readonly host: InflateHost, private readonly maxRatio = DEFAULT_MAX_INFLATE_RATIO) {
    this.stats = { option, rawBytes: 0, wireBytes: 0, active: true };
    this.z = zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: CHUNK });
    this.z.on('data', (out: Buffer) => this.onData(out));
    this.z.on('end', () => this.onEnd());
    this.z.on('error', (err: NodeJS.ErrnoException) => this.fail(ProblemCode.DECOMPRESSION_ERROR, `${optName(option)} stream is corrupt: ${err.message}`));
  }

  /** Compressed bytes from the socket (copied: the caller may reuse its buffer). */
  write(chunk: Buffer): void {
    if (this.done || chunk.length === 0) return;
    const copy = Buffer.from(chunk);
    this.kept.push(copy);
    this.written += copy.length;
    this.stats.wireBytes += copy.length;
    this.z.write(copy);
  }

  /** The peer sent FIN: finish inflating, then {@link InflateHost.inflatedEof}. */
  end(): void {
    if (this.done) return;
    this.eof = true;
    this.z.end();
  }

  /** Stop / resume producing output (the consumer's flow control). */
  setPaused(paused: boolean): void {
    if (this.done) return;
    if (paused) this.z.pause();
    else this.z.resume();
  }

  /** Drop the stream (connection closed). */
  destroy(): void {
    this.finish();
  }

  private onData(out: Buffer): void {
    if (this.done) return;
    this.stats.rawBytes += out.length;
    const consumed = this.z.bytesWritten;
    if (this.stats.rawBytes > this.maxRatio * consumed + INFLATE_SLACK) {
      this.fail(ProblemCode.DECOMPRESSION_LIMIT,
        `${optName(this.stats.option)} stream inflates ${this.stats.rawBytes} bytes from ${consumed}: over the ${this.maxRatio}:1 limit (a zip bomb?)`);
      return;
    }
    this.forget(consumed);
    this.host.inflated(out);
  }

  /** Drop kept input that zlib has consumed entirely. */
  private forget(consumed: number): void {
    while (this.kept.length > 1 && this.keptFrom + this.kept[0]!.length <= consumed) {
      this.keptFrom += this.kept.shift()!.length;
    }
  }

  private onEnd(): void {
    if (this.done) return;
    const consumed = this.z.bytesWritten;
    const eof = this.eof;
    let trailing: Buffer = Buffer.alloc(0);
    if (consumed < this.written) {
      const all = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept);
      trailing = all.subarray(consumed - this.keptFrom);
    }
    this.stats.wireBytes -= trailing.length;
    this.finish();
    this.host.inflateEnded(trailing);
    if (eof) this.host.inflatedEof();
  }

  private fail(code: ProblemCode, message: string): void {
    if (this.done) return;
    this.finish();
    this.host.inflateFailed(code, message);
  }

  private finish(): void {
    this.done = true;
    this.stats.active = false;
    this.kept = [];
    this.z.removeAllListeners('data');
    this.z.on('error', () => {}); // late errors of a stream we dropped
    this.z.destroy();
  }
}

/** What a deflate layer needs from its connection. */
export interface DeflateHost {
  /** Compressed bytes for the socket; false when the socket wants a pause. */
  wire(bytes: Buffer): boolean;
  /** Resolves when the socket drained. */
  socketDrained(): Promise<void>;
  /** Deflate failed (a bug or out of memory): the connection closes. */
  deflateFailed(message: string): void;
}

/** Our compressed output. */
export class MccpDeflater {
  readonly stats: MccpStats;
  private readonly z: zlib.Deflate;
  private flushQueued = false;
  /** No more input (ending or failed). */
  private done = false;
  private destroyed = false;

  constructor(option: number, private readonly host: DeflateHost) {
    this.stats = { option, rawBytes: 0, wireBytes: 0, active: true };
    this.z = zlib.createDeflate({ level: 6, windowBits: 12, memLevel: 5 });
    this.z.on('data', (out: Buffer) => {
      this.stats.wireBytes += out.length;
      if (!this.host.wire(out)) {
        this.z.pause();
        void this.host.socketDrained().then(() => { if (!this.destroyed) this.z.resume(); });
      }
    });
    this.z.on('error', (err: Error) => {
      if (this.done) return;
      this.done = true;
      this.stats.active = false;
      this.host.deflateFailed(`${optName(option)} deflate failed: ${err.message}`);
    });
  }

  /** Bytes to compress and send (already Telnet-framed). */
  write(bytes: Buffer): void {
    if (this.done || bytes.length === 0) return;
    this.stats.rawBytes += bytes.length;
    this.z.write(bytes);
    if (!this.flushQueued) {
      this.flushQueued = true;
      // One sync flush per turn of the event loop: writes in one turn share it.
      setImmediate(flushDeflater, this);
    }
  }

  /** @internal */
  flushNow(): void {
    this.flushQueued = false;
    if (!this.done) this.z.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  /** Input waiting in deflate (its own buffers, before the socket's). */
  get writableLength(): number {
    return this.done ? 0 : this.z.writableLength + this.z.readableLength;
  }

  /** True when deflate holds more than its buffers should: wait for {@link drain}. */
  get needsDrain(): boolean {
    return !this.done && this.z.writableNeedDrain;
  }

  /** Resolves when deflate can take more (or it ended). */
  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { this.z.off('drain', done); this.z.off('close', done); resolve(); };
      this.z.on('drain', done);
      this.z.on('close', done);
    });
  }

  /** End the stream (Z_FINISH) and call `then` once its last bytes went to the socket. */
  end(then: () => void): void {
    if (this.done) { then(); return; }
    this.done = true;
    this.stats.active = false;
    this.z.once('end', then);
    // What was written goes out in a sync-flushed block of its own first:
    // some clients (TinTin++) drop the text inflated in the same call that
    // reports Z_STREAM_END. Then Z_FINISH, alone, a turn later.
    this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => { setImmediate(() => { if (!this.destroyed) this.z.end(); }); });
  }

  /** Drop the stream (connection closed). */
  destroy(): void {
    this.done = true;
    this.destroyed = true;
    this.stats.active = false;
    this.z.on('error', () => {});
    this.z.destroy();
  }
}

function flushDeflater(d: MccpDeflater): void {
  d.flushNow();
}
