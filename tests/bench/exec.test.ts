/** Keeps exec.async / exec.blocking working: one tiny run of each (20 commands per client). Not a timing test. */
import t from 'tap';
import { execAsyncRun, execBlockingRun, startRouter, stopRouter } from './exec.js';

t.teardown(() => stopRouter());

t.test('exec benchmarks run and report rates', async (t) => {
  const port = await startRouter();
  for (const run of [execAsyncRun, execBlockingRun]) {
    const r = await run(port, 20);
    t.ok(r.value > 0 && Number.isFinite(r.value), 'our rate');
    t.ok(r.baseline > 0 && Number.isFinite(r.baseline), 'telnet-client rate');
  }
});
