/**
 * Keeps the benchmark harness working: one tiny iteration of each core loop
 * (1 MiB instead of 64 MiB) and the harness's reduction on known values.
 * Benchmarks themselves are never part of `npm test`.
 */
import t from 'tap';
import {
  type Benchmark, type RunResult, chunks, formatResult, makeAscii, makeBinaryEscaped, median, roundSensibly, runBenchmark,
} from './harness.js';
import { BINARY_SEED, benchmarks, parseOnce } from './parse.js';

const MIB = 1024 * 1024;

t.test('parse core loops deliver every payload byte (1 MiB)', async (t) => {
  const bin = makeBinaryEscaped(MIB, BINARY_SEED);
  t.equal(bin.wire.length, MIB, 'binary wire is exactly the requested size');
  t.ok(bin.payload < MIB && bin.payload > MIB * 0.99, 'about 1/257 of the wire bytes are doubled 0xFF');
  t.equal(parseOnce('ascii', MIB), MIB, 'parse.ascii: payload = wire bytes');
  t.equal(parseOnce('binary', MIB), bin.payload, 'parse.binary: payload = wire minus doubled 0xFF');
  t.equal(parseOnce('ascii', MIB, 'session'), MIB, 'session.ascii');
  t.equal(parseOnce('binary', MIB, 'session'), bin.payload, 'session.binary');
});

t.test('inputs', async (t) => {
  const a = makeAscii(64 * 1024);
  t.equal(a.length, 64 * 1024);
  t.ok(a.every((b) => (b >= 0x20 && b <= 0x7e) || b === 13 || b === 10), 'printable ASCII and CR LF only');
  t.same(makeAscii(4096), makeAscii(4096), 'deterministic');
  const lines = a.toString('latin1').split('\r\n').slice(0, -1);
  const avg = lines.reduce((s, l) => s + l.length, 0) / lines.length;
  t.ok(avg > 60 && avg < 84, `lines average ~72 columns (${avg.toFixed(1)})`);
  t.same(makeBinaryEscaped(1000, 7).wire, makeBinaryEscaped(1000, 7).wire, 'binary is deterministic');
  const w = makeBinaryEscaped(100_000, 3).wire;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0xff) {
      if (w[i + 1] !== 0xff) {
        t.fail(`lone 0xFF at ${i}`);
        break;
      }
      i++;
    }
  }
  const cs = chunks(Buffer.alloc(10), 4);
  t.same(cs.map((c) => c.length), [4, 4, 2]);
  t.same(benchmarks.map((b) => b.name), ['parse.ascii', 'parse.binary', 'session.ascii', 'session.binary']);
});

t.test('median and rounding', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.throws(() => median([]));
  t.equal(roundSensibly(17240.4), 17240);
  t.equal(roundSensibly(523.47), 523);
  t.equal(roundSensibly(52.347), 52.3);
  t.equal(roundSensibly(0.05234), 0.0523);
});

function fake(results: RunResult[], runs?: number): Benchmark & { calls: number } {
  const b = {
    name: 'fake.bench',
    unit: 'ops/s',
    calls: 0,
    async run(): Promise<RunResult> {
      return results[b.calls++ % results.length]!;
    },
  } as Benchmark & { calls: number };
  if (runs !== undefined) b.runs = runs;
  return b;
}

t.test('runBenchmark: median of values and baselines, ratio, runs', async (t) => {
  const b = fake([{ value: 5, baseline: 10 }, { value: 1, baseline: 2 }, { value: 3, baseline: 8 }]);
  const r = await runBenchmark(b);
  t.equal(b.calls, 3, 'runs 3 times by default');
  t.same(r, { name: 'fake.bench', value: 3, unit: 'ops/s', baseline: 8, ratio: 0.375, runs: 3 });
  t.same(Object.keys(r), ['name', 'value', 'unit', 'baseline', 'ratio', 'runs'], 'documented key order');
  t.equal(formatResult(r), '{"name": "fake.bench", "value": 3, "unit": "ops/s", "baseline": 8, "ratio": 0.375, "runs": 3}');
  t.same(JSON.parse(formatResult(r)), r, 'one valid JSON object');

  const c = fake([{ value: 2, baseline: 3 }], 5);
  const rc = await runBenchmark(c);
  t.equal(c.calls, 5, 'honours runs');
  t.equal(rc.ratio, 0.667, 'ratio to 3 decimals');
  t.equal(rc.runs, 5);

  const d = fake([{ value: 7 }], 1);
  const rd = await runBenchmark(d);
  t.equal(d.calls, 3, 'at least 3 runs');
  t.same(Object.keys(rd), ['name', 'value', 'unit', 'runs'], 'no baseline, no ratio');
});
