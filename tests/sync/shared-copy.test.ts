/**
 * Copies between plain memory and a SharedArrayBuffer ring (shared-copy.ts,
 * used by ringWrite/ringRead): byte for byte what a plain copy gives, at
 * every alignment of source and target, at lengths around the small-copy
 * cut and the staging piece, and through a ring whose positions wrap.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { C, createChannel, ringRead, ringUsed, ringWrite } from '../../src/bridge/channel.js';
import { allocAlignedTo, copyIntoShared } from '../../src/bridge/shared-copy.js';
import { randomBytesFor } from './helpers.js';
import { mulberry32 } from '../helpers/session-harness.js';

t.test('copyIntoShared: every alignment, lengths around 256 and 64 KiB', (t) => {
  const shared = new Uint8Array(new SharedArrayBuffer(200 * 1024));
  const lengths = [0, 1, 7, 8, 9, 255, 256, 257, 1000, 65535, 65536, 65537, 3 * 65536 + 5];
  let bad = 0;
  let cases = 0;
  for (const len of lengths) {
    const base = randomBytesFor(len + 16, len);
    for (let srcOff = 0; srcOff < 8; srcOff++) {
      for (let at = 0; at < 8; at++) {
        shared.fill(0xee);
        const src = base.subarray(srcOff, srcOff + len);
        copyIntoShared(shared, at + 8, src);
        cases++;
        const got = Buffer.from(shared.buffer, at + 8, len);
        if (!got.equals(src) || shared[at + 7] !== 0xee || shared[at + 8 + len] !== 0xee) bad++;
      }
    }
  }
  t.equal(bad, 0, `${cases} copies exact, nothing written outside them`);
  t.end();
});

t.test('allocAlignedTo: a buffer of n bytes at the source\'s alignment mod 8', (t) => {
  const shared = new Uint8Array(new SharedArrayBuffer(4096), 24, 2048);
  for (const n of [0, 5, 255, 256, 4000]) {
    for (let at = 0; at < 16; at++) {
      const out = allocAlignedTo(shared, at, n);
      if (out.length !== n) t.fail(`length ${out.length} for ${n}`);
      if (n >= 256 && ((out.byteOffset - (shared.byteOffset + at)) & 7) !== 0) t.fail(`misaligned for n=${n} at=${at}`);
    }
  }
  t.pass('lengths and alignment hold');
  t.end();
});

t.test('a ring carries 8 MiB in odd-sized writes and reads, wrapping all the way', (t) => {
  const ch = createChannel(64 * 1024, 16 * 1024);
  const data = randomBytesFor(8 * 1024 * 1024, 99);
  const rand = mulberry32(7);
  const inHash = createHash('sha256').update(data);
  const outHash = createHash('sha256');
  let w = 0;
  let got = 0;
  while (got < data.length) {
    if (w < data.length) {
      const n = 1 + Math.floor(rand() * 40000);
      w += ringWrite(ch.ctrl, ch.recv, C.RECV_HEAD, C.RECV_TAIL, data.subarray(w, Math.min(data.length, w + n)));
    }
    const max = 1 + Math.floor(rand() * 50000);
    const part = ringRead(ch.ctrl, ch.recv, C.RECV_HEAD, C.RECV_TAIL, max);
    outHash.update(part);
    got += part.length;
  }
  t.equal(ringUsed(ch.ctrl, C.RECV_HEAD, C.RECV_TAIL), 0);
  t.equal(got, data.length);
  t.equal(outHash.digest('hex'), inHash.digest('hex'), 'bytes out equal bytes in');
  t.end();
});
