/**
 * The fingerprint hash is telnetlib3's: SHA-256 over Python's
 * `json.dumps(data, sort_keys=True, separators=(",", ":"))`, first 16 hex
 * digits. The expected strings and hash were produced by CPython 3.11.
 */
import t from 'tap';
import { canonicalJson, hashFingerprint } from '../../src/fingerprint/hash.js';

t.test('canonical JSON as Python writes it: sorted keys, no spaces, non-ASCII escaped', (t) => {
  const d = { b: [1, 'é', { z: null, a: true }], a: 'x\x1by"', ü: '\u{1F600}' };
  t.equal(canonicalJson(d), '{"a":"x\\u001by\\"","b":[1,"\\u00e9",{"a":true,"z":null}],"\\u00fc":"\\ud83d\\ude00"}');
  t.equal(hashFingerprint(d), 'b87c0b880403489d', 'same hash as telnetlib3');
  t.equal(hashFingerprint({ a: 1, b: 2 }), hashFingerprint({ b: 2, a: 1 }), 'key order does not matter');
  t.not(hashFingerprint({ a: ['x', 'y'] }), hashFingerprint({ a: ['y', 'x'] }), 'list order does');
  t.end();
});
