/**
 * Seeded fuzzing of the pure core (no Math.random: mulberry32 with fixed
 * seeds, so any failure replays exactly).
 *
 * 1. 10 MiB of biased random bytes (30% drawn from IAC, SB, SE, the verbs,
 *    the two-byte commands, known option bytes and CR/LF/NUL, plus whole or
 *    truncated protocol fragments), fed in random chunks of 1..4096 bytes to
 *    20 server and client sessions. After every chunk: nothing threw, the
 *    replies stay bounded by the input, problem codes are known ones, data
 *    never exceeds input; where BINARY is refused, the data equals what an
 *    independent NVT reader extracts (so no SB payload or command byte ever
 *    leaks into data). After each stream the SB cap is probed: an SB of
 *    exactly `maxSubnegotiation` bytes is still dispatched, one byte more is
 *    an SB_OVERFLOW, so the parser holds no more than the cap and nothing
 *    left over from the fuzz.
 * 2. A differential check: 200 seeded inputs, fed whole, one byte per
 *    receive() and in random splits, give identical data, events and sent
 *    bytes.
 */
import t from 'tap';
import { Cmd, Opt, ProblemCode, TelnetSession, type SessionEvent, type SessionOptions } from '../../src/protocol/index.js';
import { mulberry32 } from '../helpers/session-harness.js';

const { IAC, SB, SE, WILL, WONT, DO, DONT } = Cmd;


const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

function b(...parts: Array<number | string>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));
}
const sb = (opt: number, ...payload: Array<number | string>): Buffer => b(IAC, SB, opt, ...payload, IAC, SE);

/** Option bytes the core knows (plus one it does not). */
const OPTIONS = [
  Opt.BINARY, Opt.ECHO, Opt.SGA, Opt.STATUS, Opt.TM, Opt.LOGOUT, Opt.TTYPE, Opt.EOR, Opt.NAWS, Opt.TSPEED,
  Opt.LFLOW, Opt.LINEMODE, Opt.XDISPLOC, Opt.OLD_ENVIRON, Opt.NEW_ENVIRON, Opt.CHARSET, Opt.SNDLOC,
  Opt.MSDP, Opt.MSSP, Opt.MCCP2, Opt.MCCP3, Opt.GMCP, 0x99,
];

/** The biased 30%: IAC most often, then SB/SE, verbs, commands, options, CR/LF/NUL and ENVIRON type bytes. */
const SPECIAL: number[] = [
  ...new Array<number>(12).fill(IAC),
  SB, SB, SB, SB, SE, SE, SE, SE,
  WILL, WONT, DO, DONT, WILL, WONT, DO, DONT,
  Cmd.NOP, Cmd.DM, Cmd.BRK, Cmd.IP, Cmd.AO, Cmd.AYT, Cmd.EC, Cmd.EL, Cmd.GA, Cmd.EOR, Cmd.EOF,
  ...OPTIONS,
  0, 0, 1, 2, 3, 0x0d, 0x0a, 0x0d, 0x0a,
];

/** Whole protocol messages, inserted intact or truncated. */
const FRAGMENTS: Buffer[] = [
  ...[WILL, WONT, DO, DONT].flatMap((v) => OPTIONS.map((o) => b(IAC, v, o))),
  sb(Opt.TTYPE, 1), sb(Opt.TTYPE, 0, 'xterm'), sb(Opt.TTYPE, 0, 'MTTS 137'),
  sb(Opt.NAWS, 0, 80, 0, 24), sb(Opt.NAWS, 0, 80), b(IAC, SB, Opt.NAWS, IAC, IAC, 0, IAC, IAC, 0, IAC, SE),
  sb(Opt.TSPEED, 1), sb(Opt.TSPEED, 0, '38400,38400'), sb(Opt.XDISPLOC, 1), sb(Opt.XDISPLOC, 0, 'host:0'),
  sb(Opt.NEW_ENVIRON, 1), sb(Opt.NEW_ENVIRON, 1, 0, 'USER', 0, 'TERM', 3), sb(Opt.NEW_ENVIRON, 0, 0, 'TERM', 1, 'xterm', 0, 'USER', 1, 'bob'),
  sb(Opt.NEW_ENVIRON, 2, 3, 'X', 1, 'y'), sb(Opt.OLD_ENVIRON, 0, 1, 'USER', 0, 'bob'),
  sb(Opt.CHARSET, 1, ';UTF-8;LATIN1'), sb(Opt.CHARSET, 1, ' x-unknown US-ASCII'), sb(Opt.CHARSET, 2, 'UTF-8'), sb(Opt.CHARSET, 3),
  sb(Opt.CHARSET, 4, 1, ';', 'x'), sb(Opt.CHARSET, 1, '[TTABLE]', 1, ';UTF-8'),
  sb(Opt.LINEMODE, 1, 1), sb(Opt.LINEMODE, 1, 5), sb(Opt.LINEMODE, 1, 0x14), sb(Opt.LINEMODE, 3, 0, 3, 0), sb(Opt.LINEMODE, 3, 0, 2, 0),
  sb(Opt.LINEMODE, 3, 3, 2, 5, 4, 2, 6, 40, 2, 1), sb(Opt.LINEMODE, DO, 2, 0x80, 0x01), sb(Opt.LINEMODE, DONT, 2), sb(Opt.LINEMODE, WILL, 2),
  sb(Opt.STATUS, 1), sb(Opt.STATUS, 0, WILL, 1, DO, 3, SB, 24, 0, SE),
  sb(Opt.LFLOW, 0), sb(Opt.LFLOW, 1), sb(Opt.LFLOW, 2), sb(Opt.LFLOW, 3), sb(Opt.SNDLOC, 'room 1'),
  sb(Opt.GMCP, 'Core.Hello {}'), sb(Opt.MCCP2), sb(Opt.MCCP3), b(IAC, SB, IAC, SE), b(IAC, SE),
  b(IAC, Cmd.AYT), b(IAC, Cmd.NOP), b(IAC, Cmd.DM), b(IAC, Cmd.GA), b(IAC, IAC), b('\r\n'), b('\r\0'),
];

/** `n` biased random bytes. */
function biased(rand: () => number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  while (i < n) {
    const r = rand();
    if (r < 0.01) {
      let f = FRAGMENTS[int(rand, FRAGMENTS.length)]!;
      if (rand() < 0.3) f = f.subarray(0, int(rand, f.length));
      i += f.copy(out, i);
    } else {
      out[i++] = r < 0.31 ? SPECIAL[int(rand, SPECIAL.length)]! : int(rand, 256);
    }
  }
  return out;
}

/** Telnet data as an independent NVT reader extracts it, when BINARY never turns on. */
function nvtData(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let w = 0;
  let st = 0; // 0 data, 1 IAC, 2 verb, 3 SB option, 4 SB, 5 SB IAC
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    switch (st) {
      case 0:
        if (c === IAC) st = 1;
        else if (c !== 0) out[w++] = c;
        break;
      case 1:
        if (c === IAC) {
          out[w++] = IAC;
          st = 0;
        } else if (c >= WILL && c <= DONT) st = 2;
        else if (c === SB) st = 3;
        else st = 0;
        break;
      case 2:
        st = 0;
        break;
      case 3:
        st = c === IAC ? 5 : 4;
        break;
      case 4:
        if (c === IAC) st = 5;
        break;
      case 5:
        if (c === IAC) st = 4;
        else if (c === SE) st = 0;
        else if (c < 236) st = 4; // an undoubled 0xFF stays in the SB payload
        else {
          st = 1;
          i--;
        }
        break;
    }
  }
  return Buffer.from(out.subarray(0, w));
}

const KNOWN_CODES = new Set<string>(Object.values(ProblemCode));

// ---------------------------------------------------------------- 1. volume

t.test('10 MiB of biased random bytes to server and client sessions', { timeout: 120_000 }, async (t) => {
  const SEEDS = 20;
  const PER_SEED = 512 * 1024;
  /** Bound on reply bytes beyond input: a small constant per option ever enabled. */
  const PER_OPTION = 256;
  const t0 = performance.now();
  let fed = 0;
  let pumps = 0;
  let boundFailures = 0;
  const throws: string[] = [];
  const unknownCodes: string[] = [];
  let dataOverrun = 0;
  let oracleChecked = 0;
  const oracleMismatch: number[] = [];
  const probeFailures: string[] = [];
  let worstExcess = -Infinity;

  for (let seed = 1; seed <= SEEDS; seed++) {
    const rand = mulberry32(0x7e1e7 + seed);
    const role = seed % 2 === 1 ? 'server' : 'client';
    const max = seed % 4 === 0 ? 512 : seed % 4 === 1 ? 4096 : undefined;
    const noBinary = seed % 3 === 0;
    const opts: SessionOptions = { role };
    if (max !== undefined) opts.maxSubnegotiation = max;
    if (noBinary) opts.alwaysDont = [Opt.BINARY];
    const s = new TelnetSession(opts);
    const cap = max ?? 16 * 1024;

    let sent = 0;
    let received = 0;
    let dataBytes = 0;
    const everEnabled = new Set<string>();
    const dataParts: Buffer[] = [];
    s.onSend = (x) => { sent += x.length; };
    s.onData = (d) => {
      dataBytes += d.length;
      if (noBinary) dataParts.push(Buffer.from(d));
    };
    s.onEvent = (e: SessionEvent) => {
      if (e.type === 'option' && e.enabled) everEnabled.add(`${e.side}:${e.option}`);
      else if (e.type === 'problem' && !KNOWN_CODES.has(e.problem.code)) unknownCodes.push(e.problem.code);
    };

    const input = biased(rand, PER_SEED);
    let i = 0;
    while (i < input.length) {
      const n = 1 + int(rand, 4096);
      const chunk = input.subarray(i, i + n);
      i += chunk.length;
      received += chunk.length;
      try {
        s.receive(chunk);
      } catch (err) {
        throws.push(`seed ${seed}: ${err instanceof Error ? err.message : String(err)}`);
      }
      pumps++;
      const excess = sent - received;
      if (excess > worstExcess) worstExcess = excess;
      if (sent > received + PER_OPTION * (everEnabled.size + 1)) boundFailures++;
      if (dataBytes > received) dataOverrun++;
    }
    fed += input.length;

    if (noBinary) {
      oracleChecked++;
      if (!Buffer.concat(dataParts).equals(nvtData(input))) oracleMismatch.push(seed);
    }

    // Probe the SB cap on the session the fuzz left behind.
    s.receive(b(0x41, IAC, SE, IAC, SE)); // from any parser state back to data
    const seen: string[] = [];
    const probeData: Buffer[] = [];
    s.onEvent = (e) => { seen.push(e.type === 'problem' ? e.problem.code : e.type); };
    s.onData = (d) => probeData.push(Buffer.from(d));
    s.receive(Buffer.concat([b(IAC, SB, 0x99), Buffer.alloc(cap, 'a'), b(IAC, SE)]));
    const atCap = seen.splice(0);
    s.receive(Buffer.concat([b(IAC, SB, 0x99), Buffer.alloc(cap + 1, 'a'), b(IAC, SE, 'ok')]));
    const overCap = seen.splice(0);
    if (JSON.stringify(atCap) !== '["UNSOLICITED_SB"]') probeFailures.push(`seed ${seed}: ${cap} bytes gave ${JSON.stringify(atCap)}`);
    if (JSON.stringify(overCap) !== '["SB_OVERFLOW"]') probeFailures.push(`seed ${seed}: ${cap + 1} bytes gave ${JSON.stringify(overCap)}`);
    if (Buffer.concat(probeData).toString('latin1') !== 'ok') probeFailures.push(`seed ${seed}: probe data ${JSON.stringify(Buffer.concat(probeData).toString('latin1'))}`);
  }

  const ms = performance.now() - t0;
  t.equal(fed, 10 * 1024 * 1024, '10 MiB fed');
  t.same(throws, [], 'receive() never throws');
  t.equal(boundFailures, 0, `after each of ${pumps} pumps: sent <= received + ${PER_OPTION} per option enabled (worst sent - received: ${worstExcess})`);
  t.same(unknownCodes, [], 'every problem has a known code');
  t.equal(dataOverrun, 0, 'data never exceeds input');
  t.ok(oracleChecked >= 5, `${oracleChecked} BINARY-refused streams checked against an independent NVT reader`);
  t.same(oracleMismatch, [], 'their data is exactly the NVT data: no SB payload or command byte leaks');
  t.same(probeFailures, [], 'after the fuzz, an SB of exactly the cap is dispatched and one byte more overflows');
  t.ok(ms < 30_000, `10 MiB in ${(ms / 1000).toFixed(2)} s`);
  t.comment(`10 MiB fuzz: ${pumps} pumps in ${ms.toFixed(0)} ms`);
});

// ---------------------------------------------------------- 2. differential

type Feed = 'whole' | 'bytes' | 'splits';

/** Data (merged), sends and events of one run, as comparable strings. */
function record(opts: SessionOptions, input: Buffer, feed: Feed, rand: () => number): string[] {
  const s = new TelnetSession(opts);
  const log: string[] = [];
  let data: Buffer[] = [];
  const flush = (): void => {
    if (data.length > 0) log.push(`D:${Buffer.concat(data).toString('hex')}`);
    data = [];
  };
  s.onData = (d) => data.push(Buffer.from(d));
  s.onSend = (x) => {
    flush();
    log.push(`S:${x.toString('hex')}`);
  };
  s.onEvent = (e) => {
    flush();
    log.push(`E:${JSON.stringify(e)}`);
  };
  const feedOne = (c: Buffer): void => {
    try {
      s.receive(c);
    } catch (err) {
      flush();
      log.push(`X:${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (feed === 'whole') feedOne(input);
  else if (feed === 'bytes') for (let i = 0; i < input.length; i++) feedOne(input.subarray(i, i + 1));
  else {
    let i = 0;
    while (i < input.length) {
      const n = 1 + int(rand, rand() < 0.5 ? 8 : 512);
      feedOne(input.subarray(i, i + n));
      i += n;
    }
  }
  s.end();
  flush();
  return log;
}

/** The log without kludge-mode `slc` events, adjacent data merged again. */
function withoutSlc(log: readonly string[]): string[] {
  const out: string[] = [];
  for (const k of log) {
    if (k.startsWith('E:{"type":"slc"')) continue;
    const last = out[out.length - 1];
    if (k.startsWith('D:') && last !== undefined && last.startsWith('D:')) out[out.length - 1] = last + k.slice(2);
    else out.push(k);
  }
  return out;
}

function firstDiff(a: readonly string[], b2: readonly string[]): number {
  const n = Math.max(a.length, b2.length);
  let i = 0;
  while (i < n && a[i] === b2[i]) i++;
  return i === n ? -1 : i;
}

t.test('whole vs one byte at a time vs random splits: identical results', { timeout: 120_000 }, async (t) => {
  const t0 = performance.now();
  const strict: string[] = [];
  const core: string[] = [];
  const slcOnly: string[] = [];
  let entries = 0;
  let throwsSeen = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const rand = mulberry32(0xd1ff + seed);
    const opts: SessionOptions = { role: seed % 2 === 0 ? 'server' : 'client' };
    if (seed % 5 === 0) opts.maxSubnegotiation = 64;
    if (seed % 7 === 0) opts.alwaysDont = [Opt.BINARY];
    const input = biased(rand, 256 + int(rand, 8192));
    const whole = record(opts, input, 'whole', rand);
    entries += whole.length;
    if (whole.some((k) => k.startsWith('X:'))) throwsSeen++;
    for (const feed of ['bytes', 'splits'] as const) {
      const other = record(opts, input, feed, rand);
      const show = (a: readonly string[], o: readonly string[], i: number): string =>
        `seed ${seed} ${feed}: entry ${i}: whole ${String(a[i]).slice(0, 120)} / ${feed} ${String(o[i]).slice(0, 120)}`;
      let i = firstDiff(whole, other);
      if (i >= 0) strict.push(show(whole, other, i));
      const [wc, oc] = [withoutSlc(whole), withoutSlc(other)];
      i = firstDiff(wc, oc);
      if (i >= 0) core.push(show(wc, oc, i));
      const [ws, os] = [whole.filter((k) => k.startsWith('E:{"type":"slc"')), other.filter((k) => k.startsWith('E:{"type":"slc"'))];
      i = firstDiff(ws, os);
      if (i >= 0) slcOnly.push(show(ws, os, i));
    }
  }
  t.same(core, [], `200 inputs (${entries} log entries): data, sent bytes and events identical in all three feeds`);
  t.same(slcOnly, [], 'the same kludge-mode slc events in all three feeds');
  t.same(strict, [], 'and interleaved in the same order');

  t.equal(throwsSeen, 0, 'no input made receive() throw');
  t.comment(`differential: ${(performance.now() - t0).toFixed(0)} ms`);
});
