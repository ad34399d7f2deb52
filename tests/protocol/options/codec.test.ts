/**
 * escapeIac against a byte-at-a-time oracle: every 0xFF doubled, nothing
 * else changed, for IACs at the edges, in runs, and at random densities.
 */
import t from 'tap';
import { escapeIac } from '../../../src/protocol/options/codec.js';
import { mulberry32 } from '../../helpers/session-harness.js';

function oracle(buf: Buffer): Buffer {
  const out: number[] = [];
  for (const b of buf) {
    out.push(b);
    if (b === 0xff) out.push(0xff);
  }
  return Buffer.from(out);
}

t.test('fixed cases', async (t) => {
  const cases = [
    [], [0xff], [0xff, 0xff], [1, 0xff], [0xff, 1], [1, 0xff, 2], [0xff, 1, 0xff],
    [1, 2, 3], [0xff, 0xff, 0xff, 0x41, 0xff],
  ];
  for (const c of cases) {
    const b = Buffer.from(c);
    t.same([...escapeIac(b)], [...oracle(b)], `[${c.join(',')}]`);
  }
  const plain = Buffer.from('no iac here');
  t.equal(escapeIac(plain), plain, 'a buffer without IAC is returned as is');
});

t.test('random buffers, densities from none to all 0xFF', async (t) => {
  const rand = mulberry32(0x1ac);
  let checked = 0;
  for (const density of [0, 1 / 4096, 1 / 256, 1 / 16, 1 / 2, 1]) {
    for (let n = 0; n < 40; n++) {
      const len = Math.floor(rand() * 5000);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = rand() < density ? 0xff : Math.floor(rand() * 255);
      const before = Buffer.from(b);
      const got = escapeIac(b);
      if (!got.equals(oracle(before))) t.fail(`density ${density}, length ${len}`);
      if (!b.equals(before)) t.fail('input modified');
      checked++;
    }
  }
  // More IACs than the position table's first size (1,024) grows it.
  const many = Buffer.alloc(3000, 0xff);
  t.ok(escapeIac(many).equals(Buffer.alloc(6000, 0xff)), '3,000 IACs');
  t.equal(checked, 240);
});
