/**
 * The socket-level part of the bad-input battery (reliability.md section 4)
 * against a live server (B01-B36) and a live client (C01-C10). For every case:
 * (a) no crash and (b) no unhandled rejection, (d) it finishes in under 2 s,
 * (e) a second connection opened during the case gets `IAC DO TTYPE` within
 * 500 ms, (f) nothing from an SB payload reaches the application's reader
 * (the server's shell and the client's reader record everything they read).
 * Byte-exact parser behaviour is pinned in tests/protocol/battery.test.ts;
 * this file checks the same inputs through real sockets and the engine.
 */
import { deflateSync } from 'node:zlib';
import type net from 'node:net';
import t, { type Test } from 'tap';
import { type ClientOptions, openConnection } from '../../src/client.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import type { TelnetServer } from '../../src/server.js';
import {
  HOST, RawPeer, bytes, countOf, memoryLogger, probeGreeting, rawServer, sleep, startServer,
  trackUnhandled, until, within,
} from './helpers.js';

const unhandled = trackUnhandled();

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const WONT = 0xfc;
const DO = 0xfd;
const DONT = 0xfe;
const KiB = 1024;
const MiB = 1024 * KiB;

/** IAC SB opt payload IAC SE (payload given raw: escape 0xFF yourself). */
const sb = (opt: number, ...payload: Array<number | string | Buffer | number[]>): Buffer => bytes(IAC, SB, opt, ...payload, IAC, SE);

/** What a server shell read on one connection. */
interface Rec {
  port: number;
  data: string;
  lines: string[];
  limitErrors: number;
  done: boolean;
  writer: TelnetWriter;
}

/** What the raw client does: bytes to send, pauses (ms), waits for bytes from the server. */
type Step = Buffer | number | { waitFor: Buffer } | { each: Buffer };

interface Case {
  id: string;
  steps: Step[];
  /** Send `ping\r\n` at the end and expect `pong` (the shell still runs, the parser is back in data). */
  ping?: boolean;
  /** Substrings (latin1) that must not reach the shell. */
  forbid?: string[];
  /** The exact text the shell read, if known. */
  data?: string;
  /** Codes that must appear in the server log during the case (problem events). */
  problems?: string[];
  /** Output bytes after READY must not exceed input bytes. */
  noAmplify?: boolean;
  /** The case sends invalid text on purpose (U+FFFD may appear). */
  allowReplacement?: boolean;
  check?: (t: Test, ctx: { rec: Rec; peer: RawPeer; sent: number; afterReady: Buffer }) => unknown;
}

const records: Rec[] = [];
const log = memoryLogger();
/** Problem codes delivered to onProtocolError, in order (the log is not enough: reliability (g)). */
const problemEvents: string[] = [];

async function recordingShell(reader: any, writer: TelnetWriter): Promise<void> {
  const rec: Rec = { port: writer.getExtraInfo<{ port: number }>('peername')!.port, data: '', lines: [], limitErrors: 0, done: false, writer };
  records.push(rec);
  writer.write('READY\r\n');
  try {
    for (;;) {
      let line: string;
      try {
        line = await reader.readline();
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_TELNET_LIMIT') throw err;
        rec.limitErrors++;
        rec.data += await reader.read(64 * KiB);
        continue;
      }
      if (line === '') break;
      rec.data += line;
      rec.lines.push(line);
      if (line.includes('ping')) writer.write('pong\r\n');
    }
  } finally {
    rec.done = true;
  }
}

async function runCase(t: Test, server: TelnetServer, c: Case): Promise<void> {
  const peer = await RawPeer.connect(t, server.port);
  await peer.waitForBytes('READY\r\n', 1500, `${c.id}: READY`);
  // The newest record for this port: ports are reused, and an earlier case's shell may have had the same one.
  const rec = records.findLast((r) => r.port === peer.socket.localPort);
  if (rec === undefined) throw new Error(`${c.id}: no shell record`);
  const readyAt = peer.received.length;
  const logAt = log.lines.length;
  const eventsAt = problemEvents.length;
  const t0 = performance.now();
  let probe: Promise<number> | null = null;
  let sent = 0;
  for (const step of c.steps) {
    if (typeof step === 'number') { await sleep(step); continue; }
    if (Buffer.isBuffer(step)) {
      sent += step.length;
      peer.write(step);
    } else if ('waitFor' in step) {
      await peer.waitForBytes(step.waitFor, 1000, `${c.id}: wait for ${step.waitFor.toString('hex')}`);
    } else {
      // Every byte its own write (TCP_NODELAY).
      for (let i = 0; i < step.each.length; i++) peer.socket.write(step.each.subarray(i, i + 1));
      sent += step.each.length;
    }
    probe ??= probeGreeting(server.port, 500);
  }
  if (c.ping) {
    peer.write('ping\r\n');
    await peer.waitFor((b) => b.subarray(readyAt).includes('pong\r\n'), 1500, `${c.id}: pong`);
  }
  peer.socket.end();
  await until(() => rec.done, 2000, `${c.id}: shell saw EOF`);
  await peer.waitEnd(1000);
  const ms = performance.now() - t0;
  t.ok(ms < 2000, `${c.id}: finished in ${ms.toFixed(0)} ms`);
  const greet = await within(probe ?? probeGreeting(server.port, 500), 1000, `${c.id}: probe`);
  t.ok(greet < 500, `${c.id}: a second connection got IAC DO TTYPE in ${greet.toFixed(1)} ms`);
  for (const f of c.forbid ?? []) t.notOk(rec.data.includes(f), `${c.id}: ${JSON.stringify(f.slice(0, 20))} never reached the shell`);
  t.notOk(/[\xf0\xfa]/.test(rec.data), `${c.id}: no SE/SB byte in the data`);
  if (!c.allowReplacement) t.notOk(rec.data.includes('\ufffd'), `${c.id}: no stray non-ASCII byte reached the shell`);
  t.notOk(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(rec.data), `${c.id}: no option or control byte reached the shell`);
  if (c.data !== undefined) t.equal(rec.data, c.data, `${c.id}: the shell read exactly this`);
  const newLog = log.lines.slice(logAt).join('\n');
  for (const p of c.problems ?? []) {
    t.match(newLog, p, `${c.id}: ${p} logged`);
    t.ok(problemEvents.slice(eventsAt).includes(p), `${c.id}: ${p} delivered to onProtocolError`);
  }
  const afterReady = peer.received.subarray(readyAt);
  if (c.noAmplify) {
    const out = afterReady.length - (c.ping ? 'pong\r\n'.length : 0);
    t.ok(out <= sent, `${c.id}: ${out} protocol bytes out for ${sent} in`);
  }
  await c.check?.(t, { rec, peer, sent, afterReady });
  peer.socket.destroy();
}

const B: Case[] = [
  { id: 'B01 unterminated SB swallows what follows', steps: [bytes(IAC, SB, 0x18, 0x00, 'xterm'), bytes('hello\r\n')], forbid: ['hello', 'xterm'], data: '' },
  {
    id: 'B02 1 MiB SB over the cap', steps: [bytes(IAC, SB, 0xc9, Buffer.alloc(MiB, 0x41), IAC, SE), bytes('hello\r\n')],
    ping: true, forbid: ['AAAA'], data: 'hello\r\nping\r\n', problems: ['SB_OVERFLOW'],
  },
  { id: 'B03 8 MiB of zeros in an SB never terminated', steps: [bytes(IAC, SB, 0x1f, Buffer.alloc(8 * MiB))], data: '', problems: ['SB_OVERFLOW'] },
  { id: 'B04 4 MiB of FF FF pairs in an SB', steps: [bytes(IAC, SB, 0xc9, Buffer.alloc(8 * MiB, 0xff))], data: '', problems: ['SB_OVERFLOW'] },
  {
    id: 'B05 IAC split from its verb by 300 ms', steps: [bytes('abc', IAC), 300, bytes(DO, 0x18, 'def\r\n')], ping: true,
    data: 'abcdef\r\nping\r\n', check: (t, { afterReady }) => t.equal(countOf(afterReady, bytes(IAC, WONT, 0x18)), 1, 'DO TTYPE refused once'),
  },
  { id: 'B06 dangling IAC then FIN', steps: [bytes('hi', IAC)], data: 'hi', problems: ['TRUNCATED'] },
  { id: 'B07 IAC SB then FIN', steps: [bytes(IAC, SB)], data: '' },
  ...[
    ['B08 NAWS with 2 bytes', sb(0x1f, 0x00, 0x50)],
    ['B09 NAWS with 6 bytes', sb(0x1f, 0x00, 0x50, 0x00, 0x18, 0x00, 0x00)],
    ['B10 empty NAWS', sb(0x1f)],
  ].map(([id, frame]): Case => ({
    id: id as string, steps: [frame as Buffer], ping: true, data: 'ping\r\n', problems: ['BAD_NAWS'],
    check: (t, { rec }) => { t.equal(rec.writer.getExtraInfo('cols'), 80); t.equal(rec.writer.getExtraInfo('rows'), 25); },
  })),
  {
    id: 'B11 NAWS 0x0 then 65535x65535', steps: [sb(0x1f, 0, 0, 0, 0), 50, sb(0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)], ping: true,
    check: (t, { rec }) => { t.equal(rec.writer.getExtraInfo('cols'), 65535); t.equal(rec.writer.getExtraInfo('rows'), 65535); },
  },
  {
    id: 'B12 unknown options both ways', steps: [bytes(IAC, DO, 0x99, IAC, WILL, 0x99, IAC, DO, 0xfe, IAC, WILL, 0xfe)], ping: true,
    check: (t, { afterReady }) => {
      t.equal(countOf(afterReady, bytes(IAC, WONT, 0x99, IAC, DONT, 0x99, IAC, WONT, 0xfe, IAC, DONT, 0xfe)), 1, 'exactly the four refusals, once');
      t.equal(afterReady.length, 12 + 'pong\r\n'.length, 'and nothing else');
    },
  },
  {
    id: 'B13 WILL/WONT ECHO x 20000', steps: [Buffer.concat(Array.from({ length: 20000 }, () => bytes(IAC, WILL, 1, IAC, WONT, 1)))],
    ping: true, noAmplify: true,
  },
  { id: 'B14 DO TTYPE x 5000', steps: [Buffer.concat(Array.from({ length: 5000 }, () => bytes(IAC, DO, 0x18)))], ping: true, noAmplify: true },
  {
    id: 'B15 SE outside SB, empty SB', steps: [bytes(IAC, SE), bytes(IAC, SB, IAC, SE), bytes('hello\r\n')], ping: true,
    data: 'hello\r\nping\r\n', problems: ['SE_WITHOUT_SB'],
  },
  {
    id: 'B16 unsolicited NEW_ENVIRON USER', steps: [sb(0x27, 0x00, 0x00, 'USER', 0x01, '-f root')], ping: true, forbid: ['root', 'USER'],
    problems: ['UNSOLICITED_SB'], check: (t, { rec }) => t.equal(rec.writer.getExtraInfo('USER'), undefined),
  },
  {
    id: 'B17 NEW_ENVIRON IS with dangerous names',
    steps: [bytes(IAC, WILL, 0x27), { waitFor: bytes(IAC, SB, 0x27, 0x01) },
      sb(0x27, 0x00, 0x00, 'LD_PRELOAD', 0x01, '/tmp/evil.so', 0x00, 'LD_LIBRARY_PATH', 0x01, '/tmp', 0x00, 'PATH', 0x01, '/tmp',
        0x00, 'IFS', 0x01, '/', 0x00, 'CREDENTIALS_DIRECTORY', 0x01, '/x', 0x00, 'TERM', 0x01, 'vt100')],
    ping: true, forbid: ['evil'],
    check: (t, { rec }) => {
      t.equal(rec.writer.getExtraInfo('TERM'), 'vt100', 'TERM accepted');
      for (const k of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH', 'IFS', 'CREDENTIALS_DIRECTORY']) t.equal(rec.writer.getExtraInfo(k), undefined, `${k} dropped`);
      t.not(process.env.LD_PRELOAD, '/tmp/evil.so', 'process.env untouched');
    },
  },
  {
    id: 'B18 NEW_ENVIRON IS with 20000 variables',
    steps: [bytes(IAC, WILL, 0x27), { waitFor: bytes(IAC, SB, 0x27, 0x01) },
      sb(0x27, 0x00, ...Array.from({ length: 20000 }, (_, i) => bytes(0x00, `V${i}`, 0x01, 'xxxxxxxxxx')))],
    ping: true, problems: ['SB_OVERFLOW'], check: (t, { rec }) => t.equal(rec.writer.getExtraInfo('V1'), undefined),
  },
  {
    id: 'B19 lenient NEW_ENVIRON parse',
    steps: [bytes(IAC, WILL, 0x27), { waitFor: bytes(IAC, SB, 0x27, 0x01) }, sb(0x27, 0x00, 0x01, 'orphan', 0x00, 0x00, 0x00, 'USER', 0x01, 'bob', 0x02)],
    ping: true, check: (t, { rec }) => t.equal(rec.writer.getExtraInfo('USER'), 'bob'),
  },
  {
    id: 'B20 TTYPE IS 64 KiB with escapes, then a small one with control bytes',
    steps: [bytes(IAC, WILL, 0x18), { waitFor: bytes(IAC, SB, 0x18, 0x01) },
      sb(0x18, 0x00, Buffer.alloc(64 * KiB, 'A\x1b[2J\x00\xc3\x28', 'latin1')), 20,
      sb(0x18, 0x00, 'xt\x1b[2Jerm\x00', 0xc3, 0x28)],
    ping: true, forbid: ['[2J'], problems: ['SB_OVERFLOW'],
    check: (t, { rec }) => {
      for (const k of ['TERM', 'ttype1', 'ttype2']) {
        const v = rec.writer.getExtraInfo<string>(k);
        if (v !== undefined) t.match(v, /^[\x20-\x7e]*$/, `${k} is printable (${JSON.stringify(v)})`);
      }
      t.notOk(String(rec.writer.getExtraInfo('TERM') ?? '').length > 1000, 'TERM is not the 64 KiB value');
    },
  },
  {
    id: 'B21 200 SLC triplets',
    steps: [bytes(IAC, WILL, 0x22), { waitFor: bytes(IAC, DO, 0x22) }, 50,
      sb(0x22, 0x03, ...Array.from({ length: 200 }, (_, i) => [1 + (i % 30), 0x02, 0x41 + (i % 26)]))],
    ping: true, forbid: ['ABC'],
    check: async (t, { peer }) => {
      const at = peer.received.length;
      peer.write(sb(0x22, 0x03, ...Array.from({ length: 200 }, (_, i) => [1 + (i % 30), 0x02, 0x61 + (i % 26)])));
      await sleep(100);
      t.ok(peer.received.length - at <= 30 * 3 + 64, `SLC reply bounded by the table (${peer.received.length - at} bytes)`);
    },
  },
  {
    id: 'B22 SLC length not a multiple of 3',
    steps: [bytes(IAC, WILL, 0x22), { waitFor: bytes(IAC, DO, 0x22) }, sb(0x22, 0x03, 0x01, 0x02)], ping: true, data: 'ping\r\n',
  },
  {
    id: 'B23 CHARSET: 5000 names, no separator, unsolicited ACCEPTED',
    steps: [bytes(IAC, WILL, 0x2a), { waitFor: bytes(IAC, SB, 0x2a, 0x01) },
      sb(0x2a, 0x01, ';', Array.from({ length: 5000 }, (_, i) => `x-junk-${i}`).join(';'), ';UTF-8'), 20,
      sb(0x2a, 0x01, ';', Array.from({ length: 20 }, (_, i) => `x-junk-${i}`).join(';'), ';x-nonexistent;UTF-8'), 20,
      sb(0x2a, 0x01, 'UTF-8'), 20,
      sb(0x2a, 0x02, 'x-nonexistent-charset')],
    ping: true, problems: ['SB_OVERFLOW'],
    check: (t, { rec, afterReady }) => {
      t.equal(countOf(afterReady, sb(0x2a, 0x02, 'UTF-8')), 1, 'the 22-name REQUEST gets ACCEPTED UTF-8 (a name we can use)');
      t.equal(countOf(afterReady, Buffer.from('x-')), 0, 'never accepts a junk name');
      t.ok(countOf(afterReady, sb(0x2a, 0x03)) >= 1, 'REQUEST without a separator: REJECTED');
      t.not(rec.writer.getExtraInfo('charset'), 'x-nonexistent-charset', 'unsolicited ACCEPTED ignored');
      t.ok(['us-ascii', 'utf-8'].includes(rec.writer.incomingEncoding), `encoding is still usable (${rec.writer.incomingEncoding})`);
    },
  },
  {
    id: 'B24 invalid UTF-8 in data', allowReplacement: true, steps: [bytes(0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, IAC, IAC, 0xfe, '\r\n')], ping: true,
    data: '\ufffd(\ufffd\ufffd\ufffd(\ufffd\ufffd\ufffd\ufffd\r\nping\r\n',
  },
  {
    id: 'B24 invalid UTF-8 in BINARY mode (UTF-8 decoder)', allowReplacement: true,
    steps: [bytes(IAC, WILL, 0x00), { waitFor: bytes(IAC, DO, 0x00) }, bytes(0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, IAC, IAC, 0xfe, '\r\n')],
    ping: true, data: '\ufffd(\ufffd\ufffd\ufffd(\ufffd\ufffd\ufffd\ufffd\r\nping\r\n',
    check: (t, { rec }) => t.equal(rec.writer.incomingEncoding, 'utf-8', 'decoded as UTF-8'),
  },
  {
    id: 'B25 NVT line ends across a split', steps: [bytes('a\rb\r\n', 'c\r\0d\r\n', 'e\r'), 300, bytes('\nf\0\0\r\r\n')],
    check: (t, { rec }) => t.same(rec.lines, ['a\r', 'b\r\n', 'c\r', 'd\r\n', 'e\r', 'f\r', '\r\n'], 'lines (the LF after a split CR is part of it)'),
  },
  {
    id: 'B26 EC EL AYT IP BRK AO DM, 1000 NOP', steps: [bytes(IAC, 0xf7, IAC, 0xf8, IAC, 0xf6, IAC, 0xf4, IAC, 0xf3, IAC, 0xf2, IAC, 0xf5,
      Buffer.concat(Array.from({ length: 1000 }, () => bytes(IAC, 0xf1))), 'hello\r\n')],
    ping: true, data: 'hello\r\nping\r\n',
  },
  {
    id: 'B27 ENCRYPT refused, its SBs dropped',
    steps: [bytes(IAC, WILL, 0x26, IAC, DO, 0x26), sb(0x26, 0x07, 'K'.repeat(255)), sb(0x26, 0x08, 'K'.repeat(255))], ping: true, forbid: ['KKK'],
    check: (t, { afterReady }) => {
      t.equal(countOf(afterReady, bytes(IAC, DONT, 0x26)), 1, 'DONT ENCRYPT');
      t.equal(countOf(afterReady, bytes(IAC, WONT, 0x26)), 1, 'WONT ENCRYPT');
    },
  },
  {
    id: 'B28 AUTHENTICATION refused, its SBs dropped',
    steps: [bytes(IAC, WILL, 0x25), sb(0x25, 0x00, 0x99, 0x99, 'G'.repeat(3000)), sb(0x25, 0x03, 'N'.repeat(3000))], ping: true, forbid: ['GGG', 'NNN'],
    check: (t, { afterReady }) => t.equal(countOf(afterReady, bytes(IAC, DONT, 0x25)), 1, 'DONT AUTHENTICATION'),
  },
  {
    id: 'B29 MCCP3 start never offered', steps: [sb(0x57), bytes('notzlib garbage\r\n')], ping: true, data: 'notzlib garbage\r\nping\r\n',
  },
  {
    id: 'B30 MCCP3 refused both ways', steps: [bytes(IAC, WILL, 0x57, IAC, DO, 0x57), sb(0x57), bytes('after\r\n')],
    ping: true, data: 'after\r\nping\r\n',
    check: (t, { afterReady }) => {
      t.equal(countOf(afterReady, bytes(IAC, DONT, 0x57)), 1, 'DONT MCCP3');
      t.equal(countOf(afterReady, bytes(IAC, WONT, 0x57)), 1, 'WONT MCCP3');
    },
  },
  {
    id: 'B31 STATUS SEND x 2000 and a bogus STATUS IS',
    steps: [bytes(IAC, DO, 0x05), { waitFor: bytes(IAC, WILL, 0x05) },
      Buffer.concat(Array.from({ length: 2000 }, () => sb(0x05, 0x01))), sb(0x05, 0x00, WILL, 0x99, DO, 0x98)],
    ping: true, noAmplify: true,
  },
  {
    id: 'B32 DO TM x 20000 (read)', steps: [Buffer.concat(Array.from({ length: 20000 }, () => bytes(IAC, DO, 0x06)))], ping: true, noAmplify: true,
    check: (t, { afterReady }) => t.equal(countOf(afterReady, bytes(IAC, WILL, 0x06)), 20000, 'one WILL TM per DO TM'),
  },
  {
    id: 'B33 8 MiB without a newline', steps: [Buffer.alloc(8 * MiB, 'x')], ping: true,
    check: (t, { rec }) => {
      t.ok(rec.limitErrors > 0, `readline reported the limit (${rec.limitErrors} times) and the shell read on in pieces`);
      t.equal(rec.data.length, 8 * MiB + 'ping\r\n'.length, 'every byte reached the shell');
      t.ok(rec.lines.every((l) => l.length <= 2 * 64 * KiB + 64), 'no line longer than the buffer bound');
    },
  },
  {
    id: 'B35 100,000 one-byte writes', steps: [{ each: Buffer.concat(Array.from({ length: 20000 }, () => bytes('ab', IAC, DO, 0x18))) }],
    data: 'ab'.repeat(20000), noAmplify: true,
  },
  {
    id: 'B36 a command inside an SB', steps: [bytes(IAC, SB, 0x18, 0x00, 'xterm', IAC, WILL, 0x01, IAC, SE)], ping: true, forbid: ['xterm'],
    data: 'ping\r\n', problems: ['SB_INTERRUPTED'],
    check: (t, { afterReady }) => t.equal(countOf(afterReady, bytes(IAC, DONT, 0x01)), 1, 'the embedded WILL ECHO is processed (DONT ECHO)'),
  },
];

t.test('server battery B01-B36', async (t) => {
  const server = await startServer(t, {
    connectMaxwait: 100, logger: log, shell: recordingShell, onProtocolError: (problem) => { problemEvents.push(problem.code); },
  });
  const t0 = Date.now();
  for (const c of B) await t.test(c.id, (t) => runCase(t, server, c));
  t.comment(`battery took ${Date.now() - t0} ms`);
  t.ok(server.isServing(), 'the server is still serving');
  await until(() => server.clients.length === 0, 2000, 'every battery connection closed');
});

t.test('B34 BINARY both ways: FF FF FF FF "A\\r\\n" is FF FF 41 0D 0A, echoed doubled', async (t) => {
  const got: Buffer[] = [];
  const server = await startServer(t, {
    connectMaxwait: 100, encoding: false,
    shell: async (reader, writer) => {
      writer.write(Buffer.from('READY\r\n'));
      for (;;) {
        const b: Buffer = await reader.read(4096);
        if (b.length === 0) break;
        got.push(b);
        writer.write(b);
      }
    },
  });
  const p = await RawPeer.connect(t, server.port);
  await p.waitForBytes('READY\r\n', 1500);
  const t0 = performance.now();
  const probe = probeGreeting(server.port, 500);
  p.write(bytes(IAC, WILL, 0x00, IAC, DO, 0x00, IAC, IAC, IAC, IAC, 'A\r\n'));
  await p.waitForBytes(bytes(IAC, IAC, IAC, IAC, 'A\r\n'), 1000, 'echo with 0xFF doubled');
  t.same(Buffer.concat(got), bytes(0xff, 0xff, 'A\r\n'), 'the shell read FF FF 41 0D 0A');
  t.ok(performance.now() - t0 < 2000);
  t.ok((await probe) < 500, 'probe');
  p.socket.end();
  await p.waitEnd(1000);
});

// ---------------------------------------------------------------- client cases

interface CCase {
  id: string;
  /** The fake server's script; resolves when it is done (the socket is then ended). */
  script: (s: net.Socket, out: () => Buffer, client: Promise<{ writer: TelnetWriter }>) => Promise<void>;
  opts?: ClientOptions;
  forbid?: string[];
  data?: string | RegExp;
  /** The case sends arbitrary bytes as data on purpose. */
  rawData?: boolean;
  /** Codes the client must deliver to onProtocolError. */
  problems?: string[];
  check?: (t: Test, ctx: { out: Buffer; data: string }) => unknown;
}

const SECRET_ENV = { HOME: '/home/secret-home', SSH_AUTH_SOCK: '/tmp/secret-agent.sock', AWS_SECRET_ACCESS_KEY: 'AKIA-secret-key' };

function waitOut(out: () => Buffer, needle: Buffer, ms = 1000): Promise<void> {
  return until(() => out().includes(needle), ms, `client sent ${needle.toString('hex')}`);
}

const C: CCase[] = [
  {
    id: 'C01 8 MiB SB without SE', data: '', problems: ['SB_OVERFLOW'],
    script: async (s) => { s.write(bytes(IAC, SB, 0xc9)); s.write(Buffer.alloc(8 * MiB, 0x41)); s.write('tail'); await sleep(50); },
  },
  {
    id: 'C02 SLC with 200 triplets after DO LINEMODE',
    script: async (s, out) => {
      s.write(bytes(IAC, DO, 0x22));
      await waitOut(out, bytes(IAC, WILL, 0x22));
      await sleep(20);
      const at = out().length;
      s.write(sb(0x22, 0x03, ...Array.from({ length: 200 }, (_, i) => [1 + (i % 30), 0x02, 0x41 + (i % 26)])));
      s.write('after\r\n');
      await sleep(100);
      const reply = out().length - at;
      if (reply > 30 * 3 + 64) throw new Error(`SLC reply of ${reply} bytes`);
    },
    data: 'after\r\n', forbid: ['ABC'],
  },
  {
    id: 'C03 TTYPE SEND x 10000', opts: { term: ['A-TERM', 'B-TERM'] },
    script: async (s, out) => {
      s.write(bytes(IAC, DO, 0x18));
      await waitOut(out, bytes(IAC, WILL, 0x18));
      s.write(Buffer.concat(Array.from({ length: 10000 }, () => sb(0x18, 0x01))));
      await until(() => countOf(out(), bytes(IAC, SB, 0x18, 0x00)) >= 10000, 1500, '10000 IS');
    },
    check: (t, { out }) => {
      t.equal(countOf(out, sb(0x18, 0x00, 'A-TERM')), 1, 'first IS: the first name');
      t.equal(countOf(out, sb(0x18, 0x00, 'B-TERM')), 9999, 'then the last name repeats');
      t.equal(countOf(out, bytes(IAC, SB, 0x18)), 10000, 'one IS per SEND');
    },
  },
  {
    id: 'C04 ECHO/SGA flapping x 10000',
    script: async (s, out) => {
      const storm = Buffer.concat(Array.from({ length: 10000 }, () => bytes(IAC, DO, 1, IAC, DONT, 1, IAC, WILL, 3, IAC, WONT, 3)));
      const at = out().length;
      s.write(storm);
      await sleep(300);
      if (out().length - at > storm.length) throw new Error(`amplified: ${out().length - at} bytes for ${storm.length}`);
    },
  },
  {
    // compression: false (a client accepts MCCP2 by default; the accepted bomb is in mccp.test.ts).
    id: 'C05 MCCP2 refused; a zlib bomb after SB MCCP2 is plain data', rawData: true, opts: { compression: false },
    script: async (s, out) => {
      s.write(bytes(IAC, WILL, 0x56));
      await waitOut(out, bytes(IAC, DONT, 0x56));
      s.write(sb(0x56));
      s.write(deflateSync(Buffer.alloc(64 * MiB)));
      await sleep(50);
    },
  },
  {
    id: 'C06 SB MCCP2 then garbage', data: /garbage/,
    script: async (s) => { s.write(sb(0x56)); s.write('not zlib garbage\r\n'); await sleep(50); },
  },
  {
    id: 'C07 NEW_ENVIRON SEND all and SEND of secrets', opts: { environ: SECRET_ENV },
    script: async (s, out) => {
      s.write(bytes(IAC, DO, 0x27));
      await waitOut(out, bytes(IAC, WILL, 0x27));
      s.write(sb(0x27, 0x01));
      s.write(sb(0x27, 0x01, 0x00, 'HOME', 0x00, 'SSH_AUTH_SOCK', 0x03, 'AWS_SECRET_ACCESS_KEY'));
      await until(() => countOf(out(), bytes(IAC, SB, 0x27, 0x00)) >= 2, 1000, 'two IS replies');
    },
    check: (t, { out }) => {
      const o = out.toString('latin1');
      t.notMatch(o, /secret/, 'no configured secret sent');
      for (const v of [process.env.HOME, process.env.PATH, process.env.USER].filter((x): x is string => !!x && x.length > 3)) {
        t.notOk(o.includes(v), `process.env value ${v.slice(0, 12)}... never sent`);
      }
    },
  },
  {
    id: 'C08 CHARSET REQUEST with 10000 names and an invalid name',
    opts: { maxSubnegotiation: 1024 * 1024 },
    script: async (s, out) => {
      s.write(bytes(IAC, DO, 0x2a));
      await waitOut(out, bytes(IAC, WILL, 0x2a));
      const at = out().length;
      s.write(sb(0x2a, 0x01, ';', Array.from({ length: 10000 }, (_, i) => `x-bogus-${i}`).join(';'), ';', 0x00, 0xff, 0xff));
      await until(() => out().subarray(at).includes(bytes(IAC, SB, 0x2a)), 1000, 'CHARSET answer');
    },
    check: (t, { out }) => {
      t.equal(countOf(out, bytes(IAC, SB, 0x2a)), 1, 'one answer');
      t.equal(countOf(out, sb(0x2a, 0x03)), 1, 'REJECTED (nothing usable)');
    },
  },
  {
    id: 'C09 invalid UTF-8, lone CR, CR NUL, NULs, 0xFF split across writes',
    script: async (s) => {
      s.write(bytes(0xc3, 0x28, 'a\rb\r\0c\0\0d\r\n', IAC));
      await sleep(50);
      s.write(bytes(IAC, 'e\r\n'));
      await sleep(20);
    },
    data: '\ufffd(a\rb\rcd\r\n\ufffde\r\n',
  },
  {
    id: 'C10 DO NAWS x 1000 with 1000 resizes',
    script: async (s, out, client) => {
      await sleep(20);
      s.write(Buffer.concat(Array.from({ length: 1000 }, () => bytes(IAC, DO, 0x1f))));
      await waitOut(out, bytes(IAC, WILL, 0x1f));
      const { writer } = await client;
      for (let i = 0; i < 1000; i++) writer.setWindowSize(100 + i, 40);
      await until(() => countOf(out(), bytes(IAC, SB, 0x1f)) >= 1001, 1000, 'NAWS frames');
      await sleep(50);
    },
    check: (t, { out }) => {
      t.equal(countOf(out, bytes(IAC, WILL, 0x1f)), 1, 'WILL NAWS once');
      t.equal(countOf(out, bytes(IAC, SB, 0x1f)), 1001, 'one SB NAWS when agreed, then one per resize');
    },
  },
];

t.test('client battery C01-C10', async (t) => {
  const probeServer = await startServer(t, { connectMaxwait: 100 });
  for (const c of C) {
    await t.test(c.id, async (t) => {
      let scriptDone: Promise<void> = Promise.resolve();
      let outChunks: Buffer[] = [];
      const out = (): Buffer => { if (outChunks.length > 1) outChunks = [Buffer.concat(outChunks)]; return outChunks[0] ?? Buffer.alloc(0); };
      let resolveClient!: (v: { writer: TelnetWriter }) => void;
      const clientP = new Promise<{ writer: TelnetWriter }>((r) => { resolveClient = r; });
      const { port } = await rawServer(t, (s) => {
        s.on('data', (b: Buffer) => outChunks.push(b));
        scriptDone = c.script(s, out, clientP).finally(() => s.end());
      });
      const t0 = performance.now();
      const codes: string[] = [];
      const onProtocolError = (problem: { code: string }): void => { codes.push(problem.code); };
      const client = await within(openConnection(HOST, port, { connectMaxwait: 200, onProtocolError, ...c.opts }), 2000, `${c.id}: open`);
      t.teardown(() => client.writer.close());
      resolveClient(client);
      const probe = probeGreeting(probeServer.port, 500);
      let data = '';
      const reading = (async () => {
        for (;;) {
          const s = await client.reader.read(64 * KiB);
          if (s.length === 0) break;
          data += s;
        }
      })();
      await within(scriptDone, 2000, `${c.id}: script`);
      await within(reading, 2000, `${c.id}: client read to EOF`);
      await within(client.writer.waitClosed(), 2000, `${c.id}: client closed`);
      for (const p of c.problems ?? []) t.ok(codes.includes(p), `${c.id}: ${p} delivered to onProtocolError`);
      const ms = performance.now() - t0;
      t.ok(ms < 2000, `${c.id}: finished in ${ms.toFixed(0)} ms`);
      t.ok((await probe) < 500, `${c.id}: a second connection kept its greeting latency`);
      for (const f of c.forbid ?? []) t.notOk(data.includes(f), `${c.id}: ${JSON.stringify(f)} never reached the reader`);
      t.notOk(/[\xfa]/.test(data), `${c.id}: no SB byte in the data`);
      if (!c.rawData) t.notOk(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(data), `${c.id}: no option or control byte in the data`);
      if (typeof c.data === 'string') t.equal(data, c.data, `${c.id}: reader data`);
      else if (c.data !== undefined) t.match(data, c.data);
      c.check?.(t, { out: out(), data });
    });
  }
});

t.test('no unhandled promise rejection in this file', async (t) => unhandled.check(t));
