/**
 * The shared benchmark harness (see /work/shared/benchmarks.md).
 *
 * A benchmark is one named measurement. Each call of `run()` is one run: it
 * does its own timing and returns the measured `value` and, when there is a
 * reference implementation, the `baseline` measured in the same run.
 * {@link runBenchmark} executes at least 3 runs and reduces them to one
 * record; {@link printResult} writes that record as one JSON line on stdout.
 * Everything else (progress, notes) goes to stderr, so stdout stays
 * machine-readable.
 */

/** One run's measurement. */
export interface RunResult {
  value: number;
  /** The same work done by the reference (e.g. a plain `net.Socket`) in the same run. */
  baseline?: number;
}

/** One benchmark. */
export interface Benchmark {
  /** Dotted name, e.g. `parse.ascii`; `npm run bench -- FILTER` matches it as a prefix. */
  name: string;
  /** Unit of `value` and `baseline`, e.g. `MB/s`. */
  unit: string;
  /** One run. Does its own timing; setup done here should be kept out of the timed part. */
  run(): Promise<RunResult>;
  /** Number of runs (default 3; fewer than 3 is raised to 3). */
  runs?: number;
  /** Optional: called once before the runs, untimed (data generation, JIT warm-up). */
  warmup?(): Promise<void>;
  /** Optional: called once after the runs (or a failure), to stop servers and children. */
  teardown?(): Promise<void>;
}

/** The record printed for one benchmark. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  runs: number;
}

/** Minimum number of runs per benchmark (benchmarks.md). */
export const MIN_RUNS = 3;

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Round for display: at least 3 significant digits, never dropping integer
 * digits (17240 -> 17240, 523.47 -> 523, 52.347 -> 52.3, 0.05234 -> 0.0523).
 */
export function roundSensibly(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  const decimals = Math.min(9, Math.max(0, 2 - magnitude));
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** Round to 3 decimals (ratios). */
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Write a note to stderr (never stdout). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Run `b` (warm-up once if it has one, then `max(b.runs ?? 3, 3)` runs) and
 * reduce to the documented record: `value` is the median of the runs'
 * values; `baseline` the median of their baselines (left out when no run
 * reported one); `ratio = value / baseline` to 3 decimals, computed from the
 * unrounded medians.
 */
export async function runBenchmark(b: Benchmark): Promise<BenchResult> {
  const runs = Math.max(MIN_RUNS, Math.floor(b.runs ?? MIN_RUNS));
  try {
    return await measure(b, runs);
  } finally {
    if (b.teardown !== undefined) await b.teardown();
  }
}

async function measure(b: Benchmark, runs: number): Promise<BenchResult> {
  if (b.warmup !== undefined) await b.warmup();
  const values: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await b.run();
    if (!Number.isFinite(r.value)) throw new Error(`${b.name}: run ${i + 1} returned value ${r.value}`);
    values.push(r.value);
    if (r.baseline !== undefined) {
      if (!Number.isFinite(r.baseline)) throw new Error(`${b.name}: run ${i + 1} returned baseline ${r.baseline}`);
      baselines.push(r.baseline);
    }
    note(`${b.name}: run ${i + 1}/${runs}: ${roundSensibly(r.value)} ${b.unit}` +
      (r.baseline !== undefined ? ` (baseline ${roundSensibly(r.baseline)})` : ''));
  }
  if (baselines.length !== 0 && baselines.length !== runs) {
    throw new Error(`${b.name}: only ${baselines.length} of ${runs} runs reported a baseline`);
  }
  const value = median(values);
  let extra: { baseline?: number; ratio?: number } = {};
  if (baselines.length > 0) {
    const baseline = median(baselines);
    extra = baseline !== 0
      ? { baseline: roundSensibly(baseline), ratio: round3(value / baseline) }
      : { baseline: roundSensibly(baseline) };
  }
  // Key order is the documented one: name, value, unit, baseline, ratio, runs.
  return { name: b.name, value: roundSensibly(value), unit: b.unit, ...extra, runs };
}

/** Format a record as one JSON line, in the style of benchmarks.md (`"key": value, ...`). */
export function formatResult(r: BenchResult): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Print exactly one JSON line for `r` on stdout. */
export function printResult(r: BenchResult): void {
  process.stdout.write(`${formatResult(r)}\n`);
}

// ------------------------------------------------------------------ timing

/** A monotonic clock in seconds. */
export function seconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Throughput in MB/s (MB = 1e6 bytes). */
export function mbPerSecond(bytes: number, elapsedSeconds: number): number {
  return bytes / 1e6 / elapsedSeconds;
}

// ------------------------------------------------------------------ data

/** A small deterministic PRNG (mulberry32): 32-bit unsigned outputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const WORDS = (
  'the quick brown fox jumps over lazy dog you are standing in a small room with ' +
  'door to north and passage leading east there is lamp here it is dark may be ' +
  'eaten by grue welcome back adventurer your health mana gold experience level ' +
  'guild says hello from town square market tavern sword shield potion scroll ' +
  'north south east west up down look inventory score quit who tell chat ' +
  'server client terminal telnet option window width height speed display'
).split(' ');

const WORD_BYTES: readonly Buffer[] = WORDS.map((w) => Buffer.from(w, 'latin1'));

/**
 * `size` bytes of realistic text: numbered lines of words, ~72 columns on
 * average, each ending in CR LF; printable ASCII only (0x20..0x7e plus CR
 * LF), so no IAC and no NUL. Deterministic; the last line is cut to fit
 * exactly. Written byte by byte (no string building), so 64 MiB takes a
 * fraction of a second.
 */
export function makeAscii(size: number, seed = 1): Buffer {
  const SLACK = 256; // one line always fits past `size`; cut at the end
  const out = Buffer.allocUnsafe(size + SLACK);
  const rand = prng(seed);
  // Small integers in [0, n) for n < 2^24; the shift keeps values in Smi range (fast %).
  const below = (n: number): number => (rand() >>> 8) % n;
  let pos = 0;
  let lineNo = 0;
  while (pos < size) {
    lineNo++;
    const lineStart = pos;
    const target = 66 + below(17); // 66..82 columns, ~72 on average
    // "NNNNN: "
    let n = lineNo % 100000;
    for (let d = 4; d >= 0; d--) {
      out[pos + d] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    out[pos + 5] = 0x3a; // ':'
    out[pos + 6] = 0x20;
    pos += 7;
    let capital = true;
    for (;;) {
      const w = WORD_BYTES[below(WORD_BYTES.length)]!;
      const r = below(16);
      const num = r === 2 ? below(1000) : 0;
      const extra = r === 0 || r === 1 ? 1 : r === 2 ? 3 + (num >= 100 ? 3 : num >= 10 ? 2 : 1) : 0;
      if (pos - lineStart + w.length + extra > target) break;
      for (let i = 0; i < w.length; i++) out[pos + i] = w[i]!;
      if (capital) out[pos] = out[pos]! - 0x20; // words are lower-case a..z
      pos += w.length;
      if (r === 0) {
        out[pos++] = 0x2e; // '.'
      } else if (r === 1) {
        out[pos++] = 0x2c; // ','
      } else if (r === 2) {
        out[pos++] = 0x20;
        out[pos++] = 0x28; // '('
        if (num >= 100) out[pos++] = 0x30 + Math.floor(num / 100);
        if (num >= 10) out[pos++] = 0x30 + (Math.floor(num / 10) % 10);
        out[pos++] = 0x30 + (num % 10);
        out[pos++] = 0x29; // ')'
      }
      out[pos++] = 0x20;
      capital = r === 0;
    }
    if (out[pos - 1] === 0x20) pos--; // no trailing space
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  return out.subarray(0, size);
}

/** Random binary on the wire: the escaped buffer and how many payload bytes it carries. */
export interface EscapedBinary {
  /** On-the-wire bytes: every 0xFF doubled. */
  wire: Buffer;
  /** Number of payload bytes once IAC IAC is undone (`wire.length` minus the doubled 0xFF). */
  payload: number;
}

/**
 * `size` bytes on the wire of uniformly random payload (seeded PRNG) with
 * every 0xFF doubled. The wire buffer is exactly `size` bytes (a 0xFF that
 * would not fit as a pair at the very end is redrawn).
 */
export function makeBinaryEscaped(size: number, seed: number): EscapedBinary {
  // Random source bytes, 4 per PRNG output; more than enough (each source
  // byte yields at least one wire byte, except a 0xFF redrawn at the end).
  const words = new Uint32Array(Math.ceil(size / 4) + 1024);
  const rand = prng(seed);
  for (let i = 0; i < words.length; i++) words[i] = rand();
  const src = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  const wire = Buffer.allocUnsafe(size);
  let pos = 0;
  let j = 0;
  let payload = 0;
  while (pos < size) {
    let k = src.indexOf(0xff, j);
    if (k === -1) k = src.length;
    const n = Math.min(k - j, size - pos);
    src.copy(wire, pos, j, j + n);
    pos += n;
    j += n;
    payload += n;
    if (pos === size) break;
    if (j >= src.length) throw new Error('makeBinaryEscaped: random source exhausted');
    // src[j] is 0xFF.
    j++;
    if (pos + 2 > size) continue; // no room for the pair: draw again
    wire[pos++] = 0xff;
    wire[pos++] = 0xff;
    payload++;
  }
  return { wire, payload };
}

/** Split `buf` into views of `size` bytes (the last may be shorter). No copying. */
export function chunks(buf: Buffer, size: number): Buffer[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, Math.min(i + size, buf.length)));
  return out;
}

/** A bulk sender's payload: `makeAscii` text, or deterministic pseudo-random bytes (about one 0xFF in 256). */
export function bulkPayload(kind: string, size: number): Buffer {
  if (kind === 'ascii') return makeAscii(size);
  const buf = Buffer.allocUnsafe(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/**
 * A bulk sender's transfer: `data` in 64 KiB writes, honouring
 * backpressure, then `cpu MS` on stdout (this process's CPU time for it,
 * which bulk-async.ts `watchSender` reads).
 */
export async function pumpBulk(data: Buffer, write: (b: Buffer) => boolean, drain: () => Promise<void>): Promise<void> {
  const CHUNK = 64 * 1024;
  const c0 = process.cpuUsage();
  for (let off = 0; off < data.length; off += CHUNK) {
    if (!write(data.subarray(off, off + CHUNK))) await drain();
  }
  const c = process.cpuUsage(c0);
  process.stdout.write(`cpu ${(c.user + c.system) / 1000}\n`);
}
