/**
 * A raw byte connection for the blocking API (`open` with `raw: true`): the
 * engine connects a TCP socket and moves its bytes between the socket and
 * the channel's rings untouched. No TelnetSession: no IAC parsing, no
 * negotiation, no IAC doubling on the way out. The caller interprets the
 * Telnet stream itself (compat/telnetlib does, on its own thread, as
 * Python's telnetlib does).
 *
 * Flow control is the same as the session path's: when the receive ring is
 * full the excess is held here and the socket is paused until the caller's
 * read frees room (RECV_WAIT); the send ring is drained only while the
 * socket can take more.
 */
import net from 'node:net';
import { TelnetError } from '../protocol/errors.js';
import { tcpConnectOrFail } from '../client.js';
import { type ProxyInfo, type ProxyProtocolOptions, ProxyProtocolGate } from '../engine/proxy-protocol.js';
import { C, type Channel, F, ringRead, ringUsed, ringWrite, setFlags, wake, wakeFlusher } from './channel.js';
import { D, DirectWriteGate, publishDirectMode } from './direct-write.js';
import { ACTIVITY_WORD } from './ring-sink.js';

/** Options of a raw connection (a subset of the client's). */
export interface RawLinkOptions {
  /** Give up on the TCP connect after this many ms (default: no limit). */
  connectTimeout?: number;
  localAddress?: string;
  family?: number;
}

/** One raw socket bound to one channel (lives in the engine worker). */
export class RawLink {
  /** True once the socket is fully closed (or never opened). */
  isClosed = false;
  private socket: net.Socket | null = null;
  private pending: Buffer[] = [];
  private eofPending = false;
  private draining = false;
  /** Orders the caller's direct writes with ours (null: none). */
  private gate: DirectWriteGate | null = null;

  /**
   * @param activity a raw server's control block: its activity word is
   *   bumped too whenever this connection has news (poll loops wait on it).
   */
  constructor(private readonly ch: Channel, private readonly activity: Int32Array | null = null) {}

  /** Wake the caller (and a poll loop): new data, or the flag bits. */
  private notify(flags = 0): void {
    if (flags !== 0) setFlags(this.ch.ctrl, flags);
    else wake(this.ch.ctrl, C.CALLER_WAKE);
    if (this.activity !== null) wake(this.activity, ACTIVITY_WORD);
  }

  /** Connect; resolves once connected (bytes then flow), rejects on failure. */
  async connect(host: string, port: number, options: RawLinkOptions = {}): Promise<void> {
    try {
      this.attach(await tcpConnectOrFail(host, port, options));
    } catch (err) {
      this.isClosed = true;
      throw err;
    }
  }

  /** Take over a connected socket (a raw server's accepted one, or ours once connected). */
  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    this.gate = DirectWriteGate.attach(this.ch.ctrl, socket);
    if (this.gate !== null) {
      publishDirectMode(this.ch.ctrl, D.RAW);
      socket.on('drain', () => this.gate?.drained());
    }
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('end', () => {
      if (this.pending.length > 0) this.eofPending = true;
      else this.notify(F.EOF);
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      this.isClosed = true;
      // Data still held for the ring stays readable: EOF follows it.
      if (this.pending.length === 0) this.notify(F.EOF | F.SOCKET_CLOSED);
      else { this.eofPending = true; this.notify(F.SOCKET_CLOSED); }
      wake(this.ch.ctrl, C.ENGINE_WAKE);
    });
    // A socket that passed the PROXY gate arrives paused, the bytes after its header put back.
    socket.resume();
  }

  /** Socket bytes into the receive ring; the excess is held and the socket paused. */
  private feed(chunk: Buffer): void {
    const ctrl = this.ch.ctrl;
    if (this.pending.length > 0) {
      this.pending.push(chunk);
      return;
    }
    const n = ringWrite(ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, chunk);
    if (n < chunk.length) {
      this.pending.push(chunk.subarray(n));
      Atomics.store(ctrl, C.RECV_WAIT, 1);
      this.socket?.pause();
      // The caller may have emptied the ring before RECV_WAIT was visible (and
      // so did not wake us): move what fits now, or both sides would wait.
      this.refill();
    }
    if (n > 0) this.notify();
  }

  private refill(): void {
    const ctrl = this.ch.ctrl;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = ringWrite(ctrl, this.ch.recv, C.RECV_HEAD, C.RECV_TAIL, head);
      if (n > 0) this.notify();
      if (n < head.length) {
        this.pending[0] = head.subarray(n);
        return;
      }
      this.pending.shift();
    }
    Atomics.store(ctrl, C.RECV_WAIT, 0);
    if (this.socket !== null && !this.isClosed) this.socket.resume();
    if (this.eofPending) {
      this.eofPending = false;
      this.notify(F.EOF);
    }
  }

  /** The pump's work for this connection: refill the receive ring, drain the send ring. */
  service(): void {
    const ctrl = this.ch.ctrl;
    if (Atomics.load(ctrl, C.RECV_WAIT) !== 0) this.refill();
    const socket = this.socket;
    if (socket === null) return;
    let moved = false;
    if (!socket.writableNeedDrain && ringUsed(ctrl, C.SEND_HEAD, C.SEND_TAIL) > 0) {
      // The caller stays off the socket from taking the ring's data to writing it.
      this.gate?.hold();
      try {
        const data = ringRead(ctrl, this.ch.send, C.SEND_HEAD, C.SEND_TAIL);
        if (Atomics.load(ctrl, C.SEND_WAIT) !== 0) {
          // Room in the send ring for a writer that waits: a blocked caller,
          // or a poll loop that left output pending (so it is news for it).
          wake(ctrl, C.CALLER_WAKE);
          if (this.activity !== null) wake(this.activity, ACTIVITY_WORD);
        }
        if (!socket.destroyed && !socket.writableEnded) this.send(socket, data);
      } finally {
        // Whatever happened, the caller must not stay locked out of its socket.
        this.gate?.release();
      }
      moved = true;
    }
    // Whoever filled the socket (the ring, or output the gate kept), the rest waits for 'drain'.
    if (socket.writableNeedDrain && !this.draining) {
      this.draining = true;
      socket.once('drain', () => { this.draining = false; wake(ctrl, C.ENGINE_WAKE); });
    }
    const unsent = socket.destroyed ? 0 : socket.writableLength;
    if (Atomics.load(ctrl, C.UNSENT) !== unsent) {
      Atomics.store(ctrl, C.UNSENT, unsent);
      if (unsent > 0 && !this.draining) {
        this.draining = true;
        const done = (): void => {
          this.draining = false;
          Atomics.store(ctrl, C.UNSENT, socket.destroyed ? 0 : socket.writableLength);
          wakeFlusher(ctrl);
          wake(ctrl, C.ENGINE_WAKE);
        };
        socket.once('drain', done);
        socket.once('close', done);
      } else {
        wakeFlusher(ctrl);
      }
    } else if (moved) {
      wakeFlusher(ctrl);
    }
  }

  /** Write after what the caller wrote directly (the gate orders the two). */
  private send(socket: net.Socket, data: Buffer): void {
    if (this.gate !== null) this.gate.write(data);
    else socket.write(data);
  }

  /** Close at once, dropping unsent output. */
  destroy(): void {
    if (this.socket !== null) this.socket.destroy();
    else this.isClosed = true;
  }

  /** Per-connection calls of a raw connection. */
  call(method: string, args: unknown[]): unknown {
    const socket = this.socket;
    switch (method) {
      case 'close': {
        setFlags(this.ch.ctrl, F.CLOSED);
        if (socket === null) { this.isClosed = true; return true; }
        // Pending output first, then FIN; a peer that never reads cannot keep the socket.
        this.gate?.shutdown();
        const data = ringRead(this.ch.ctrl, this.ch.send, C.SEND_HEAD, C.SEND_TAIL);
        if (data.length > 0 && !socket.destroyed && !socket.writableEnded) socket.write(data);
        if (!socket.writableEnded) socket.end();
        const t = setTimeout(() => socket.destroy(), 2000);
        t.unref();
        socket.once('close', () => clearTimeout(t));
        return true;
      }
      case 'extra': {
        if (socket === null) return null;
        switch (String(args[0])) {
          case 'peername': return { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily };
          case 'sockname': return { address: socket.localAddress, port: socket.localPort, family: socket.localFamily };
          case 'fd': {
            // The OS descriptor, for display (fileno()); it belongs to the engine's event loop.
            const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
            return typeof fd === 'number' ? fd : -1;
          }
          default: return null;
        }
      }
      case 'describe':
        return { raw: true, rx: socket?.bytesRead ?? 0, tx: (socket?.bytesWritten ?? 0) + (Atomics.load(this.ch.ctrl, C.DIRECT_TX) >>> 0) };
      default:
        throw new TelnetError(`a raw connection has no ${method} call`, 'ERR_TELNET_BRIDGE');
    }
  }
}

/** Options of a raw listener. */
export interface RawServerOptions extends Pick<ProxyProtocolOptions, 'proxyFrom' | 'proxyTimeout' | 'logger'> {
  host?: string;
  port?: number;
  backlog?: number;
  /** Most simultaneous connections; more are closed at accept (default 10,000). */
  maxConnections?: number;
  /** Every connection starts with a PROXY v1/v2 header (as the Telnet server's `proxyProtocol`). */
  proxyProtocol?: boolean;
}

/**
 * A listener whose connections are raw byte links (a blocking server
 * started with `raw: true`): no negotiation, each accepted socket is handed
 * over at once.
 */
export class RawServer {
  private readonly live = new Set<net.Socket>();
  private closing = false;

  private constructor(private readonly server: net.Server, private readonly proxy: ProxyProtocolGate | null) {}

  /**
   * Listen; `onSocket` gets every accepted socket (within `maxConnections`),
   * with its PROXY header when `proxyProtocol` is set (refused headers close
   * the socket, as on the Telnet server).
   */
  static listen(options: RawServerOptions, onSocket: (socket: net.Socket, proxy: ProxyInfo | null) => void): Promise<RawServer> {
    const max = options.maxConnections ?? 10000;
    let self: RawServer | null = null;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (self === null || self.closing || self.live.size >= max) { socket.destroy(); return; }
      self.live.add(socket);
      socket.once('close', () => self?.live.delete(socket));
      if (self.proxy === null) onSocket(socket, null);
      else self.proxy.accept(socket, (s, info) => { if (self?.closing === false) onSocket(s, info); else s.destroy(); });
    });
    self = new RawServer(server, options.proxyProtocol === true ? new ProxyProtocolGate(options) : null);
    const { host = 'localhost', port = 6023, backlog = 511 } = options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new TelnetError(`cannot listen on ${host}:${port}: ${err.message}`, 'ERR_TELNET_LISTEN', { cause: err }));
      server.once('error', onError);
      server.listen({ host, port, backlog }, () => {
        server.off('error', onError);
        server.on('error', () => { /* accept errors: the listener goes on */ });
        resolve(self!);
      });
    });
  }

  /** The bound address. */
  get address(): { address: string; port: number; family: string } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new TelnetError('server is not listening', 'ERR_TELNET_NOT_LISTENING');
    return { address: a.address, port: a.port, family: a.family };
  }

  /** Stop listening; end every connection, and destroy those still open after `graceMs`. */
  close(graceMs = 1000): void {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
    this.proxy?.close();
    for (const s of this.live) if (!s.writableEnded) s.end();
    if (this.live.size > 0) {
      setTimeout(() => { for (const s of this.live) s.destroy(); }, graceMs).unref();
    }
  }
}
