import t from 'tap';
import {
  DEFAULT_CLIENT_ENVIRON_ALLOW,
  DEFAULT_ENVIRON_ALLOW,
  DEFAULT_ENVIRON_REQUEST,
  EnvCmd,
  EnvType,
  clientEnvironReply,
  decodeEnviron,
  encodeEnvironIs,
  encodeEnvironSend,
  filterEnviron,
  sanitizeEnvironValue,
  type EnvironMessage,
} from '../../../src/protocol/options/environ.js';
import { escapeIac } from '../../../src/protocol/options/codec.js';
import { TelnetUsageError } from '../../../src/protocol/errors.js';

const { VAR, VALUE, ESC, USERVAR } = EnvType;

/** Bytes from a mix of numbers and latin1 strings. */
function bytes(...parts: Array<number | string>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));
}

function decoded(payload: Buffer, opts?: Parameters<typeof decodeEnviron>[1]): EnvironMessage & { warnings: string[] } {
  const r = decodeEnviron(payload, opts);
  if (!r.ok) throw new Error(`decode failed: ${r.reason}`);
  return { ...r.value, warnings: r.warnings };
}

t.test('SEND for USER, LANG, TERM has the exact RFC 1572 bytes', async (t) => {
  const out = encodeEnvironSend([
    { type: 'VAR', name: 'USER' },
    { type: 'VAR', name: 'LANG' },
    { type: 'VAR', name: 'TERM' },
  ]);
  t.equal(out.length, 1);
  t.same([...out[0]!], [...bytes(EnvCmd.SEND, VAR, 'USER', VAR, 'LANG', VAR, 'TERM')]);
});

t.test('the default server request ends with a bare VAR and USERVAR', async (t) => {
  const out = encodeEnvironSend(DEFAULT_ENVIRON_REQUEST);
  t.equal(out.length, 1);
  const p = out[0]!;
  t.equal(p[0], EnvCmd.SEND);
  t.same([...p.subarray(-2)], [VAR, USERVAR]);
  t.ok(p.includes(Buffer.from('TERM_PROGRAM')));
  const back = decoded(p);
  t.same(back.vars.map((v) => v.name), ['USER', 'LOGNAME', 'DISPLAY', 'LANG', 'TERM', 'TERM_PROGRAM', 'COLUMNS', 'LINES', 'COLORTERM', 'EDITOR', 'IPADDRESS', '', '']);
  t.same(back.vars.slice(-2).map((v) => v.type), ['VAR', 'USERVAR']);
});

t.test('SEND is split so that no payload exceeds 240 bytes', async (t) => {
  const names = Array.from({ length: 300 }, (_, i) => ({ type: (i % 7 === 0 ? 'USERVAR' : 'VAR') as 'VAR' | 'USERVAR', name: `K${String(i).padStart(4, '0')}` }));
  const out = encodeEnvironSend(names);
  t.ok(out.length > 1, `split into ${out.length} payloads`);
  const seen: string[] = [];
  for (const p of out) {
    t.ok(p.length <= 240, `payload of ${p.length} bytes`);
    t.equal(p[0], EnvCmd.SEND);
    const d = decoded(p);
    t.equal(d.kind, 'SEND');
    for (const v of d.vars) seen.push(`${v.type}:${v.name}`);
  }
  t.same(seen, names.map((n) => `${n.type}:${n.name}`));
  // Packing is greedy: every payload but the last would overflow with one more name.
  for (const p of out.slice(0, -1)) t.ok(p.length + 6 > 240);
});

t.test('SEND split counts IAC doubling and ESC prefixes', async (t) => {
  const names = Array.from({ length: 40 }, (_, i) => ({ type: 'VAR' as const, name: `\xff\xff\x01${i}` }));
  const out = encodeEnvironSend(names);
  let total = 0;
  for (const p of out) {
    t.ok(escapeIac(p).length <= 240, `wire length ${escapeIac(p).length}`);
    total += decoded(p).vars.length;
  }
  t.equal(total, 40);
  const small = encodeEnvironSend(names.slice(0, 3), { maxPayload: 12 });
  for (const p of small) t.ok(escapeIac(p).length <= 12);
  t.same(small.flatMap((p) => decoded(p).vars.map((v) => v.name)), names.slice(0, 3).map((n) => n.name));
});

t.test('SEND edge cases', async (t) => {
  t.same(encodeEnvironSend([]), []);
  const bare = encodeEnvironSend([], { allowEmpty: true });
  t.equal(bare.length, 1);
  t.same([...bare[0]!], [EnvCmd.SEND]);
  t.throws(() => encodeEnvironSend([{ type: 'VAR', name: 'X'.repeat(239) }]), TelnetUsageError);
  t.equal(encodeEnvironSend([{ type: 'VAR', name: 'X'.repeat(238) }])[0]!.length, 240);
  t.same([...encodeEnvironSend([{ type: 'VAR', name: 'A' }], { reversed: true })[0]!], [EnvCmd.SEND, VALUE, 0x41]);
});

t.test('IS escapes bytes 0-3 in names and values and round-trips', async (t) => {
  const name = 'A\x00B\x01C\x02D\x03';
  const value = '\x03\x02\x01\x00end';
  const p = encodeEnvironIs([{ name, value }]);
  t.same([...p], [...bytes(EnvCmd.IS, VAR, 'A', ESC, 0, 'B', ESC, 1, 'C', ESC, 2, 'D', ESC, 3, VALUE, ESC, 3, ESC, 2, ESC, 1, ESC, 0, 'end')]);
  const d = decoded(p);
  t.same(d.vars, [{ type: 'VAR', name, value }]);
  t.same(d.warnings, []);
});

t.test('null value means undefined, empty string means defined but empty', async (t) => {
  const p = encodeEnvironIs([{ name: 'X', value: null }, { name: 'Y', value: '' }, { name: 'Z', value: 'z', type: 'USERVAR' }], 'INFO');
  t.same([...p], [...bytes(EnvCmd.INFO, VAR, 'X', VAR, 'Y', VALUE, USERVAR, 'Z', VALUE, 'z')]);
  const d = decoded(p);
  t.equal(d.kind, 'INFO');
  t.same(d.vars, [
    { type: 'VAR', name: 'X', value: null },
    { type: 'VAR', name: 'Y', value: '' },
    { type: 'USERVAR', name: 'Z', value: 'z' },
  ]);
  t.throws(() => encodeEnvironIs([{ name: '', value: 'x' }]), TelnetUsageError);
  t.same([...encodeEnvironIs([{ name: 'N', value: '\u20ac' }])], [...bytes(EnvCmd.IS, VAR, 'N', VALUE, '?')]);
});

t.test('all 128 ASCII characters survive in a value', async (t) => {
  const all = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
  const d = decoded(encodeEnvironIs([{ name: 'gamma', value: all }, { name: 'aLpHa', value: 'oMeGa' }]));
  t.same(d.vars.map((v) => v.value), [all, 'oMeGa']);
  // The server-side filter keeps the printable part only.
  const f = filterEnviron(d.vars, new Set(['GAMMA', 'ALPHA']));
  t.equal(f.accepted.ALPHA, 'oMeGa');
  t.equal(f.accepted.GAMMA, all.slice(32, 127));
});

t.test('B19: lenient parse of orphan VALUE, empty names, trailing ESC', async (t) => {
  const p = bytes(EnvCmd.IS, VALUE, 'orphan', VAR, VAR, VAR, 'USER', VALUE, 'bob', ESC);
  const d = decoded(p);
  t.same(d.vars, [{ type: 'VAR', name: 'USER', value: 'bob' }]);
  t.equal(d.warnings.length, 3);
  t.match(d.warnings.join('\n'), /misplaced VALUE/);
  t.match(d.warnings.join('\n'), /empty names/);
  t.match(d.warnings.join('\n'), /trailing ESC/);
  t.same({ ...filterEnviron(d.vars).accepted }, { USER: 'bob' });
});

t.test("tintin's VAR VAR prefix is skipped", async (t) => {
  const d = decoded(bytes(EnvCmd.IS, VAR, VAR, VAR, 'TERM', VALUE, 'xterm', VAR, VALUE, 'lost'));
  t.same(d.vars, [{ type: 'VAR', name: 'TERM', value: 'xterm' }]);
  t.match(d.warnings.join('\n'), /skipped 3 variables with empty names/);
});

t.test('more than maxVars variables are truncated with a TOO_MANY warning', async (t) => {
  const many = Array.from({ length: 100 }, (_, i) => ({ name: `V${i}`, value: String(i) }));
  const d = decoded(encodeEnvironIs(many));
  t.equal(d.vars.length, 64);
  t.equal(d.vars[63]!.name, 'V63');
  t.equal(d.warnings.length, 1);
  t.match(d.warnings[0]!, /^TOO_MANY: more than 64/);
  const d3 = decoded(encodeEnvironIs(many), { maxVars: 3 });
  t.same(d3.vars.map((v) => v.name), ['V0', 'V1', 'V2']);
  t.match(d3.warnings[0]!, /TOO_MANY/);
  const sendMany = decoded(encodeEnvironSend(many.map((v) => ({ type: 'VAR' as const, name: v.name })), { maxPayload: 1000 })[0]!, { maxVars: 10 });
  t.equal(sendMany.vars.length, 10);
});

t.test('bad payloads fail without throwing', async (t) => {
  t.equal(decodeEnviron(Buffer.alloc(0)).ok, false);
  t.equal(decodeEnviron(Buffer.from([7, VAR, 0x41])).ok, false);
  const d = decoded(bytes(EnvCmd.IS, 'junk', VAR, 'A', VALUE, 'b'));
  t.same(d.vars, [{ type: 'VAR', name: 'A', value: 'b' }]);
  t.match(d.warnings[0]!, /4 bytes before/);
  const s = decoded(bytes(EnvCmd.SEND, VAR, 'A', VALUE, 'x'));
  t.same(s.vars, [{ type: 'VAR', name: 'A', value: null }]);
  t.match(s.warnings[0]!, /misplaced VALUE/);
});

t.test('B17: only allow-listed names reach the application', async (t) => {
  const d = decoded(encodeEnvironIs([
    { name: 'LD_PRELOAD', value: '/tmp/evil.so' },
    { name: 'LD_LIBRARY_PATH', value: '/tmp' },
    { name: 'PATH', value: '/tmp' },
    { name: 'IFS', value: '/' },
    { name: 'CREDENTIALS_DIRECTORY', value: '/run/x' },
    { name: 'term', value: 'xterm-256color' },
    { name: 'LANG', value: '' },
    { name: 'USER', value: null },
    { name: 'DISPLAY', value: 'h:0\x1b[2J\r\n' },
    { name: 'COLORTERM', value: 'x'.repeat(1000) },
  ]));
  const f = filterEnviron(d.vars);
  t.same(Object.keys(f.accepted).sort(), ['COLORTERM', 'DISPLAY', 'TERM']);
  t.equal(f.accepted.TERM, 'xterm-256color');
  t.equal(f.accepted.DISPLAY, 'h:0[2J');
  t.equal(f.accepted.COLORTERM!.length, 256);
  t.same(f.dropped, ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH', 'IFS', 'CREDENTIALS_DIRECTORY', 'LANG', 'USER']);
  t.ok(Object.isFrozen(f.accepted));
  t.equal(Object.getPrototypeOf(f.accepted), Object.prototype);
  const proto = filterEnviron([{ name: '__proto__', value: 'x' }], new Set(['__PROTO__'])).accepted;
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'a __proto__ name cannot replace the prototype');
  t.equal(proto.__PROTO__, 'x');
  t.equal(filterEnviron([{ name: 'TERM', value: 'abcdef' }], DEFAULT_ENVIRON_ALLOW, { maxValueLength: 3 }).accepted.TERM, 'abc');
  t.same(filterEnviron([{ name: '\x1bEVIL', value: 'x' }]).dropped, ['?EVIL']);
});

t.test('default allow-lists cannot be widened', async (t) => {
  t.ok(DEFAULT_ENVIRON_ALLOW.has('CHARSET'));
  t.notOk(DEFAULT_ENVIRON_ALLOW.has('PATH'));
  t.throws(() => (DEFAULT_ENVIRON_ALLOW as Set<string>).add('LD_PRELOAD'), TelnetUsageError);
  t.throws(() => (DEFAULT_CLIENT_ENVIRON_ALLOW as Set<string>).clear(), TelnetUsageError);
  t.notOk(DEFAULT_ENVIRON_ALLOW.has('LD_PRELOAD'));
  t.same([...DEFAULT_CLIENT_ENVIRON_ALLOW], ['TERM', 'LANG', 'COLUMNS', 'LINES', 'COLORTERM']);
  t.ok(Object.isFrozen(DEFAULT_ENVIRON_REQUEST));
});

t.test('sanitizeEnvironValue strips C0 and DEL, keeps latin1 high bytes', async (t) => {
  t.equal(sanitizeEnvironValue('a\x00b\x1fc\x7fd\xe9'), 'abcd\xe9');
  t.equal(sanitizeEnvironValue('abcdef', 2), 'ab');
});

t.test('C07: the client answers only allow-listed names, never "send all"', async (t) => {
  const available = {
    TERM: 'vt220', LANG: 'en_US.cp437', COLUMNS: '19', LINES: '84',
    HOME: '/home/me', SSH_AUTH_SOCK: '/tmp/ssh-agent.sock', AWS_SECRET_ACCESS_KEY: 'AKIASECRET',
  };
  for (const req of [bytes(EnvCmd.SEND), bytes(EnvCmd.SEND, VAR, USERVAR), bytes(EnvCmd.SEND, USERVAR)]) {
    const d = decoded(req);
    t.same(clientEnvironReply(d.vars, available), []);
  }
  const d = decoded(bytes(EnvCmd.SEND, VAR, 'HOME', VAR, 'SSH_AUTH_SOCK', USERVAR, 'AWS_SECRET_ACCESS_KEY', VAR, 'term', VAR, 'LANG', VAR, 'TERM', VAR, USERVAR));
  const reply = clientEnvironReply(d.vars, available);
  t.same(reply, [
    { type: 'VAR', name: 'HOME', value: '' },
    { type: 'VAR', name: 'SSH_AUTH_SOCK', value: '' },
    { type: 'USERVAR', name: 'AWS_SECRET_ACCESS_KEY', value: '' },
    { type: 'VAR', name: 'term', value: 'vt220' },
    { type: 'VAR', name: 'LANG', value: 'en_US.cp437' },
  ]);
  const wire = encodeEnvironIs(reply).toString('latin1');
  t.notOk(wire.includes('AKIASECRET'));
  t.notOk(wire.includes('ssh-agent'));
  t.notOk(wire.includes('/home/me'));
  // A user who allows HOME gets it sent; prototype names never resolve.
  const wider = clientEnvironReply([{ type: 'VAR', name: 'HOME' }, { type: 'VAR', name: 'constructor' }], available, new Set(['HOME', 'CONSTRUCTOR']));
  t.same(wider, [{ type: 'VAR', name: 'HOME', value: '/home/me' }, { type: 'VAR', name: 'constructor', value: '' }]);
});

t.test('old ENVIRON: BSD swapped VAR/VALUE codes are detected (RFC 1571)', async (t) => {
  // BSD sends VAR as 1 and VALUE as 0.
  const bsd = bytes(EnvCmd.IS, 1, 'USER', 0, 'bob', 1, 'TERM', 0, 'vt100');
  const d = decoded(bsd, { old: true });
  t.equal(d.reversed, true);
  t.same(d.vars, [{ type: 'VAR', name: 'USER', value: 'bob' }, { type: 'VAR', name: 'TERM', value: 'vt100' }]);
  // The same bytes as NEW-ENVIRON are not reinterpreted.
  t.equal(decoded(bsd).reversed, false);
  t.same(decoded(bsd).vars, [{ type: 'VAR', name: 'bob', value: 'TERM' }, { type: 'VAR', name: 'vt100', value: null }]);

  const rfc = decoded(bytes(EnvCmd.IS, 0, 'USER', 1, 'bob'), { old: true });
  t.equal(rfc.reversed, false);
  t.same(rfc.vars, [{ type: 'VAR', name: 'USER', value: 'bob' }]);

  // USERVAR first: counts decide (USERVAR + swapped-VALUE count equals swapped-VAR count).
  const uv = decoded(bytes(EnvCmd.IS, USERVAR, 'FOO', 0, 'bar', 1, 'DISPLAY', 0, 'h:0'), { old: true });
  t.equal(uv.reversed, true);
  t.same(uv.vars, [{ type: 'USERVAR', name: 'FOO', value: 'bar' }, { type: 'VAR', name: 'DISPLAY', value: 'h:0' }]);
  // USERVAR first, then two VARs in a row: the RFC codes.
  t.equal(decoded(bytes(EnvCmd.IS, USERVAR, 'FOO', 0, 'A', 0, 'B'), { old: true }).reversed, false);
  // USERVAR first, then an empty VAR: swapped.
  t.equal(decoded(bytes(EnvCmd.IS, USERVAR, 'FOO', 1, 'X', 0), { old: true }).reversed, true);

  // A SEND holding VALUE codes comes from a swapped server; answer it swapped.
  const send = decoded(bytes(EnvCmd.SEND, 1, 'USER', 1, 'TERM'), { old: true });
  t.equal(send.reversed, true);
  t.same(send.vars.map((v) => v.name), ['USER', 'TERM']);
  const reply = encodeEnvironIs([{ name: 'TERM', value: 'vt100' }], 'IS', { reversed: send.reversed });
  t.same([...reply], [...bytes(EnvCmd.IS, 1, 'TERM', 0, 'vt100')]);
  const back = decoded(reply, { old: true });
  t.equal(back.reversed, true);
  t.same(back.vars, [{ type: 'VAR', name: 'TERM', value: 'vt100' }]);
  t.equal(decoded(bytes(EnvCmd.SEND, 0, 'USER'), { old: true }).reversed, false);
});
