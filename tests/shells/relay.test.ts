/**
 * The relay shell: passcode prompt (not echoed; three tries with a delay),
 * then a client connection to the target with the caller's window size,
 * relaying both ways until either side ends.
 */
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { type TelnetStreams, createServer } from '../../src/server.js';
import { makeRelayShell, parseTarget, relayShellFromEnv } from '../../src/shells/relay.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { withTimeout } from '../helpers/peers.js';

const STEP = 8000;

async function readUntil(s: TelnetStreams, re: RegExp, ms = STEP): Promise<string> {
  let text = '';
  const until = Date.now() + ms;
  while (!re.test(text)) {
    const left = until - Date.now();
    if (left <= 0) throw new Error(`${re} not seen; got ${JSON.stringify(text.slice(-300))}`);
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, left, `waiting for ${re}; got ${JSON.stringify(text.slice(-300))}`);
    if (!chunk) throw new Error(`EOF before ${re}; got ${JSON.stringify(text)}`);
    text += chunk;
  }
  return text;
}

/** The target: says its window size, echoes lines, `quit` ends it. */
async function targetShell(reader: TelnetReader<any>, writer: TelnetWriter): Promise<void> {
  writer.write(`HELLO cols=${writer.getExtraInfo('cols')} rows=${writer.getExtraInfo('rows')}\r\n> `);
  for (;;) {
    const line = String(await reader.readline()).trim();
    if (line === '' && reader.atEof()) return;
    if (line === 'quit') { writer.write('Goodbye.\r\n'); return; }
    writer.write(`echo: ${line}\r\n> `);
  }
}

async function rig(tt: Test, passcode: string | null): Promise<{ relayPort: number }> {
  const target = await createServer({ host: '127.0.0.1', port: 0, connectMaxwait: 1000, shell: targetShell });
  const relay = await createServer({
    host: '127.0.0.1', port: 0, connectMaxwait: 1000,
    shell: makeRelayShell({ host: '127.0.0.1', port: target.port, passcode, failDelay: 50 }),
  });
  tt.teardown(async () => { relay.close(); target.close(); await Promise.all([relay.waitClosed(), target.waitClosed()]); });
  return { relayPort: relay.port };
}

t.test('passcode, then relayed both ways with the caller window size; target end closes the caller', async (t) => {
  const { relayPort } = await rig(t, 's3cret');
  const c = await openConnection('127.0.0.1', relayPort, { connectMaxwait: 2000, term: 'xterm', cols: 111, rows: 33 });
  t.teardown(() => c.writer.close());
  await readUntil(c, /Telnet Relay shell ready\.\r\nPasscode: $/);
  c.writer.write('wrong\r\n');
  const again = await readUntil(c, /Passcode: $/);
  t.notMatch(again, /wrong/, 'typed passcode not echoed');
  c.writer.write('s3cret\r\n');
  await readUntil(c, /Connecting to 127\.0\.0\.1:\d+ \.\.\. connected!\r\n/);
  const hello = await readUntil(c, /HELLO .*\r\n> /);
  t.match(hello, /HELLO cols=111 rows=33/, 'target saw the caller window size');
  c.writer.write('ping\r\n');
  await readUntil(c, /echo: ping\r\n> /);
  t.pass('caller → target → caller');
  c.writer.write('quit\r\n');
  await readUntil(c, /Goodbye\./);
  t.equal(await withTimeout(c.reader.read(-1) as Promise<string>, STEP, 'EOF'), '', 'the caller is closed when the target ends');
});

t.test('three wrong passcodes close the connection', async (t) => {
  const { relayPort } = await rig(t, 'right');
  const c = await openConnection('127.0.0.1', relayPort, { connectMaxwait: 2000 });
  t.teardown(() => c.writer.close());
  for (let i = 0; i < 3; i++) {
    await readUntil(c, /Passcode: $/);
    c.writer.write('nope\r\n');
  }
  const rest = await withTimeout(c.reader.read(-1) as Promise<string>, STEP, 'EOF');
  t.notMatch(rest, /Connecting/, 'never connected');
});

t.test('configuration: target parsing, nothing built in', (t) => {
  t.same(parseTarget('example.org:2323'), { host: 'example.org', port: 2323 });
  t.same(parseTarget('[::1]:23'), { host: '::1', port: 23 });
  t.throws(() => parseTarget('example.org'), /host:port/);
  t.throws(() => relayShellFromEnv({}), /TELNETLIB3_RELAY_TARGET/);
  t.throws(() => relayShellFromEnv({ TELNETLIB3_RELAY_TARGET: 'h:23' }), /TELNETLIB3_RELAY_PASSCODE/);
  t.type(relayShellFromEnv({ TELNETLIB3_RELAY_TARGET: 'h:23', TELNETLIB3_RELAY_PASSCODE: 'x' }), 'function');
  t.end();
});
