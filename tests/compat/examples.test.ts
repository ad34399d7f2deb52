/**
 * The compat examples, run as their users would: bin/examples/telnetlib-login
 * (Python's documentation example, ported) against a fake device, and
 * bin/examples/miniboa-chat (miniboa's chat demo, ported) driven by two
 * async clients of this library. The examples run in child processes (they
 * block); the peers run here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { openConnection } from '../../src/client.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { HOST } from './helpers.js';

const example = (name: string): string => fileURLToPath(new URL(`../../bin/examples/${name}.js`, import.meta.url));

/** A fake network device: banner and login, then a shell with `ls` and `exit`. */
async function fakeDevice(): Promise<{ port: number; got: () => Buffer; server: net.Server }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((c) => {
    c.on('error', () => {});
    // Like many devices: offer to echo and suppress go-ahead, then the banner.
    c.write(Buffer.concat([Buffer.from([255, 251, 1, 255, 251, 3]), Buffer.from('\r\nUbuntu 22.04.4 LTS\r\nrouter login: ')]));
    let state: 'user' | 'password' | 'shell' = 'user';
    let pending = '';
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      pending += d.toString('latin1').replace(/\xff[\xfb-\xfe]./g, '');
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (state === 'user') {
          state = 'password';
          c.write('Password: ');
        } else if (state === 'password') {
          if (line !== 'secret') {
            c.end('\r\nLogin incorrect\r\n');
            return;
          }
          state = 'shell';
          c.write('\r\nLast login: Mon Jan  1 00:00:00 2024\r\nadmin@router:~$ ');
        } else if (line === 'ls') {
          c.write('ls\r\nbackup.cfg  running-config  startup-config\r\nadmin@router:~$ ');
        } else if (line === 'exit') {
          c.end('exit\r\nlogout\r\n');
          return;
        } else {
          c.write(`${line}\r\n${line}: command not found\r\nadmin@router:~$ `);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return { port: (server.address() as net.AddressInfo).port, got: () => Buffer.concat(chunks), server };
}

function run(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

t.test('telnetlib-login: the Python docs example logs in, runs ls, prints the session', async (t) => {
  const dev = await fakeDevice();
  const child = spawn(process.execPath, [example('telnetlib-login'), HOST, String(dev.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = run(child);
  child.stdin!.end('admin\nsecret\n');
  const { code, out, err } = await done;
  t.equal(code, 0, err);
  t.match(err, /Enter your remote account: Password: /, 'the prompts (on stderr, as input()/getpass() with a pipe)');
  t.match(out, /^\r\nLast login: .*\r\nadmin@router:~\$ ls\r\nbackup\.cfg {2}running-config {2}startup-config\r\nadmin@router:~\$ exit\r\nlogout\r\n\n$/,
    'read_all(): everything after the password prompt, printed');
  t.equal(dev.got().toString('latin1'), '\xff\xfe\x01\xff\xfe\x03admin\nsecret\nls\nexit\n', 'the refusals (DONT ECHO, DONT SGA), then the lines as written');
  dev.server.close();
  t.end();
});

/** One chat participant: an async client of this library. */
interface Guest {
  reader: TelnetReader<string>;
  writer: TelnetWriter;
  /** Read until `text` has arrived; returns everything read so far. */
  until(text: string): Promise<string>;
  seen(): string;
}

async function guest(port: number): Promise<Guest> {
  const { reader, writer } = await openConnection(HOST, port, { connectMaxwait: 300 });
  let seen = '';
  return {
    reader: reader as TelnetReader<string>,
    writer,
    async until(text: string) {
      const end = Date.now() + 5000;
      while (!seen.includes(text)) {
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(4096) as Promise<string>,
          new Promise<null>((r) => { timer = setTimeout(() => r(null), Math.max(1, end - Date.now())); }),
        ]).finally(() => clearTimeout(timer));
        if (chunk === null) throw new Error(`no ${JSON.stringify(text)} within 5 s; got ${JSON.stringify(seen)}`);
        if (chunk === '') throw new Error(`EOF before ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`);
        seen += chunk;
      }
      return seen;
    },
    seen: () => seen,
  };
}

t.test('miniboa-chat: two async clients chat through the poll-loop server', async (t) => {
  const child = spawn(process.execPath, [example('miniboa-chat'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = run(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const m = /Listening for connections on port (\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    child.stderr!.on('data', check);
    child.once('exit', () => reject(new Error(`chat server exited: ${log}`)));
  });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });

  const alice = await guest(port);
  const aliceAddr = /Welcome to the Chat Server, ([\d.:]+)\./.exec(await alice.until('Welcome'))![1]!;
  await alice.until('.\r\n');
  const bob = await guest(port);
  const bobAddr = /Welcome to the Chat Server, ([\d.:]+)\./.exec(await bob.until('Welcome'))![1]!;
  await alice.until(`${bobAddr} joins the conversation.\r\n`);
  t.pass('alice is told that bob joins');

  alice.writer.write('hello bob\r\n');
  await alice.until("You say 'hello bob'\r\n");
  await bob.until(`${aliceAddr} says 'hello bob'\r\n`);
  t.pass('a line is broadcast: "You say" to the sender, "says" to the others');

  bob.writer.write('  hi alice  \r\n');
  await bob.until("You say 'hi alice'\r\n");
  await alice.until(`${bobAddr} says 'hi alice'\r\n`);
  t.pass('commands are stripped');

  bob.writer.write('bye\r\n');
  await bob.until("You say 'bye'\r\n");
  await alice.until(`${bobAddr} leaves the conversation.\r\n`);
  t.pass('bye: bob is dropped at the next poll and alice is told');
  let timer: NodeJS.Timeout | undefined;
  const eof = await Promise.race([bob.reader.read(100), new Promise((r) => { timer = setTimeout(() => r('timeout'), 3000); })])
    .finally(() => clearTimeout(timer));
  t.equal(eof, '', 'bob sees the connection close');

  alice.writer.write('shutdown\r\n');
  await alice.until("You say 'shutdown'\r\n");
  const { code, err } = await done;
  t.equal(code, 0, 'shutdown ends the server loop and the process');
  t.match(err, /INFO:root:Opened connection to/);
  t.match(err, new RegExp(`INFO:root:${bobAddr.replace(/\./g, '\\.')} says 'bye'`));
  t.match(err, /INFO:root:Server shutdown\./);
  alice.writer.close();
  t.end();
});
