/**
 * The server's PROXY protocol layer: before a socket becomes a Telnet
 * connection, read the PROXY v1/v2 header a load balancer (HAProxy's
 * `send-proxy` / `send-proxy-v2`, nginx `proxy_protocol on`, AWS NLB...)
 * sends first, and learn the real client's address from it.
 *
 * The server's accept path calls {@link ProxyProtocolGate.accept} and
 * continues with the socket once the header is read: the socket is then
 * paused with any bytes that followed the header (in the same chunk) put
 * back with `unshift`, so the next reader (TLS or the Telnet engine) sees
 * exactly the stream after the header. A socket that sends something else,
 * too much, or nothing within the timeout, or comes from an address not
 * allowed to send a header, is destroyed with a logged warning carrying a
 * stable code (`ERR_TELNET_PROXY_*`).
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { type ProxyAddress, type ProxyHeader, PROXY_V2_MAX, parseProxyHeader } from '../protocol/proxy-header.js';
import { TelnetUsageError } from '../protocol/errors.js';
import { type Logger, silentLogger } from './logger.js';

/** Options of the PROXY protocol layer (the server's `proxy*` options). */
export interface ProxyProtocolOptions {
  /**
   * Addresses and CIDR blocks (`10.0.0.0/8`, `::1`, `fd00::/8`) allowed to
   * send a header; a connection from anywhere else is refused before a byte
   * is read. Default: any address.
   */
  proxyFrom?: readonly string[];
  /** How long a connection may take to send its header (default 5,000 ms). */
  proxyTimeout?: number;
  logger?: Logger;
}

/** What the layer learned, kept as the connection's `proxy` extra info. */
export interface ProxyInfo {
  version: 1 | 2;
  command: 'proxy' | 'local';
  protocol: ProxyHeader['protocol'];
  /** The real client (null for LOCAL, UNKNOWN or AF_UNIX headers: then `peername` stays the socket's). */
  source: ProxyAddress | null;
  destination: ProxyAddress | null;
  /** The balancer: the socket's own remote end. */
  via: ProxyAddress;
  /** Version 2 TLVs (type and value). */
  tlvs: ProxyHeader['tlvs'];
}

/** Stable codes of a refused connection (in its warning). */
export const ProxyRefusal = {
  MISSING: 'ERR_TELNET_PROXY_MISSING',
  TOO_LONG: 'ERR_TELNET_PROXY_TOO_LONG',
  MALFORMED: 'ERR_TELNET_PROXY_MALFORMED',
  CHECKSUM: 'ERR_TELNET_PROXY_CHECKSUM',
  TIMEOUT: 'ERR_TELNET_PROXY_TIMEOUT',
  /** The socket closed before its header was complete. */
  CLOSED: 'ERR_TELNET_PROXY_CLOSED',
  /** The socket's address is not in `proxyFrom`. */
  FORBIDDEN: 'ERR_TELNET_PROXY_FORBIDDEN',
} as const;

/** Default time allowed for the header. */
export const DEFAULT_PROXY_TIMEOUT = 5000;

/** Build a `net.BlockList` from addresses and CIDR blocks; a bad entry is a usage error. */
export function proxyAllowList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const raw of entries) {
    const e = raw.trim();
    const slash = e.indexOf('/');
    const addr = slash === -1 ? e : e.slice(0, slash);
    const fam = net.isIP(addr);
    const prefix = slash === -1 ? null : Number(e.slice(slash + 1));
    const max = fam === 4 ? 32 : 128;
    if (fam === 0 || (prefix !== null && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max && /^\d+$/.test(e.slice(slash + 1))))) {
      throw new TelnetUsageError(`proxyFrom: ${JSON.stringify(raw)} is not an address or CIDR block`, 'ERR_TELNET_BAD_OPTION');
    }
    const type = fam === 4 ? 'ipv4' : 'ipv6';
    if (prefix === null) list.addAddress(addr, type);
    else list.addSubnet(addr, prefix, type);
  }
  return list;
}

/** True when `address` (as a socket reports it) is in `list`; IPv4-mapped IPv6 addresses match IPv4 entries. */
export function allowedBy(list: net.BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return list.check(mapped[1]!, 'ipv4') || list.check(address, 'ipv6');
  return list.check(address, net.isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Reads PROXY headers for one server. One instance serves every
 * connection; sockets still waiting for their header are tracked so that
 * closing the server ends them too.
 */
export class ProxyProtocolGate {
  private readonly allow: net.BlockList | null;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  /** Sockets waiting for their header, each with its clean-up. */
  private readonly pending = new Map<Socket, () => void>();

  constructor(options: ProxyProtocolOptions) {
    this.allow = options.proxyFrom === undefined ? null : proxyAllowList(options.proxyFrom);
    this.timeoutMs = options.proxyTimeout ?? DEFAULT_PROXY_TIMEOUT;
    this.logger = options.logger ?? silentLogger;
  }

  /** Sockets accepted whose header has not arrived yet. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * Read the header of `socket`, then call `next(socket, info)` with the
   * socket paused and the bytes after the header put back. A refused
   * socket is destroyed and `next` is never called.
   */
  accept(socket: Socket, next: (socket: Socket, info: ProxyInfo) => void): void {
    if (socket.remoteAddress === undefined) {
      // Reset before we saw it (a balancer's connect-only health check): nothing to refuse.
      this.logger.debug('proxy protocol: a connection closed before it was accepted');
      socket.destroy();
      return;
    }
    const via: ProxyAddress = {
      address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
    };
    const who = `${via.address}:${via.port}`;
    if (this.allow !== null && !allowedBy(this.allow, socket.remoteAddress)) {
      this.refuse(socket, ProxyRefusal.FORBIDDEN, `${who} is not allowed to send a PROXY header (proxyFrom)`);
      return;
    }
    let got: Buffer = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      this.pending.delete(socket);
    };
    // A v2 header announces its length: gather that much before parsing again, so a peer
    // sending 64 KiB one byte at a time costs one copy, not one per byte.
    let parts: Buffer[] = [];
    let have = 0;
    let need = 0;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      have += chunk.length;
      if (have < need) return;
      got = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
      parts = [got];
      const r = parseProxyHeader(got);
      if (r.state === 'incomplete') {
        // The parser refuses v1 past 107 bytes; v2 is bounded by its 16-bit length.
        if (got.length > PROXY_V2_MAX) { done(); this.refuse(socket, ProxyRefusal.TOO_LONG, `${who}: PROXY header too long`); return; }
        if (got.length >= 16 && got[0] === 0x0d) need = 16 + got.readUInt16BE(14);
        return;
      }
      done();
      if (r.state === 'error') {
        this.refuse(socket, ProxyRefusal[r.problem], `${who}: ${r.message}`);
        return;
      }
      socket.pause();
      if (r.length < got.length) socket.unshift(got.subarray(r.length));
      const h = r.header;
      const info: ProxyInfo = {
        version: h.version, command: h.command, protocol: h.protocol,
        source: h.command === 'proxy' ? h.source ?? null : null,
        destination: h.command === 'proxy' ? h.destination ?? null : null,
        via, tlvs: h.tlvs,
      };
      next(socket, info);
    };
    const onEnd = (): void => {
      done();
      this.refuse(socket, ProxyRefusal.CLOSED, `${who}: closed before its PROXY header was complete (${got.length} bytes)`);
    };
    const onError = (err: Error): void => {
      done();
      this.logger.debug(`${who}: socket error before the PROXY header: ${err.message}`);
      socket.destroy();
    };
    const timer = setTimeout(() => {
      done();
      this.refuse(socket, ProxyRefusal.TIMEOUT, `${who}: no complete PROXY header within ${this.timeoutMs} ms (${got.length} bytes)`);
    }, this.timeoutMs);
    timer.unref();
    this.pending.set(socket, done);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  }

  /** Destroy every socket still waiting for its header (the server is closing). */
  close(): void {
    for (const [s, done] of [...this.pending]) { done(); s.destroy(); }
  }

  private refuse(socket: Socket, code: string, message: string): void {
    this.logger.warn(`proxy protocol: connection refused, ${code}: ${message}`);
    socket.destroy();
  }
}
