/**
 * The fingerprinting shell, probed by our own client: the record's shape,
 * the saved file's place (telnetlib3's layout), a stable hash across
 * sessions (a second session of the same client updates the same file),
 * distinct hashes for clients that negotiate differently, the summary the
 * client sees, and the post-script.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { createServer } from '../../src/server.js';
import { type ClientFingerprintRecord, makeFingerprintShell } from '../../src/fingerprint/index.js';
import type { FingerprintShellOptions } from '../../src/fingerprint/server-shell.js';
import { clientRecordProblems } from '../helpers/fingerprint-shape.js';

const STEP_MS = 10000;

function tmpDir(tt: Test): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-'));
  tt.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function startFp(tt: Test, opts: FingerprintShellOptions): Promise<{ port: number; records: Array<{ record: ClientFingerprintRecord; file: string | null }> }> {
  const records: Array<{ record: ClientFingerprintRecord; file: string | null }> = [];
  const server = await createServer({
    host: '127.0.0.1', port: 0, connectMaxwait: 1500,
    shell: makeFingerprintShell({ ...opts, onRecord: (record, file) => records.push({ record, file }) }),
  });
  tt.teardown(async () => { server.close(); await server.waitClosed(); });
  return { port: server.port, records };
}

/** Connect our client, read until the server closes; returns what it showed. */
async function session(port: number, options: Parameters<typeof openConnection>[2] = {}): Promise<string> {
  const { reader, writer } = await openConnection('127.0.0.1', port, { connectMaxwait: 3000, connectTimeout: 3000, ...options });
  const timer = setTimeout(() => writer.close(), STEP_MS);
  try {
    const all = await reader.read(-1);
    return typeof all === 'string' ? all : all.toString('latin1');
  } finally {
    clearTimeout(timer);
  }
}

t.test('our client: record shape, layout, summary, stable hash, same file updated', async (t) => {
  const dataDir = tmpDir(t);
  const { port, records } = await startFp(t, { dataDir, terminalTimeout: 300 });
  const shown = await session(port, { term: 'xterm-256color', cols: 100, rows: 30 });
  t.equal(records.length, 1, 'one record');
  const { record, file } = records[0]!;
  t.same(clientRecordProblems(record), [], 'record has the documented shape');
  const tp = record['telnet-probe'];
  const fd = tp['fingerprint-data'] as Record<string, any>;
  t.ok(fd['supported-options'].includes('TTYPE') && fd['supported-options'].includes('NAWS'), 'TTYPE and NAWS supported');
  t.ok(fd['refused-options'].includes('TN3270E'), 'legacy options refused');
  t.equal(fd.TERM, 'Yes', 'TERM category');
  t.equal(fd['ttype-count'], 2, 'our client repeats its one terminal type once, which ends the cycle');
  const sd = tp.session_data as Record<string, any>;
  t.equal(sd.extra.TERM ?? sd.extra.term, 'xterm-256color');
  t.equal(sd.probe_set, 'full', 'not MS telnet, not a MUD client');
  t.same(sd.loop_detection.looped, [], 'our client does not answer repeated requests');
  t.ok(file !== null, 'saved');
  t.equal(path.relative(dataDir, file!).split(path.sep).slice(0, 3).join('/'), `client/${tp.fingerprint}/0000000000000000`, 'telnetlib3 layout');
  const onDisk = JSON.parse(fs.readFileSync(file!, 'utf8'));
  t.same(onDisk['telnet-probe'].fingerprint, tp.fingerprint, 'file holds the record');
  t.match(shown, /telnetlib3 client fingerprint/, 'the client is shown a summary');
  t.match(shown, new RegExp(tp.fingerprint), 'with the hash');
  t.match(shown, /\| Will +\| .*TTYPE/s, 'and what it agreed to');

  await session(port, { term: 'xterm-256color', cols: 100, rows: 30 });
  t.equal(records.length, 2);
  t.equal(records[1]!.record['telnet-probe'].fingerprint, tp.fingerprint, 'same client, same hash');
  t.equal(records[1]!.file, file, 'same session identity, same file');
  t.equal(JSON.parse(fs.readFileSync(file!, 'utf8')).sessions.length, 2, 'its sessions list grew');

  await session(port, { term: 'xterm-256color', alwaysWont: [31], cols: 100, rows: 30 });
  t.not(records[2]!.record['telnet-probe'].fingerprint, tp.fingerprint, 'a client refusing NAWS gets another hash');
});

t.test('MS telnet and MUD clients get their probe sets', async (t) => {
  const { port, records } = await startFp(t, { terminalTimeout: 0, summary: false });
  await session(port, { term: ['ANSI', 'VT100'] });
  const ms = records[0]!.record['telnet-probe'].session_data as Record<string, any>;
  t.equal(ms.probe_set, 'ms-telnet', 'ttype ANSI then VT100: reduced probe');
  t.notOk('TN3270E' in (ms.probe.WONT ?? {}) || 'TN3270E' in (ms.probe.timeout ?? {}), 'no legacy options sent');
  await session(port, { term: 'Mudlet' });
  const mud = records[1]!.record['telnet-probe'].session_data as Record<string, any>;
  t.equal(mud.probe_set, 'full+mud', 'a MUD client is asked the MUD options');
  t.ok('GMCP' in (mud.probe.WONT ?? {}) || 'GMCP' in (mud.probe.timeout ?? {}), 'GMCP probed by number');
});

t.test('post-script runs on the saved file; no data dir: nothing saved, no post-script', async (t) => {
  const dataDir = tmpDir(t);
  const script = path.join(dataDir, 'post.sh');
  fs.writeFileSync(script, '#!/bin/sh\necho "post-script saw $(basename "$1")"\n', { mode: 0o755 });
  const { port, records } = await startFp(t, { dataDir, postScript: script, terminalTimeout: 0 });
  const shown = await session(port);
  t.match(shown, new RegExp(`post-script saw ${path.basename(records[0]!.file!)}`), 'its output reached the client');

  const saved = process.env.TELNETLIB3_DATA_DIR;
  delete process.env.TELNETLIB3_DATA_DIR;
  t.teardown(() => { if (saved !== undefined) process.env.TELNETLIB3_DATA_DIR = saved; });
  const other = await startFp(t, { postScript: script, terminalTimeout: 0 });
  const shown2 = await session(other.port);
  t.equal(other.records[0]!.file, null, 'not saved without a data dir');
  t.notMatch(shown2, /post-script saw/, 'post-script not run');
  t.match(shown2, /not saved/, 'the summary says so');
});
