/**
 * telnetlib3-client as a program, with stdin not a terminal (nc-like):
 * --help, bad arguments, errors (`Error: <msg>`, exit 1), a loopback session
 * against the server CLI, what goes over the wire (CR LF line ends, TTYPE,
 * TSPEED, NEW_ENVIRON), --typescript and --loglevel trace.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Cmd } from '../../src/protocol/constants.js';
import { createServer } from '../../src/server.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { freePort, killAll, withTimeout } from '../helpers/peers.js';
import { CLIENT_CLI, node, startServer } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;

function tmp(name: string): string {
  return path.join(os.tmpdir(), `tl3-client-${process.pid}-${Date.now()}-${name}`);
}

t.test('--help lists every flag and exits 0', async (t) => {
  const p = node(t, CLIENT_CLI, ['--help']);
  t.equal((await p.exited).code, 0);
  for (const flag of ['--term', '--encoding', '--encoding-errors', '--force-binary', '--raw-mode', '--line-mode', '--shell', '--escape',
    '--connect-timeout', '--connect-minwait', '--connect-maxwait', '--speed', '--send-environ', '--always-will', '--always-do',
    '--always-wont', '--always-dont', '--loglevel', '--logfile', '--logfile-mode', '--typescript', '--typescript-mode']) {
    t.match(p.stdout(), flag, `help mentions ${flag}`);
  }
});

t.test('bad arguments: a clear message and a non-zero exit', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing required argument 'host'/],
    [['localhost', '0'], /port number 1-65535/],
    [['localhost', 'telnet'], /port number/],
    [['localhost', '--raw-mode', '--line-mode'], /cannot be used with option/],
    [['localhost', '--send-environ', 'TERM,PATH'], /--send-environ: cannot send PATH/],
    [['localhost', '--always-do', 'NOSUCH'], /unknown Telnet option: NOSUCH/],
    [['localhost', '--speed', 'fast'], /--speed.*positive integer/],
    [['localhost', '--connect-timeout', '-1'], /seconds >= 0/],
    [['localhost', '--escape', 'abc'], /--escape/],
    [['localhost', '--encoding-errors', 'loud'], /choices/],
  ];
  await Promise.all(cases.map(async ([args, re]) => {
    const p = node(t, CLIENT_CLI, args);
    const exit = await p.exited;
    t.not(exit.code, 0, `${args.join(' ') || '(no arguments)'}: non-zero exit`);
    t.match(p.stderr(), re, `${args.join(' ') || '(no arguments)'}: ${p.stderr().split('\n')[0]}`);
  }));
});

t.test('a refused connection: Error: <msg>, exit 1', async (t) => {
  const port = await freePort();
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(port)], { stdin: 'pipe' });
  const exit = await withTimeout(p.exited, STEP, 'exit');
  t.equal(exit.code, 1);
  t.match(p.stderr(), new RegExp(`^Error: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`, 'm'));
});

t.test('nc-like loopback with the server CLI: piped input, output, exit at the end', async (t) => {
  const { port } = await startServer(t, []);
  const script = tmp('typescript');
  const logfile = tmp('log');
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(port), '--typescript', script, '--loglevel', 'trace', '--logfile', logfile],
    { stdin: 'pipe' });
  p.child.stdin!.end('help\nquit\n');
  const exit = await withTimeout(p.exited, STEP, 'client exit');
  t.equal(exit.code, 0, 'exit 0 when the server closes');
  const out = p.stdout();
  t.match(out, /Ready\.\r\ntel:sh> /, 'banner and prompt on stdout');
  t.match(out, /quit, writer, slc, linemode/, 'help output');
  t.match(out, /Goodbye\.\r\n$/, 'goodbye, last');
  t.notMatch(out, /Escape character/, 'no interactive messages on stdout in a pipe');
  t.match(p.stderr(), /Connection closed by foreign host\./, 'close message on stderr');
  const ts = readFileSync(script, 'utf8');
  t.match(ts, /^Script started on \d{4}-\d\d-\d\dT[^\n]* \[telnetlib3-client 127\.0\.0\.1 \d+\]\n/, 'typescript header');
  t.match(ts, /Ready\.\r\ntel:sh> [\s\S]*Goodbye\.\r\n\nScript done on /, 'typescript holds the session');
  const log = readFileSync(logfile, 'utf8');
  t.match(log, /recv \d+ bytes\n<< {2}00000000 {2}ff fd 18/, 'trace: the server\'s DO TTYPE, hexdumped');
  t.match(log, /send \d+ bytes\n>> {2}00000000 {2}/, 'trace: sent bytes hexdumped');
});

/** An in-process server recording what the client sends, then answering and closing. */
async function recordingServer(t: Test, reply = 'done\r\n') {
  let resolveSeen!: (v: { data: string; writer: TelnetWriter }) => void;
  const seen = new Promise<{ data: string; writer: TelnetWriter }>((r) => { resolveSeen = r; });
  const server = await createServer({
    host: '127.0.0.1', port: 0, connectMaxwait: 1500,
    shell: async (reader: TelnetReader<string>, writer: TelnetWriter) => {
      // Ask for the terminal speed too (telnetlib3's server does not by default).
      writer.iac(Cmd.DO, 'TSPEED');
      await Promise.race([writer.waitForCondition((w) => w.getExtraInfo('tspeed') !== undefined), new Promise((r) => setTimeout(r, 2000))]);
      let data = '';
      for (;;) {
        const chunk = await reader.read(4096);
        if (!chunk) break;
        data += chunk;
        if (data.includes('END')) break;
      }
      writer.write(reply);
      resolveSeen({ data, writer });
    },
  });
  t.teardown(() => { server.close(100); });
  return { port: server.port, seen };
}

t.test('what goes over the wire: CR LF line ends, TTYPE, TSPEED, NEW_ENVIRON', async (t) => {
  const { port, seen } = await recordingServer(t);
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(port), '--term', 'vt220', '--speed', '9600', '--send-environ', 'TERM,LANG,USER'],
    { stdin: 'pipe', env: { ...process.env, USER: 'alice', COLORTERM: 'truecolor' } });
  p.child.stdin!.write('one\ntwo\r\nEND\n');
  const { data, writer } = await withTimeout(seen, STEP, 'server got the input');
  t.equal(data, 'one\r\ntwo\r\nEND\r\n', 'LF becomes CR LF; CR LF stays');
  t.equal(writer.getExtraInfo('TERM'), 'vt220', '--term by TTYPE');
  t.equal(writer.getExtraInfo('tspeed'), '9600,9600', '--speed by TSPEED');
  t.equal(writer.getExtraInfo('USER'), 'alice', 'USER sent because --send-environ lists it');
  t.equal(writer.getExtraInfo('COLORTERM'), undefined, 'COLORTERM not sent: not in --send-environ');
  t.match(String(writer.getExtraInfo('LANG')), /^en_US\.UTF-8$/, 'LANG from the encoding');
  p.child.stdin!.end();
  const exit = await withTimeout(p.exited, STEP, 'client exit');
  t.equal(exit.code, 0);
  t.match(p.stdout(), /done\r\n$/);
});

t.test('--always-will / --always-do are offered at connect', async (t) => {
  const { port, seen } = await recordingServer(t);
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(port), '--always-will', 'EOR', '--always-do', 'STATUS,EOR'], { stdin: 'pipe' });
  p.child.stdin!.end('END\n');
  const { writer } = await withTimeout(seen, STEP, 'server shell');
  t.ok(writer.remoteOption.enabled('EOR'), 'client WILL EOR (server accepted)');
  t.ok(writer.localOption.enabled('STATUS'), 'client asked DO STATUS (server agreed)');
  t.equal((await withTimeout(p.exited, STEP, 'exit')).code, 0);
});

t.test('--encoding false: bytes through unchanged', async (t) => {
  const { port } = await startServer(t, ['--encoding', 'false']);
  const p = node(t, CLIENT_CLI, ['127.0.0.1', String(port), '--encoding', 'false'], { stdin: 'pipe' });
  p.child.stdin!.end('quit\n');
  t.equal((await withTimeout(p.exited, STEP, 'exit')).code, 0);
  t.match(p.stdout(), /Ready\.[\s\S]*Goodbye\./);
});

