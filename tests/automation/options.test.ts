/**
 * Session options against small in-process devices: ANSI stripping, irs,
 * a custom pager, echo counts, string prompts, EOF and limit errors with the
 * partial output, a writable transcript, and a large output arriving in
 * small pieces (searched without rescanning).
 */
import t, { type Test } from 'tap';
import { createServer } from '../../src/server.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { Session, SessionLimitError } from '../../src/automation/index.js';
import { isSingleLine } from '../../src/automation/text.js';
import { TelnetClosedError } from '../../src/protocol/errors.js';

type Handler = (cmd: string, w: TelnetWriter, r: TelnetReader<string>) => Promise<boolean | void> | boolean | void;

/** A device: prints `prompt`, reads a line, calls `handle` (true: hang up). */
async function device(t: Test, prompt: string, handle: Handler): Promise<number> {
  const server = await createServer({
    host: '127.0.0.1', port: 0, connectMaxwait: 500,
    shell: async (reader, writer) => {
      for (;;) {
        writer.write(prompt);
        const line = await reader.readline();
        if (line === '') return;
        const cmd = line.replace(/[\r\n]+$/, '');
        if (await handle(cmd, writer, reader as TelnetReader<string>)) return;
      }
    },
  });
  t.teardown(() => server.close(100));
  return server.port;
}

t.test('stripAnsi: coloured prompt and output', async (t) => {
  const port = await device(t, '\x1b[1;32mhost\x1b[0m$ ', (cmd, w) => { w.write(`${cmd}\r\n\x1b[31mred\x1b[0m text\r\n`); });
  const s = await Session.connect('127.0.0.1', port, { prompt: 'host$ ', stripAnsi: true, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor('host$ ');
  t.equal(await s.exec('show'), 'red text');
});

t.test('irs, echo count, string prompt', async (t) => {
  const port = await device(t, '> ', (cmd, w) => { w.write(`ECHO ${cmd}|one|two|`); });
  const s = await Session.connect('127.0.0.1', port, { prompt: '> ', irs: '|', echo: 1, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor('> ');
  t.equal(await s.exec('x'), 'one\ntwo');
});

t.test('custom pager pattern and answer', async (t) => {
  const port = await device(t, '# ', async (_cmd, w, r) => {
    w.write('page1\r\n[MORE]');
    const k = await r.read(1);
    w.write(`\r\nanswer was ${JSON.stringify(k)}\r\npage2\r\n`);
  });
  const s = await Session.connect('127.0.0.1', port, { prompt: /# $/, pager: { patterns: ['[MORE]'], answer: 'n' }, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor(/# $/);
  const r = await s.execFull('list');
  t.equal(r.pages, 1);
  t.equal(r.output, 'page1\n\nanswer was "n"\npage2');
});

t.test('EOF while waiting: TelnetClosedError with the partial output', async (t) => {
  const port = await device(t, '# ', (cmd, w) => { w.write(`${cmd}\r\nhalf an answer`); return true; });
  const s = await Session.connect('127.0.0.1', port, { prompt: /# $/, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor(/# $/);
  const err = await s.exec('bye').catch((e: unknown) => e);
  t.type(err, TelnetClosedError);
  t.equal((err as TelnetClosedError).partial, 'bye\r\nhalf an answer');
});

t.test('limit: SessionLimitError with the partial output', async (t) => {
  // 5,000 units and no prompt (it waits for a line that never comes).
  const port = await device(t, '# ', async (_cmd, w, r) => { w.write('x'.repeat(5000)); await r.readline(); return true; });
  const s = await Session.connect('127.0.0.1', port, { prompt: /# $/, limit: 1000, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor(/# $/);
  const err = await s.exec('flood').catch((e: unknown) => e);
  t.type(err, SessionLimitError);
  t.ok(((err as SessionLimitError).partial).length > 1000);
  t.equal((err as SessionLimitError).code, 'ERR_TELNET_LIMIT');
});

t.test('a writable transcript gets what was received', async (t) => {
  const port = await device(t, '# ', (cmd, w) => { w.write(`${cmd}\r\nok\r\n`); });
  let seen = '';
  const s = await Session.connect('127.0.0.1', port, { prompt: /# $/, transcript: { write: (x: string) => { seen += x; } }, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor(/# $/);
  await s.exec('hello');
  t.equal(seen, '# hello\r\nok\r\n# ');
});

t.test('a large output in small pieces', async (t) => {
  const LINES = 20000;
  const port = await device(t, 'dev# ', async (_cmd, w) => {
    for (let i = 0; i < LINES; i += 20) {
      w.write(Array.from({ length: 20 }, (_, k) => `line ${i + k} ${'.'.repeat(60)}\r\n`).join(''));
      if (i % 2000 === 0) await w.drain();
    }
  });
  const s = await Session.connect('127.0.0.1', port, { prompt: /dev# $/, timeout: 60000, connectMaxwait: 500 });
  t.teardown(() => s.close());
  await s.waitFor(/dev# $/);
  const out = (await s.exec('dump')).split('\n');
  t.equal(out.length, LINES);
  t.equal(out[LINES - 1], `line ${LINES - 1} ${'.'.repeat(60)}`);
});

t.test('isSingleLine is conservative', async (t) => {
  t.ok(isSingleLine(/[$#>%] ?$/));
  t.ok(isSingleLine(/Router(?:\(config\))?#$/));
  t.ok(isSingleLine('Router#'));
  t.notOk(isSingleLine(/\s*#$/));
  t.notOk(isSingleLine(/[^x]#/));
  t.notOk(isSingleLine(/^#/));
  t.ok(isSingleLine(/^#/m));
  t.notOk(isSingleLine(/a.b/s));
  t.notOk(isSingleLine('a\nb'));
});
