/**
 * Every example in bin/examples (the guidebook's set), run as a program:
 * the war game server and client (standalone, and as --shell modules of the
 * two CLIs), waitForClient, the broadcast chat, waitFor, the byte server,
 * and the blocking echo server with the blocking client.
 */
import path from 'node:path';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetStreams } from '../../src/server.js';
import { killAll, withTimeout } from '../helpers/peers.js';
import { CLIENT_CLI, EXAMPLES, node, startExample, startServer, waitFor } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;
const example = (name: string): string => path.join(EXAMPLES, `${name}.js`);

async function readAll(s: TelnetStreams, until?: RegExp): Promise<string> {
  let text = '';
  for (;;) {
    if (until?.test(text)) return text;
    const chunk = await withTimeout(s.reader.read(4096) as Promise<string>, STEP, `reading${until ? ` for ${until}` : ''}: ${JSON.stringify(text.slice(-300))}`);
    if (!chunk) return text;
    text += chunk;
  }
}

async function connect(port: number): Promise<TelnetStreams> {
  return openConnection('127.0.0.1', port, { connectMaxwait: 2000, term: 'xterm-256color', cols: 100, rows: 40 });
}

t.test('server-wargame + client-wargame, standalone', async (t) => {
  const { port } = await startExample(t, 'server-wargame');
  const c = node(t, example('client-wargame'), ['127.0.0.1', String(port)]);
  const exit = await withTimeout(c.exited, STEP, 'client-wargame exits');
  t.equal(exit.code, 0);
  t.match(c.stdout(), /Would you like to play a game\? y\r\nThey say the only way to win is to not play at all\./);
});

t.test('server-wargame and client-wargame as --shell modules of the CLIs', async (t) => {
  const { port } = await startServer(t, ['--shell', `${example('server-wargame')}:shell`]);
  const c = node(t, CLIENT_CLI, ['--shell', `${example('client-wargame')}:shell`, '127.0.0.1', String(port)], { stdin: 'pipe' });
  const exit = await withTimeout(c.exited, STEP, 'client exits');
  t.equal(exit.code, 0);
  t.match(c.stdout(), /play a game\? y\r\nThey say the only way to win is to not play at all\./);
});

t.test('server-wait-for-client: negotiated TERM and size, no shell callback', async (t) => {
  const { proc, port } = await startExample(t, 'server-wait-for-client');
  const s = await connect(port);
  const text = await readAll(s);
  t.match(text, /Welcome! Your terminal is xterm-256color \(100x40\)\r\nGoodbye!/);
  await waitFor(() => proc.stdout(), /Client connected! Terminal: xterm-256color, window size: 100x40/, STEP, 'server log');
});

t.test('server-broadcast: one client\'s input reaches the others', async (t) => {
  const { port } = await startExample(t, 'server-broadcast');
  const a = await connect(port);
  await readAll(a, /Type messages to broadcast[^\n]*\n\r\n/);
  const b = await connect(port);
  await readAll(b, /Type messages to broadcast[^\n]*\n\r\n/);
  a.writer.write('hello everyone\r\n');
  t.match(await readAll(b, /hello everyone\r\n/), /\[Client #1\]: hello everyone\r\n/, 'B got A\'s message');
  a.writer.close();
  t.match(await readAll(b, /disconnected\]/), /\[Client #1 disconnected\]/, 'B is told A left');
  b.writer.close();
});

t.test('server-wait-for-negotiation: waitFor NAWS, TTYPE and BINARY', async (t) => {
  const { port } = await startExample(t, 'server-wait-for-negotiation');
  const s = await connect(port);
  const text = await readAll(s);
  t.match(text, /Window size: 100x40\r\nTerminal type: xterm-256color\r\nBinary mode enabled \(bidirectional\)/);
  t.match(text, /Negotiation complete\. Goodbye!/);
});

t.test('server-binary: encoding false, bytes in and out', async (t) => {
  const { port } = await startExample(t, 'server-binary');
  const s = await openConnection('127.0.0.1', port, { encoding: false, connectMaxwait: 2000 });
  let text = '';
  while (!text.includes('type something:')) text += ((await withTimeout(s.reader.read(4096) as Promise<Buffer>, STEP, 'prompt'))).toString('latin1');
  s.writer.write(Buffer.from([0x61, 0x62, 0xff, 0x00]));
  for (;;) {
    const b = await withTimeout(s.reader.read(4096) as Promise<Buffer>, STEP, 'hex');
    if (b.length === 0) break;
    text += b.toString('latin1');
  }
  t.match(text, /hex: 61 62 ff 00\r\n/, 'the bytes, IAC and NUL included, exactly');
});

t.test('blocking-echo-server + blocking-client', async (t) => {
  const { port } = await startExample(t, 'blocking-echo-server');
  const c = node(t, example('blocking-client'), ['127.0.0.1', String(port)], { stdin: 'pipe' });
  c.child.stdin!.end('hello\nquit\n');
  const exit = await withTimeout(c.exited, 15000, 'blocking client exits');
  t.equal(exit.code, 0, c.stderr());
  const out = c.stdout();
  t.match(out, /Connected to 127\.0\.0\.1:\d+/);
  t.match(out, /Welcome! Type messages and I'll echo them back\./);
  t.match(out, />>> Echo: hello\r\n/);
  t.match(out, />>> Goodbye!\r\n/);
  t.match(out, /Connection closed\.\n$/);
});
