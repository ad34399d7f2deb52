/**
 * The PROXY protocol header (HAProxy's "PROXY protocol", versions 1 and 2):
 * a load balancer in TCP mode sends it first on each connection it opens
 * to a backend, to say who the real client is. Pure: bytes in, a verdict
 * out; the engine layer (src/engine/proxy-protocol.ts) feeds it the first
 * chunks of a socket.
 *
 * Version 1 is one text line, at most 107 bytes with its CRLF:
 *   `PROXY TCP4 192.0.2.1 192.0.2.2 56324 23\r\n` (TCP4, TCP6 or UNKNOWN).
 * Version 2 is binary: the 12-byte signature, a version/command byte, a
 * family/transport byte, a 16-bit big-endian length, the addresses, then
 * TLVs (type, 16-bit length, value) up to the length.
 *
 * {@link parseProxyHeader} can be called on any prefix of the stream: it
 * says `incomplete` while the bytes so far may still become a valid
 * header, and `error` as soon as they cannot, so a peer that sends no
 * header (a plain Telnet client) is refused at its first byte.
 */

/** The 12 bytes every version 2 header starts with. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** The longest version 1 line, CRLF included (the specification's limit). */
export const PROXY_V1_MAX = 107;
/** The longest version 2 header: 16 fixed bytes and a 16-bit length. */
export const PROXY_V2_MAX = 16 + 0xffff;

/** Version 2 TLV types (the specification's `PP2_TYPE_*`). */
export const ProxyTlv = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/** One endpoint the header names. */
export interface ProxyAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** A version 2 TLV, its value as sent. */
export interface ProxyTlvEntry {
  type: number;
  value: Buffer;
}

/** A header that parsed. */
export interface ProxyHeader {
  version: 1 | 2;
  /**
   * `proxy`: the connection is relayed for `source`. `local`: the balancer
   * opened it on its own (a health check); use the socket's own address.
   */
  command: 'proxy' | 'local';
  /**
   * The protocol named: `tcp4`, `tcp6` (with addresses), `unknown`
   * (version 1 UNKNOWN, version 2 AF_UNSPEC or a transport other than
   * stream), `unix` (version 2 AF_UNIX: the paths are not kept).
   */
  protocol: 'tcp4' | 'tcp6' | 'unix' | 'unknown';
  /** The real client; absent unless `command` is `proxy` and `protocol` is tcp4/tcp6. */
  source?: ProxyAddress;
  /** The address the client connected to (on the balancer). */
  destination?: ProxyAddress;
  /** Version 2 TLVs in the order sent (empty for version 1). */
  tlvs: ProxyTlvEntry[];
}

/** Stable codes of a refused header (logged as `ERR_TELNET_PROXY_<code>` by the engine). */
export type ProxyHeaderProblem =
  /** The first bytes are neither `PROXY ` nor the version 2 signature. */
  | 'MISSING'
  /** A version 1 line longer than 107 bytes without CRLF. */
  | 'TOO_LONG'
  /** The header's syntax or values are wrong. */
  | 'MALFORMED'
  /** A version 2 CRC32C TLV that does not match the header. */
  | 'CHECKSUM';

/** What {@link parseProxyHeader} found in a buffer. */
export type ProxyParseResult =
  | { state: 'incomplete' }
  | { state: 'done'; header: ProxyHeader; /** bytes the header took; the rest is Telnet */ length: number }
  | { state: 'error'; problem: ProxyHeaderProblem; message: string };

const INCOMPLETE: ProxyParseResult = Object.freeze({ state: 'incomplete' });

function fail(problem: ProxyHeaderProblem, message: string): ProxyParseResult {
  return { state: 'error', problem, message };
}

/** True when `buf` is a prefix of `sig` or starts with it (as far as both go). */
function agrees(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  for (let i = 0; i < n; i++) if (buf[i] !== sig[i]) return false;
  return true;
}

/**
 * Parse the PROXY header at the start of `buf` (the bytes received so far).
 * `incomplete` means: wait for more. The caller bounds the wait (a timeout)
 * and the size (never more than {@link PROXY_V2_MAX} bytes are needed).
 */
export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  if (agrees(buf, PROXY_V2_SIGNATURE)) return buf.length < 16 ? INCOMPLETE : parseV2(buf);
  if (agrees(buf, V1_PREFIX)) return parseV1(buf);
  return fail('MISSING', `no PROXY header: the connection starts with 0x${buf.subarray(0, 8).toString('hex')}`);
}

// ------------------------------------------------------------------ version 1

function parseV1(buf: Buffer): ProxyParseResult {
  // The CR may be at index 105 at the latest: 107 bytes with the CRLF.
  const end = Math.min(buf.length, PROXY_V1_MAX - 1);
  let cr = -1;
  for (let i = V1_PREFIX.length; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x0d) { cr = i; break; }
    // Only printable ASCII belongs in the line: refuse binary at once instead of waiting for 107 bytes.
    if (b < 0x20 || b > 0x7e) return fail('MALFORMED', `byte 0x${b.toString(16).padStart(2, '0')} in a PROXY v1 line`);
  }
  if (cr === -1) {
    return buf.length >= PROXY_V1_MAX - 1 ? fail('TOO_LONG', `PROXY v1 line longer than ${PROXY_V1_MAX} bytes`) : INCOMPLETE;
  }
  if (cr + 1 >= buf.length) return INCOMPLETE;
  if (buf[cr + 1] !== 0x0a) return fail('MALFORMED', 'PROXY v1 line: CR not followed by LF');
  const length = cr + 2;
  const line = buf.toString('latin1', V1_PREFIX.length, cr);
  const parts = line.split(' ');
  const proto = parts[0];
  if (proto === 'UNKNOWN') {
    // "the receiver must ignore anything presented before the CRLF is found"
    return { state: 'done', header: { version: 1, command: 'proxy', protocol: 'unknown', tlvs: [] }, length };
  }
  if (proto !== 'TCP4' && proto !== 'TCP6') return fail('MALFORMED', `PROXY v1: unknown protocol ${JSON.stringify(proto)}`);
  if (parts.length !== 5) return fail('MALFORMED', `PROXY v1 ${proto}: expected 4 fields separated by single spaces, got ${JSON.stringify(line)}`);
  const family = proto === 'TCP4' ? 'IPv4' : 'IPv6';
  const src = proto === 'TCP4' ? canonicalIPv4(parts[1]!) : canonicalIPv6(parts[1]!);
  const dst = proto === 'TCP4' ? canonicalIPv4(parts[2]!) : canonicalIPv6(parts[2]!);
  const sport = parsePort(parts[3]!);
  const dport = parsePort(parts[4]!);
  if (src === null || dst === null) return fail('MALFORMED', `PROXY v1 ${proto}: bad address in ${JSON.stringify(line)}`);
  if (sport === null || dport === null) return fail('MALFORMED', `PROXY v1 ${proto}: bad port in ${JSON.stringify(line)}`);
  return {
    state: 'done',
    length,
    header: {
      version: 1, command: 'proxy', protocol: proto === 'TCP4' ? 'tcp4' : 'tcp6',
      source: { address: src, port: sport, family }, destination: { address: dst, port: dport, family }, tlvs: [],
    },
  };
}

/** A decimal port 0-65535 without sign or leading zeros (as the specification writes them). */
function parsePort(s: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return null;
  const n = Number(s);
  return n <= 0xffff ? n : null;
}

/** Dotted quad, each part 0-255 without leading zeros; returns it unchanged or null. */
function canonicalIPv4(s: string): string | null {
  const p = s.split('.');
  if (p.length !== 4) return null;
  for (const x of p) if (!/^(0|[1-9][0-9]{0,2})$/.test(x) || Number(x) > 255) return null;
  return s;
}

/** An IPv6 text address, as Node writes `remoteAddress` (RFC 5952), or null. */
function canonicalIPv6(s: string): string | null {
  const bytes = ipv6Bytes(s);
  return bytes === null ? null : formatIPv6(bytes);
}

/** The 16 bytes of an IPv6 text address (with `::` and a trailing dotted quad allowed), or null. */
export function ipv6Bytes(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45) return null;
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = canonicalIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    for (const x of v4.split('.')) tail.push(Number(x));
    // Keep the colon: "::1.2.3.4" becomes "::" plus the quad, "a::b:1.2.3.4" keeps "a::b:".
    text = text.slice(0, lastColon + 1);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const group = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const groupsWanted = 8 - tail.length / 2;
  const have = head.length + rest.length;
  if (halves.length === 1 ? have !== groupsWanted : have >= groupsWanted) return null;
  const words = [...head, ...new Array<number>(groupsWanted - have).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  for (let i = 0; i < tail.length; i++) out[12 + i] = tail[i]!;
  return out;
}

/**
 * RFC 5952 text of 16 address bytes: lower-case hex, the longest run of
 * two or more zero groups (the first of equals) as `::`, and IPv4-mapped
 * addresses as `::ffff:a.b.c.d` (as Node reports them).
 */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best === -1) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

// ------------------------------------------------------------------ version 2

function parseV2(buf: Buffer): ProxyParseResult {
  const verCmd = buf[12]!;
  const famProto = buf[13]!;
  const len = buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return fail('MALFORMED', `PROXY v2: version ${verCmd >> 4} (expected 2)`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return fail('MALFORMED', `PROXY v2: unknown command ${cmd}`);
  const fam = famProto >> 4;
  const transport = famProto & 0x0f;
  if (fam > 3 || transport > 2) return fail('MALFORMED', `PROXY v2: unknown family/transport byte 0x${famProto.toString(16)}`);
  if (buf.length < 16 + len) return INCOMPLETE;
  const length = 16 + len;
  const body = buf.subarray(16, length);
  // Address block sizes by family (AF_INET, AF_INET6, AF_UNIX); AF_UNSPEC has none.
  const addrLen = [0, 12, 36, 216][fam]!;
  if (len < addrLen) return fail('MALFORMED', `PROXY v2: length ${len} shorter than the ${addrLen}-byte address block`);
  const tlvs: ProxyTlvEntry[] = [];
  for (let at = addrLen; at < len;) {
    if (at + 3 > len) return fail('MALFORMED', `PROXY v2: truncated TLV at offset ${16 + at}`);
    const type = body[at]!;
    const vlen = body.readUInt16BE(at + 1);
    if (at + 3 + vlen > len) return fail('MALFORMED', `PROXY v2: TLV 0x${type.toString(16)} of ${vlen} bytes runs past the header`);
    tlvs.push({ type, value: Buffer.from(body.subarray(at + 3, at + 3 + vlen)) });
    at += 3 + vlen;
  }
  const crc = tlvs.find((t) => t.type === ProxyTlv.CRC32C);
  if (crc !== undefined) {
    if (crc.value.length !== 4) return fail('MALFORMED', `PROXY v2: CRC32C TLV of ${crc.value.length} bytes`);
    // The checksum covers the whole header with the CRC field itself zeroed.
    const copy = Buffer.from(buf.subarray(0, length));
    const at = crcOffset(copy, addrLen, len);
    copy.fill(0, at, at + 4);
    if (crc32c(copy) !== crc.value.readUInt32BE(0)) return fail('CHECKSUM', 'PROXY v2: CRC32C does not match the header');
  }
  if (cmd === 0) return { state: 'done', length, header: { version: 2, command: 'local', protocol: protocolOf(fam, transport), tlvs } };
  const header: ProxyHeader = { version: 2, command: 'proxy', protocol: protocolOf(fam, transport), tlvs };
  if (transport === 1 && fam === 1) {
    header.source = { address: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`, port: body.readUInt16BE(8), family: 'IPv4' };
    header.destination = { address: `${body[4]}.${body[5]}.${body[6]}.${body[7]}`, port: body.readUInt16BE(10), family: 'IPv4' };
  } else if (transport === 1 && fam === 2) {
    header.source = { address: formatIPv6(body.subarray(0, 16)), port: body.readUInt16BE(32), family: 'IPv6' };
    header.destination = { address: formatIPv6(body.subarray(16, 32)), port: body.readUInt16BE(34), family: 'IPv6' };
  }
  return { state: 'done', length, header };
}

function protocolOf(fam: number, transport: number): ProxyHeader['protocol'] {
  if (transport !== 1) return 'unknown';
  return (['unknown', 'tcp4', 'tcp6', 'unix'] as const)[fam]!;
}

/** Offset in the header of the CRC32C TLV's value. */
function crcOffset(header: Buffer, addrLen: number, len: number): number {
  for (let at = addrLen; at < len;) {
    const type = header[16 + at]!;
    const vlen = header.readUInt16BE(16 + at + 1);
    if (type === ProxyTlv.CRC32C) return 16 + at + 3;
    at += 3 + vlen;
  }
  throw new Error('unreachable: CRC32C TLV not found');
}

let crcTable: Uint32Array | null = null;

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the specification's checksum TLV uses. */
export function crc32c(data: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
