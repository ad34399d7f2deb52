/**
 * Golden tests for the MUD codecs: GMCP, MSDP (nested TABLE / ARRAY, MSDP
 * over GMCP) and MSSP, bytes in both directions.
 */
import t from 'tap';
import { decodeGmcp, encodeGmcp, mergeGmcp } from '../../../src/protocol/options/gmcp.js';
import {
  MSDP_ARRAY_CLOSE as AC, MSDP_ARRAY_OPEN as AO, MSDP_MAX_DEPTH, MSDP_TABLE_CLOSE as TC, MSDP_TABLE_OPEN as TO,
  MSDP_VAL, MSDP_VAR, decodeMsdp, encodeMsdp, encodeMsdpOverGmcp, msdpFromJson,
} from '../../../src/protocol/options/msdp.js';
import { MSSP_VAL, MSSP_VAR, decodeMssp, encodeMssp } from '../../../src/protocol/options/mssp.js';

/** Bytes from a mix of numbers (control bytes) and strings (UTF-8 text). */
function wire(...parts: Array<number | string>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p, 'utf8'))));
}

t.test('GMCP encode: package alone, package + compact JSON', async (t) => {
  t.equal(encodeGmcp('Core.Ping').toString(), 'Core.Ping');
  t.equal(encodeGmcp('Room.Info', { num: 1, name: 'Hall', exits: { n: 2 } }).toString(), 'Room.Info {"num":1,"name":"Hall","exits":{"n":2}}');
  t.equal(encodeGmcp('Char.Name', 'Zoë').toString('hex'), Buffer.from('Char.Name "Zoë"', 'utf8').toString('hex'));
  t.throws(() => encodeGmcp('Bad Name'), TypeError);
  t.throws(() => encodeGmcp(''), TypeError);
});

t.test('GMCP decode', async (t) => {
  t.same(decodeGmcp(Buffer.from('Core.Ping')), { ok: true, value: { package: 'Core.Ping', data: null }, warnings: [] });
  t.same(decodeGmcp(Buffer.from('Core.Ping   ')), { ok: true, value: { package: 'Core.Ping', data: null }, warnings: [] });
  const r = decodeGmcp(Buffer.from('Char.Vitals {"hp":10,"maxhp":20}'));
  t.same(r, { ok: true, value: { package: 'Char.Vitals', data: { hp: 10, maxhp: 20 } }, warnings: [] });
  t.same(decodeGmcp(Buffer.from('Comm.Channel.Text ["a", 1]')).ok && (decodeGmcp(Buffer.from('X [1]')) as { value: { data: unknown } }).value.data, [1]);
  // Malformed JSON: a clear failure, never a throw.
  const bad = decodeGmcp(Buffer.from('Char.Vitals {"hp":10,'));
  t.equal(bad.ok, false);
  t.match(!bad.ok && bad.reason, /invalid JSON/);
  t.equal(decodeGmcp(Buffer.from('')).ok, false);
  t.equal(decodeGmcp(Buffer.from(' {"a":1}')).ok, false, 'no package name');
  // A key named __proto__ stays data.
  const p = decodeGmcp(Buffer.from('X {"__proto__":{"polluted":1}}'));
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.ok(p.ok);
});

t.test('GMCP merge keeps per-package state as telnetlib3', async (t) => {
  const store: Record<string, unknown> = {};
  mergeGmcp(store, { package: 'Char.Vitals', data: { hp: 1, mp: 2 } });
  mergeGmcp(store, { package: 'Char.Vitals', data: { hp: 5 } });
  mergeGmcp(store, { package: 'Room.Name', data: 'Hall' });
  mergeGmcp(store, { package: '__proto__', data: { polluted: 1 } });
  t.same(store['Char.Vitals'], { hp: 5, mp: 2 });
  t.equal(store['Room.Name'], 'Hall');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'a package named __proto__ is just a key');
});

t.test('MSDP golden: scalars, nested TABLE and ARRAY', async (t) => {
  const bytes = wire(
    MSDP_VAR, 'ROOM', MSDP_VAL, TO,
    MSDP_VAR, 'VNUM', MSDP_VAL, '6008',
    MSDP_VAR, 'NAME', MSDP_VAL, 'The Forest',
    MSDP_VAR, 'EXITS', MSDP_VAL, TO, MSDP_VAR, 'n', MSDP_VAL, '6011', MSDP_VAR, 'e', MSDP_VAL, '6007', TC,
    MSDP_VAR, 'ITEMS', MSDP_VAL, AO, MSDP_VAL, 'sword', MSDP_VAL, AO, MSDP_VAL, '1', MSDP_VAL, '2', AC, MSDP_VAL, TO, MSDP_VAR, 'k', MSDP_VAL, 'v', TC, AC,
    TC,
    MSDP_VAR, 'HEALTH', MSDP_VAL, '10',
  );
  const value = {
    ROOM: { VNUM: '6008', NAME: 'The Forest', EXITS: { n: '6011', e: '6007' }, ITEMS: ['sword', ['1', '2'], { k: 'v' }] },
    HEALTH: '10',
  };
  t.same(decodeMsdp(bytes), { ok: true, value, warnings: [] });
  const enc = encodeMsdp({
    ROOM: { VNUM: 6008, NAME: 'The Forest', EXITS: { n: 6011, e: '6007' }, ITEMS: ['sword', [1, 2], { k: 'v' }] },
    HEALTH: 10,
  });
  t.equal(enc.toString('hex'), bytes.toString('hex'), 'encoder is byte-exact, numbers as text');
  t.same(decodeMsdp(encodeMsdp(value)), { ok: true, value, warnings: [] });
});

t.test('MSDP: several VALs make an array; commands from a client', async (t) => {
  t.same(decodeMsdp(wire(MSDP_VAR, 'REPORT', MSDP_VAL, 'HEALTH', MSDP_VAL, 'MANA')), { ok: true, value: { REPORT: ['HEALTH', 'MANA'] }, warnings: [] });
  t.same(decodeMsdp(wire(MSDP_VAR, 'LIST', MSDP_VAL, 'COMMANDS')), { ok: true, value: { LIST: 'COMMANDS' }, warnings: [] });
  t.same(decodeMsdp(Buffer.alloc(0)), { ok: true, value: {}, warnings: [] });
  t.same(decodeMsdp(wire(MSDP_VAR, 'EMPTY')).ok && (decodeMsdp(wire(MSDP_VAR, 'EMPTY')) as { value: unknown }).value, { EMPTY: '' });
});

t.test('MSDP malformed input decodes as far as it is well formed, with warnings', async (t) => {
  const unclosed = decodeMsdp(wire(MSDP_VAR, 'A', MSDP_VAL, TO, MSDP_VAR, 'B', MSDP_VAL, AO, MSDP_VAL, 'x'));
  t.ok(unclosed.ok);
  if (unclosed.ok) {
    t.same(unclosed.value, { A: { B: ['x'] } });
    t.ok(unclosed.warnings.length >= 2);
  }
  const junk = decodeMsdp(wire('junk', MSDP_VAL, 'v', TC, MSDP_VAR, 'A', MSDP_VAL, '1'));
  t.ok(junk.ok && junk.value.A === '1' && junk.warnings.length > 0);
  // Deep nesting is cut, never a stack overflow.
  const deep = Buffer.concat([wire(MSDP_VAR, 'D'), ...Array.from({ length: 5000 }, () => wire(MSDP_VAL, TO, MSDP_VAR, 'x'))]);
  const d = decodeMsdp(deep);
  t.ok(d.ok);
  if (d.ok) {
    let depth = 0;
    let v: unknown = d.value.D;
    while (typeof v === 'object' && v !== null) { v = (v as Record<string, unknown>).x; depth++; }
    t.ok(depth <= MSDP_MAX_DEPTH + 1, `depth ${depth} bounded`);
    t.ok(d.warnings.some((w) => /deeper/.test(w)));
  }
  t.throws(() => encodeMsdp({ A: 'bad\x01byte' }), TypeError);
  const pro = decodeMsdp(wire(MSDP_VAR, '__proto__', MSDP_VAL, TO, MSDP_VAR, 'polluted', MSDP_VAL, '1', TC));
  t.ok(pro.ok && Object.prototype.hasOwnProperty.call(pro.value, '__proto__'));
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('MSDP over GMCP', async (t) => {
  t.equal(encodeMsdpOverGmcp({ HEALTH: 10, ROOM: { EXITS: ['n', 's'] } }).toString(), 'MSDP {"HEALTH":"10","ROOM":{"EXITS":["n","s"]}}');
  t.same(msdpFromJson({ A: 1, B: null, C: [true, { d: 2 }] }), { A: '1', B: '', C: ['true', { d: '2' }] });
  t.throws(() => msdpFromJson([1]), TypeError);
});

t.test('MSSP golden', async (t) => {
  const bytes = wire(MSSP_VAR, 'NAME', MSSP_VAL, 'Mini MUD', MSSP_VAR, 'PLAYERS', MSSP_VAL, '3', MSSP_VAR, 'PORT', MSSP_VAL, '4000', MSSP_VAL, '4001');
  t.equal(encodeMssp({ NAME: 'Mini MUD', PLAYERS: 3, PORT: [4000, 4001] }).toString('hex'), bytes.toString('hex'));
  t.same(decodeMssp(bytes), { ok: true, value: { NAME: 'Mini MUD', PLAYERS: '3', PORT: ['4000', '4001'] }, warnings: [] });
  // A repeated VAR also makes a list.
  t.same(decodeMssp(wire(MSSP_VAR, 'PORT', MSSP_VAL, '1', MSSP_VAR, 'PORT', MSSP_VAL, '2', MSSP_VAR, 'PORT', MSSP_VAL, '3')).ok
    && (decodeMssp(wire(MSSP_VAR, 'PORT', MSSP_VAL, '1', MSSP_VAR, 'PORT', MSSP_VAL, '2', MSSP_VAR, 'PORT', MSSP_VAL, '3')) as { value: unknown }).value,
  { PORT: ['1', '2', '3'] });
});

t.test('MSSP empty and malformed', async (t) => {
  t.same(decodeMssp(Buffer.alloc(0)), { ok: true, value: {}, warnings: [] });
  t.equal(encodeMssp({}).length, 0);
  const r = decodeMssp(wire('junk', MSSP_VAL, 'x', MSSP_VAR, 'A', MSSP_VAR, 'B', MSSP_VAL, 'b'));
  t.ok(r.ok);
  if (r.ok) {
    t.same(r.value, { A: '', B: 'b' });
    t.equal(r.warnings.length, 1);
  }
  t.same((decodeMssp(wire(MSSP_VAL, 'orphan')) as { value: unknown }).value, {});
  t.throws(() => encodeMssp({ A: 'x\x02' }), TypeError);
});
