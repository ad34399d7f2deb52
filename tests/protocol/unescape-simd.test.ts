import t from 'tap';
import { parserLog } from '../helpers/parser-log.js';
import { simdReadArea, unescapeIacSimd } from '../../src/protocol/options/iac-simd.js';

const IAC = 0xff;

/** Fixed-seed generator (xorshift32), so a failure names a reproducible case. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

/** Byte-by-byte reference for unescapeIacSimd: [output, where reading stopped]. */
function reference(input: Buffer, from: number): [Buffer, number] {
  const out: number[] = [];
  let i = from;
  while (i < input.length) {
    const b = input[i]!;
    if (b !== IAC) { out.push(b); i++; continue; }
    if (i + 1 < input.length && input[i + 1] === IAC) { out.push(IAC); i += 2; continue; }
    break;
  }
  return [Buffer.from(out), i];
}

/** Escaped random data: each 0xFF doubled, with 0xFF at roughly `density`. */
function escaped(rnd: (n: number) => number, len: number, density: number): Buffer {
  const out: number[] = [];
  while (out.length < len) {
    const b = density > 0 && rnd(1_000_000) < density * 1_000_000 ? IAC : rnd(255);
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  // Cut at len, which may leave a lone trailing 0xFF (its partner not yet received).
  return Buffer.from(out.slice(0, len));
}

const stop = new Int32Array(1);

/** The engine's read area (static reads land there and are unescaped in place, in the module's memory). */
const area = simdReadArea(512 * 1024);

/**
 * `input` copied to where it is unescaped: a Buffer of its own (through the
 * module's scratch pieces), or the read area at an odd offset (in place).
 */
function place(input: Buffer, where: 'heap' | 'area'): Buffer {
  if (where === 'heap' || area === null) return Buffer.from(input);
  const at = 5;
  if (at + input.length > area.length) throw new Error('input larger than the read area');
  const view = area.subarray(at, at + input.length);
  view.set(input);
  return view;
}

for (const where of ['heap', 'area'] as const) {
t.test(`${where}: unescapeIacSimd matches the byte-by-byte reference`, async (t) => {
  if (unescapeIacSimd(Buffer.alloc(16), 0, 16, stop) === null) { t.pass('no WebAssembly SIMD here'); return; }
  const rnd = prng(7);
  const lengths = [1, 15, 16, 17, 1023, 1024, 1025, 65535, 65536, 65537, 131072, 200_000];
  const densities = [0, 1 / 256, 1 / 16, 1 / 2, 1];
  let checked = 0;
  for (const len of lengths) {
    for (const density of densities) {
      for (const from of [0, 3]) {
        const input = escaped(rnd, len, density);
        const [want, wantStop] = reference(input, from);
        const chunk = place(input, where);
        const written = unescapeIacSimd(chunk, from, chunk.length, stop)!;
        if (written !== want.length || stop[0] !== wantStop || !chunk.subarray(from, from + written).equals(want)) {
          t.fail(`len ${len} density ${density} from ${from}: wrote ${written} (want ${want.length}), stopped ${stop[0]} (want ${wantStop})`);
          return;
        }
        checked++;
      }
    }
  }
  t.equal(checked, lengths.length * densities.length * 2, 'every case agrees');
});

t.test(`${where}: unescapeIacSimd stops at a command anywhere, pieces and blocks included`, async (t) => {
  if (unescapeIacSimd(Buffer.alloc(16), 0, 16, stop) === null) { t.pass('no WebAssembly SIMD here'); return; }
  const rnd = prng(11);
  const base = escaped(rnd, 140_000, 1 / 64);
  let checked = 0;
  for (const at of [0, 1, 15, 16, 17, 1000, 65534, 65535, 65536, 65537, 131071, 131072, 139_998]) {
    const made = Buffer.from(base);
    // Make `at` a command (IAC NOP); the byte before must not be a lone 0xFF.
    if (at > 0 && made[at - 1] === IAC) made[at - 1] = 0x41;
    made[at] = IAC;
    made[at + 1] = 0xf1;
    const input = place(made, where);
    const [want, wantStop] = reference(made, 0);
    const written = unescapeIacSimd(input, 0, input.length, stop)!;
    t.equal(stop[0], wantStop, `stops at the command placed at ${at} (or an earlier one)`);
    t.ok(input.subarray(0, written).equals(want), `data before it is right (${at})`);
    checked++;
  }
  // An escaped pair split by the 64 KiB piece boundary is one 0xFF.
  const made = Buffer.alloc(70_000, 0x20);
  made[65535] = IAC;
  made[65536] = IAC;
  const pair = place(made, where);
  const w = unescapeIacSimd(pair, 0, pair.length, stop)!;
  t.equal(w, 69_999);
  t.equal(stop[0], 70_000);
  t.equal(pair[65535], IAC);
  t.equal(pair[65536], 0x20, 'the rest moved down by one');
  // A lone 0xFF as the last byte: stop there, nothing lost.
  const lone = Buffer.alloc(5000, 0x30);
  lone[4999] = IAC;
  const tail = place(lone, where);
  t.equal(unescapeIacSimd(tail, 0, tail.length, stop), 4999);
  t.equal(stop[0], 4999);
  t.ok(checked > 0);
});
}

t.test('the read area is one buffer per thread, in the module\'s memory', async (t) => {
  if (area === null) { t.pass('no WebAssembly SIMD here'); return; }
  t.equal(simdReadArea(1024), area, 'later calls get the same buffer');
  t.equal(area.length, 512 * 1024);
  t.not(area.buffer.constructor.name, 'SharedArrayBuffer');
});

/** Everything a binary parser reports for `input` cut at `cuts`. */
function run(input: Buffer, inPlace: boolean, cuts: number[], where: 'heap' | 'area' = 'heap'): string[] {
  return parserLog(input, { inPlace, binary: true }, cuts, where === 'area' ? (piece) => place(piece, 'area') : undefined);
}

t.test('a binary in-place parser (SIMD runs, in a buffer of its own or in the read area) reports what the span parser reports', async (t) => {
  const rnd = prng(2026);
  const frames = [
    [IAC, 0xf1], // NOP
    [IAC, 0xf9], // GA
    [IAC, 0xfb, 0x00], // WILL BINARY
    [IAC, 0xfd, 0x18], // DO TTYPE
    [IAC, 0xfa, 0x18, 0x00, 0x41, 0x4e, 0x53, 0x49, IAC, 0xf0], // SB TTYPE IS ANSI SE
    [IAC, 0xfa, 0xc9, IAC, IAC, 0x7b, 0x7d, IAC, 0xf0], // SB GMCP with an escaped 0xFF
  ];
  let cases = 0;
  for (let k = 0; k < 12; k++) {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < 300_000) {
      const run = escaped(rnd, 1 + rnd(k % 2 === 0 ? 90_000 : 3000), [0, 1 / 256, 1 / 8][k % 3]!);
      // Keep data runs whole: no lone trailing 0xFF before a command.
      const body = run[run.length - 1] === IAC && (run.length < 2 || run[run.length - 2] !== IAC) ? run.subarray(0, run.length - 1) : run;
      parts.push(body, Buffer.from(frames[rnd(frames.length)]!));
      size += body.length;
    }
    const input = Buffer.concat(parts);
    // Cuts: random sizes, small and over 64 KiB, and some right after an 0xFF.
    const cuts: number[] = [];
    for (let at = 0; at < input.length;) {
      at += rnd(4) === 0 ? 1 + rnd(40) : 1 + rnd(100_000);
      if (rnd(3) === 0) {
        const ff = input.indexOf(IAC, at);
        if (ff !== -1) at = ff + 1;
      }
      cuts.push(Math.min(at, input.length));
    }
    const spans = run(input, false, cuts);
    const inPlace = run(input, true, cuts);
    const inArea = run(input, true, cuts, 'area');
    if (JSON.stringify(spans) !== JSON.stringify(inPlace) || JSON.stringify(spans) !== JSON.stringify(inArea)) {
      t.fail(`case ${k} differs`);
      return;
    }
    cases++;
  }
  t.equal(cases, 12, 'every stream identical');
});
