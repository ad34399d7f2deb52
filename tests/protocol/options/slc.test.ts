import t from 'tap';
import { decodeLinemode, type SlcTriplet } from '../../../src/protocol/options/linemode.js';
import {
  BSD_SLC_TABLE,
  NSLC,
  SLC_NOVALUE,
  Slc,
  SlcFlag,
  SlcTable,
  processSlc,
  slcEncode,
  slcName,
} from '../../../src/protocol/options/slc.js';

const { NOSUPPORT, CANTCHANGE, VARIABLE, DEFAULT, ACK, FLUSHIN, FLUSHOUT } = SlcFlag;
const tr = (func: number, flags: number, value: number): SlcTriplet => ({ func, flags, value });

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s & 0xff;
  };
}

/** The byte lookup rebuilt the slow way: lowest supported function with that value. */
function bruteForce(table: SlcTable, byte: number): number {
  if (byte === 0 || byte === SLC_NOVALUE) return 0;
  for (const e of table.entries()) {
    if ((e.flags & 3) !== NOSUPPORT && e.value === byte) return e.func;
  }
  return 0;
}

t.test('function names and codes', async (t) => {
  t.equal(slcName(Slc.IP), 'IP');
  t.equal(slcName(Slc.MCL), 'MCL');
  t.equal(slcName(Slc.EEOL), 'EEOL');
  t.equal(slcName(99), '99');
  t.same(Object.values(Slc), Array.from({ length: NSLC }, (_, i) => i + 1));
});

t.test('BSD defaults and the byte lookup', async (t) => {
  const table = new SlcTable();
  t.same(table.get(Slc.IP), { flags: VARIABLE | FLUSHIN | FLUSHOUT, value: 0x03 });
  t.same(table.get(Slc.ABORT), { flags: VARIABLE | FLUSHIN | FLUSHOUT, value: 0x1c });
  t.same(table.get(Slc.AO), { flags: VARIABLE | FLUSHOUT, value: 0x0f });
  t.same(table.get(Slc.SUSP), { flags: VARIABLE | FLUSHIN, value: 0x1a });
  t.same(table.get(Slc.BRK), { flags: DEFAULT, value: 0 });
  t.same(table.get(Slc.FORW1), { flags: NOSUPPORT, value: SLC_NOVALUE });
  t.same(table.get(Slc.EEOL), { flags: NOSUPPORT, value: SLC_NOVALUE });
  t.equal(table.functionForByte(0x03), Slc.IP);
  t.equal(table.functionForByte(0x7f), Slc.EC);
  t.equal(table.functionForByte(0x04), Slc.EOF);
  t.equal(table.functionForByte(0x00), 0, 'NUL is data, not SYNCH/BRK/EOR');
  t.equal(table.functionForByte(0xff), 0, '0xFF is the disabled value');
  t.equal(table.functionForByte(0x61), 0);
  t.throws(() => table.get(0), RangeError);
  t.throws(() => table.get(NSLC + 1), RangeError);
  t.throws(() => table.set(Slc.IP, 0, 256), RangeError);
  t.equal(BSD_SLC_TABLE[Slc.MCL], undefined, 'functions 19..30 are absent, hence NOSUPPORT');
});

t.test('set keeps the lookup in step; lowest function wins a shared value', async (t) => {
  const table = new SlcTable();
  table.set(Slc.IP, VARIABLE, 0x18);
  t.equal(table.functionForByte(0x03), 0);
  t.equal(table.functionForByte(0x18), Slc.IP);
  table.set(Slc.EW, VARIABLE, 0x15); // same as EL
  t.equal(table.functionForByte(0x15), Slc.EL);
  table.set(Slc.EL, NOSUPPORT, 0x15);
  t.equal(table.functionForByte(0x15), Slc.EW, 'EL unsupported: EW takes the byte');
  table.set(Slc.EW, VARIABLE, 0x08);
  t.equal(table.functionForByte(0x15), 0);
  t.equal(table.functionForByte(0x08), Slc.EW);
  table.reset();
  t.equal(table.functionForByte(0x03), Slc.IP);
  t.equal(table.functionForByte(0x15), Slc.EL);
  t.equal(table.functionForByte(0x08), 0);
});

const BSD_TABLE_PAYLOAD = [
  0x03,
  0x01, 0x03, 0x00, 0x02, 0x03, 0x00, 0x03, 0x62, 0x03, 0x04, 0x22, 0x0f,
  0x05, 0x02, 0x14, 0x06, 0x03, 0x00, 0x07, 0x62, 0x1c, 0x08, 0x02, 0x04,
  0x09, 0x42, 0x1a, 0x0a, 0x02, 0x7f, 0x0b, 0x02, 0x15, 0x0c, 0x02, 0x17,
  0x0d, 0x02, 0x12, 0x0e, 0x02, 0x16, 0x0f, 0x02, 0x11, 0x10, 0x02, 0x13,
];

t.test('(0, DEFAULT, 0) resets and answers with the BSD table', async (t) => {
  const table = new SlcTable();
  t.same([...table.encodeAll()], BSD_TABLE_PAYLOAD);
  table.set(Slc.EC, VARIABLE, 0x08);
  const r = processSlc(table, [tr(0, DEFAULT, 0)], 'server');
  t.same([...slcEncode(r.reply)], BSD_TABLE_PAYLOAD);
  t.same(r.changed, [Slc.EC]);
  t.same(table.get(Slc.EC), { flags: VARIABLE, value: 0x7f });
  t.same(r.warnings, []);
});

t.test('(0, VARIABLE, 0) answers with the current table, no reset', async (t) => {
  const table = new SlcTable();
  table.set(Slc.EC, VARIABLE, 0x08);
  const r = processSlc(table, [tr(0, VARIABLE, 0)], 'server');
  t.equal(r.reply.length, 16);
  t.same(r.reply.find((x) => x.func === Slc.EC), tr(Slc.EC, VARIABLE, 0x08));
  t.same(r.reply[2], tr(Slc.IP, 0x62, 0x03));
  t.same(r.changed, []);
  const bad = processSlc(table, [tr(0, CANTCHANGE, 0)], 'server');
  t.same(bad.reply, []);
  t.equal(bad.warnings.length, 1);
});

t.test('a matching triplet needs no answer; a change is adopted with ACK', async (t) => {
  const table = new SlcTable();
  t.same(processSlc(table, [tr(Slc.IP, VARIABLE, 0x03)], 'server').reply, []);
  const r = processSlc(table, [tr(Slc.EC, VARIABLE, 0x08)], 'server');
  t.same(r.reply, [tr(Slc.EC, VARIABLE | ACK, 0x08)]);
  t.same(r.changed, [Slc.EC]);
  t.equal(table.functionForByte(0x08), Slc.EC);
  t.equal(table.functionForByte(0x7f), 0);
  // The same proposal again is now a match.
  t.same(processSlc(table, [tr(Slc.EC, VARIABLE, 0x08)], 'server').reply, []);
});

t.test('ACKed triplets are never answered', async (t) => {
  const server = new SlcTable();
  const r1 = processSlc(server, [tr(Slc.IP, VARIABLE | ACK, 0x05)], 'server');
  t.same(r1.reply, []);
  t.same(server.get(Slc.IP).value, 0x03, 'server keeps its value');
  const r2 = processSlc(server, [tr(Slc.IP, CANTCHANGE | ACK, 0x05)], 'server');
  t.same(r2.reply, []);
  t.match(r2.warnings, [/ACK/]);

  const client = new SlcTable();
  const r3 = processSlc(client, [tr(Slc.IP, VARIABLE | ACK, 0x05)], 'client');
  t.same(r3.reply, []);
  t.same(r3.changed, [Slc.IP], 'the client takes the value the server confirmed');
  t.equal(client.functionForByte(0x05), Slc.IP);
  t.same(processSlc(client, [tr(99, VARIABLE | ACK, 1)], 'client').reply, []);
});

t.test('NOSUPPORT, DEFAULT and unsupported functions', async (t) => {
  const table = new SlcTable();
  t.same(processSlc(table, [tr(Slc.AYT, NOSUPPORT, 0)], 'server').reply, [tr(Slc.AYT, NOSUPPORT | ACK, 0)]);
  t.same(table.get(Slc.AYT), { flags: NOSUPPORT, value: SLC_NOVALUE });
  t.equal(table.functionForByte(0x14), 0);

  table.set(Slc.EC, VARIABLE, 0x08);
  t.same(processSlc(table, [tr(Slc.EC, DEFAULT, 0)], 'server').reply, [tr(Slc.EC, VARIABLE, 0x7f)]);
  t.same(processSlc(table, [tr(Slc.BRK, DEFAULT, 5)], 'server').reply, [tr(Slc.BRK, NOSUPPORT, 0)]);

  // A DEFAULT-level function takes whatever the peer picks.
  t.same(processSlc(table, [tr(Slc.SYNCH, VARIABLE, 0x19)], 'server').reply, [tr(Slc.SYNCH, VARIABLE | ACK, 0x19)]);
  t.equal(table.functionForByte(0x19), Slc.SYNCH);

  // A function we never support is refused with our own level and value.
  t.same(processSlc(table, [tr(Slc.MCL, VARIABLE, 0x02)], 'server').reply, [tr(Slc.MCL, NOSUPPORT, SLC_NOVALUE)]);
  t.equal(table.functionForByte(0x02), 0);
});

t.test('CANTCHANGE conflicts', async (t) => {
  const table = new SlcTable({ ...BSD_SLC_TABLE, [Slc.EC]: { flags: CANTCHANGE, value: 0x7f } });
  const r = processSlc(table, [tr(Slc.EC, VARIABLE, 0x08)], 'server');
  t.same(r.reply, [tr(Slc.EC, CANTCHANGE, 0x7f)]);
  t.same(table.get(Slc.EC), { flags: CANTCHANGE, value: 0x7f });
  t.same(r.changed, []);
  t.equal(table.functionForByte(0x08), 0);

  const both = processSlc(table, [tr(Slc.EC, CANTCHANGE, 0x08)], 'server');
  t.same(both.reply, [tr(Slc.EC, NOSUPPORT, 0x08)], 'both fixed: degenerate to NOSUPPORT');
  t.equal(table.get(Slc.EC).flags & 3, NOSUPPORT);
  t.equal(table.functionForByte(0x7f), 0);
});

t.test('functions above NSLC', async (t) => {
  const table = new SlcTable();
  const r = processSlc(table, [tr(31, VARIABLE, 1)], 'server');
  t.same(r.reply, [tr(31, NOSUPPORT, 0)]);
  t.match(r.warnings, [/above 30/]);
  t.same(processSlc(table, [tr(200, NOSUPPORT, 0)], 'server').reply, [], 'already NOSUPPORT: no answer');
});

t.test('one answer per function, the last one wins', async (t) => {
  const table = new SlcTable();
  const r = processSlc(table, [tr(Slc.EC, VARIABLE, 0x08), tr(Slc.EC, VARIABLE, 0x09)], 'server');
  t.same(r.reply, [tr(Slc.EC, VARIABLE | ACK, 0x09)]);
  const after = processSlc(table, [tr(Slc.EL, VARIABLE, 0x18), tr(0, DEFAULT, 0)], 'server');
  t.same([...slcEncode(after.reply)], BSD_TABLE_PAYLOAD, 'a reset discards the earlier answer');
});

t.test('B21/C02: 200 triplets get a reply of at most 90 bytes', async (t) => {
  const wire: number[] = [0x03];
  for (let i = 0; i < 200; i++) wire.push(i % 3 === 0 ? 0 : 1 + (i % 230), i % 4, i & 0xff);
  const d = decodeLinemode(Buffer.from(wire));
  if (!d.ok || d.value.kind !== 'slc') throw new Error('decode failed');
  t.equal(d.value.triplets.length, 200);
  for (const role of ['server', 'client'] as const) {
    const r = processSlc(new SlcTable(), d.value.triplets, role);
    t.ok(r.reply.length <= NSLC, `${role}: ${r.reply.length} triplets`);
    t.ok(slcEncode(r.reply).length - 1 <= 90, `${role}: reply bytes`);
    t.equal(new Set(r.reply.map((x) => x.func)).size, r.reply.length, `${role}: no function twice`);
    t.ok(r.warnings.length <= 5, `${role}: warnings are summaries`);
  }
  // Many distinct out-of-range functions plus a table request still fit.
  const flood = [tr(0, DEFAULT, 0), ...Array.from({ length: 200 }, (_, i) => tr(31 + i, VARIABLE, 1))];
  const r = processSlc(new SlcTable(), flood, 'server');
  t.equal(r.reply.length, NSLC);
  t.same(r.reply.slice(0, 16).map((x) => x.func), Array.from({ length: 16 }, (_, i) => i + 1));
  t.match(r.warnings, [/above 30/, /dropped/]);
});

t.test('10,000 random triplets: no throw, bounded reply, consistent lookup', async (t) => {
  const next = rng(0x5eed);
  for (const role of ['server', 'client'] as const) {
    const table = new SlcTable();
    const all: SlcTriplet[] = [];
    for (let i = 0; i < 10_000; i++) all.push(tr(next() % 40, next(), next()));
    const one = processSlc(table, all, role);
    t.ok(one.reply.length <= NSLC && slcEncode(one.reply).length <= 91, `${role}: one batch`);
    let worst = 0;
    let sentZero = false;
    for (let at = 0; at < all.length; ) {
      const n = 1 + (next() % 64);
      const r = processSlc(table, all.slice(at, at + n), role);
      worst = Math.max(worst, r.reply.length);
      sentZero ||= r.reply.some((x) => x.func === 0);
      at += n;
    }
    t.ok(worst <= NSLC, `${role}: worst chunk reply ${worst}`);
    t.equal(sentZero, false, `${role}: never sends function 0`);
    const lookupOk = Array.from({ length: 256 }, (_, b) => table.functionForByte(b) === bruteForce(table, b));
    t.equal(lookupOk.every(Boolean), true, `${role}: lookup matches the table`);
  }
  t.same(processSlc(new SlcTable(), [tr(1.5, 2, 3), tr(-1, 0, 0)], 'server').reply, []);
});

t.test('server and client negotiation terminates and agrees', async (t) => {
  const server = new SlcTable();
  const client = new SlcTable({ ...BSD_SLC_TABLE, [Slc.EC]: { flags: VARIABLE, value: 0x08 }, [Slc.IP]: { flags: CANTCHANGE, value: 0x19 } });
  let toServer: SlcTriplet[] = [tr(0, DEFAULT, 0)];
  let rounds = 0;
  while (toServer.length && rounds < 10) {
    const toClient = processSlc(server, toServer, 'server').reply;
    toServer = processSlc(client, toClient, 'client').reply;
    rounds++;
  }
  t.ok(rounds < 10, `settled in ${rounds} round(s)`);
  t.equal(server.get(Slc.EC).value, client.get(Slc.EC).value);
  t.equal(server.get(Slc.IP).flags & 3, CANTCHANGE, 'the server adopts the level of the fixed IP');
  t.equal(server.get(Slc.IP).value, 0x19);
  t.same(client.get(Slc.IP), { flags: CANTCHANGE | FLUSHIN | FLUSHOUT, value: 0x19 }, 'the client keeps its fixed IP');
  t.equal(server.functionForByte(0x19), Slc.IP);
  t.equal(server.functionForByte(0x03), 0);
});
