/** Keeps bulk.mccp2 working: one tiny run (1 MiB) through the real benchmark code. */
import t from 'tap';
import { runBenchmark } from './harness.js';
import { mccpBenchmark } from './mccp.js';
import { makeMudText } from './mud-text.js';

t.test('MUD text is deterministic, ASCII + ANSI, and compresses like text', async (t) => {
  const a = makeMudText(256 * 1024);
  t.equal(a.length, 256 * 1024);
  t.same(makeMudText(4096), makeMudText(4096));
  t.notOk(a.includes(0xff), 'no IAC in the text');
  const { deflateSync } = await import('node:zlib');
  const ratio = a.length / deflateSync(a).length;
  t.ok(ratio > 3 && ratio < 40, `compresses ${ratio.toFixed(1)}:1 (under the inflate ratio cap)`);
});

t.test('bulk.mccp2 tiny run', async (t) => {
  const r = await runBenchmark(mccpBenchmark('bulk.mccp2.tiny', 1024 * 1024, 3, 0));
  t.ok(r.value > 0 && r.baseline !== undefined && r.baseline > 0, `${r.value} vs ${r.baseline} MB/s`);
});
