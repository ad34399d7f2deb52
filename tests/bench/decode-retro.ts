/**
 * `decode.retro.*`: 64 MiB of random bytes decoded in 64 KiB chunks
 * through each retro codec (the engine's `makeDecoder`, what a connection's
 * reader uses), against iconv-lite decoding the same chunks as cp437 in the
 * same run (the code-page path every other single-byte encoding takes),
 * chunk by chunk in turn so that both see the same load.
 * Unit: MB/s of input (MB = 1e6 bytes); target ratio >= 0.8 for the
 * single-byte codecs (atascii, petscii, atarist). The CPU time per MiB of
 * each codec goes to stderr.
 */
import iconv from 'iconv-lite';
import { makeDecoder } from '../../src/engine/encoding.js';
import { type Benchmark, chunks, mbPerSecond, note, prng, seconds } from './harness.js';

/** Input bytes per run. */
export const INPUT_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const SEED = 0x5e7ac11;

let input: Buffer[] | null = null;

function makeInput(bytes: number): Buffer[] {
  const rand = prng(SEED);
  const buf = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = Math.floor(rand() * 256);
  return chunks(buf, CHUNK_BYTES);
}

/** Time and CPU of one codec over a run, characters out. */
export interface DecodeTiming {
  chars: number;
  elapsed: number;
  cpuMs: number;
}

/**
 * Decode `parts` through `codec` (a fresh engine decoder) and, chunk by
 * chunk in between, through iconv-lite's cp437 decoder: interleaving puts
 * both under the same machine load and garbage collection, which a run of
 * one after the other would not.
 */
export function decodeInterleaved(codec: string, parts: readonly Buffer[]): { codec: DecodeTiming; cp437: DecodeTiming } {
  const d = makeDecoder(codec, 'replace');
  const base = iconv.getDecoder('cp437');
  const a: DecodeTiming = { chars: 0, elapsed: 0, cpuMs: 0 };
  const b: DecodeTiming = { chars: 0, elapsed: 0, cpuMs: 0 };
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    // Alternate which goes first, so neither always pays for the other's garbage.
    const order = (i & 1) === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const cpu = process.cpuUsage();
      const t0 = seconds();
      const n = which === 0 ? d.write(p).text.length : base.write(p).length;
      const elapsed = seconds() - t0;
      const used = process.cpuUsage(cpu);
      const into = which === 0 ? a : b;
      into.chars += n;
      into.elapsed += elapsed;
      into.cpuMs += (used.user + used.system) / 1000;
    }
  }
  a.chars += d.end().text.length;
  b.chars += (base.end() ?? '').length;
  return { codec: a, cp437: b };
}

function bench(codec: string): Benchmark {
  return {
    name: `decode.retro.${codec}`,
    unit: 'MB/s',
    runs: 3,
    async warmup() {
      input ??= makeInput(INPUT_BYTES);
      decodeInterleaved(codec, input.slice(0, 16));
    },
    async run() {
      const parts = input!;
      const mib = INPUT_BYTES / (1024 * 1024);
      const { codec: r, cp437: base } = decodeInterleaved(codec, parts);
      if (r.chars < INPUT_BYTES / 2) throw new Error(`${codec}: only ${r.chars} characters from ${INPUT_BYTES} bytes`);
      note(`decode.retro.${codec}: ${(r.cpuMs / mib).toFixed(3)} CPU ms/MiB (iconv-lite cp437 ${(base.cpuMs / mib).toFixed(3)})`);
      return { value: mbPerSecond(INPUT_BYTES, r.elapsed), baseline: mbPerSecond(INPUT_BYTES, base.elapsed) };
    },
    async teardown() {
      input = null;
    },
  };
}

/** One benchmark per retro codec. */
export const benchmarks: Benchmark[] = ['atascii', 'petscii', 'atarist', 'big5bbs'].map(bench);
