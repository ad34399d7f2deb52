/**
 * The bad-input battery of reliability.md section 4, byte-level part, run
 * against the pure core: B01-B36 toward a server session, C01-C10 toward a
 * client session (and the parser directly where that is the clearer unit).
 *
 * Every scenario is a list of steps (input chunks, calls on the session and
 * section marks). `check()` runs it three times on fresh sessions: with the
 * chunks as written, one byte per `receive()`, and as one concatenated
 * buffer, and asserts the three interleaved logs of data, sent bytes and
 * events are identical and that `receive()` never threw. Each test then
 * asserts the exact safe outcome on the as-written run.
 *
 * Socket-level criteria (RSS of a live process, another connection's
 * greeting latency, closing the socket, output backpressure) belong to the
 * engine; here the core-level part is asserted instead: bounded buffers, the
 * exact events, nothing leaking into data. Memory bounds are checked through
 * `process.memoryUsage().arrayBuffers` after a forced GC when one can be
 * obtained (see `forcedGc`), and through the parser's observable behaviour.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflateSync } from 'node:zlib';
import {
  Cmd,
  Opt,
  TelnetParser,
  TelnetSession,
  type ProtocolProblem,
  type SessionEvent,
  type SessionOptions,
} from '../../src/protocol/index.js';

const { IAC, SB, SE, WILL, WONT, DO, DONT } = Cmd;
const KiB = 1024;
const MiB = 1024 * 1024;

// ------------------------------------------------------------------ bytes

type Part = number | string | Buffer | readonly number[];

/** Bytes from numbers, latin1 strings, buffers and byte arrays. */
function b(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => {
    if (typeof p === 'number') return Buffer.from([p]);
    if (typeof p === 'string') return Buffer.from(p, 'latin1');
    if (Buffer.isBuffer(p)) return p;
    return Buffer.from(p);
  }));
}

/** 0xFF doubled (written here independently of the codec under test). */
function dbl(payload: Buffer): Buffer {
  const out: number[] = [];
  for (const x of payload) {
    out.push(x);
    if (x === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}

/** `IAC SB opt <payload, IAC doubled> IAC SE`. */
function sb(opt: number, ...payload: Part[]): Buffer {
  return b(IAC, SB, opt, dbl(b(...payload)), IAC, SE);
}

function rep(unit: Buffer, n: number): Buffer {
  const out = Buffer.allocUnsafe(unit.length * n);
  for (let i = 0; i < n; i++) unit.copy(out, i * unit.length);
  return out;
}

/** `n` copies of the same chunk as separate steps (no copy of the data). */
function chunks(chunk: Buffer, n: number): Buffer[] {
  return new Array<Buffer>(n).fill(chunk);
}

const hex = (x: Buffer): string => x.toString('hex');

// ------------------------------------------------------------ the harness

type Action = (s: TelnetSession) => void;
type Step = Buffer | Action | { mark: string };
interface Scenario {
  opts: SessionOptions;
  steps: Step[];
}
type Mode = 'asis' | 'bytes' | 'whole';

type Entry =
  | { k: 'data'; b: Buffer; spans: number }
  | { k: 'send'; b: Buffer }
  | { k: 'event'; e: SessionEvent }
  | { k: 'throw'; m: string }
  | { k: 'mark'; name: string; inAt: number };

/** A growable byte buffer, so that one-byte spans do not cost one object each. */
class ByteSink {
  private buf = Buffer.allocUnsafe(64);
  private len = 0;
  spans = 0;

  push(span: Buffer): void {
    const need = this.len + span.length;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    span.copy(this.buf, this.len);
    this.len = need;
    this.spans++;
  }

  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** What a run (or one section of it) produced. */
interface View {
  data: Buffer;
  /** onData calls. */
  dataSpans: number;
  sent: Buffer;
  sends: Buffer[];
  events: SessionEvent[];
  problems: ProtocolProblem[];
  codes: string[];
  throws: string[];
  inBytes: number;
  keys: string[];
}

interface Result extends View {
  log: Entry[];
  session: TelnetSession;
  ms: number;
  /** The section that starts at `{ mark: name }` (`start` = before the first mark). */
  at(name: string): View;
}

function key(e: Entry): string {
  switch (e.k) {
    case 'data':
      return e.b.length <= 512 ? `D:${hex(e.b)}` : `D#${e.b.length}:${createHash('sha256').update(e.b).digest('hex')}`;
    case 'send': return `S:${hex(e.b)}`;
    case 'event': return `E:${JSON.stringify(e.e)}`;
    case 'throw': return `X:${e.m}`;
    case 'mark': return `M:${e.name}@${e.inAt}`;
  }
}

function view(entries: readonly Entry[], inBytes: number): View {
  const data: Buffer[] = [];
  const sends: Buffer[] = [];
  const events: SessionEvent[] = [];
  const throws: string[] = [];
  const keys: string[] = [];
  let dataSpans = 0;
  for (const e of entries) {
    if (e.k === 'mark') continue;
    keys.push(key(e));
    if (e.k === 'data') {
      data.push(e.b);
      dataSpans += e.spans;
    } else if (e.k === 'send') sends.push(e.b);
    else if (e.k === 'event') events.push(e.e);
    else throws.push(e.m);
  }
  const problems = events.flatMap((e) => (e.type === 'problem' ? [e.problem] : []));
  return {
    data: Buffer.concat(data),
    dataSpans,
    sent: Buffer.concat(sends),
    sends,
    events,
    problems,
    codes: problems.map((p) => p.code),
    throws,
    inBytes,
    keys,
  };
}

function* expand(steps: readonly Step[], mode: Mode): Generator<Step> {
  if (mode === 'whole') {
    let pending: Buffer[] = [];
    for (const st of steps) {
      if (Buffer.isBuffer(st)) {
        pending.push(st);
        continue;
      }
      if (pending.length > 0) yield Buffer.concat(pending);
      pending = [];
      yield st;
    }
    if (pending.length > 0) yield Buffer.concat(pending);
    return;
  }
  for (const st of steps) {
    if (mode === 'bytes' && Buffer.isBuffer(st)) {
      for (let i = 0; i < st.length; i++) yield st.subarray(i, i + 1);
    } else {
      yield st;
    }
  }
}

function run(sc: Scenario, mode: Mode): Result {
  const s = new TelnetSession(sc.opts);
  const log: Entry[] = [];
  let sink: ByteSink | null = null;
  const flush = (): void => {
    if (sink !== null) {
      log.push({ k: 'data', b: sink.take(), spans: sink.spans });
      sink = null;
    }
  };
  s.onData = (span) => {
    if (sink === null) sink = new ByteSink();
    sink.push(span);
  };
  s.onSend = (x) => {
    flush();
    log.push({ k: 'send', b: Buffer.from(x) });
  };
  s.onEvent = (e) => {
    flush();
    log.push({ k: 'event', e });
  };
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (err) {
      flush();
      log.push({ k: 'throw', m: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  };
  let inBytes = 0;
  const t0 = performance.now();
  for (const st of expand(sc.steps, mode)) {
    if (Buffer.isBuffer(st)) {
      inBytes += st.length;
      guard(() => s.receive(st));
    } else if (typeof st === 'function') {
      guard(() => st(s));
    } else {
      flush();
      log.push({ k: 'mark', name: st.mark, inAt: inBytes });
    }
  }
  flush();
  const ms = performance.now() - t0;
  const total = inBytes;
  return {
    ...view(log, total),
    log,
    session: s,
    ms,
    at(name: string): View {
      let start = 0;
      let startIn = 0;
      if (name !== 'start') {
        start = log.findIndex((e) => e.k === 'mark' && e.name === name);
        if (start < 0) throw new Error(`no mark ${name}`);
        startIn = (log[start] as { inAt: number }).inAt;
        start += 1;
      }
      let end = log.findIndex((e, i) => i >= start && e.k === 'mark');
      if (end < 0) end = log.length;
      const endIn = end < log.length ? (log[end] as { inAt: number }).inAt : total;
      return view(log.slice(start, end), endIn - startIn);
    },
  };
}

function sameLog(t: Test, a: Result, b2: Result, what: string, extra: { todo?: string } = {}): void {
  const ka = a.log.map(key);
  const kb = b2.log.map(key);
  const n = Math.max(ka.length, kb.length);
  let i = 0;
  while (i < n && ka[i] === kb[i]) i++;
  if (i === n) t.pass(`${what}: identical (${ka.length} log entries)`, extra);
  else t.fail(`${what}: differs at log entry ${i}`, { ...extra, found: kb.slice(i, i + 3), wanted: ka.slice(i, i + 3) });
}

/**
 * Run a scenario as written, one byte per receive() and as one buffer;
 * assert identical logs and (unless told) that nothing threw.
 */
function check(t: Test, sc: Scenario, opts: { allowThrow?: boolean } = {}): Result {
  const asis = run(sc, 'asis');
  sameLog(t, asis, run(sc, 'bytes'), 'replayed one byte per receive()');
  sameLog(t, asis, run(sc, 'whole'), 'replayed as one buffer');
  if (opts.allowThrow !== true) t.same(asis.throws, [], 'receive() never throws');
  return asis;
}

function eventsOf<K extends SessionEvent['type']>(v: View, type: K): Array<Extract<SessionEvent, { type: K }>> {
  return v.events.filter((e): e is Extract<SessionEvent, { type: K }> => e.type === type);
}

/** Decode bytes a session sent, as its peer would (BINARY, so nothing is dropped). */
function wire(bytes: Buffer): { neg: Array<[number, number]>; sbs: Array<{ opt: number; payload: Buffer }>; data: Buffer; cmds: number[] } {
  const neg: Array<[number, number]> = [];
  const sbs: Array<{ opt: number; payload: Buffer }> = [];
  const data: Buffer[] = [];
  const cmds: number[] = [];
  const p = new TelnetParser({
    onData: (d) => data.push(Buffer.from(d)),
    onCommand: (c) => cmds.push(c),
    onNegotiate: (v, o) => neg.push([v, o]),
    onSubnegotiation: (o, pl) => sbs.push({ opt: o, payload: pl }),
    onProblem: (pr) => { throw new Error(`session sent malformed bytes: ${pr.message}`); },
  }, { binary: true, maxSubnegotiation: 64 * MiB });
  p.receive(bytes);
  p.end();
  return { neg, sbs, data: Buffer.concat(data), cmds };
}

/**
 * A forced GC: `global.gc` when node runs with --expose-gc, otherwise the
 * flag is switched on at run time and `gc` taken from a fresh context (the
 * tap config lives in package.json, which this suite may not change).
 * Null when neither works; the memory sub-assertions are then skipped.
 */
function forcedGc(): (() => void) | null {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('gc');
    if (typeof f === 'function') return f as () => void;
  } catch {
    // not available
  }
  return null;
}
const gc = forcedGc();

function arrayBuffers(): number {
  gc!();
  gc!();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Feed `prefix`, then `chunk` `count` times, to a fresh session, and measure
 * the growth of ArrayBuffer memory while the session is still alive and
 * inside the SB. Then close the SB with `IAC SE hello\r\n` and return what
 * that produced.
 */
function memoryRun(t: Test, role: 'server' | 'client', prefix: Buffer, chunk: Buffer, count: number): void {
  const problems: string[] = [];
  const data: Buffer[] = [];
  let threw = 0;
  const s = new TelnetSession({ role });
  s.onEvent = (e) => { if (e.type === 'problem') problems.push(e.problem.code); };
  s.onData = (d) => data.push(Buffer.from(d));
  if (gc === null) {
    t.pass('ArrayBuffer growth', { skip: 'no forced GC available: not measured' });
  } else {
    const before = arrayBuffers();
    try {
      s.receive(prefix);
      for (let i = 0; i < count; i++) s.receive(chunk);
    } catch {
      threw++;
    }
    const grown = arrayBuffers() - before;
    t.ok(grown < MiB, `ArrayBuffer memory grew by ${grown} bytes (< 1 MiB) for ${(chunk.length * count) / MiB} MiB of SB`);
  }
  if (gc === null) {
    s.receive(prefix);
    for (let i = 0; i < count; i++) s.receive(chunk);
  }
  s.receive(b(IAC, SE, 'hello\r\n'));
  t.equal(threw, 0, 'no throw');
  t.same(problems, ['SB_OVERFLOW'], 'one SB_OVERFLOW');
  t.equal(Buffer.concat(data).toString('latin1'), 'hello\r\n', 'then hello\\r\\n arrives intact');
}

/** Telnet data as an independent NVT reader would deliver it (no option changes). */
function nvtData(input: Buffer): Buffer {
  const out: number[] = [];
  let st: 'data' | 'iac' | 'verb' | 'sbopt' | 'sb' | 'sbiac' = 'data';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    switch (st) {
      case 'data':
        if (c === IAC) st = 'iac';
        else if (c !== 0) out.push(c);
        break;
      case 'iac':
        if (c === IAC) {
          out.push(IAC);
          st = 'data';
        } else if (c >= WILL && c <= DONT) st = 'verb';
        else if (c === SB) st = 'sbopt';
        else st = 'data';
        break;
      case 'verb':
        st = 'data';
        break;
      case 'sbopt':
        st = c === IAC ? 'sbiac' : 'sb';
        break;
      case 'sb':
        if (c === IAC) st = 'sbiac';
        break;
      case 'sbiac':
        if (c === IAC) st = 'sb';
        else if (c === SE) st = 'data';
        else {
          st = 'iac';
          i--;
        }
        break;
    }
  }
  return Buffer.from(out);
}

let bombCache: Buffer | null = null;
/** 64 MiB of zeros deflated (about 64 KiB): a zlib bomb for MCCP. */
function zlibBomb(): Buffer {
  bombCache ??= deflateSync(Buffer.alloc(64 * MiB), { level: 9 });
  return bombCache;
}

const server = (extra: Partial<SessionOptions> = {}): SessionOptions => ({ role: 'server', ...extra });
const client = (extra: Partial<SessionOptions> = {}): SessionOptions => ({ role: 'client', ...extra });
const ev = (e: SessionEvent): string => `E:${JSON.stringify(e)}`;
const refusedKey = (side: 'local' | 'remote', option: number): string => ev({ type: 'refused', side, option });

// ------------------------------------------------------------------ B01-B36

t.test('B01 unterminated SB swallows no data', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, SB, Opt.TTYPE, 0, 'xterm'), b('hello\r\n'),
      { mark: 'flood' }, rep(b('hello\r\n'), 3000),
      { mark: 'close' }, b(IAC, SE, 'after\r\n'),
    ],
  });
  const start = r.at('start');
  t.equal(start.data.length, 0, 'hello is not data while the SB is open');
  t.same(start.events, [], 'no event yet');
  t.equal(start.sent.length, 0);
  const flood = r.at('flood');
  t.equal(flood.data.length, 0, 'nothing of 21000 more bytes is data');
  t.same(flood.codes, ['SB_OVERFLOW'], 'one SB_OVERFLOW at the cap');
  t.equal(flood.problems[0]!.severity, 'error');
  t.equal(flood.problems[0]!.option, Opt.TTYPE);
  const close = r.at('close');
  t.equal(close.data.toString('latin1'), 'after\r\n', 'kept in SB-drop state up to IAC SE, then data again');
  t.same(close.events, [], 'the dropped SB is not dispatched');

  // Under the cap, the terminated SB is dispatched as TTYPE: hello was payload.
  const r2 = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.TTYPE), { mark: 'sb' }, b(IAC, SB, Opt.TTYPE, 0, 'xterm'), b('hello\r\n'), b(IAC, SE, 'x')],
  });
  const s2 = r2.at('sb');
  t.equal(s2.data.toString('latin1'), 'x', 'only the bytes after IAC SE are data');
  const names = eventsOf(s2, 'ttype').map((e) => e.name);
  t.equal(names.length, 1);
  t.match(names[0], /^xtermhello/, 'hello was SB payload, not data');
  t.notMatch(names[0], /[\r\n]/, 'CR LF not kept in the name');
  t.same(s2.codes, ['BAD_VALUE']);
});

t.test('B02 1 MiB SB is dropped, not truncated, and later data is intact', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, WILL, Opt.GMCP),
      { mark: 'sb' }, b(IAC, SB, Opt.GMCP), ...chunks(Buffer.alloc(64 * KiB, 'A'), 16), b(IAC, SE),
      { mark: 'after' }, b('hello\r\n'),
    ],
  });
  t.equal(hex(r.at('start').sent), 'fffdc9', 'GMCP agreed, so a truncated dispatch would be visible');
  const s = r.at('sb');
  t.same(s.codes, ['SB_OVERFLOW']);
  t.equal(s.problems[0]!.severity, 'error');
  t.equal(s.problems[0]!.option, Opt.GMCP);
  t.same(eventsOf(s, 'subnegotiation'), [], 'not truncated-and-dispatched');
  t.equal(s.data.length, 0);
  t.equal(s.sent.length, 0);
  const a = r.at('after');
  t.equal(a.data.toString('latin1'), 'hello\r\n');
  t.same(a.events, []);

  // The boundary: exactly 16 KiB is accepted, one more byte is not. (ATCP:
  // an option the core passes through raw; GMCP payloads are decoded.)
  const edge = check(t, {
    opts: server({ passiveDo: [Opt.ATCP] }),
    steps: [
      b(IAC, WILL, Opt.ATCP), { mark: 'max' }, sb(Opt.ATCP, Buffer.alloc(16 * KiB, 'B')),
      { mark: 'over' }, sb(Opt.ATCP, Buffer.alloc(16 * KiB + 1, 'C')),
    ],
  });
  const max = eventsOf(edge.at('max'), 'subnegotiation');
  t.equal(max.length, 1);
  t.equal(max[0]!.payload.length, 16 * KiB, '16384-byte payload dispatched whole');
  t.same(edge.at('over').codes, ['SB_OVERFLOW']);
  t.same(eventsOf(edge.at('over'), 'subnegotiation'), []);
});

t.test('B03 8 MiB unterminated SB: bounded memory, SB-drop state kept', async (t) => {
  const zeros = Buffer.alloc(64 * KiB);
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, SB, Opt.NAWS), ...chunks(zeros, 128), { mark: 'close' }, b(IAC, SE, 'hello\r\n')],
  });
  t.ok(r.ms < 2000, `as-written run took ${r.ms.toFixed(0)} ms (< 2 s)`);
  const s = r.at('start');
  t.same(s.codes, ['SB_OVERFLOW'], 'exactly one SB_OVERFLOW for 8 MiB');
  t.equal(s.problems[0]!.option, Opt.NAWS);
  t.equal(s.data.length, 0);
  t.same(eventsOf(s, 'naws'), []);
  const c = r.at('close');
  t.equal(c.data.toString('latin1'), 'hello\r\n');
  t.same(c.events, [], 'no naws event from the dropped SB');

  // The parser directly: it stays inside the SB until IAC SE.
  const problems: string[] = [];
  const data: Buffer[] = [];
  const p = new TelnetParser({
    onData: (d) => data.push(Buffer.from(d)),
    onCommand: () => t.fail('no command'),
    onNegotiate: () => t.fail('no negotiation'),
    onSubnegotiation: () => t.fail('no subnegotiation'),
    onProblem: (pr) => problems.push(pr.code),
  });
  p.receive(b(IAC, SB, Opt.NAWS));
  for (let i = 0; i < 128; i++) p.receive(zeros);
  t.equal(p.idle, false, 'still inside the SB after 8 MiB');
  p.receive(b(IAC, SE, 'hello\r\n'));
  t.equal(p.idle, true);
  t.same(problems, ['SB_OVERFLOW']);
  t.equal(Buffer.concat(data).toString('latin1'), 'hello\r\n');

  memoryRun(t, 'server', b(IAC, SB, Opt.NAWS), zeros, 128);
});

t.test('B04 4 MiB of escaped IAC inside SB counts toward the cap', async (t) => {
  const pairs = Buffer.alloc(64 * KiB, 0xff); // 32 Ki escaped 0xFF per chunk
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.GMCP), { mark: 'sb' }, b(IAC, SB, Opt.GMCP), ...chunks(pairs, 128), { mark: 'close' }, b(IAC, SE, 'hello\r\n')],
  });
  const s = r.at('sb');
  t.same(s.codes, ['SB_OVERFLOW']);
  t.same(eventsOf(s, 'subnegotiation'), []);
  t.equal(s.data.length, 0, 'no 0xFF leaks into data');
  t.equal(r.at('close').data.toString('latin1'), 'hello\r\n');
  t.same(r.at('close').events, []);

  // Exactly 16384 escaped bytes (32 KiB on the wire) is the cap; one more pair overflows.
  const edge = check(t, {
    opts: server({ passiveDo: [Opt.ATCP] }),
    steps: [
      b(IAC, WILL, Opt.ATCP),
      { mark: 'max' }, b(IAC, SB, Opt.ATCP, Buffer.alloc(2 * 16 * KiB, 0xff), IAC, SE),
      { mark: 'over' }, b(IAC, SB, Opt.ATCP, Buffer.alloc(2 * (16 * KiB + 1), 0xff), IAC, SE),
    ],
  });
  const max = eventsOf(edge.at('max'), 'subnegotiation');
  t.equal(max.length, 1);
  t.ok(max[0]!.payload.equals(Buffer.alloc(16 * KiB, 0xff)), '16384 x 0xFF dispatched');
  t.same(edge.at('over').codes, ['SB_OVERFLOW'], '16385 escaped bytes overflow');

  memoryRun(t, 'server', b(IAC, SB, Opt.GMCP), pairs, 128);
});

t.test('B05 IAC split across chunks parses the same at every split', async (t) => {
  const input = b('abc', IAC, DO, Opt.TTYPE, 'def\r\n');
  const expected = ['D:616263', refusedKey('local', Opt.TTYPE), 'S:fffc18', `D:${hex(b('def\r\n'))}`];
  const base = check(t, { opts: server(), steps: [b('abc', IAC), b(DO, Opt.TTYPE, 'def\r\n')] });
  t.same(base.keys, expected, 'abc, IAC DO TTYPE (refused with WONT), def');
  let same = 0;
  let total = 0;
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) {
      total++;
      const r = run({ opts: server(), steps: [input.subarray(0, i), input.subarray(i, j), input.subarray(j)] }, 'asis');
      if (JSON.stringify(r.keys) === JSON.stringify(expected)) same++;
    }
  }
  t.equal(same, total, `all ${total} two-cut splits give the same log`);
});

t.test('B05 kludge-mode SLC events keep their place in the data at every split', async (t) => {
  const sc: Scenario = { opts: server(), steps: [b(IAC, DO, Opt.ECHO, IAC, DO, Opt.SGA), { mark: 'data' }, b('ab\x03cd')] };
  const whole = check(t, sc);
  const bytes = run(sc, 'bytes');
  t.equal(whole.session.mode, 'kludge');
  t.equal(whole.at('data').data.toString('latin1'), 'ab\x03cd');
  t.ok(bytes.at('data').data.equals(whole.at('data').data), 'same data');
  t.same(eventsOf(bytes.at('data'), 'slc'), eventsOf(whole.at('data'), 'slc'), 'same slc events');
  t.same(eventsOf(whole.at('data'), 'slc'), [{ type: 'slc', func: 3, byte: 3 }], '^C is IP');
  t.same(whole.at('data').keys, [`D:${hex(b('ab'))}`, ev({ type: 'slc', func: 3, byte: 3 }), `D:${hex(b('\x03cd'))}`],
    'the IP event comes after "ab" and before the ^C byte');
});

t.test('B06 dangling IAC then FIN', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [b('hi', IAC), { mark: 'fin' }, (s) => s.end(), { mark: 'late' }, b(IAC, 'x')],
  });
  t.equal(r.at('start').data.toString('latin1'), 'hi', 'hi is delivered before the close');
  t.same(r.at('fin').codes, ['TRUNCATED'], 'the dangling IAC is discarded with a warning');
  t.equal(r.at('fin').data.length, 0, 'the IAC is not data');
  t.same(r.at('late').keys, [], 'input after end() is ignored');
});

t.test('B07 partial SB then FIN', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, SB), { mark: 'fin' }, (s) => s.end(),
    ],
  });
  t.same(r.at('start').keys, []);
  t.same(r.at('fin').codes, ['TRUNCATED']);
  t.equal(r.data.length, 0);
  const r2 = check(t, { opts: server(), steps: [b(IAC, SB, Opt.TTYPE, 0, 'xte'), (s) => s.end()] });
  t.same(r2.codes, ['TRUNCATED']);
  t.equal(r2.problems[0]!.option, Opt.TTYPE);
  t.same(eventsOf(r2, 'ttype'), []);
  t.equal(r2.data.length, 0);
});

/** A server with NAWS agreed and a first 80x24 size, then `bad` under mark `bad` and `ok` data. */
function nawsScenario(bad: Buffer): Scenario {
  return {
    opts: server(),
    steps: [b(IAC, WILL, Opt.NAWS), sb(Opt.NAWS, 0, 80, 0, 24), { mark: 'bad' }, bad, b('ok')],
  };
}

t.test('B08 2-byte NAWS is ignored with BAD_NAWS', async (t) => {
  const r = check(t, nawsScenario(b(IAC, SB, Opt.NAWS, 0x00, 0x50, IAC, SE)));
  t.equal(hex(r.at('start').sent), 'fffd1f');
  t.same(eventsOf(r.at('start'), 'naws'), [{ type: 'naws', cols: 80, rows: 24 }]);
  const bad = r.at('bad');
  t.same(bad.codes, ['BAD_NAWS']);
  t.equal(bad.problems[0]!.option, Opt.NAWS);
  t.same(eventsOf(bad, 'naws'), [], 'size unchanged');
  t.equal(bad.data.toString('latin1'), 'ok', 'nothing of the SB leaks');
});

t.test('B09 6-byte NAWS is ignored with BAD_NAWS', async (t) => {
  const r = check(t, nawsScenario(sb(Opt.NAWS, 0, 100, 0, 40, 0, 1)));
  const bad = r.at('bad');
  t.same(bad.codes, ['BAD_NAWS']);
  t.same(eventsOf(bad, 'naws'), [], 'the first 4 bytes are not taken');
  t.equal(bad.data.toString('latin1'), 'ok');
});

t.test('B10 empty NAWS is ignored with BAD_NAWS', async (t) => {
  const r = check(t, nawsScenario(b(IAC, SB, Opt.NAWS, IAC, SE)));
  const bad = r.at('bad');
  t.same(bad.codes, ['BAD_NAWS']);
  t.same(eventsOf(bad, 'naws'), []);
  t.equal(bad.data.toString('latin1'), 'ok');
});

t.test('B11 NAWS 0x0 and 65535x65535', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, WILL, Opt.NAWS),
      { mark: 'zero' }, b(IAC, SB, Opt.NAWS, 0, 0, 0, 0, IAC, SE),
      { mark: 'max' }, b(IAC, SB, Opt.NAWS, IAC, IAC, IAC, IAC, IAC, IAC, IAC, IAC, IAC, SE),
    ],
  });
  t.same(r.at('zero').events, [{ type: 'naws', cols: 0, rows: 0 }], '0x0 reported as 0 (unknown size)');
  t.same(r.at('max').events, [{ type: 'naws', cols: 65535, rows: 65535 }], 'doubled FF undone: 65535x65535, not garbage');
  t.same(r.codes, []);
  t.equal(r.data.length, 0);
});

t.test('B12 unknown options are refused exactly once each', async (t) => {
  const r = check(t, { opts: server(), steps: [b(IAC, DO, 0x99, IAC, WILL, 0x99, IAC, DO, 0xfe, IAC, WILL, 0xfe)] });
  t.equal(hex(r.sent), 'fffc99fffe99fffcfefffefe');
  t.equal(r.sends.length, 4);
  t.same(eventsOf(r, 'refused'), [
    { type: 'refused', side: 'local', option: 0x99 },
    { type: 'refused', side: 'remote', option: 0x99 },
    { type: 'refused', side: 'local', option: 0xfe },
    { type: 'refused', side: 'remote', option: 0xfe },
  ]);
  t.same(r.session.enabledOptions('local'), []);
  t.same(r.session.enabledOptions('remote'), []);
  t.same(r.session.pendingRequests(), []);
});

t.test('B13 WILL/WONT storm: output never exceeds input', async (t) => {
  const echo = check(t, { opts: server(), steps: [rep(b(IAC, WILL, Opt.ECHO, IAC, WONT, Opt.ECHO), 20000)] });
  t.equal(echo.sent.length, 60000);
  t.ok(echo.sent.equals(rep(b(IAC, DONT, Opt.ECHO), 20000)), 'each refused WILL ECHO gets one DONT; WONT in state NO gets nothing');
  t.ok(echo.sent.length <= echo.inBytes, `output ${echo.sent.length} <= input ${echo.inBytes}`);
  t.equal(echo.data.length, 0);

  const sga = check(t, { opts: server(), steps: [rep(b(IAC, WILL, Opt.SGA, IAC, WONT, Opt.SGA), 20000)] });
  t.ok(sga.sent.equals(rep(b(IAC, DO, Opt.SGA, IAC, DONT, Opt.SGA), 20000)), 'one reply per real state change');
  t.ok(sga.sent.length <= sga.inBytes, `output ${sga.sent.length} <= input ${sga.inBytes}`);
  t.equal(eventsOf(sga, 'option').length, 40000);
  t.equal(sga.session.remoteEnabled(Opt.SGA), false);
});

t.test('B13 WILL/WONT storm on options with automatic requests stays within input + a constant', async (t) => {
  // Each option's automatic request (TTYPE SEND, NEW_ENVIRON SEND, LINEMODE
  // MODE, STATUS SEND, LFLOW) may go out once; re-enabling it 20000 times
  // must not re-send it each time.
  for (const opt of [Opt.NEW_ENVIRON, Opt.TTYPE, Opt.LINEMODE, Opt.STATUS, Opt.LFLOW]) {
    const r = check(t, { opts: server(), steps: [rep(b(IAC, WILL, opt, IAC, WONT, opt), 20000)] });
    t.ok(r.sent.length <= r.inBytes + 256, `option ${opt}: output ${r.sent.length} <= input ${r.inBytes} + 256`);
    t.equal(eventsOf(r, 'option').length, 40000, 'every toggle still takes effect');
  }
});

t.test('B14 DO TTYPE x 5000 to a server', async (t) => {
  const r = check(t, { opts: server(), steps: [rep(b(IAC, DO, Opt.TTYPE), 5000)] });
  t.equal(hex(r.sends[0]!), 'fffc18', 'the first DO TTYPE is refused with WONT');
  t.ok(r.sent.length <= r.inBytes, `output ${r.sent.length} <= input ${r.inBytes}: never amplified`);
  // RFC 1143: every DO received in state NO is a new request and gets its
  // WONT, so the answer is 1:1 (reliability.md allows "at most 1:1").
  t.ok(r.sent.equals(rep(b(IAC, WONT, Opt.TTYPE), 5000)), 'at most 1:1 (3 bytes per 3 bytes)');
  t.equal(r.session.localEnabled(Opt.TTYPE), false);
});

t.test('B14 repeats of a refused DO TTYPE get no reply', async (t) => {
  const todo = 'doubtful: the core answers every repeated DO TTYPE with WONT (RFC 1143 NO-state rule, 1:1); '
    + 'the brief expects silence after the first WONT';
  const r = run({ opts: server(), steps: [rep(b(IAC, DO, Opt.TTYPE), 5000)] }, 'asis');
  t.equal(r.sends.length, 1, 'WONT TTYPE once, then silence', { todo });
});

t.test('B15 SE outside SB and empty SB are ignored', async (t) => {
  const r = check(t, { opts: server(), steps: [b(IAC, SE), b(IAC, SB, IAC, SE), b('hello')] });
  t.same(r.codes, ['SE_WITHOUT_SB', 'EMPTY_SB']);
  t.equal(r.data.toString('latin1'), 'hello');
  t.equal(r.data.indexOf(SE), -1, '0xF0 never in data');
  t.equal(r.sent.length, 0);
  t.same(r.events.filter((e) => e.type !== 'problem'), []);
});

const cve = sb(Opt.NEW_ENVIRON, 0, 0, 'USER', 1, '-f root');

t.test('B16 unsolicited NEW_ENVIRON IS USER="-f root"', async (t) => {
  const envBefore = JSON.stringify(process.env);
  const r = check(t, { opts: server(), steps: [cve, b('x')] });
  t.same(eventsOf(r, 'environ'), [], 'no environ event: NEW_ENVIRON not agreed');
  t.same(r.codes, ['UNSOLICITED_SB']);
  t.equal(r.problems[0]!.option, Opt.NEW_ENVIRON);
  t.equal(r.sent.length, 0);
  t.equal(r.data.toString('latin1'), 'x', 'nothing of the SB leaks');

  // After agreement USER (in the default allow-list) is an inert, frozen string.
  const agreed = check(t, { opts: server(), steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, cve] });
  t.equal(hex(agreed.at('start').sent.subarray(0, 7)), 'fffd27fffa2701', 'DO NEW_ENVIRON then SEND');
  const env = eventsOf(agreed.at('is'), 'environ');
  t.equal(env.length, 1);
  const vars = env[0]!.vars;
  t.same({ ...vars }, { USER: '-f root' });
  t.equal(typeof vars.USER, 'string');
  t.ok(Object.isFrozen(vars), 'frozen');
  t.throws(() => { (vars as Record<string, string>).USER = 'root'; }, TypeError, 'cannot be modified');
  t.equal(vars.USER, '-f root');
  t.equal(JSON.stringify(process.env), envBefore, 'process.env untouched');

  // With TERM as the only allowed name, USER is dropped.
  const strict = check(t, { opts: server({ environAllow: ['TERM'] }), steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, cve] });
  t.same(eventsOf(strict.at('is'), 'environ').map((e) => [{ ...e.vars }, e.dropped]), [[{}, ['USER']]]);
});

t.test('B17 NEW_ENVIRON IS: only allow-listed names reach the app', async (t) => {
  const is = sb(Opt.NEW_ENVIRON, 0,
    0, 'LD_PRELOAD', 1, '/tmp/evil.so',
    0, 'LD_LIBRARY_PATH', 1, '/tmp',
    0, 'PATH', 1, '/tmp/bin',
    0, 'IFS', 1, '/',
    3, 'CREDENTIALS_DIRECTORY', 1, '/tmp/creds',
    0, 'TERM', 1, 'xterm-256color');
  const envBefore = JSON.stringify(process.env);
  const r = check(t, { opts: server(), steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, is] });
  const env = eventsOf(r.at('is'), 'environ');
  t.equal(env.length, 1);
  const { vars, dropped } = env[0]!;
  t.same(Object.keys(vars), ['TERM'], 'only TERM');
  t.equal(vars.TERM, 'xterm-256color');
  t.same(dropped, ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH', 'IFS', 'CREDENTIALS_DIRECTORY'], 'the rest reported as dropped');
  t.ok(Object.isFrozen(vars));
  t.throws(() => { Object.defineProperty(vars, 'PATH', { value: '/tmp' }); }, TypeError, 'no property can be added');
  t.throws(() => { (vars as Record<string, string>).LD_PRELOAD = 'x'; }, TypeError);
  t.throws(() => { delete (vars as Record<string, string>).TERM; }, TypeError);
  t.equal(vars.LD_PRELOAD, undefined);
  t.equal(JSON.stringify(process.env), envBefore, 'process.env untouched');
  t.same(r.at('is').codes, []);
});

t.test('B18 NEW_ENVIRON IS with 20000 vars', async (t) => {
  const body: Buffer[] = [b(0)];
  for (let i = 0; i < 20000; i++) body.push(b(0, `VAR${i}`, 1, `value${i}`));
  const big = sb(Opt.NEW_ENVIRON, Buffer.concat(body));
  t.ok(big.length > 300 * KiB);
  const r = check(t, { opts: server(), steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, big, b('ok')] });
  const s = r.at('is');
  t.same(s.codes, ['SB_OVERFLOW'], 'beyond the SB cap: dropped');
  t.same(eventsOf(s, 'environ'), []);
  t.equal(s.data.toString('latin1'), 'ok');

  // Under the byte cap, the variable-count cap (64) applies.
  const allow = Array.from({ length: 100 }, (_, i) => `V${i}`);
  const hundred: Part[] = [0];
  for (const n of allow) hundred.push(0, n, 1, 'x');
  const r2 = check(t, { opts: server({ environAllow: allow }), steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, sb(Opt.NEW_ENVIRON, ...hundred)] });
  const env = eventsOf(r2.at('is'), 'environ');
  t.equal(env.length, 1);
  t.same(Object.keys(env[0]!.vars), allow.slice(0, 64), 'the first 64 variables kept');
  t.same(r2.at('is').codes, ['TOO_MANY'], 'one TOO_MANY warning for the cut');
  t.match(r2.at('is').problems[0]!.message, /64/);
});

t.test('B19 lenient NEW_ENVIRON IS parse', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.NEW_ENVIRON), { mark: 'is' }, sb(Opt.NEW_ENVIRON, 0, 1, 'orphan', 0, 0, 0, 'USER', 1, 'bob', 2)],
  });
  const s = r.at('is');
  const env = eventsOf(s, 'environ');
  t.equal(env.length, 1);
  t.same({ ...env[0]!.vars }, { USER: 'bob' });
  t.same(env[0]!.dropped, []);
  t.same(s.codes, ['BAD_SB', 'BAD_SB', 'BAD_SB'], 'trailing ESC, orphan VALUE and empty names each warned');
  t.equal(s.sent.length, 0);
});

t.test('B20 hostile TTYPE IS', async (t) => {
  const hostile = b('xterm', 0x1b, '[2J', 0x00, 0xc3, 0x28, 0xff, 0xfe);
  const huge = Buffer.alloc(64 * KiB);
  for (let i = 0; i < huge.length; i += hostile.length) hostile.copy(huge, i);
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.TTYPE), { mark: 'huge' }, sb(Opt.TTYPE, 0, huge), { mark: 'short' }, sb(Opt.TTYPE, 0, hostile)],
  });
  t.equal(hex(r.at('start').sent), 'fffd18fffa1801fff0', 'DO TTYPE, SEND');
  const h = r.at('huge');
  t.same(h.codes, ['SB_OVERFLOW'], '64 KiB name dropped');
  t.same(eventsOf(h, 'ttype'), []);
  t.equal(h.data.length, 0);
  const s = r.at('short');
  const tt = eventsOf(s, 'ttype');
  t.equal(tt.length, 1);
  t.match(tt[0]!.name, /^xterm/, 'the name is kept, sanitised');
  t.match(tt[0]!.name, /^[A-Za-z0-9._+\-/ ]*$/, 'only [A-Za-z0-9._+-/ ]: no ESC, NUL, CSI or 8-bit bytes');
  t.notMatch(tt[0]!.name, /\x1b\[/);
  t.same(s.codes, ['BAD_VALUE']);
  t.equal(hex(s.sent), 'fffa1801fff0', 'asks for the next name');
});

/** SLC replies among sent bytes, as triplet counts. */
function slcReplies(sent: Buffer): Buffer[] {
  return wire(sent).sbs.filter((x) => x.opt === Opt.LINEMODE && x.payload[0] === 3).map((x) => x.payload);
}

function slcFlood(kind: 'mixed' | 'range'): Buffer {
  const body: number[] = [3];
  for (let i = 0; i < 200; i++) {
    if (kind === 'range') body.push(31 + i, 2, 0x41);
    else if (i === 0) body.push(0, 3, 0);
    else body.push(1 + (i % 60), [2, 1, 0, 3][i % 4]!, (i * 13 + 1) & 0xff);
  }
  return sb(Opt.LINEMODE, body);
}

t.test('B21 200 SLC triplets: the reply is bounded by the table', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.LINEMODE), { mark: 'mixed' }, slcFlood('mixed'), { mark: 'range' }, slcFlood('range')],
  });
  t.equal(hex(r.at('start').sent), 'fffd22fffa220110fff0', 'DO LINEMODE, MODE LIT_ECHO');
  const mixed = slcReplies(r.at('mixed').sent);
  t.ok(mixed.length >= 1, 'answered');
  for (const p of mixed) {
    t.ok(p.length - 1 <= 90, `SLC reply holds ${(p.length - 1) / 3} triplets (<= 30, <= 90 bytes)`);
    t.equal((p.length - 1) % 3, 0);
  }
  const range = slcReplies(r.at('range').sent);
  t.equal(range.length, 1);
  const expected: number[] = [3];
  for (let f = 31; f <= 60; f++) expected.push(f, 0, 0);
  t.equal(hex(range[0]!), hex(Buffer.from(expected)), '200 out-of-range functions: exactly 30 NOSUPPORT answers');
  t.equal(r.data.length, 0);

  // Each (0, DEFAULT, 0) asks for the whole table again: 9 bytes in, about 54 out.
  const again = run({ opts: server(), steps: [b(IAC, WILL, Opt.LINEMODE), { mark: 'many' }, rep(sb(Opt.LINEMODE, 3, 0, 3, 0), 1000)] }, 'asis');
  const many = again.at('many');
  t.ok(slcReplies(many.sent).every((p) => p.length - 1 <= 90), 'every reply within the table');
  t.ok(many.sent.length <= many.inBytes + 256, `1000 SLC table requests: output ${many.sent.length} <= input ${many.inBytes} + 256`, {
    todo: 'doubtful: every (0, SLC_DEFAULT, 0) is answered with the whole table (RFC 1184), a ~6x amplification per request',
  });

  // LINEMODE refused: DONT LINEMODE and the SB dropped.
  const off = check(t, { opts: server({ alwaysDont: [Opt.LINEMODE] }), steps: [b(IAC, WILL, Opt.LINEMODE), { mark: 'sb' }, slcFlood('mixed')] });
  t.equal(hex(off.at('start').sent), 'fffe22');
  t.same(off.at('sb').codes, ['UNSOLICITED_SB']);
  t.equal(off.at('sb').sent.length, 0);
});

t.test('B22 SLC payload not a multiple of 3', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      { mark: 'unsolicited' }, b(IAC, SB, Opt.LINEMODE, 3, 1, 2, IAC, SE),
      b(IAC, WILL, Opt.LINEMODE), { mark: 'partial' }, b(IAC, SB, Opt.LINEMODE, 3, 1, 2, IAC, SE),
      { mark: 'one' }, b(IAC, SB, Opt.LINEMODE, 3, 3, 2, 5, 1, 2, IAC, SE), b('ok'),
    ],
  });
  t.same(r.at('unsolicited').codes, ['UNSOLICITED_SB']);
  const p = r.at('partial');
  t.same(p.codes, ['BAD_SB']);
  t.match(p.problems[0]!.message, /partial triplet/);
  t.equal(p.sent.length, 0, 'nothing to answer');
  const one = r.at('one');
  t.same(one.codes, ['BAD_SB'], 'the whole triplet is processed, the tail warned');
  t.equal(hex(one.sent), hex(sb(Opt.LINEMODE, 3, 3, 0x82, 5)), 'IP set to ^E and ACKed');
  t.equal(one.data.toString('latin1'), 'ok');
});

function charsetRequest(names: readonly string[], sep = ';'): Buffer {
  return sb(Opt.CHARSET, 1, sep, names.join(sep));
}

t.test('B23 CHARSET REQUEST with 5000 names, empty REQUEST, unsolicited ACCEPTED', async (t) => {
  const isCharsetSupported = (n: string): boolean => n === 'utf-8' || n === 'latin1';
  const names = Array.from({ length: 5000 }, (_, i) => `x-cs-${i}`);
  names[100] = 'UTF-8';
  const req = charsetRequest(names);
  const r = check(t, {
    opts: server({ maxSubnegotiation: 4 * MiB, isCharsetSupported }),
    steps: [
      { mark: 'unsolicited' }, sb(Opt.CHARSET, 2, 'x-nonexistent-charset'),
      { mark: 'agree' }, b(IAC, DO, Opt.CHARSET),
      { mark: 'accepted' }, sb(Opt.CHARSET, 2, 'x-nonexistent-charset'),
      { mark: 'big' }, req,
      { mark: 'empty' }, b(IAC, SB, Opt.CHARSET, 1, IAC, SE),
      { mark: 'nosep' }, sb(Opt.CHARSET, 1, 'UTF-8'),
    ],
  });
  t.same(r.at('unsolicited').codes, ['UNSOLICITED_SB'], 'CHARSET not enabled: ignored');
  t.equal(r.at('unsolicited').sent.length, 0);
  t.equal(hex(r.at('agree').sent), 'fffb2a', 'WILL CHARSET');
  const acc = r.at('accepted');
  t.same(acc.codes, ['UNSOLICITED_SB'], 'ACCEPTED without our REQUEST: ignored with a warning');
  t.same(eventsOf(acc, 'charset'), [], 'encoding unchanged');
  t.equal(acc.sent.length, 0);
  const big = r.at('big');
  t.equal(hex(big.sent), hex(sb(Opt.CHARSET, 2, 'UTF-8')), 'picks UTF-8 from 5000 names');
  t.same(eventsOf(big, 'charset'), [{ type: 'charset', charset: 'UTF-8' }]);
  t.same(big.codes, ['TOO_MANY'], 'the name cap is reported');
  t.equal(hex(r.at('empty').sent), hex(sb(Opt.CHARSET, 3)), 'empty REQUEST -> REJECTED');
  t.equal(hex(r.at('nosep').sent), hex(sb(Opt.CHARSET, 3)), 'REQUEST without a real separator -> REJECTED');

  // Linear time: 5000 and 50000 names well under 1 s.
  for (const n of [5000, 50000]) {
    const list = Array.from({ length: n }, (_, i) => `x-charset-${i}`);
    list.push('UTF-8');
    const timed = run({ opts: server({ maxSubnegotiation: 4 * MiB, isCharsetSupported }), steps: [b(IAC, DO, Opt.CHARSET), charsetRequest(list)] }, 'asis');
    t.ok(timed.ms < 1000, `${n} names handled in ${timed.ms.toFixed(1)} ms`);
    t.equal(hex(timed.sends[timed.sends.length - 1]!), hex(sb(Opt.CHARSET, 3)), 'UTF-8 beyond the name cap: REJECTED');
  }

  // With the default 16 KiB cap the 5000-name REQUEST is an SB overflow.
  const capped = check(t, { opts: server(), steps: [b(IAC, DO, Opt.CHARSET), { mark: 'big' }, req] });
  t.same(capped.at('big').codes, ['SB_OVERFLOW']);
  t.equal(capped.at('big').sent.length, 0);
});

t.test('B23 a server picks only from its own charset list', async (t) => {
  const r = check(t, { opts: server(), steps: [b(IAC, DO, Opt.CHARSET), { mark: 'req' }, charsetRequest(['x-nonexistent-charset', 'UTF-8'])] });
  t.equal(hex(r.at('req').sent), hex(sb(Opt.CHARSET, 2, 'UTF-8')), 'ACCEPTED UTF-8 from our own list');
});

t.test('B23 a charset name with a space does not make receive() throw', async (t) => {
  const r = check(t, { opts: server(), steps: [b(IAC, DO, Opt.CHARSET), { mark: 'req' }, b(charsetRequest(['UTF 8']), 'after')] });
  t.same(r.throws, [], 'receive() does not throw');
  t.equal(r.at('req').data.toString('latin1'), 'after', 'the rest of the chunk is processed');
  t.equal(hex(r.at('req').sent), hex(sb(Opt.CHARSET, 3)), 'REJECTED');
});

t.test('B24 invalid UTF-8 in data is delivered as raw bytes', async (t) => {
  const r = check(t, { opts: server(), steps: [b(0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, IAC, IAC, 0xfe, '\r\n')] });
  t.equal(hex(r.data), 'c328a0a1f0288cbcfffe0d0a', 'raw bytes; FF FF is one 0xFF');
  t.same(r.events, []);
  t.equal(r.sent.length, 0);
});

t.test('B25 CR/NUL handling is independent of chunking', async (t) => {
  const parts = [b('a\rb\r\n'), b('c\r\0d\r\n'), b('e\r'), b('\nf\0\0\r\r\n')];
  const all = Buffer.concat(parts);
  const nvt = check(t, { opts: server(), steps: parts });
  t.equal(nvt.data.toString('latin1'), 'a\rb\r\nc\rd\r\ne\r\nf\r\r\n', 'NVT: NULs dropped, CR NUL = CR, CRs passed through');
  const bin = check(t, { opts: server(), steps: [b(IAC, WILL, Opt.BINARY), { mark: 'data' }, ...parts] });
  t.equal(hex(bin.at('start').sent), 'fffd00');
  t.ok(bin.at('data').data.equals(all), 'BINARY: every byte unchanged');
  let ok = 0;
  for (let i = 0; i <= all.length; i++) {
    const n = run({ opts: server(), steps: [all.subarray(0, i), all.subarray(i)] }, 'asis');
    const bi = run({ opts: server(), steps: [b(IAC, WILL, Opt.BINARY), all.subarray(0, i), all.subarray(i)] }, 'asis');
    if (n.data.equals(nvt.data) && bi.data.equals(bin.data)) ok++;
  }
  t.equal(ok, all.length + 1, 'same data at every split, in both modes');
});

t.test('B26 EC/EL/AYT/IP/BRK/DM/AO before any line, 1000 NOPs, then hello', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, 0xf7, IAC, 0xf8, IAC, 0xf6, IAC, 0xf4, IAC, 0xf3, IAC, 0xf2, IAC, 0xf5), rep(b(IAC, 0xf1), 1000), b('hello\r\n')],
  });
  const cmds = [Cmd.EC, Cmd.EL, Cmd.AYT, Cmd.IP, Cmd.BRK, Cmd.DM, Cmd.AO];
  const expected = [
    ...cmds.map((c) => ev({ type: 'command', command: c })),
    ...new Array<string>(1000).fill(ev({ type: 'command', command: Cmd.NOP })),
    `D:${hex(b('hello\r\n'))}`,
  ];
  t.same(r.keys, expected, 'command events in order, NOPs, then hello\\r\\n');
  t.equal(r.sent.length, 0, 'the core answers nothing itself (AYT reply is the engine\'s)');
});

t.test('B27 ENCRYPT refused, its SBs dropped whatever their length', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, WILL, Opt.ENCRYPT, IAC, DO, Opt.ENCRYPT),
      { mark: 'sb' }, sb(Opt.ENCRYPT, 7, Buffer.alloc(255, 'K')), sb(Opt.ENCRYPT, 8, Buffer.alloc(255, 'K')),
      { mark: 'long' }, sb(Opt.ENCRYPT, 7, Buffer.alloc(100 * KiB, 'K')), b('ok'),
    ],
  });
  t.equal(hex(r.at('start').sent), 'fffe26fffc26', 'DONT ENCRYPT, WONT ENCRYPT');
  t.same(r.at('sb').codes, ['UNSOLICITED_SB', 'UNSOLICITED_SB']);
  t.same(r.at('long').codes, ['SB_OVERFLOW']);
  t.equal(r.data.toString('latin1'), 'ok');
  t.equal(r.at('sb').sent.length + r.at('long').sent.length, 0);
  t.same(eventsOf(r, 'subnegotiation'), []);
});

t.test('B28 AUTHENTICATION refused, its SBs dropped', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [
      b(IAC, WILL, Opt.AUTHENTICATION, IAC, DO, Opt.AUTHENTICATION),
      { mark: 'sb' }, sb(Opt.AUTHENTICATION, 0, 0x99, 0x99, Buffer.alloc(3000, 'G')), sb(Opt.AUTHENTICATION, 3, Buffer.alloc(3000, 'N')), b('ok'),
    ],
  });
  t.equal(hex(r.at('start').sent), 'fffe25fffc25', 'DONT AUTHENTICATION, WONT AUTHENTICATION');
  t.same(r.at('sb').codes, ['UNSOLICITED_SB', 'UNSOLICITED_SB']);
  t.equal(r.at('sb').sent.length, 0);
  t.equal(r.data.toString('latin1'), 'ok');
});

t.test('B29 unsolicited MCCP3 start: following bytes are plain data', async (t) => {
  const garbage = b(0x01, 0x02, 'garbage, not zlib', 0x80, 0xfe, 0x9c, '\r\n');
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, DO, Opt.MCCP3, IAC, WILL, Opt.MCCP3), { mark: 'sb' }, b(IAC, SB, Opt.MCCP3, IAC, SE), garbage],
  });
  t.equal(hex(r.at('start').sent), 'fffc57fffe57', 'WONT MCCP3, DONT MCCP3: never offered');
  const s = r.at('sb');
  t.same(s.codes, ['UNSOLICITED_SB']);
  t.equal(s.problems[0]!.option, Opt.MCCP3);
  t.ok(s.data.equals(garbage), 'no inflate: the bytes are data as they are');
});

t.test('B30 MCCP3 zip bomb when MCCP3 is not offered', async (t) => {
  const bomb = zlibBomb();
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, DO, Opt.MCCP3), { mark: 'sb' }, b(IAC, SB, Opt.MCCP3, IAC, SE), bomb],
  });
  t.equal(hex(r.at('start').sent), 'fffc57', 'WONT MCCP3');
  const s = r.at('sb');
  t.equal(s.codes[0], 'UNSOLICITED_SB');
  t.same(eventsOf(s, 'option'), [], 'no option changed by the compressed bytes');
  t.ok(s.data.length <= bomb.length, `data ${s.data.length} <= ${bomb.length} compressed bytes: nothing inflated`);
  t.ok(s.data.equals(nvtData(bomb)), 'the compressed bytes are read as plain Telnet data');
});

t.test('B31 STATUS SEND x 2000 and a bogus STATUS IS', async (t) => {
  const sends = rep(sb(Opt.STATUS, 1), 2000);
  const bogus = sb(Opt.STATUS, 0, WILL, Opt.ECHO, DO, Opt.SGA, SB, Opt.TTYPE, 0, 'x', SE, 0x99);
  const off = check(t, { opts: server(), steps: [sends, bogus] });
  t.equal(off.sent.length, 0, 'STATUS not agreed: all dropped');
  t.equal(off.codes.length, 2001);
  t.ok(off.codes.every((c) => c === 'UNSOLICITED_SB'));

  const on = check(t, { opts: server(), steps: [b(IAC, DO, Opt.STATUS), { mark: 'send' }, sends, { mark: 'is' }, bogus] });
  t.equal(hex(on.at('start').sent), 'fffb05', 'WILL STATUS');
  const s = on.at('send');
  t.ok(s.sent.equals(rep(sb(Opt.STATUS, 0), 2000)), 'one IS per SEND');
  t.ok(on.sent.length <= on.inBytes, `output ${on.sent.length} <= input ${on.inBytes}`);
  const is = on.at('is');
  t.same(is.codes, ['UNSOLICITED_SB'], "the peer's IS is ignored (we never sent DO STATUS)");
  t.same(eventsOf(is, 'option'), [], 'and changes nothing');
  t.equal(is.sent.length, 0);
  t.same(on.session.enabledOptions('local'), [Opt.STATUS]);
  t.same(on.session.enabledOptions('remote'), []);

  // Replies larger than a SEND: the credit keeps total STATUS output <= input.
  const many = b(IAC, DO, Opt.STATUS, IAC, DO, Opt.BINARY, IAC, DO, Opt.SGA, IAC, DO, Opt.EOR, IAC, DO, Opt.ECHO,
    IAC, WILL, Opt.BINARY, IAC, WILL, Opt.SGA, IAC, WILL, Opt.EOR);
  // check() also asserts the credit does not depend on chunking (a big chunk
  // must not lend credit from its own later bytes).
  const rated = check(t, { opts: server(), steps: [many, { mark: 'send' }, rep(sb(Opt.STATUS, 1), 200)] });
  const rs = rated.at('send');
  const statusBytes = wire(rs.sent).sbs.reduce((n, x) => n + x.payload.length + 5, 0);
  t.ok(statusBytes <= rated.inBytes, `STATUS replies ${statusBytes} bytes <= input ${rated.inBytes}`);
  t.ok(rs.codes.length > 0 && rs.codes.every((c) => c === 'TOO_MANY'), 'SENDs beyond the credit are refused with TOO_MANY');
});

t.test('B32 DO TM x 20000: 1:1 WILL TM', async (t) => {
  const r = check(t, { opts: server(), steps: [rep(b(IAC, DO, Opt.TM), 20000)] });
  t.ok(r.sent.equals(rep(b(IAC, WILL, Opt.TM), 20000)), 'one WILL TM per DO TM');
  t.equal(r.sent.length, r.inBytes, 'output == input: no amplification (backpressure is the engine\'s)');
  t.equal(eventsOf(r, 'timingMark').length, 20000);
  t.equal(r.session.localEnabled(Opt.TM), false, 'TM never stays enabled');
});

t.test('B33 8 MiB with no newline: spans, linear work', async (t) => {
  const xs = Buffer.alloc(64 * KiB, 'x');
  const r = check(t, { opts: server(), steps: chunks(xs, 128) });
  t.equal(r.data.length, 8 * MiB, 'every byte delivered once');
  t.ok(r.data.equals(Buffer.alloc(8 * MiB, 'x')));
  t.equal(r.dataSpans, 128, 'one span per chunk: no per-byte calls, no rescans');
  t.same(r.events, []);
  t.ok(r.ms < 2000, `${r.ms.toFixed(0)} ms`);
});

t.test('B34 BINARY both ways: FF FF FF FF A CR LF', async (t) => {
  const r = check(t, {
    opts: server(),
    steps: [b(IAC, WILL, Opt.BINARY, IAC, DO, Opt.BINARY), { mark: 'data' }, b(IAC, IAC, IAC, IAC, 'A\r\n')],
  });
  t.equal(hex(r.at('start').sent), 'fffd00fffb00');
  t.ok(r.session.inBinary && r.session.outBinary);
  t.equal(hex(r.at('data').data), 'ffff410d0a');

  // Round trip: the sender doubles 0xFF, the receiver gets the bytes back.
  const out: Buffer[] = [];
  r.session.onSend = (x) => out.push(Buffer.from(x));
  r.session.sendData(b(0xff, 0xff, 'A\r\n'));
  r.session.sendText(b(0xff, 0xff, 'A\r\n'));
  t.equal(hex(out[0]!), 'ffffffff410d0a');
  t.equal(hex(out[1]!), 'ffffffff410d0a', 'sendText in BINARY: no EOL translation, IAC doubled');
  const peer = check(t, { opts: client(), steps: [b(IAC, WILL, Opt.BINARY), { mark: 'data' }, ...out] });
  t.equal(hex(peer.at('data').data), 'ffff410d0affff410d0a');
});

t.test('B35 100000 bytes, one receive() per byte', async (t) => {
  const input = rep(b(IAC, DO, Opt.TTYPE), 33334).subarray(0, 100000);
  t.equal(input.length, 100000);
  const sc: Scenario = { opts: server(), steps: [input, { mark: 'fin' }, (s) => s.end()] };
  const r = check(t, sc);
  t.equal(eventsOf(r, 'refused').length, 33333, '33333 complete DO TTYPE');
  t.ok(r.sent.equals(rep(b(IAC, WONT, Opt.TTYPE), 33333)), 'one WONT per DO, nothing more');
  t.same(r.at('fin').codes, ['TRUNCATED'], 'the final lone IAC');
  const timed = run(sc, 'bytes');
  t.ok(timed.ms < 2000, `per-byte run took ${timed.ms.toFixed(0)} ms (< 2 s)`);

  const c = check(t, { opts: client(), steps: [input] });
  t.equal(hex(c.sent), 'fffb18', 'a client agrees once; repeats in state YES get nothing');
  t.equal(eventsOf(c, 'option').length, 1);
});

t.test('B36 command inside SB ends the SB', async (t) => {
  const input = b(IAC, SB, Opt.TTYPE, 0, 'xterm', IAC, WILL, Opt.ECHO, IAC, SE);
  const r = check(t, { opts: server(), steps: [input] });
  t.same(r.keys, [
    ev({ type: 'problem', problem: { severity: 'warning', code: 'SB_INTERRUPTED', message: 'IAC WILL inside SB TTYPE: subnegotiation dropped', option: Opt.TTYPE } }),
    refusedKey('remote', Opt.ECHO),
    'S:fffe01',
    ev({ type: 'problem', problem: { severity: 'warning', code: 'SE_WITHOUT_SB', message: 'IAC SE outside a subnegotiation: ignored' } }),
  ], 'SB_INTERRUPTED, WILL ECHO processed (DONT ECHO), then the stray SE');
  t.equal(r.data.length, 0, 'nothing leaks');

  const on = check(t, { opts: server(), steps: [b(IAC, WILL, Opt.TTYPE), { mark: 'sb' }, input, b('ok')] });
  const s = on.at('sb');
  t.same(eventsOf(s, 'ttype'), [], 'the interrupted TTYPE IS is not dispatched');
  t.same(s.codes, ['SB_INTERRUPTED', 'SE_WITHOUT_SB']);
  t.equal(s.data.toString('latin1'), 'ok');
});

// ------------------------------------------------------------------ C01-C10

t.test('C01 client: 8 MiB unterminated SB', async (t) => {
  const chunk = Buffer.alloc(64 * KiB, 'z');
  const r = check(t, { opts: client(), steps: [b(IAC, SB, Opt.GMCP), ...chunks(chunk, 128), { mark: 'close' }, b(IAC, SE, 'hello\r\n')] });
  t.same(r.at('start').codes, ['SB_OVERFLOW']);
  t.equal(r.at('start').data.length, 0);
  t.equal(r.at('close').data.toString('latin1'), 'hello\r\n');
  t.same(r.at('close').events, []);
  t.ok(r.ms < 2000, `${r.ms.toFixed(0)} ms`);
  memoryRun(t, 'client', b(IAC, SB, Opt.GMCP), chunk, 128);
});

t.test('C02 client: 200 SLC triplets after DO LINEMODE', async (t) => {
  const r = check(t, {
    opts: client(),
    steps: [b(IAC, DO, Opt.LINEMODE), { mark: 'mixed' }, slcFlood('mixed'), { mark: 'range' }, slcFlood('range')],
  });
  t.equal(hex(r.at('start').sent), 'fffb22fffa22030003' + '00fff0', 'WILL LINEMODE, SLC (0, DEFAULT, 0)');
  const mixed = slcReplies(r.at('mixed').sent);
  t.ok(mixed.length >= 1);
  for (const p of mixed) t.ok(p.length - 1 <= 90, `SLC reply of ${(p.length - 1) / 3} triplets`);
  const range = slcReplies(r.at('range').sent);
  t.equal(range.length, 1);
  t.equal((range[0]!.length - 1) / 3, 30, 'capped at 30 triplets');
  t.equal(r.data.length, 0);
});

t.test('C03 client: TTYPE SEND x 10000', async (t) => {
  const names = ['xterm-256color', 'xterm', 'vt100'];
  const r = check(t, { opts: client({ term: names }), steps: [b(IAC, DO, Opt.TTYPE), { mark: 'send' }, rep(sb(Opt.TTYPE, 1), 10000)] });
  t.equal(hex(r.at('start').sent), 'fffb18');
  const s = r.at('send');
  const replies = wire(s.sent).sbs;
  t.equal(replies.length, 10000, 'one IS per SEND');
  t.equal(s.sends.length, 10000);
  const got = replies.map((x) => x.payload.toString('latin1'));
  t.same(got.slice(0, 4), ['\0xterm-256color', '\0xterm', '\0vt100', '\0vt100'], 'cycles, then repeats the last name');
  t.ok(got.slice(2).every((n) => n === '\0vt100'), 'no growth: the last name forever');
  // An IS is longer than a SEND, so bytes cannot be <= input; per message it is
  // bounded by the longest configured name.
  const longest = Math.max(...names.map((n) => n.length));
  t.ok(s.sent.length <= 10000 * (6 + longest), `output ${s.sent.length} bytes bounded per SEND`);
  t.ok(s.sent.length <= s.inBytes * (1 + longest / 6));
});

t.test('C04 client: DO/DONT ECHO and WILL/WONT SGA alternating x 10000', async (t) => {
  const unit = b(IAC, DO, Opt.ECHO, IAC, DONT, Opt.ECHO, IAC, WILL, Opt.SGA, IAC, WONT, Opt.SGA);
  const r = check(t, { opts: client(), steps: [rep(unit, 10000)] });
  t.ok(r.sent.equals(rep(b(IAC, WONT, Opt.ECHO, IAC, DO, Opt.SGA, IAC, DONT, Opt.SGA), 10000)),
    'DO ECHO refused, DONT ECHO in NO ignored, SGA follows the peer');
  t.ok(r.sent.length <= r.inBytes, `output ${r.sent.length} <= input ${r.inBytes}`);
  t.same(r.session.enabledOptions('local'), []);
  t.same(r.session.enabledOptions('remote'), []);
  t.same(r.codes, []);

  // Options whose enabling makes the client send something (NAWS size, SLC request).
  for (const opt of [Opt.NAWS, Opt.LINEMODE]) {
    const tg = check(t, { opts: client(), steps: [rep(b(IAC, DO, opt, IAC, DONT, opt), 10000)] });
    t.ok(tg.sent.length <= tg.inBytes + 256, `DO/DONT ${opt} x 10000: output ${tg.sent.length} <= input ${tg.inBytes} + 256`);
  }
});

t.test('C05 client: WILL MCCP2 refused, SB MCCP2 + zlib bomb not inflated', async (t) => {
  const bomb = zlibBomb();
  const r = check(t, {
    opts: client(),
    steps: [b(IAC, WILL, Opt.MCCP2), { mark: 'sb' }, b(IAC, SB, Opt.MCCP2, IAC, SE), bomb],
  });
  t.equal(hex(r.at('start').sent), 'fffe56', 'DONT MCCP2');
  const s = r.at('sb');
  t.equal(s.codes[0], 'UNSOLICITED_SB');
  t.equal(s.problems[0]!.option, Opt.MCCP2);
  t.same(eventsOf(s, 'option'), []);
  t.ok(s.data.length <= bomb.length, 'no inflate: data no larger than the compressed bytes');
  t.ok(s.data.equals(nvtData(bomb)));
});

t.test('C06 client: SB MCCP2 + garbage', async (t) => {
  const garbage = b('\x78\x9cthis is not deflate data', 0xfe, 0x80, '\r\n');
  const r = check(t, { opts: client(), steps: [b(IAC, SB, Opt.MCCP2, IAC, SE), garbage] });
  t.same(r.codes, ['UNSOLICITED_SB']);
  t.ok(r.data.equals(garbage), 'plain data, no zlib error, no crash');
  t.equal(r.sent.length, 0);
});

t.test('C07 client: NEW_ENVIRON SEND never reveals unlisted variables', async (t) => {
  const environ = {
    HOME: '/root', SSH_AUTH_SOCK: '/tmp/ssh-agent.sock', AWS_SECRET_ACCESS_KEY: 'AKIA-secret-value', TERM: 'xterm', LANG: 'C.UTF-8',
  };
  const r = check(t, {
    opts: client({ environ }),
    steps: [
      b(IAC, DO, Opt.NEW_ENVIRON),
      { mark: 'all' }, sb(Opt.NEW_ENVIRON, 1),
      { mark: 'bare' }, sb(Opt.NEW_ENVIRON, 1, 0, 3),
      { mark: 'named' }, sb(Opt.NEW_ENVIRON, 1, 0, 'HOME', 0, 'SSH_AUTH_SOCK', 3, 'AWS_SECRET_ACCESS_KEY'),
      { mark: 'term' }, sb(Opt.NEW_ENVIRON, 1, 0, 'TERM', 0, 'HOME'),
    ],
  });
  t.equal(hex(r.at('start').sent), 'fffb27');
  t.equal(hex(r.at('all').sent), hex(sb(Opt.NEW_ENVIRON, 0)), 'empty SEND ("send all") -> empty IS');
  t.equal(hex(r.at('bare').sent), hex(sb(Opt.NEW_ENVIRON, 0)), 'bare VAR/USERVAR -> nothing extra');
  const named = r.at('named');
  t.equal(hex(named.sent), hex(sb(Opt.NEW_ENVIRON, 0, 0, 'HOME', 1, 0, 'SSH_AUTH_SOCK', 1, 3, 'AWS_SECRET_ACCESS_KEY', 1)),
    'requested names answered with empty values only');
  t.same(eventsOf(named, 'environRequest'), [{ type: 'environRequest', requested: ['HOME', 'SSH_AUTH_SOCK', 'AWS_SECRET_ACCESS_KEY'], sent: [] }]);
  t.equal(hex(r.at('term').sent), hex(sb(Opt.NEW_ENVIRON, 0, 0, 'TERM', 1, 'xterm', 0, 'HOME', 1)), 'only allow-listed TERM has a value');
  for (const secret of ['/root', 'ssh-agent', 'AKIA-secret-value']) {
    t.equal(r.sent.indexOf(secret), -1, `${secret} never sent`);
  }
  t.equal(r.sent.indexOf('C.UTF-8'), -1, 'LANG is allowed but was never asked for by name');
});

t.test('C08 client: CHARSET REQUEST with 10000 names and an invalid name', async (t) => {
  const names = Array.from({ length: 10000 }, (_, i) => `x-charset-${i}`);
  const early = [...names];
  early[10] = 'UTF-8';
  const late = [...names, 'UTF-8'];
  const r = check(t, {
    opts: client({ charset: 'UTF-8', maxSubnegotiation: 4 * MiB }),
    steps: [
      b(IAC, WILL, Opt.CHARSET),
      { mark: 'early' }, charsetRequest(early),
      { mark: 'late' }, charsetRequest(late),
      { mark: 'invalid' }, sb(Opt.CHARSET, 1, ';', 0x00, 0xff),
    ],
  });
  t.equal(hex(r.at('start').sent), 'fffd2a');
  t.equal(hex(r.at('early').sent), hex(sb(Opt.CHARSET, 2, 'UTF-8')));
  t.equal(hex(r.at('late').sent), hex(sb(Opt.CHARSET, 3)), 'preferred charset beyond the name cap: REJECTED');
  t.equal(hex(r.at('invalid').sent), hex(sb(Opt.CHARSET, 3)), '"\\x00\\xff" -> REJECTED');
  t.same(r.at('early').codes, ['TOO_MANY'], 'the name cap is reported');
  const timed = run({ opts: client({ charset: 'UTF-8', maxSubnegotiation: 4 * MiB }), steps: [b(IAC, WILL, Opt.CHARSET), charsetRequest(late)] }, 'asis');
  t.ok(timed.ms < 1000, `10000 names in ${timed.ms.toFixed(1)} ms`);
  const capped = check(t, { opts: client(), steps: [b(IAC, WILL, Opt.CHARSET), { mark: 'big' }, charsetRequest(late)] });
  t.same(capped.at('big').codes, ['SB_OVERFLOW'], 'default cap: dropped');
  t.equal(capped.at('big').sent.length, 0);
});

t.test('C08 client without a preference rejects an invalid charset name', async (t) => {
  const r = check(t, { opts: client(), steps: [b(IAC, WILL, Opt.CHARSET), { mark: 'invalid' }, sb(Opt.CHARSET, 1, ';', 0x00, 0xff)] });
  t.equal(hex(r.at('invalid').sent), hex(sb(Opt.CHARSET, 3)), 'REJECTED');
});

t.test('C08 client: a charset name with a space does not make receive() throw', async (t) => {
  const r = check(t, { opts: client(), steps: [b(IAC, WILL, Opt.CHARSET), { mark: 'req' }, b(charsetRequest(['a b']), 'after')] });
  t.same(r.throws, [], 'receive() does not throw');
  t.equal(r.at('req').data.toString('latin1'), 'after', 'the rest of the chunk is processed');
  t.equal(hex(r.at('req').sent), hex(sb(Opt.CHARSET, 3)), 'REJECTED: "a b" cannot be a charset');
});

t.test('C09 client: invalid UTF-8, lone CR, CR NUL, NULs, split IAC', async (t) => {
  const parts = [b(0xc3, 0x28, 'a\rb', IAC), b(IAC, 'c\r\0d\0\0', IAC), b(DO, Opt.TTYPE, 'e\r\n')];
  const r = check(t, { opts: client(), steps: parts });
  t.same(r.keys, [
    `D:${hex(b(0xc3, 0x28, 'a\rb', 0xff, 'c\rd'))}`,
    'S:fffb18',
    ev({ type: 'option', side: 'local', option: Opt.TTYPE, enabled: true }),
    `D:${hex(b('e\r\n'))}`,
  ]);
  const all = Buffer.concat(parts);
  let ok = 0;
  for (let i = 0; i <= all.length; i++) {
    const x = run({ opts: client(), steps: [all.subarray(0, i), all.subarray(i)] }, 'asis');
    if (JSON.stringify(x.keys) === JSON.stringify(r.keys)) ok++;
  }
  t.equal(ok, all.length + 1, 'same log at every split');
  const bin = check(t, { opts: client(), steps: [b(IAC, WILL, Opt.BINARY), { mark: 'data' }, b('c\r\0d\0\r')] });
  t.equal(hex(bin.at('start').sent), 'fffd00');
  t.equal(hex(bin.at('data').data), hex(b('c\r\0d\0\r')), 'BINARY: bytes unchanged');
});

t.test('C10 client: NAWS only after DO NAWS, one SB per real resize', async (t) => {
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < 1000; i++) sizes.push(i % 3 === 0 ? (sizes[i - 1] ?? [100, 30]) : [80 + (i % 7), 24 + (i % 5)]);
  const steps: Step[] = [
    b(IAC, WILL, Opt.NAWS), sb(Opt.NAWS, 0, 80, 0, 24),
    { mark: 'before' },
  ];
  for (let i = 0; i < 10; i++) steps.push((s) => { s.setWindowSize(90 + i, 40); });
  steps.push((s) => { s.setWindowSize(100, 30); });
  steps.push({ mark: 'loop' });
  for (const [c, rw] of sizes) {
    steps.push(b(IAC, DO, Opt.NAWS));
    steps.push((s) => { s.setWindowSize(c, rw); });
  }
  steps.push({ mark: 'off' }, b(IAC, DONT, Opt.NAWS), (s) => { s.setWindowSize(1, 1); });
  const r = check(t, { opts: client(), steps });
  t.equal(hex(r.at('start').sent), 'fffe1f', 'WILL NAWS to a client is refused');
  t.same(r.at('start').codes, ['UNSOLICITED_SB'], 'SB NAWS to a client ignored');
  t.equal(r.at('before').sent.length, 0, 'no NAWS before DO NAWS, however many resizes');
  const loop = r.at('loop');
  const frames = wire(loop.sent);
  t.same(frames.neg, [[WILL, Opt.NAWS]], 'WILL NAWS once; repeated DO NAWS get nothing');
  const expected: string[] = ['100x30'];
  let cur = '100x30';
  for (const [c, rw] of sizes) {
    const next = `${c}x${rw}`;
    if (next !== cur) expected.push(next);
    cur = next;
  }
  const got = frames.sbs.map((x) => `${x.payload.readUInt16BE(0)}x${x.payload.readUInt16BE(2)}`);
  t.ok(frames.sbs.every((x) => x.opt === Opt.NAWS && x.payload.length === 4));
  t.same(got, expected, `the current size on enable, then one SB per change (${expected.length - 1} of 1000 resizes)`);
  t.ok(expected.length < 1000, 'unchanged sizes send nothing');
  t.equal(hex(r.at('off').sent), 'fffc1f', 'DONT NAWS -> WONT NAWS, and resizes stop');
});
