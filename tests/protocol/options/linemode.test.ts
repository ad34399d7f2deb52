import t from 'tap';
import { Cmd, Opt } from '../../../src/protocol/constants.js';
import { frameSubnegotiation } from '../../../src/protocol/options/codec.js';
import {
  LinemodeSub,
  ModeBit,
  decodeLinemode,
  describeMode,
  encodeForwardmask,
  encodeForwardmaskVerb,
  encodeMode,
  forwardmaskFromSlc,
} from '../../../src/protocol/options/linemode.js';
import { Slc, SlcFlag, SlcTable } from '../../../src/protocol/options/slc.js';

t.test('MODE EDIT|TRAPSIG on the wire', async (t) => {
  const payload = encodeMode(ModeBit.EDIT | ModeBit.TRAPSIG);
  t.same([...payload], [LinemodeSub.MODE, 0x03]);
  t.same([...frameSubnegotiation(Opt.LINEMODE, payload)], [0xff, 0xfa, 0x22, 0x01, 0x03, 0xff, 0xf0]);
  t.throws(() => encodeMode(256), RangeError);
  t.throws(() => encodeMode(-1), RangeError);
});

t.test('MODE round trip and malformed MODE', async (t) => {
  for (const mask of [0, ModeBit.EDIT, ModeBit.EDIT | ModeBit.ACK | ModeBit.LIT_ECHO, 0x1f]) {
    const d = decodeLinemode(encodeMode(mask));
    t.same(d, { ok: true, value: { kind: 'mode', mask }, warnings: [] }, `mask ${mask}`);
  }
  t.equal(decodeLinemode(Buffer.from([LinemodeSub.MODE])).ok, false, 'MODE without mask fails');
  const extra = decodeLinemode(Buffer.from([LinemodeSub.MODE, 0x01, 0x99]));
  t.ok(extra.ok && extra.value.kind === 'mode' && extra.value.mask === 1 && extra.warnings.length === 1);
  const odd = decodeLinemode(Buffer.from([LinemodeSub.MODE, 0x41]));
  t.ok(odd.ok && odd.value.kind === 'mode' && odd.value.mask === 0x41, 'undefined bits are kept');
  t.match(odd.ok ? odd.warnings[0] : '', /undefined bits/);
});

t.test('empty and unknown payloads', async (t) => {
  t.equal(decodeLinemode(Buffer.alloc(0)).ok, false);
  t.same(decodeLinemode(Buffer.from([9, 1, 2])), { ok: true, value: { kind: 'unknown', sub: 9 }, warnings: [] });
  t.same(decodeLinemode(Buffer.from([0])), { ok: true, value: { kind: 'unknown', sub: 0 }, warnings: [] });
});

t.test('FORWARDMASK encode/decode', async (t) => {
  const mask = Buffer.from([0x80, 0x00, 0x01]);
  const payload = encodeForwardmask(mask);
  t.same([...payload], [Cmd.DO, LinemodeSub.FORWARDMASK, 0x80, 0x00, 0x01]);
  const d = decodeLinemode(payload);
  t.ok(d.ok && d.value.kind === 'forwardmask' && d.value.verb === Cmd.DO);
  t.same(d.ok && d.value.kind === 'forwardmask' ? [...d.value.mask] : null, [0x80, 0x00, 0x01]);

  t.throws(() => encodeForwardmask(Buffer.alloc(0)), RangeError);
  t.throws(() => encodeForwardmask(Buffer.alloc(33)), RangeError);
  t.equal(encodeForwardmask(Buffer.alloc(32)).length, 34);

  t.equal(decodeLinemode(Buffer.from([Cmd.DO, LinemodeSub.FORWARDMASK])).ok, false, 'DO needs a mask');
  t.equal(decodeLinemode(Buffer.concat([Buffer.from([Cmd.DO, 2]), Buffer.alloc(33)])).ok, false, 'mask too long');
  t.equal(decodeLinemode(Buffer.from([Cmd.DO, LinemodeSub.SLC, 1])).ok, false, 'verb must precede FORWARDMASK');
  t.equal(decodeLinemode(Buffer.from([Cmd.WILL])).ok, false, 'bare verb');

  for (const verb of [Cmd.DONT, Cmd.WILL, Cmd.WONT] as const) {
    const p = encodeForwardmaskVerb(verb);
    t.same([...p], [verb, LinemodeSub.FORWARDMASK]);
    t.same(decodeLinemode(p), { ok: true, value: { kind: 'forwardmask', verb, mask: Buffer.alloc(0) }, warnings: [] });
  }
  t.throws(() => encodeForwardmaskVerb(Cmd.DO as never), RangeError);
  const stray = decodeLinemode(Buffer.from([Cmd.WONT, LinemodeSub.FORWARDMASK, 7, 7]));
  t.ok(stray.ok && stray.warnings.length === 1, 'bytes after WONT FORWARDMASK warn');
});

t.test('forwardmaskFromSlc bit order (byte i bit 7 = char 8*i)', async (t) => {
  const table = new SlcTable();
  const seven = forwardmaskFromSlc(table, false);
  t.equal(seven.length, 16);
  const expected = Buffer.alloc(16);
  expected[0] = 0x18; // ^C (3) and ^D (4)
  expected[1] = 0x01; // ^O (15)
  expected[2] = 0x7f; // ^Q ^R ^S ^T ^U ^V ^W (17..23)
  expected[3] = 0x28; // ^Z (26) and ^\ (28)
  expected[15] = 0x01; // DEL (127)
  t.same([...seven], [...expected]);

  table.set(Slc.EOF, SlcFlag.VARIABLE, 0xa0);
  const binary = forwardmaskFromSlc(table, true);
  t.equal(binary.length, 32);
  t.equal(binary[0], 0x10, '^D no longer forwards');
  t.equal(binary[20], 0x80, '0xA0 is byte 20 bit 7');
  t.equal(forwardmaskFromSlc(table, false).includes(0x80, 16), false, '7-bit mask has no room for 0xA0');
  t.equal(encodeForwardmask(binary).length, 34);
});

t.test('SLC payloads and partial triplets (B22)', async (t) => {
  const d = decodeLinemode(Buffer.from([LinemodeSub.SLC, 3, 0x62, 3, 10, 2, 0x7f]));
  t.same(d, {
    ok: true,
    value: { kind: 'slc', triplets: [{ func: 3, flags: 0x62, value: 3 }, { func: 10, flags: 2, value: 0x7f }] },
    warnings: [],
  });
  // The exact B22 payload: SLC followed by two bytes.
  const partial = decodeLinemode(Buffer.from([0x03, 0x01, 0x02]));
  t.ok(partial.ok && partial.value.kind === 'slc' && partial.value.triplets.length === 0);
  t.match(partial.ok ? partial.warnings : [], [/partial triplet/]);
  const oneAndABit = decodeLinemode(Buffer.from([LinemodeSub.SLC, 3, 2, 3, 9]));
  t.ok(oneAndABit.ok && oneAndABit.value.kind === 'slc' && oneAndABit.value.triplets.length === 1);
  t.equal(oneAndABit.ok ? oneAndABit.warnings.length : -1, 1);
  const empty = decodeLinemode(Buffer.from([LinemodeSub.SLC]));
  t.same(empty, { ok: true, value: { kind: 'slc', triplets: [] }, warnings: [] });
});

t.test('describeMode', async (t) => {
  t.equal(describeMode(ModeBit.EDIT | ModeBit.TRAPSIG), 'EDIT|TRAPSIG');
  t.equal(describeMode(0), 'NONE');
  t.equal(describeMode(0x1f), 'EDIT|TRAPSIG|ACK|SOFT_TAB|LIT_ECHO');
  t.equal(describeMode(0x45), 'EDIT|ACK|0x40');
});
