/**
 * Small helpers for driving the pure protocol core in tests.
 *
 * - {@link runSession}: bytes in (as chunks), everything out (data, events, sent bytes).
 * - {@link splitAt}, {@link oneByteChunks}, {@link randomSplits}: re-chunk a stream.
 * - {@link mulberry32}: a tiny seeded PRNG, so no test depends on Math.random.
 * - {@link hex}, {@link describeBytes}, {@link tokenize}: write and read wire bytes.
 * - {@link pair}: a server and a client session back to back through a queue.
 */
import { Cmd, cmdName, optName } from '../../src/protocol/constants.js';
import type { SessionEvent } from '../../src/protocol/events.js';
import type { Role } from '../../src/protocol/negotiator.js';
import { type SessionOptions, TelnetSession } from '../../src/protocol/session.js';

export type { Role };

/** Session options without the role (the role is a separate argument). */
export type SessionOpts = Omit<SessionOptions, 'role'>;

/** A {@link SessionEvent} turned into plain JSON-comparable data (Buffers become hex strings). */
export type JsonEvent = { type: SessionEvent['type'] } & Record<string, unknown>;

/** Deep copy into plain objects and arrays; Buffers become lower-case hex strings. */
export function toJson(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = toJson(x);
    }
    return out;
  }
  return v;
}

/** One event as JSON-comparable data. */
export function eventToJson(ev: SessionEvent): JsonEvent {
  return toJson(ev) as JsonEvent;
}

/**
 * Problem events without their free-text message (`{type, severity, code, option?}`),
 * so that expectations do not depend on wording. Other events are unchanged.
 */
export function stripMessages(events: readonly JsonEvent[]): JsonEvent[] {
  return events.map((e) => {
    if (e.type !== 'problem') return e;
    const p = e['problem'] as Record<string, unknown>;
    const out: JsonEvent = { type: 'problem', severity: p['severity'], code: p['code'] };
    if (p['option'] !== undefined) out['option'] = p['option'];
    return out;
  });
}

/** What a session produced. */
export interface RunResult {
  /** All `onData` spans, concatenated. */
  data: Buffer;
  /** All events, JSON-comparable. */
  events: JsonEvent[];
  /** All `onSend` bytes, concatenated. */
  sent: Buffer;
  /** The session itself, for state checks. */
  session: TelnetSession;
}

/** Hooks around the recorded part of {@link runSession}. */
export interface RunHooks {
  /** Runs before recording starts (its output is discarded): a function, or bytes to feed. */
  setup?: ((s: TelnetSession) => void) | Buffer;
  /** Runs after the last chunk, while still recording (e.g. `s.sendText(...)`). */
  after?: (s: TelnetSession) => void;
}

/** Create a session, run `setup`, then feed `chunks` and record everything. */
export function runSession(role: Role, options: SessionOpts, chunks: readonly Buffer[], hooks: RunHooks = {}): RunResult {
  const s = new TelnetSession({ ...options, role });
  const { setup, after } = hooks;
  if (Buffer.isBuffer(setup)) s.receive(setup);
  else if (setup) setup(s);
  const data: Buffer[] = [];
  const sent: Buffer[] = [];
  const events: JsonEvent[] = [];
  // Copy: spans may be views of the input chunk.
  s.onData = (span) => data.push(Buffer.from(span));
  s.onSend = (bytes) => sent.push(Buffer.from(bytes));
  s.onEvent = (ev) => events.push(eventToJson(ev));
  for (const c of chunks) s.receive(c);
  if (after) after(s);
  return { data: Buffer.concat(data), events, sent: Buffer.concat(sent), session: s };
}

// ------------------------------------------------------------------ chunking

/** Split `buf` at the given offsets (sorted, deduplicated; 0 and out-of-range offsets ignored). */
export function splitAt(buf: Buffer, points: readonly number[]): Buffer[] {
  const cuts = [...new Set(points)].filter((p) => p > 0 && p < buf.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of cuts) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  if (at < buf.length || buf.length === 0) out.push(buf.subarray(at));
  return out;
}

/** One chunk per byte. */
export function oneByteChunks(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

/** mulberry32: a seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n) from a PRNG. */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** `buf` split at `count` seeded random points (fewer if some coincide). */
export function randomSplits(buf: Buffer, seed: number, count: number): Buffer[] {
  const rand = mulberry32(seed);
  const points: number[] = [];
  for (let i = 0; i < count && buf.length > 1; i++) points.push(1 + randInt(rand, buf.length - 1));
  return splitAt(buf, points);
}

// ------------------------------------------------------------------ bytes

/** Parse hex such as `"ff fd 18"` or `"fffd18"` (whitespace ignored). Throws on anything else. */
export function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not an even-length hex string: ${JSON.stringify(s)}`);
  return Buffer.from(clean, 'hex');
}

/** One lexical piece of a Telnet byte stream. */
export type Token =
  | { kind: 'data'; bytes: Buffer; text: Buffer }
  | { kind: 'command'; bytes: Buffer; command: number }
  | { kind: 'negotiation'; bytes: Buffer; verb: number; option: number }
  | { kind: 'sb'; bytes: Buffer; option: number; payload: Buffer }
  | { kind: 'partial'; bytes: Buffer };

/**
 * Split a stream into tokens: data runs (IAC IAC kept as one 0xFF in `text`),
 * two-byte commands, negotiations and whole subnegotiations. An unfinished
 * sequence at the end is one `partial` token. Concatenating `bytes` gives the input back.
 */
export function tokenize(buf: Buffer): Token[] {
  const out: Token[] = [];
  let i = 0;
  let dataStart = -1;
  const text: number[] = [];
  const flush = (end: number): void => {
    if (dataStart >= 0) out.push({ kind: 'data', bytes: buf.subarray(dataStart, end), text: Buffer.from(text) });
    dataStart = -1;
    text.length = 0;
  };
  while (i < buf.length) {
    const b = buf[i]!;
    if (b !== Cmd.IAC || (i + 1 < buf.length && buf[i + 1] === Cmd.IAC)) {
      if (dataStart < 0) dataStart = i;
      text.push(b);
      i += b === Cmd.IAC ? 2 : 1;
      continue;
    }
    flush(i);
    if (i + 1 >= buf.length) {
      out.push({ kind: 'partial', bytes: buf.subarray(i) });
      break;
    }
    const c = buf[i + 1]!;
    if (c >= Cmd.WILL && c <= Cmd.DONT) {
      if (i + 2 >= buf.length) {
        out.push({ kind: 'partial', bytes: buf.subarray(i) });
        break;
      }
      out.push({ kind: 'negotiation', bytes: buf.subarray(i, i + 3), verb: c, option: buf[i + 2]! });
      i += 3;
    } else if (c === Cmd.SB) {
      const payload: number[] = [];
      let j = i + 3;
      let end = -1;
      while (j < buf.length) {
        if (buf[j] === Cmd.IAC && buf[j + 1] === Cmd.IAC) {
          payload.push(Cmd.IAC);
          j += 2;
        } else if (buf[j] === Cmd.IAC && buf[j + 1] === Cmd.SE) {
          end = j + 2;
          break;
        } else {
          payload.push(buf[j]!);
          j += 1;
        }
      }
      if (end < 0 || i + 2 >= buf.length) {
        out.push({ kind: 'partial', bytes: buf.subarray(i) });
        break;
      }
      out.push({ kind: 'sb', bytes: buf.subarray(i, end), option: buf[i + 2]!, payload: Buffer.from(payload) });
      i = end;
    } else {
      out.push({ kind: 'command', bytes: buf.subarray(i, i + 2), command: c });
      i += 2;
    }
  }
  flush(buf.length);
  return out;
}

function quote(bytes: Buffer): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${s}"`;
}

/**
 * Render a stream as readable tokens, e.g.
 * `IAC DO TTYPE, IAC SB NAWS 00 50 00 18 IAC SE, "READY\r\n"` (SB payloads unescaped, in hex).
 */
export function describeBytes(buf: Buffer): string {
  if (buf.length === 0) return '(nothing)';
  return tokenize(buf).map((tok) => {
    switch (tok.kind) {
      case 'data': return quote(tok.text);
      case 'command': return `IAC ${cmdName(tok.command)}`;
      case 'negotiation': return `IAC ${cmdName(tok.verb)} ${optName(tok.option)}`;
      case 'sb': {
        const body = [...tok.payload].map((b) => b.toString(16).padStart(2, '0')).join(' ');
        return `IAC SB ${optName(tok.option)}${body ? ` ${body}` : ''} IAC SE`;
      }
      case 'partial': return `(partial ${tok.bytes.toString('hex')})`;
    }
  }).join(', ');
}

// ------------------------------------------------------------------ pair

/** What one side of a {@link pair} saw. */
export interface PeerLog {
  events: JsonEvent[];
  data: Buffer[];
  /** Bytes this side handed to `onSend`. */
  sentBytes: number;
  /** Bytes delivered to this side. */
  receivedBytes: number;
}

/** Two sessions back to back. */
export interface Pair {
  server: TelnetSession;
  client: TelnetSession;
  serverLog: PeerLog;
  clientLog: PeerLog;
  /** Deliver queued bytes (in order) until nothing is queued; returns deliveries made. Throws past 10,000. */
  pump(): number;
  /** Bytes in flight. */
  queued(): number;
}

/** Most deliveries one {@link Pair.pump} may make before it is declared a negotiation loop. */
export const PUMP_LIMIT = 10_000;

/** A server and a client wired back to back through a FIFO queue of sent chunks. */
export function pair(serverOpts: SessionOpts = {}, clientOpts: SessionOpts = {}): Pair {
  const server = new TelnetSession({ ...serverOpts, role: 'server' });
  const client = new TelnetSession({ ...clientOpts, role: 'client' });
  const serverLog: PeerLog = { events: [], data: [], sentBytes: 0, receivedBytes: 0 };
  const clientLog: PeerLog = { events: [], data: [], sentBytes: 0, receivedBytes: 0 };
  const queue: Array<{ to: TelnetSession; log: PeerLog; bytes: Buffer }> = [];
  server.onSend = (bytes) => {
    serverLog.sentBytes += bytes.length;
    queue.push({ to: client, log: clientLog, bytes: Buffer.from(bytes) });
  };
  client.onSend = (bytes) => {
    clientLog.sentBytes += bytes.length;
    queue.push({ to: server, log: serverLog, bytes: Buffer.from(bytes) });
  };
  server.onData = (span) => serverLog.data.push(Buffer.from(span));
  client.onData = (span) => clientLog.data.push(Buffer.from(span));
  server.onEvent = (ev) => serverLog.events.push(eventToJson(ev));
  client.onEvent = (ev) => clientLog.events.push(eventToJson(ev));
  const pump = (): number => {
    let n = 0;
    while (queue.length > 0) {
      if (++n > PUMP_LIMIT) {
        throw new Error(`pump: more than ${PUMP_LIMIT} deliveries, a negotiation loop? next: ${describeBytes(queue[0]!.bytes)}`);
      }
      const { to, log, bytes } = queue.shift()!;
      log.receivedBytes += bytes.length;
      to.receive(bytes);
    }
    return n;
  };
  return { server, client, serverLog, clientLog, pump, queued: () => queue.reduce((a, q) => a + q.bytes.length, 0) };
}
