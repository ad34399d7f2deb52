/**
 * Spin, then sleep (src/bridge/spin.ts): a blocked read may watch
 * its wake word for a bounded moment before it sleeps. These tests pin down
 * the bounds: the back-off after spins that caught nothing, the leases that
 * cap how many threads spin at once (and expire if a spinner vanished), and
 * that a caller blocked for a long time still sleeps.
 */
import t from 'tap';
import { H, STATUS_BYTES } from '../../src/bridge/channel.js';
import { SPIN_US, resetSpin, spinCounters, spinWait } from '../../src/bridge/spin.js';
import { TelnetConnection } from '../../src/sync/index.js';
import { Child, HOST } from './helpers.js';

const spinning = SPIN_US > 0;
const SLOTS = 2;

function words(): { ctrl: Int32Array; status: Int32Array } {
  const status = new Int32Array(new SharedArrayBuffer(STATUS_BYTES));
  status[H.SPIN_SLOTS] = SLOTS;
  return { ctrl: new Int32Array(4), status };
}

t.test('news already there: caught at once, and the back-off is reset', { skip: !spinning && 'spinning is off here' }, async (tt) => {
  resetSpin();
  const { ctrl, status } = words();
  ctrl[0] = 5;
  tt.equal(spinWait(ctrl, 0, 4, 1000, status), true);
  tt.same(spinCounters, { caught: 1, missed: 0, skipped: 0, noLease: 0 });
  tt.equal(status[H.SPIN], 0, 'the lease is given back');
});

t.test('spins that catch nothing back off: 1, 2, 4, ... up to 64 waits without spinning', { skip: !spinning && 'spinning is off here' }, async (tt) => {
  resetSpin();
  const { ctrl, status } = words();
  const pattern: string[] = [];
  for (let i = 0; i < 1 + 1 + 1 + 2 + 1 + 4 + 1 + 8; i++) {
    const before = { ...spinCounters };
    const t0 = performance.now();
    tt.equal(spinWait(ctrl, 0, 0, 1000, status), false);
    const ms = performance.now() - t0;
    if (spinCounters.missed > before.missed) {
      pattern.push('S');
      tt.ok(ms >= SPIN_US / 1000 * 0.9, `a spin lasts its budget (${ms.toFixed(3)} ms)`);
    } else pattern.push('-');
  }
  tt.equal(pattern.join(''), 'S-S--S----S--------');
  // The back-off stops doubling at 64.
  resetSpin();
  let expected = '';
  for (const b of [1, 2, 4, 8, 16, 32, 64, 64]) expected += 'S' + '-'.repeat(b);
  let got = '';
  while (got.length < expected.length) {
    const m = spinCounters.missed;
    spinWait(ctrl, 0, 0, 1000, status);
    got += spinCounters.missed > m ? 'S' : '-';
  }
  tt.equal(got, expected);
  // A catch resets it: the next wait spins again.
  resetSpin();
  spinWait(ctrl, 0, 0, 1000, status); // missed: skip 1
  spinWait(ctrl, 0, 0, 1000, status); // skipped
  ctrl[0] = 1;
  tt.equal(spinWait(ctrl, 0, 0, 1000, status), true, 'caught');
  ctrl[0] = 0;
  const missedBefore = spinCounters.missed;
  spinWait(ctrl, 0, 0, 1000, status);
  tt.equal(spinCounters.missed, missedBefore + 1, 'spins at once after a catch');
});

t.test('leases cap the spinners; a lease left behind expires', { skip: !spinning && 'spinning is off here' }, async (tt) => {
  resetSpin();
  const { ctrl, status } = words();
  const now = Date.now() & 0x7fffffff;
  ctrl[0] = 1;
  status[H.SPIN] = (now + 60_000) | 0;
  tt.equal(spinWait(ctrl, 0, 0, 1000, status), true, 'one lease held: the other is taken');
  tt.equal(status[H.SPIN + 1], 0, 'and given back');
  status[H.SPIN + 1] = (now + 60_000) | 0;
  tt.equal(spinWait(ctrl, 0, 0, 1000, status), false, 'every lease is held: no spin');
  tt.equal(spinCounters.noLease, 1);
  tt.equal(status[H.SPIN + 2], 0, 'no more leases than the engine allows');
  // A thread terminated while spinning leaves its lease: it is taken once it has expired.
  for (let i = 0; i < SLOTS; i++) status[H.SPIN + i] = (now - 5) | 0;
  tt.equal(spinWait(ctrl, 0, 0, 1000, status), true, 'an expired lease is taken');
  tt.equal(spinCounters.caught, 2);
  tt.equal(spinWait(ctrl, 0, 0, 1000, null), false, 'no status block: no spin');
  status[H.SPIN_SLOTS] = 0;
  tt.equal(spinWait(ctrl, 0, 0, 1000, status), false, 'no slots (one CPU): no spin');
  tt.equal(spinCounters.noLease, 2);
});

t.test('reads spin; a caller blocked for long still sleeps', async (tt) => {
  const rec = Child.start(tt, 'recorder');
  const { port } = await rec.line((l) => typeof l.port === 'number', 10000, 'recorder port');
  const c = new TelnetConnection<Buffer>(HOST, port, { encoding: false, timeout: 5000, connectMaxwait: 50 });
  c.connect();
  resetSpin();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  tt.throws(() => c.readUntil('never', 1500), { code: 'ERR_TELNET_TIMEOUT' });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  c.close();
  tt.ok(wall >= 1400, `the read waited its timeout (${wall.toFixed(0)} ms)`);
  // Spinning the whole wait would cost ~1,500 ms of CPU; sleeping costs a few.
  tt.ok(cpuMs < wall * 0.2, `CPU while blocked: ${cpuMs.toFixed(1)} ms in ${wall.toFixed(0)} ms`);
  if (spinning) tt.ok(spinCounters.missed + spinCounters.noLease >= 1, 'the read tried a spin before it slept');
  tt.ok(spinCounters.missed + spinCounters.caught <= 2, `it did not spin again each slice (${JSON.stringify(spinCounters)})`);
});
