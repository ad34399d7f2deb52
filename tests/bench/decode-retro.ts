/**
 * `decode.retro.*`: 64 MiB of random bytes decoded in 64 KiB chunks
 * through each retro codec (the engine's `makeDecoder`, what a connection's
 * reader uses), against iconv-lite decoding the same chunks as cp437 in the
 * same run (the code-page path every other single-byte encoding takes).
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

/** Decode `parts` with a fresh decoder of `codec`; returns characters out and seconds taken. */
export function decodeOnce(codec: string, parts: readonly Buffer[]): { chars: number; elapsed: number; cpuMs: number } {
  const d = makeDecoder(codec, 'replace');
  const cpu = process.cpuUsage();
  const t0 = seconds();
  let chars = 0;
  for (const p of parts) chars += d.write(p).text.length;
  chars += d.end().text.length;
  const elapsed = seconds() - t0;
  const used = process.cpuUsage(cpu);
  return { chars, elapsed, cpuMs: (used.user + used.system) / 1000 };
}

/** The same with iconv-lite's cp437 decoder (the baseline). */
export function decodeCp437Once(parts: readonly Buffer[]): { chars: number; elapsed: number; cpuMs: number } {
  const d = iconv.getDecoder('cp437');
  const cpu = process.cpuUsage();
  const t0 = seconds();
  let chars = 0;
  for (const p of parts) chars += d.write(p).length;
  chars += (d.end() ?? '').length;
  const elapsed = seconds() - t0;
  const used = process.cpuUsage(cpu);
  return { chars, elapsed, cpuMs: (used.user + used.system) / 1000 };
}

function bench(codec: string): Benchmark {
  return {
    name: `decode.retro.${codec}`,
    unit: 'MB/s',
    runs: 3,
    async warmup() {
      input ??= makeInput(INPUT_BYTES);
      const few = input.slice(0, 16);
      decodeOnce(codec, few);
      decodeCp437Once(few);
    },
    async run() {
      const parts = input!;
      const mib = INPUT_BYTES / (1024 * 1024);
      const base = decodeCp437Once(parts);
      const r = decodeOnce(codec, parts);
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
