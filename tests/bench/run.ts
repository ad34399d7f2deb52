/**
 * `npm run bench [-- FILTER...]`: run every benchmark whose name starts with
 * one of the FILTERs (all when none is given), in one process,
 * sequentially, printing one JSON line per benchmark on stdout (format: /work/shared/benchmarks.md). Progress goes to
 * stderr. Exit status 0, or 1 when the filter matches nothing or a
 * benchmark failed.
 */
import { type Benchmark, note, printResult, runBenchmark } from './harness.js';

// ---------------------------------------------------------------------------
// BENCHMARK MODULES. Each module exports `benchmarks: Benchmark[]`.
// Add later modules here, e.g. './bulk-async.js', './blocking.js'.
// ---------------------------------------------------------------------------
const MODULES: readonly string[] = [
  './parse.js',
  './bulk-async.js',
  './server-rss.js',
  './blocking.js',
  './blocking-server.js',
  './miniboa.js',
  './hop.js',
  './web.js',
  './mccp.js',
  './tls.js',
  './cluster.js',
  './exec.js',
  './decode-retro.js',
  './shared-copy.js',
];

async function load(): Promise<Benchmark[]> {
  const all: Benchmark[] = [];
  for (const spec of MODULES) {
    const mod = (await import(spec)) as { benchmarks?: unknown };
    if (!Array.isArray(mod.benchmarks)) throw new Error(`${spec} does not export a benchmarks array`);
    all.push(...(mod.benchmarks as Benchmark[]));
  }
  const seen = new Set<string>();
  for (const b of all) {
    if (seen.has(b.name)) throw new Error(`duplicate benchmark name ${b.name}`);
    seen.add(b.name);
  }
  return all;
}

async function main(): Promise<number> {
  const filters = process.argv.length > 2 ? process.argv.slice(2) : [''];
  const all = await load();
  const selected = all.filter((b) => filters.some((f) => b.name.startsWith(f)));
  if (selected.length === 0) {
    note(`bench: no benchmark name starts with ${filters.map((f) => `"${f}"`).join(' or ')}; known: ${all.map((b) => b.name).join(', ')}`);
    return 1;
  }
  let failed = 0;
  for (const b of selected) {
    try {
      printResult(await runBenchmark(b));
    } catch (err) {
      failed++;
      note(`bench: ${b.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    // Benchmarks stop by themselves: exit even if a handle was left open.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    note(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
