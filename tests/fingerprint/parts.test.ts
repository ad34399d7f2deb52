/**
 * The pieces of the fingerprint that need no network: terminal-query
 * answers and the virtual cursor, prompt replies, MSSP parsing, the
 * summary table, and the store's layout, update and caps.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { VirtualTerminal, promptReply } from '../../src/fingerprint/terminal-answers.js';
import { parseMssp } from '../../src/fingerprint/server-probe.js';
import { renderTable } from '../../src/fingerprint/summary.js';
import { UNKNOWN_TERMINAL_HASH, saveClientRecord, saveFingerprintName, saveServerRecord } from '../../src/fingerprint/store.js';

t.test('virtual terminal: CPR from the cursor, DA, DSR, split queries, SyncTERM font', (t) => {
  const vt = new VirtualTerminal(80, 25);
  t.equal(vt.feed('hello\r\nab\x1b[6n'), '\x1b[2;3R', 'cursor after two lines');
  t.equal(vt.feed('\x1b[10;20H\x1b[6n'), '\x1b[10;20R', 'after cursor addressing');
  t.equal(vt.feed('\x1b[c\x1b[0c\x1b[5n'), '\x1b[?1;2c\x1b[?1;2c\x1b[0n', 'DA twice and DSR');
  t.equal(vt.feed('xx\x1b['), '', 'a query split across chunks...');
  t.equal(vt.feed('6n'), '\x1b[10;23R', '...is answered once complete');
  t.equal(vt.feed('\x1b[0;40 D'), '');
  t.same(vt.font, { page: 0, font: 40, encoding: 'latin1' }, 'font switch');
  t.same(vt.answered, { cpr: 3, da: 2, dsr: 1 });
  t.end();
});

t.test('prompt replies', (t) => {
  t.equal(promptReply('Continue? (yes/no) ', false), 'yes\r\n');
  t.equal(promptReply('Use ANSI? [Y/n] ', false), 'y\r\n');
  t.equal(promptReply('Press ESC twice to continue', false), '\x1b\x1b');
  t.equal(promptReply('Press RETURN to continue', false), '\r\n');
  t.equal(promptReply('Welcome to the board', true), '\r\n', 'first round: a return anyway');
  t.equal(promptReply('Welcome to the board', false), null, 'later rounds: only real prompts');
  t.equal(promptReply('bayes/nothing', false), null, 'yes/no only as a word');
  t.end();
});

t.test('MSSP variables', (t) => {
  const p = Buffer.from('\x01NAME\x02Test MUD\x01PORT\x0223\x024000', 'latin1');
  t.same(parseMssp(p), { NAME: 'Test MUD', PORT: ['23', '4000'] });
  t.same(parseMssp(Buffer.from('\x02orphan', 'latin1')), {}, 'a value without a name is dropped');
  t.end();
});

t.test('summary table: boxed, wrapped, printable ASCII only', (t) => {
  const s = renderTable('title', [['Key', 'a, '.repeat(40)], ['Evil', '\x1b[2Jgone']], 40);
  const lines = s.split('\r\n').filter(Boolean);
  t.ok(lines.every((l) => l.length === lines[0]!.length), 'every line the same width');
  t.ok(lines.length > 6, 'long values wrap');
  t.notMatch(s, /\x1b/, 'control characters replaced');
  t.end();
});

t.test('store: layout, update in place, caps, names', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-store-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rec = (fp: string): any => ({ 'telnet-probe': { fingerprint: fp, 'fingerprint-data': {}, session_data: { n: 1 } }, sessions: [{ ip: '127.0.0.1', connected: new Date().toISOString() }] });
  const a = saveClientRecord(rec('aaaaaaaaaaaaaaaa'), { 'client-ip': '127.0.0.1' }, { dataDir: dir })!;
  t.equal(path.relative(dir, path.dirname(a)), path.join('client', 'aaaaaaaaaaaaaaaa', UNKNOWN_TERMINAL_HASH));
  t.equal(saveClientRecord(rec('aaaaaaaaaaaaaaaa'), { 'client-ip': '127.0.0.1' }, { dataDir: dir }), a, 'same identity, same file');
  t.equal(JSON.parse(fs.readFileSync(a, 'utf8')).sessions.length, 2, 'sessions appended');
  const warnings: string[] = [];
  t.equal(saveClientRecord(rec('bbbbbbbbbbbbbbbb'), { x: 1 }, { dataDir: dir, maxFingerprints: 1, warn: (m) => warnings.push(m) }), null, 'over the fingerprint cap: not saved');
  t.equal(saveClientRecord(rec('aaaaaaaaaaaaaaaa'), { x: 2 }, { dataDir: dir, maxFiles: 1, warn: (m) => warnings.push(m) }), null, 'over the per-folder cap: not saved');
  t.equal(warnings.length, 2, 'each said why');
  t.equal(saveClientRecord(rec('aaaaaaaaaaaaaaaa'), { 'client-ip': '127.0.0.1' }, { dataDir: dir, maxFiles: 1 }), a, 'an existing file is still updated at the cap');
  const srec: any = { 'server-probe': { fingerprint: 'cccccccccccccccc', 'fingerprint-data': {}, session_data: {} }, sessions: [{ host: 'h', port: 23, ip: '1.2.3.4', connected: new Date().toISOString() }] };
  const s = saveServerRecord(srec, { dataDir: dir })!;
  t.equal(path.relative(dir, path.dirname(s)), path.join('server', 'cccccccccccccccc'));
  t.equal(fs.readdirSync(path.dirname(s)).filter((f) => f.endsWith('.new')).length, 0, 'no temporary file left');
  saveFingerprintName('cccccccccccccccc', 'Some MUD', dir);
  t.same(JSON.parse(fs.readFileSync(path.join(dir, 'fingerprint_names.json'), 'utf8')), { cccccccccccccccc: 'Some MUD' });
  t.throws(() => saveFingerprintName('cccccccccccccccc', 'bad\x1bname', dir), /not a usable name/);
  t.end();
});
