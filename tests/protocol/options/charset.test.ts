import t from 'tap';
import {
  CharsetCmd,
  DEFAULT_CHARSET_OFFER,
  DEFAULT_CLIENT_CHARSET_OFFER,
  chooseCharset,
  decodeCharset,
  encodeCharsetAccepted,
  encodeCharsetRejected,
  encodeCharsetRequest,
  encodeTtableRejected,
  normalizeCharsetName,
  type CharsetMessage,
} from '../../../src/protocol/options/charset.js';
import { TelnetUsageError } from '../../../src/protocol/errors.js';

function bytes(...parts: Array<number | string>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));
}

function decoded(payload: Buffer, opts?: { maxNames?: number }): { value: CharsetMessage; warnings: string[] } {
  const r = decodeCharset(payload, opts);
  if (!r.ok) throw new Error(`decode failed: ${r.reason}`);
  return { value: r.value, warnings: r.warnings };
}

function requestNames(payload: Buffer, opts?: { maxNames?: number }): { names: string[]; ttable: boolean; warnings: string[] } {
  const { value, warnings } = decoded(payload, opts);
  if (value.kind !== 'request') throw new Error(`expected a request, got ${value.kind}`);
  return { names: value.names, ttable: value.ttable, warnings };
}

/** A stand-in codec registry keyed by normalized names. */
const KNOWN = new Set(['utf-8', 'utf-16', 'latin1', 'us-ascii', 'cp437', 'cp1250', 'cp1252', 'iso-8859-2', 'iso-8859-15']);
const isSupported = (name: string): boolean => KNOWN.has(name);

t.test('encoders produce the RFC 2066 bytes', async (t) => {
  t.same([...encodeCharsetRequest(['UTF-8', 'LATIN1'])], [...bytes(CharsetCmd.REQUEST, ' UTF-8 LATIN1')]);
  t.same([...encodeCharsetRequest(['UTF-8', 'LATIN1'], ';')], [...bytes(CharsetCmd.REQUEST, ';UTF-8;LATIN1')]);
  t.same([...encodeCharsetAccepted('UTF-8')], [...bytes(CharsetCmd.ACCEPTED, 'UTF-8')]);
  t.same([...encodeCharsetRejected()], [CharsetCmd.REJECTED]);
  t.same([...encodeTtableRejected()], [CharsetCmd.TTABLE_REJECTED]);
  t.throws(() => encodeCharsetRequest([]), TelnetUsageError);
  t.throws(() => encodeCharsetRequest(['A B']), TelnetUsageError);
  t.throws(() => encodeCharsetRequest(['UTF-8'], '['), TelnetUsageError);
  t.throws(() => encodeCharsetRequest(['UTF-8'], ';;'), TelnetUsageError);
  t.throws(() => encodeCharsetAccepted(''), TelnetUsageError);
  t.throws(() => encodeCharsetAccepted('utf\u00e9'), TelnetUsageError);
});

t.test('default offers round-trip through a REQUEST', async (t) => {
  t.equal(DEFAULT_CHARSET_OFFER.length, 16);
  t.equal(DEFAULT_CHARSET_OFFER[0], 'UTF-8');
  t.equal(DEFAULT_CHARSET_OFFER[15], 'US-ASCII');
  t.same([...DEFAULT_CLIENT_CHARSET_OFFER], ['UTF-8', 'LATIN1', 'US-ASCII']);
  const r = requestNames(encodeCharsetRequest(DEFAULT_CHARSET_OFFER));
  t.same(r.names, [...DEFAULT_CHARSET_OFFER]);
  t.equal(r.ttable, false);
  t.same(r.warnings, []);
});

t.test('REQUEST with the [TTABLE] prefix', async (t) => {
  const r = requestNames(bytes(CharsetCmd.REQUEST, '[TTABLE]', 1, ';UTF-8;US-ASCII'));
  t.equal(r.ttable, true);
  t.same(r.names, ['UTF-8', 'US-ASCII']);
  const bare = requestNames(bytes(CharsetCmd.REQUEST, '[TTABLE]', 1));
  t.equal(bare.ttable, true);
  t.same(bare.names, []);
  // A '[' separator that does not spell the marker is just a separator.
  t.same(requestNames(bytes(CharsetCmd.REQUEST, '[UTF-8[LATIN1')).names, ['UTF-8', 'LATIN1']);
});

t.test('REQUEST with no separator or no names decodes to []', async (t) => {
  const none = requestNames(bytes(CharsetCmd.REQUEST));
  t.same(none.names, []);
  t.match(none.warnings[0]!, /without a separator/);
  t.same(requestNames(bytes(CharsetCmd.REQUEST, ' ')).names, []);
  t.same(requestNames(bytes(CharsetCmd.REQUEST, '   ')).names, []);
  t.equal(chooseCharset([], 'utf-8', isSupported), null);
  t.same(requestNames(bytes(CharsetCmd.REQUEST, ';;UTF-8;;')).names, ['UTF-8']);
});

t.test('invalid names are sanitized and never chosen (C08)', async (t) => {
  const r = requestNames(bytes(CharsetCmd.REQUEST, ' ', 0x00, 0xff, ' cp437'));
  t.same(r.names, ['??', 'cp437']);
  t.match(r.warnings.join('\n'), /non-printable/);
  t.equal(chooseCharset(r.names, 'latin1', isSupported), 'cp437');
  const junk = requestNames(bytes(CharsetCmd.REQUEST, ' ', 0x00, 0xff));
  t.equal(chooseCharset(junk.names, null, isSupported), null);
  const long = requestNames(bytes(CharsetCmd.REQUEST, ' ', 'x'.repeat(65), ' UTF-8'));
  t.same(long.names, ['UTF-8']);
  t.match(long.warnings.join('\n'), /longer than 64/);
});

t.test('5,000 and 10,000 names are truncated to maxNames in linear time', async (t) => {
  for (const count of [5000, 10000]) {
    const names = Array.from({ length: count }, (_, i) => `x-bogus-${i}`);
    const r = requestNames(encodeCharsetRequest([...names, 'UTF-8']));
    t.equal(r.names.length, 256);
    t.equal(r.names[255], 'x-bogus-255');
    t.equal(r.warnings.length, 1);
    t.match(r.warnings[0]!, /^TOO_MANY: /);
    t.equal(chooseCharset(r.names, 'utf-8', isSupported), null);
  }
  const all = requestNames(encodeCharsetRequest(Array.from({ length: 10000 }, (_, i) => `n${i}`)), { maxNames: 20000 });
  t.equal(all.names.length, 10000);
  // A quadratic split of 200,000 names would take minutes; linear takes milliseconds.
  const huge = encodeCharsetRequest(Array.from({ length: 200000 }, (_, i) => `n${i}`));
  const start = process.hrtime.bigint();
  const big = requestNames(huge, { maxNames: Infinity });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(big.names.length, 200000);
  t.ok(ms < 2000, `decoded 200,000 names in ${ms.toFixed(1)} ms`);
  const chooseStart = process.hrtime.bigint();
  t.equal(chooseCharset(big.names, null, isSupported), null);
  t.ok(Number(process.hrtime.bigint() - chooseStart) / 1e6 < 2000);
});

t.test('ACCEPTED, REJECTED and TTABLE messages', async (t) => {
  t.same(decoded(bytes(CharsetCmd.ACCEPTED, 'UTF-8')).value, { kind: 'accepted', name: 'UTF-8' });
  const empty = decoded(bytes(CharsetCmd.ACCEPTED));
  t.same(empty.value, { kind: 'rejected' });
  t.match(empty.warnings[0]!, /without a name/);
  const dirty = decoded(bytes(CharsetCmd.ACCEPTED, 'utf', 0x1b, '8'));
  t.same(dirty.value, { kind: 'accepted', name: 'utf?8' });
  t.equal(dirty.warnings.length, 1);
  t.equal(decodeCharset(bytes(CharsetCmd.ACCEPTED, 'x'.repeat(65))).ok, false);
  t.same(decoded(bytes(CharsetCmd.REJECTED)).value, { kind: 'rejected' });
  t.equal(decoded(bytes(CharsetCmd.REJECTED, 'xx')).warnings.length, 1);
  for (const cmd of [CharsetCmd.TTABLE_IS, CharsetCmd.TTABLE_REJECTED, CharsetCmd.TTABLE_ACK, CharsetCmd.TTABLE_NAK]) {
    t.same(decoded(bytes(cmd, 1, ' UTF-8')).value, { kind: 'ttable', cmd });
  }
  t.equal(decodeCharset(Buffer.alloc(0)).ok, false);
  t.equal(decodeCharset(bytes(9)).ok, false);
  t.equal(decodeCharset(bytes(0)).ok, false);
});

t.test('normalizeCharsetName table', async (t) => {
  const table: Array<[string, string]> = [
    ['iso-8859-02', 'iso-8859-2'],
    ['iso 8859-02', 'iso-8859-2'],
    ['ISO8859-15', 'iso-8859-15'],
    ['iso-8859-15', 'iso-8859-15'],
    ['cp-1250', 'cp1250'],
    ['CP1252', 'cp1252'],
    ['latin-1', 'latin1'],
    ['LATIN1', 'latin1'],
    ['latin_1', 'latin1'],
    ['ISO-8859-1', 'latin1'],
    ['utf8', 'utf-8'],
    ['UTF-8', 'utf-8'],
    ['ascii', 'us-ascii'],
    ['  Shift JIS ', 'shift-jis'],
    ['x-penn-def', 'x-penn-def'],
    ['', ''],
  ];
  for (const [input, want] of table) t.equal(normalizeCharsetName(input), want, JSON.stringify(input));
});

t.test('chooseCharset follows the client selection policy', async (t) => {
  // Weak latin1 default: first viable offer.
  t.equal(chooseCharset(['illegal', 'cp437'], 'latin1', isSupported), 'cp437');
  t.equal(chooseCharset(['utf-8'], 'latin-1', isSupported), 'utf-8');
  // Explicit encoding offered: accepted even when not first.
  t.equal(chooseCharset(['utf-8', 'latin-1'], 'latin-1', isSupported), 'latin-1');
  t.equal(chooseCharset(['LATIN1', 'UTF-8'], 'utf8', isSupported), 'UTF-8');
  t.equal(chooseCharset(['utf-8'], 'utf8', isSupported), 'utf-8');
  // Explicit encoding not offered: reject.
  t.equal(chooseCharset(['latin-1'], 'utf8', isSupported), null);
  t.equal(chooseCharset(['cp437', 'latin1'], 'utf-8', isSupported), null);
  // No usable preference: first viable, spelled as offered.
  t.equal(chooseCharset(['utf-8'], null, isSupported), 'utf-8');
  t.equal(chooseCharset(['zzz', 'iso-8859-02'], '', isSupported), 'iso-8859-02');
  t.equal(chooseCharset(['cp-1250'], null, isSupported), 'cp-1250');
  t.equal(chooseCharset(['iso-8859-15', 'utf-8'], 'not-a-real-encoding-xyz', isSupported), 'iso-8859-15');
  // Nothing viable.
  t.equal(chooseCharset(['illegal', 'bogus'], 'latin1', isSupported), null);
  t.equal(chooseCharset(['zzz-fake-1', 'zzz-fake-2'], 'not-a-real-encoding-xyz', isSupported), null);
  // A throwing support check counts as unsupported.
  t.equal(chooseCharset(['utf-8'], null, () => { throw new Error('boom'); }), null);
  // The support callback sees normalized names.
  const asked: string[] = [];
  chooseCharset(['ISO 8859-02', 'CP-1250'], null, (n) => { asked.push(n); return false; });
  t.same(asked, ['iso-8859-2', 'cp1250']);
});
