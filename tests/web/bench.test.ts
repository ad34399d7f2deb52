/**
 * One tiny iteration of the web.bulk benchmark (1 MiB, no warm-up), so that
 * it keeps working; the figures themselves are never asserted here.
 */
import t from 'tap';
import { webBulk } from '../bench/web.js';

t.test('web.bulk runs: every byte through the gateway and the bare relay', async (t) => {
  const b = webBulk(1024 * 1024, 0);
  try {
    await b.warmup!();
    const r = await b.run();
    t.ok(r.value > 0 && Number.isFinite(r.value), 'gateway MB/s measured');
    t.ok(r.baseline !== undefined && r.baseline > 0, 'bare relay MB/s measured');
  } finally {
    await b.teardown!();
  }
});
