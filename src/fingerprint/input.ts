/**
 * One background reader for a probe: reads everything the peer sends into
 * a bounded buffer (as latin-1 text, one character per byte on a byte
 * connection), so the probe can wait for a pattern or for quiet with a
 * deadline without leaving a read pending on the connection's reader.
 * Input beyond `maxBytes` is counted and dropped: a peer that never stops
 * talking costs bounded memory.
 */
import type { TelnetReader } from '../engine/reader.js';

/** The reader pump. */
export class InputPump {
  private buf = '';
  private total = 0;
  private dropped = 0;
  private eof = false;
  private waiters: Array<() => void> = [];
  /** Listeners for every chunk (terminal-query answers are sent from here). */
  onChunk: ((text: string) => void) | null = null;
  /** Resolves when the reader hit EOF or failed. */
  readonly done: Promise<void>;

  constructor(reader: TelnetReader<any>, private readonly maxBytes = 256 * 1024) {
    this.done = this.run(reader);
  }

  private async run(reader: TelnetReader<any>): Promise<void> {
    try {
      for (;;) {
        const chunk: string | Buffer = await reader.read(65536);
        const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
        if (text.length === 0) break;
        this.total += text.length;
        this.onChunk?.(text);
        const room = this.maxBytes - this.buf.length;
        if (room > 0) this.buf += text.length > room ? text.slice(0, room) : text;
        if (text.length > room) this.dropped += text.length - Math.max(room, 0);
        this.wake();
      }
    } catch {
      // A failed connection is the end of input; the probe reports what it has.
    }
    this.eof = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private next(ms: number): Promise<boolean> {
    if (this.eof) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => { const i = this.waiters.indexOf(done); if (i !== -1) this.waiters.splice(i, 1); resolve(false); }, Math.max(0, ms));
      const done = (): void => { clearTimeout(t); resolve(true); };
      this.waiters.push(done);
    });
  }

  /** True once the peer closed. */
  get atEof(): boolean {
    return this.eof;
  }

  /** Characters received in all (kept or dropped). */
  get received(): number {
    return this.total;
  }

  /** Characters dropped over the buffer bound. */
  get overflow(): number {
    return this.dropped;
  }

  /** Take (and clear) what is buffered. */
  take(): string {
    const s = this.buf;
    this.buf = '';
    return s;
  }

  /** What is buffered, without taking it. */
  peek(): string {
    return this.buf;
  }

  /** Wait until `re` matches the buffer (returns the match, the buffer is left alone) or `ms` pass (null). */
  async waitFor(re: RegExp, ms: number): Promise<RegExpExecArray | null> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.buf);
      if (m !== null) return m;
      const left = end - Date.now();
      if (left <= 0 || this.eof) return null;
      await this.next(left);
    }
  }

  /**
   * Collect input until it has been quiet for `quietMs`, `maxMs` passed in
   * all, `maxBytes` arrived since the call, or EOF; returns what was collected (and takes it).
   */
  async untilQuiet(quietMs: number, maxMs: number, maxBytes: number): Promise<string> {
    const start = this.total;
    const end = Date.now() + maxMs;
    for (;;) {
      if (this.total - start >= maxBytes || this.eof) break;
      const left = end - Date.now();
      if (left <= 0) break;
      const got = await this.next(Math.min(quietMs, left));
      if (!got) break;
    }
    const s = this.take();
    return s.length > maxBytes ? s.slice(0, maxBytes) : s;
  }
}
