/**
 * The blocking client's engine thread logs to stderr at `logLevel` (default
 * warn): a peer's oversized subnegotiation (an error-severity protocol
 * problem) is a WARN line, the data after it still arrives, and `silent`
 * writes nothing. The client runs in a child process (fixtures/log-client.ts).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { TelnetConnection } from '../../src/sync/index.js';
import { type ChildResult, runChild } from '../helpers/run-child.js';

const CLIENT = fileURLToPath(new URL('./fixtures/log-client.js', import.meta.url));

/** A peer that offers ECHO, sends a 20,000-byte TTYPE subnegotiation, then a line. */
function badPeer(): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.write(Buffer.concat([Buffer.from([255, 251, 1, 255, 250, 24]), Buffer.alloc(20000, 0x41), Buffer.from([255, 240]), Buffer.from('hello\r\n')]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Serve the bad peer for this test and run the client against it at `level`; its exit code is checked here. */
async function clientOfBadPeer(t: Test, level: string): Promise<ChildResult> {
  const server = await badPeer();
  t.teardown(() => { server.close(); });
  const r = await runChild(process.execPath, [CLIENT, String((server.address() as net.AddressInfo).port), level], 20_000);
  t.equal(r.code, 0, 'the client ran to its end', { stderr: r.stderr });
  return r;
}

t.test('default level: the oversized SB is a WARN line, and the line after it arrives', async (t) => {
  const r = await clientOfBadPeer(t, '-');
  t.match(JSON.parse(r.stdout), { line: 'hello\r\n' });
  t.match(r.stderr, /^WARN peer problem SB_OVERFLOW: /m);
  t.notMatch(r.stderr, /^(INFO|DEBUG) /m, 'nothing below warn');
});

t.test("logLevel 'silent': nothing on stderr", async (t) => {
  const r = await clientOfBadPeer(t, 'silent');
  t.match(JSON.parse(r.stdout), { line: 'hello\r\n' });
  t.equal(r.stderr, '');
});

t.test("logLevel 'debug' adds the negotiation", async (t) => {
  const r = await clientOfBadPeer(t, 'debug');
  t.match(r.stderr, /^DEBUG remote ECHO enabled/m);
  t.match(r.stderr, /^WARN peer problem SB_OVERFLOW: /m);
});

t.test('an unknown logLevel is a usage error at connect()', (t) => {
  const c = new TelnetConnection('127.0.0.1', 1, { logLevel: 'loud' as never });
  t.throws(() => c.connect(), { code: 'ERR_TELNET_BAD_OPTION' });
  t.end();
});
