/**
 * Engine side of a blocking connection's data plane: moves received in-band
 * data into the channel's receive ring (as UTF-8 for text connections, raw
 * bytes for byte connections), and takes what the caller wrote from the send
 * ring to the Telnet writer.
 *
 * When the receive ring is full the sink keeps the excess and asks the
 * connection to pause the socket; the caller's next read frees room and
 * wakes the engine, which refills the ring and resumes the socket. So a
 * caller that stops reading bounds memory at one ring plus one socket read.
 */
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { DataSink, EngineConnection } from '../engine/connection.js';
import { type TextDecoderLike, encodeText, makeDecoder } from '../engine/encoding.js';
import { C, type Channel, F, ringRead, ringUsed, ringWrite, setFlags, wake } from './channel.js';
import { D, publishDirectMode } from './direct-write.js';

/** Word of a server control block bumped on any connection's activity. */
export const ACTIVITY_WORD = 4;

/** Moves data between one engine connection and one channel. */
export class RingSink implements DataSink {
  onPause: () => void = () => {};
  onResume: () => void = () => {};
  /** Called after received data (`bytes` of it) went into the ring for the caller. */
  onDelivered: (bytes: number) => void = () => {};
  /** feedData copies into the ring, or into `pending`: its client socket may read into a shared buffer. */
  readonly copiesData = true;

  private pending: Buffer[] = [];
  private eofPending = false;
  private failure: Error | null = null;
  private encoding: string;
  private decoder: TextDecoderLike | null = null;
  private sendDecoder: StringDecoder | null = null;
  private conn: EngineConnection | null = null;

  /**
   * @param activity a server's control block: its word 4 is bumped and
   *   notified too whenever this connection has news, so one thread can
   *   wait for activity on many connections (miniboa's poll loop).
   */
  constructor(private readonly ch: Channel, private readonly text: boolean, encoding: string, private readonly activity: Int32Array | null = null) {
    this.encoding = encoding;
  }

  private notify(flags = 0): void {
    if (flags !== 0) setFlags(this.ch.ctrl, flags);
    else wake(this.ch.ctrl, C.CALLER_WAKE);
    if (this.activity !== null) wake(this.activity, ACTIVITY_WORD);
  }

  /** The connection this sink belongs to (set once it exists). */
  bind(conn: EngineConnection): void {
    this.conn = conn;
  }

  /** The error that ended the connection, if any. */
  get error(): Error | null {
    return this.failure;
  }

  feedData(data: Buffer): void {
    const bytes = this.toUtf8(data);
    if (bytes.length === 0) return;
    if (this.pending.length > 0) {
      this.pending.push(Buffer.from(bytes));
      return;
    }
    const n = ringWrite(this.ch.ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, bytes);
    if (n < bytes.length) {
      // Copy: the parser may reuse the chunk this span points into.
      this.pending.push(Buffer.from(bytes.subarray(n)));
      Atomics.store(this.ch.ctrl, C.RECV_WAIT, 1);
      this.onPause();
      // The caller may have emptied the ring before RECV_WAIT was visible (and
      // so did not wake us): move what fits now, or both sides would wait.
      this.refill();
    }
    if (n > 0) {
      this.notify();
      this.onDelivered(n);
    }
  }

  feedEof(): void {
    if (this.decoder !== null) {
      const tail = this.decoder.end().text;
      if (tail.length > 0) this.feedData(Buffer.from(tail, 'utf8'));
    }
    if (this.pending.length > 0) this.eofPending = true;
    else this.notify(F.EOF);
  }

  setException(err: Error): void {
    this.failure = err;
    this.feedEof();
    this.notify(F.ERROR);
  }

  setEncoding(name: string): void {
    if (name === this.encoding) return;
    if (this.decoder !== null) {
      const tail = this.decoder.end().text;
      if (tail.length > 0) this.feedData(Buffer.from(tail, 'utf8'));
    }
    this.encoding = name;
    this.decoder = null;
  }

  /** Move held data into the ring as room appears; resume the socket once all of it fits. */
  refill(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = ringWrite(this.ch.ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, head);
      if (n > 0) this.notify();
      if (n < head.length) {
        this.pending[0] = head.subarray(n);
        return;
      }
      this.pending.shift();
    }
    Atomics.store(this.ch.ctrl, C.RECV_WAIT, 0);
    this.onResume();
    if (this.eofPending) {
      this.eofPending = false;
      this.notify(F.EOF);
    }
  }

  /**
   * Send what the caller wrote. Returns true when something was taken from
   * the ring. Text arrives as UTF-8 and goes out in the connection's
   * outgoing encoding (passed through untouched when that is UTF-8, or
   * ASCII and the text is ASCII).
   */
  drainSendRing(): boolean {
    const conn = this.conn;
    if (conn === null) return false;
    const ctrl = this.ch.ctrl;
    if (ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) === 0) return false;
    const data = ringRead(ctrl, this.ch.send, C.SEND_HEAD, C.SEND_TAIL);
    if (Atomics.load(ctrl, C.SEND_WAIT) !== 0) wake(ctrl, C.CALLER_WAKE);
    if (conn.isClosed) return true;
    if (!this.text) {
      conn.session.sendData(data);
      return true;
    }
    const out = conn.outgoingEncoding();
    if (this.sendDecoder === null && (out === 'utf-8' || (out === 'us-ascii' && isAscii(data)))) {
      conn.session.sendData(data);
      return true;
    }
    if (this.sendDecoder === null) {
      this.sendDecoder = new StringDecoder('utf8');
      // From now on a split character may be pending here: no more direct writes (directMode()).
      publishDirectMode(ctrl, D.NONE);
    }
    const textOut = this.sendDecoder.write(data);
    if (textOut.length > 0) conn.session.sendData(encodeText(textOut, out, conn.encodingErrors));
    return true;
  }

  /** Which of the caller's writes may skip the engine (direct-write.ts `D`). */
  directMode(): number {
    const conn = this.conn;
    if (conn === null || conn.isClosed) return D.NONE;
    if (!this.text) return D.BYTES;
    // A character split across writes is pending in the decoder: its rest must follow it here.
    if (this.sendDecoder !== null) return D.NONE;
    const out = conn.outgoingEncoding();
    return out === 'utf-8' ? D.UTF8 : out === 'us-ascii' ? D.ASCII : D.NONE;
  }

  private toUtf8(data: Buffer): Buffer {
    if (!this.text) return data;
    const enc = this.encoding;
    if (enc === 'utf-8' || (enc === 'us-ascii' && isAscii(data))) {
      if (this.decoder === null) return data;
    }
    this.decoder ??= makeDecoder(enc, this.conn?.encodingErrors ?? 'replace');
    return Buffer.from(this.decoder.write(data).text, 'utf8');
  }
}
