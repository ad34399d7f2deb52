/**
 * compat/telnetlib against real loopback servers. Every check of CPython's
 * Lib/test/test_telnetlib.py is here, written anew: where CPython feeds a
 * stub socket a list of reads, a scripted server in a child process sends
 * the same byte sequences (with pauses between them), because this thread
 * blocks while it uses Telnet. Then the stdlib semantics the suite does not
 * pin (refusals, callbacks, timeouts, EOFError, NUL/XON, SB data), a linear
 * read_all, interact(), and a differential run against CPython's own
 * telnetlib when python3 (<= 3.12) is installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import t from 'tap';
import * as tl from '../../compat/telnetlib.js';
import { EOFError, Telnet, TimeoutError, b, bytesRepr } from '../../compat/telnetlib.js';
import { HOST, type Step, blockFor, fixture, hex, scriptServer, sleep } from './helpers.js';

const X = (n: number, c = 'x'): string => c.repeat(n);

/** Run `fn` with stdout captured (debug output goes there). */
function capture<T>(fn: () => T): { out: string; value: T } {
  const original = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    const value = fn();
    return { out, value };
  } finally {
    process.stdout.write = original;
  }
}

/** Steps that send each chunk with a pause between them (CPython's list of reads). */
function reads(chunks: Array<string | Buffer>, pause = 20): Step[] {
  const steps: Step[] = [];
  for (const c of chunks) {
    steps.push({ send: hex(c) });
    steps.push({ sleep: pause });
  }
  return steps;
}

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an exception');
}

// ------------------------------------------------------------ GeneralTests

t.test('GeneralTests', async (t) => {
  const s = await scriptServer([{ sleep: 300 }], 7);

  // testBasic: connects
  const basic = new Telnet(HOST, s.port);
  t.not(basic.sock, null, 'testBasic: connected');
  basic.sock!.close();

  // testContextManager
  let tn2: Telnet;
  {
    using tn = new Telnet(HOST, s.port);
    tn2 = tn;
    t.not(tn.get_socket(), null, 'testContextManager: a socket inside the block');
  }
  t.equal(tn2.get_socket(), null, 'testContextManager: none after it');

  // testTimeoutDefault / testTimeoutNone
  const d = new Telnet(HOST, s.port);
  t.equal(d.sock!.gettimeout(), null, 'testTimeoutDefault: no timeout');
  d.close();
  const none = new Telnet(HOST, s.port, null);
  t.equal(none.sock!.gettimeout(), null, 'testTimeoutNone');
  none.close();

  // testTimeoutValue
  const v = new Telnet(HOST, s.port, 30);
  t.equal(v.sock!.gettimeout(), 30, 'testTimeoutValue');
  v.close();

  // testTimeoutOpen
  const o = new Telnet();
  t.equal(o.get_socket(), null, 'not connected without a host');
  o.open(HOST, s.port, 30);
  t.equal(o.sock!.gettimeout(), 30, 'testTimeoutOpen');
  o.close();

  // testGetters
  const g = new Telnet(HOST, s.port, 30);
  const tSock = g.sock;
  t.equal(g.get_socket(), tSock, 'testGetters: get_socket() is sock');
  t.equal(g.fileno(), tSock!.fileno(), 'testGetters: fileno() is sock.fileno()');
  t.ok(Number.isInteger(g.fileno()) && g.fileno() >= 0, `fileno() is the engine socket's descriptor (${g.fileno()})`);
  const [addr, port] = g.sock!.getpeername();
  t.same([addr, port], [HOST, s.port], 'getpeername()');
  g.sock!.close();
  t.equal(tSock!.fileno(), -1, 'a closed socket has fileno() -1');
  g.close();
  t.throws(() => g.fileno(), { code: 'ERR_TELNET_NOT_CONNECTED' }, 'fileno() after close fails (Python: no sock)');
  await s.received;
  t.end();
});

t.test('port 0 means 23; a refused connection raises', async (t) => {
  const tn = new Telnet();
  t.equal(tn.port, 0, 'port as given before open()');
  // Find a free port that nothing listens on.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, HOST, () => r()));
  const freePort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const err = thrown(() => tn.open(HOST, freePort, 5));
  t.equal(err.code, 'ERR_TELNET_CONNECTION_REFUSED', 'connection refused');
  try {
    tn.open(HOST, 0, 1);
    tn.close();
  } catch {
    // nothing listens on 23 here
  }
  t.equal(tn.port, 23, 'open(host, 0) uses TELNET_PORT');
  t.equal(tl.TELNET_PORT, 23);
  t.end();
});

t.test('module constants are 1-byte Buffers, as Python bytes', (t) => {
  const expected: Record<string, number> = {
    IAC: 255, DONT: 254, DO: 253, WONT: 252, WILL: 251, theNULL: 0, SE: 240, NOP: 241, DM: 242, BRK: 243, IP: 244,
    AO: 245, AYT: 246, EC: 247, EL: 248, GA: 249, SB: 250, BINARY: 0, ECHO: 1, RCP: 2, SGA: 3, NAMS: 4, STATUS: 5,
    TM: 6, RCTE: 7, NAOL: 8, NAOP: 9, NAOCRD: 10, NAOHTS: 11, NAOHTD: 12, NAOFFD: 13, NAOVTS: 14, NAOVTD: 15,
    NAOLFD: 16, XASCII: 17, LOGOUT: 18, BM: 19, DET: 20, SUPDUP: 21, SUPDUPOUTPUT: 22, SNDLOC: 23, TTYPE: 24,
    EOR: 25, TUID: 26, OUTMRK: 27, TTYLOC: 28, VT3270REGIME: 29, X3PAD: 30, NAWS: 31, TSPEED: 32, LFLOW: 33,
    LINEMODE: 34, XDISPLOC: 35, OLD_ENVIRON: 36, AUTHENTICATION: 37, ENCRYPT: 38, NEW_ENVIRON: 39, TN3270E: 40,
    XAUTH: 41, CHARSET: 42, RSP: 43, COM_PORT_OPTION: 44, SUPPRESS_LOCAL_ECHO: 45, TLS: 46, KERMIT: 47,
    SEND_URL: 48, FORWARD_X: 49, PRAGMA_LOGON: 138, SSPI_LOGON: 139, PRAGMA_HEARTBEAT: 140, EXOPL: 255, NOOPT: 0,
  };
  const mod = tl as unknown as Record<string, unknown>;
  for (const [name, code] of Object.entries(expected)) {
    const v = mod[name];
    t.ok(Buffer.isBuffer(v) && (v as Buffer).length === 1 && (v as Buffer)[0] === code, `${name} = bytes([${code}])`);
  }
  t.equal(tl.DEBUGLEVEL, 0);
  t.same(b`login: \r\n\xff`, Buffer.from('login: \r\n\xff', 'latin1'), 'b`...` makes latin1 bytes');
  t.same(b('abc'), Buffer.from('abc'));
  t.same(b`(\d+)\$ \x41\101\\`, Buffer.from('(\\d+)\\$ AA\\', 'latin1'), "a Python bytes literal's escapes");
  t.throws(() => b('\u20ac'), TypeError, 'no characters above \\xff in bytes');
  t.equal(bytesRepr(Buffer.from("a'b\r\n\t\\\x00\xff", 'latin1')), 'b"a\'b\\r\\n\\t\\\\\\x00\\xff"', "repr as Python's");
  t.equal(bytesRepr(Buffer.alloc(0)), "b''");
  t.end();
});

// --------------------------------------------------------------- ReadTests

t.test('ReadTests.test_read_until', async (t) => {
  const s = await scriptServer([
    reads(['xxxmatchyyy']),
    reads([X(50), 'match', X(50, 'y')]),
  ]);
  let telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_until(b`match`), b`xxxmatch`, 'one read');
  telnet.close();
  telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_until(b`match`), Buffer.from(X(50) + 'match'), 'across reads: the first two');
  t.same(telnet.read_all(), Buffer.from(X(50, 'y')), 'the rest stays');
  telnet.close();
  await s.received;
  t.end();
});

t.test('ReadTests.test_read_all', async (t) => {
  const want = [X(500), X(500, 'y'), X(500, 'z')];
  const s = await scriptServer(reads(want));
  const telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_all(), Buffer.from(want.join('')), 'read_all: everything until EOF');
  t.same(telnet.read_all(), Buffer.alloc(0), 'read_all at EOF: b"" (never EOFError)');
  telnet.close();
  await s.received;
  t.end();
});

t.test('ReadTests.test_read_some', async (t) => {
  const s = await scriptServer([reads([X(500)]), []]);
  let telnet = new Telnet(HOST, s.port, 5);
  const data = telnet.read_some();
  t.ok(data.length >= 1, `at least one byte (${data.length})`);
  telnet.close();
  telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_some(), Buffer.alloc(0), 'EOF: b""');
  telnet.close();
  await s.received;
  t.end();
});

t.test('ReadTests.test_read_eager (read_eager and read_very_eager)', async (t) => {
  const want = X(100);
  for (const func of ['read_eager', 'read_very_eager'] as const) {
    const s = await scriptServer([{ sleep: 300 }, { send: hex(want) }]);
    const telnet = new Telnet(HOST, s.port, 5);
    t.same(telnet[func](), Buffer.alloc(0), `${func}: nothing yet (the socket would block)`);
    let data = Buffer.alloc(0);
    let calls = 0;
    for (;;) {
      let got: Buffer;
      try {
        got = telnet[func]();
      } catch (err) {
        t.type(err, EOFError, `${func}: ends with EOFError`);
        t.equal((err as Error).message, 'telnet connection closed');
        break;
      }
      data = Buffer.concat([data, got]);
      if (got.length === 0) blockFor(2);
      if (++calls > 5000) throw new Error('no EOF');
    }
    t.same(data, Buffer.from(want), `${func}: all the data`);
    telnet.close();
    await s.received;
  }
  t.end();
});

t.test('ReadTests: read_very_lazy and read_lazy do no socket I/O', async (t) => {
  const want = Buffer.from(X(100));
  const s = await scriptServer([[{ send: hex(want) }], [{ send: hex(want) }]]);
  let telnet = new Telnet(HOST, s.port, 5);
  blockFor(100);
  t.same(telnet.read_very_lazy(), Buffer.alloc(0), 'read_very_lazy: cooked queue empty (nothing read from the socket)');
  while (!telnet.eof) telnet.fill_rawq();
  t.same(telnet.read_very_lazy(), Buffer.alloc(0), 'read_very_lazy does not process the raw queue');
  t.same(telnet.read_lazy(), want, 'read_lazy processes it');
  t.type(thrown(() => telnet.read_very_lazy()), EOFError, 'then EOFError');
  telnet.close();

  // CPython's test_read_lazy
  telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_lazy(), Buffer.alloc(0), 'test_read_lazy: nothing at first');
  let data = Buffer.alloc(0);
  for (;;) {
    try {
      const readData = telnet.read_lazy();
      data = Buffer.concat([data, readData]);
      if (readData.length === 0) telnet.fill_rawq();
    } catch (err) {
      t.type(err, EOFError);
      break;
    }
    t.ok(want.subarray(0, data.length).equals(data), 'a prefix of the data each time');
  }
  t.same(data, want, 'test_read_lazy: all of it');
  telnet.close();
  await s.received;
  t.end();
});

// -------------------------------------------------------------- WriteTests

t.test('WriteTests.test_write: IAC doubled, nothing else changed', async (t) => {
  const IAC = tl.IAC;
  const samples = [
    b`data sample without IAC`,
    Buffer.concat([b`data sample with`, IAC, b` one IAC`]),
    Buffer.concat([b`a few`, IAC, IAC, b` iacs`, IAC]),
    IAC,
    b``,
  ];
  const s = await scriptServer([{ sleep: 200 }], samples.length);
  for (const data of samples) {
    const telnet = new Telnet(HOST, s.port, 5);
    telnet.write(data);
    telnet.close();
  }
  const got = await s.received;
  samples.forEach((data, i) => {
    const doubled = Buffer.from(data.toString('latin1').replace(/\xff/g, '\xff\xff'), 'latin1');
    t.same(got[i], doubled, `sample ${i}: ${bytesRepr(data)}`);
  });
  const refused = new Telnet();
  t.throws(() => refused.write('str' as unknown as Buffer), TypeError, 'str is refused, as in Python');
  t.end();
});

// ------------------------------------------------------------- OptionTests

class NegoCollector {
  seen = Buffer.alloc(0);
  sbSeen = Buffer.alloc(0);
  threads: boolean[] = [];
  constructor(public sbGetter: (() => Buffer) | null = null) {}
  do_nego = (_sock: tl.TelnetSocket | null, cmd: Buffer, opt: Buffer): void => {
    this.threads.push(isMainThread);
    this.seen = Buffer.concat([this.seen, cmd, opt]);
    if (cmd.equals(tl.SE) && this.sbGetter !== null) this.sbSeen = Buffer.concat([this.sbSeen, this.sbGetter()]);
  };
}

t.test('OptionTests.test_IAC_commands', async (t) => {
  const cmds = [tl.AO, tl.AYT, tl.BRK, tl.EC, tl.EL, tl.GA, tl.IP, tl.NOP];
  const cases: Buffer[][] = [];
  for (const cmd of cmds) {
    cases.push([tl.IAC, cmd]);
    cases.push([b(X(100)), tl.IAC, cmd, b(X(100, 'y'))]);
    cases.push([b(X(10)), tl.IAC, cmd, b(X(10, 'y'))]);
  }
  cases.push(cmds.map((cmd) => Buffer.concat([tl.IAC, cmd])));
  const s = await scriptServer(cases.map((c) => reads(c, 5)));
  for (const data of cases) {
    const telnet = new Telnet(HOST, s.port, 5);
    const dataLen = Buffer.concat(data).length;
    const nego = new NegoCollector();
    telnet.set_option_negotiation_callback(nego.do_nego);
    const txt = telnet.read_all();
    const cmd = nego.seen;
    t.ok(cmd.length > 0, 'we expect at least one command');
    t.ok(cmds.some((c) => c.equals(cmd.subarray(0, 1))), `${bytesRepr(cmd.subarray(0, 1))} is a command`);
    t.same(cmd.subarray(1, 2), tl.NOOPT, 'with NOOPT');
    t.equal(txt.length + cmd.length, dataLen, 'every byte is data or command');
    t.notOk(txt.includes(255), 'no IAC in the data');
    t.ok(nego.threads.every((x) => x), "the callback runs on the caller's thread");
    telnet.close();
  }
  const got = await s.received;
  t.ok(got.every((g) => g.length === 0), 'with a callback nothing is sent automatically');
  t.end();
});

t.test('OptionTests.test_SB_commands', async (t) => {
  const { IAC, SB, SE } = tl;
  const send = [
    Buffer.concat([IAC, SB, IAC, SE]),
    Buffer.concat([IAC, SB, IAC, IAC, IAC, SE]),
    Buffer.concat([IAC, SB, IAC, IAC, b`aa`, IAC, SE]),
    Buffer.concat([IAC, SB, b`bb`, IAC, IAC, IAC, SE]),
    Buffer.concat([IAC, SB, b`cc`, IAC, IAC, b`dd`, IAC, SE]),
  ];
  const s = await scriptServer(reads(send, 5));
  const telnet = new Telnet(HOST, s.port, 5);
  const nego = new NegoCollector(() => telnet.read_sb_data());
  telnet.set_option_negotiation_callback(nego.do_nego);
  const txt = telnet.read_all();
  t.same(txt, Buffer.alloc(0), 'no data');
  const want = Buffer.concat([IAC, IAC, b`aabb`, IAC, b`cc`, IAC, b`dd`]);
  t.same(nego.sbSeen, want, 'SB data as CPython collects it');
  t.same(telnet.read_sb_data(), Buffer.alloc(0), 'nothing left');
  t.same(nego.seen, Buffer.concat(send.flatMap(() => [SB, tl.NOOPT, SE, tl.NOOPT])), 'the callback saw SB and SE, with NOOPT');
  telnet.close();
  await s.received;
  t.end();
});

t.test('OptionTests.test_debuglevel_reads', async (t) => {
  const { IAC, DO, DONT, WILL, WONT } = tl;
  const givenAExpectB: Array<[Buffer, string]> = [
    // Telnet.fill_rawq
    [b`a`, ": recv b''\n"],
    // Telnet.process_rawq
    [Buffer.concat([IAC, Buffer.from([88])]), ': IAC 88 not recognized\n'],
    [Buffer.concat([IAC, DO, Buffer.from([1])]), ': IAC DO 1\n'],
    [Buffer.concat([IAC, DONT, Buffer.from([1])]), ': IAC DONT 1\n'],
    [Buffer.concat([IAC, WILL, Buffer.from([1])]), ': IAC WILL 1\n'],
    [Buffer.concat([IAC, WONT, Buffer.from([1])]), ': IAC WONT 1\n'],
  ];
  const s = await scriptServer(givenAExpectB.map(([a]) => reads([a])));
  for (const [a, want] of givenAExpectB) {
    const telnet = new Telnet(HOST, s.port, 5);
    telnet.set_debuglevel(1);
    const { out } = capture(() => telnet.read_all());
    t.ok(out.includes(want), `${bytesRepr(a)} → ${JSON.stringify(want)}`);
    t.ok(out.startsWith(`Telnet(${HOST},${s.port}): `), 'lines start with Telnet(host,port):');
    telnet.close();
  }
  await s.received;
  t.end();
});

t.test('OptionTests.test_debuglevel_write and test_debug_accepts_str_port', async (t) => {
  const s = await scriptServer([{ sleep: 100 }]);
  const telnet = new Telnet(HOST, s.port, 5);
  telnet.set_debuglevel(1);
  const { out } = capture(() => telnet.write(b`xxx`));
  t.ok(out.includes("send b'xxx'\n"), out);
  telnet.close();
  await s.received;

  const strPort = new Telnet();
  strPort.host = 'dummy';
  strPort.port = '0';
  strPort.set_debuglevel(1);
  const r = capture(() => strPort.msg('test'));
  t.match(r.out, /0.*test/, 'a str port is printed (issue 10695)');
  t.equal(r.out, 'Telnet(dummy,0): test\n');
  const fmt = capture(() => strPort.msg('%s %d %r %%', 'a', 7.9, Buffer.from('b')));
  t.equal(fmt.out, "Telnet(dummy,0): a 7 b'b' %\n", 'Python %-formatting');
  strPort.set_debuglevel(0);
  t.equal(capture(() => strPort.msg('quiet')).out, '', 'nothing at debuglevel 0');
  t.end();
});

// ------------------------------------------------------------- ExpectTests

t.test('ExpectTests.test_expect', async (t) => {
  const want = [X(10), 'match', X(10, 'y')];
  const s = await scriptServer(reads(want));
  const telnet = new Telnet(HOST, s.port, 5);
  const [, , data] = telnet.expect([b`match`]);
  t.same(data, Buffer.from(want.slice(0, -1).join('')), 'text up to the match');
  telnet.close();
  await s.received;
  t.end();
});

// -------------------------------------------- stdlib semantics beyond the suite

t.test('every option is refused without a callback: DO/DONT → WONT, WILL/WONT → DONT', async (t) => {
  const { IAC, DO, DONT, WILL, WONT } = tl;
  const opts = (verb: Buffer, o: number): Buffer => Buffer.concat([IAC, verb, Buffer.from([o])]);
  const s = await scriptServer([
    { send: hex(Buffer.concat([b`one`, opts(DO, 1), opts(WILL, 3), b`two`])) },
    { send: hex(Buffer.concat([opts(DONT, 24), opts(WONT, 31), opts(DO, 255)])) },
    { text: 'three' },
  ]);
  const telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_all(), b`onetwothree`, 'commands are not data');
  telnet.close();
  const [got] = await s.received;
  t.same(got, Buffer.concat([opts(WONT, 1), opts(DONT, 3), opts(WONT, 24), opts(DONT, 31), opts(WONT, 255)]),
    'a refusal for each, in order (even for DONT and WONT, as the stdlib does)');
  t.end();
});

t.test('with a callback, it alone decides (in stream order, with SB data)', async (t) => {
  const { IAC, DO, WILL, SB, SE, TTYPE } = tl;
  const s = await scriptServer([
    { send: hex(Buffer.concat([b`a`, IAC, DO, TTYPE, b`b`, IAC, SB, TTYPE, Buffer.from([1]), IAC, SE, b`c`, IAC, WILL, tl.ECHO])) },
    { waitFor: hex(Buffer.concat([IAC, WILL, TTYPE])) },
    { text: 'done' },
  ]);
  const telnet = new Telnet(HOST, s.port, 5);
  const events: string[] = [];
  telnet.set_option_negotiation_callback((sock, cmd, opt) => {
    const sb = cmd.equals(SE) ? ` sb=${telnet.read_sb_data().toString('hex')}` : '';
    events.push(`${cmd[0]} ${opt[0]}${sb}`);
    if (cmd.equals(DO) && opt.equals(TTYPE)) sock!.sendall(Buffer.concat([IAC, WILL, TTYPE]));
  });
  t.same(telnet.read_until(b`done`), b`abcdone`, 'data around the commands');
  t.same(events, ['253 24', '250 0', '240 0 sb=1801', '251 1'], 'DO TTYPE, SB, SE (with its data), WILL ECHO');
  telnet.close();
  const [got] = await s.received;
  t.same(got, Buffer.concat([IAC, WILL, TTYPE]), 'only what the callback sent; WILL ECHO not refused');
  t.end();
});

t.test('NUL and XON are stripped, IAC IAC is one 0xFF; SB data loses them too', async (t) => {
  const { IAC, SB, SE } = tl;
  const s = await scriptServer([
    { send: hex(Buffer.concat([b`a\x00b\x11c`, IAC, IAC, b`d\r\x00e`])) },
    { send: hex(Buffer.concat([IAC, SB, Buffer.from([31, 0, 80, 0, 17, 24]), IAC, SE])) },
  ]);
  const telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_all(), b`abc\xffd\re`, 'cooked data');
  t.same(telnet.read_sb_data(), Buffer.from([31, 80, 24]), 'SB data without NUL and XON (as stdlib)');
  telnet.close();
  await s.received;
  t.end();
});

t.test('a new SB discards unread SB data', async (t) => {
  const { IAC, SB, SE } = tl;
  const s = await scriptServer(reads([Buffer.concat([IAC, SB, b`old`, IAC, SE]), Buffer.concat([IAC, SB, b`new`, IAC, SE])]));
  const telnet = new Telnet(HOST, s.port, 5);
  telnet.read_all();
  t.same(telnet.read_sb_data(), b`new`);
  telnet.close();
  await s.received;
  t.end();
});

t.test('read_until: its timeout returns what is there; EOFError only when nothing is left', async (t) => {
  const s = await scriptServer([{ text: 'partial' }, { sleep: 1500 }, { text: 'rest' }]);
  const telnet = new Telnet(HOST, s.port, 5);
  let t0 = Date.now();
  t.same(telnet.read_until(b`never`, 0.3), b`partial`, 'timeout: the cooked data, consumed');
  let dt = Date.now() - t0;
  t.ok(dt >= 250 && dt < 1400, `after about the timeout (${dt} ms)`);
  t0 = Date.now();
  t.same(telnet.read_until(b`never`, 0.1), Buffer.alloc(0), 'timeout with nothing: b""');
  dt = Date.now() - t0;
  t.ok(dt < 1000, `(${dt} ms)`);
  t.same(telnet.read_until(b`never`), b`rest`, 'EOF: what is left, without the match');
  const err = thrown(() => telnet.read_until(b`never`));
  t.type(err, EOFError, 'EOF with nothing left: EOFError');
  t.equal(err.message, 'telnet connection closed', "Python's message");
  t.equal(err.code, 'ERR_TELNET_EOF');
  telnet.close();
  await s.received;
  t.end();
});

t.test('expect: list order wins, patterns are regexes, Match, timeout and EOF', async (t) => {
  const s = await scriptServer([
    { text: 'ab login: user42 ' },
    { sleep: 600 },
    { text: 'tail' },
  ]);
  const telnet = new Telnet(HOST, s.port, 5);
  let [i, m, text] = telnet.expect([/b/, /a/]);
  t.equal(i, 0, 'the first pattern in list order that matches anywhere (not the earliest match)');
  t.same(text, b`ab`);
  t.same(m!.group(), b`b`);
  [i, m, text] = telnet.expect(['l.gin: ', b`(?P<who>user)(\d+)`]);
  t.equal(i, 0, 'a str pattern is a regular expression');
  t.same(text, b` login: `);
  [i, m, text] = telnet.expect([b`(?P<who>user)(\d+)`]);
  t.equal(i, 0);
  t.same(m!.group('who'), b`user`, "Python's named groups");
  t.same(m!.groups(), [b`user`, b`42`]);
  t.same(m!.span(2), [4, 6], 'span() in the searched text');
  t.equal(m!.start(), 0);
  t.equal(m!.end(), 6);
  t.same(text, b`user42`);
  const t0 = Date.now();
  [i, m, text] = telnet.expect([/never/], 0.2);
  t.ok(Date.now() - t0 < 1500, 'returns at the timeout');
  t.same([i, m, text], [-1, null, b` `], 'timeout: (-1, None, text so far)');
  [i, m, text] = telnet.expect([/never/]);
  t.same([i, m, text], [-1, null, b`tail`], 'EOF with text: (-1, None, text)');
  t.type(thrown(() => telnet.expect([/never/])), EOFError, 'EOF without text: EOFError');
  telnet.close();
  await s.received;
  t.end();
});

t.test('the socket timeout bounds blocking receives (TimeoutError, as socket.timeout)', async (t) => {
  const s = await scriptServer([{ sleep: 1500 }, { text: 'late' }]);
  const telnet = new Telnet(HOST, s.port, 0.3);
  const t0 = Date.now();
  const err = thrown(() => telnet.read_some());
  t.type(err, TimeoutError);
  t.equal(err.message, 'timed out');
  t.ok(Date.now() - t0 >= 250, 'after the socket timeout');
  t.same(telnet.read_until(b`late`, 0.2), Buffer.alloc(0), "read_until's own timeout returns instead");
  telnet.sock!.settimeout(null);
  t.same(telnet.read_until(b`late`), b`late`, 'settimeout(null): waits');
  telnet.close();
  await s.received;
  t.end();
});

t.test('close(): eof set, no socket, cooked data still readable', async (t) => {
  const s = await scriptServer([{ text: 'hello world' }, { sleep: 300 }]);
  const telnet = new Telnet(HOST, s.port, 5);
  t.same(telnet.read_until(b`hello`), b`hello`);
  blockFor(100);
  telnet.read_very_eager();
  telnet.close();
  t.equal(telnet.eof, true);
  t.equal(telnet.get_socket(), null);
  telnet.close();
  t.pass('close() twice is fine');
  t.type(thrown(() => telnet.read_very_lazy()), EOFError, 'nothing buffered: EOFError');
  t.throws(() => telnet.write(b`x`), { code: 'ERR_TELNET_NOT_CONNECTED' }, 'write after close fails');
  await s.received;
  t.end();
});

t.test('read_all stays linear on large transfers', async (t) => {
  const time = async (mb: number): Promise<number> => {
    const s = await scriptServer([{ fill: [0x61, mb * 1024 * 1024] }]);
    const telnet = new Telnet(HOST, s.port, 20);
    // CPU time of this process (caller and engine threads), not wall time:
    // copying that grew quadratically would show in it, other load on the
    // machine does not.
    const c0 = process.cpuUsage();
    const data = telnet.read_all();
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    t.equal(data.length, mb * 1024 * 1024, `${mb} MiB received`);
    telnet.close();
    await s.received;
    return ms;
  };
  await time(4); // warm-up
  const small = await time(16);
  const large = await time(64);
  t.ok(large / small < 8, `64 MiB takes ${large.toFixed(0)} CPU ms, 16 MiB ${small.toFixed(0)}: ratio ${(large / small).toFixed(1)} (4 is linear, 16 quadratic)`);
  t.end();
});

// ---------------------------------------------------------------- interact

/** A server in this process (the interacting client is a child process). */
async function lineServer(greeting: string, closeAfter: number): Promise<{ port: number; got: () => string; server: net.Server }> {
  let got = '';
  const server = net.createServer((c) => {
    c.write(Buffer.concat([Buffer.from([255, 253, 1]), Buffer.from(greeting)]));
    let lines = 0;
    c.on('data', (d) => {
      got += d.toString('latin1');
      for (const line of d.toString('latin1').split('\n').slice(0, -1)) {
        c.write(`echo:${line}\r\n`);
        if (++lines === closeAfter) setTimeout(() => c.end(), 50);
      }
    });
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return { port: (server.address() as net.AddressInfo).port, got: () => got, server };
}

/**
 * Run fixtures/interact.js; each input is `[text to wait for on stdout, line to type]`
 * (stdin ends after the last one, once its wait is over).
 */
function runInteract(port: number, mode: string, input: Array<[string, string | null]>): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, [fixture('interact'), String(port), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); });
  // The child may end (interact() returns when the remote closes) between the
  // exitCode check below and a write: the write then fails with EPIPE, which
  // is not the behaviour under test.
  child.stdin.on('error', () => {});
  const exited = new Promise<{ out: string; code: number | null }>((resolve) => child.on('exit', (code) => resolve({ out, code })));
  void (async () => {
    for (const [waitFor, line] of input) {
      const end = Date.now() + 5000;
      while (!out.includes(waitFor) && Date.now() < end && child.exitCode === null) await sleep(10);
      await sleep(50);
      if (line !== null && child.exitCode === null) child.stdin.write(line);
    }
    child.stdin.end();
  })();
  return exited;
}

t.test('interact(): stdin lines out, received bytes to stdout, until the remote closes', async (t) => {
  const srv = await lineServer('Welcome\r\n', 2);
  const { out, code } = await runInteract(srv.port, 'interact', [['Welcome', 'hello\n'], ['echo:hello', 'bye\n'], ['Connection closed', 'after close\n']]);
  t.equal(code, 0);
  t.match(out, /Welcome\r\necho:hello\r\necho:bye\r\n\*\*\* Connection closed by remote host \*\*\*\n/, out);
  t.equal(srv.got(), '\xff\xfc\x01hello\nbye\n', 'the refusal, then the lines as typed');
  srv.server.close();
  t.end();
});

t.test('interact() returns at the end of stdin; mt_interact() reads stdin to its end', async (t) => {
  const srvA = await lineServer('Hi\r\n', 99);
  const a = await runInteract(srvA.port, 'interact', [['Hi', 'first\n'], ['echo:first', 'partial']]);
  t.equal(a.code, 0);
  t.match(a.out, /Hi\r\necho:first\r\n/);
  t.notMatch(a.out, /Connection closed/, 'ended by stdin, not by the remote');
  await sleep(100);
  t.equal(srvA.got(), '\xff\xfc\x01first\npartial', 'a last line without LF is sent at the end of stdin');
  srvA.server.close();
  const srvB = await lineServer('Hi\r\n', 1);
  const b2 = await runInteract(srvB.port, 'mt_interact', [['Hi', 'one\n'], ['Connection closed', 'two\n'], ['', null]]);
  t.equal(b2.code, 0);
  t.match(b2.out, /echo:one\r\n\*\*\* Connection closed by remote host \*\*\*\n/, 'remote close reported, stdin read to its end');
  t.equal(srvB.got(), '\xff\xfc\x01one\n', 'nothing is sent after the remote closed');
  srvB.server.close();
  t.end();
});

// ---------------------------------------------------------- against CPython

const PYTHON = process.env.PYTHON ?? 'python3';
let pythonOk = false;
try {
  execFileSync(PYTHON, ['-W', 'ignore', '-c', 'import telnetlib'], { stdio: 'ignore' });
  pythonOk = true;
} catch {
  pythonOk = false;
}
const DRIVER = fileURLToPath(new URL('../../../tests/compat/fixtures/telnetlib_driver.py', import.meta.url));

type Op = [string, ...unknown[]];

/** Our side of telnetlib_driver.py. */
function runOps(port: number, ops: Op[]): { results: unknown[]; events: unknown[]; debug: string } {
  const results: unknown[] = [];
  const events: unknown[] = [];
  let telnet!: Telnet;
  const { out } = capture(() => {
    telnet = new Telnet(HOST, port, 5);
    telnet.set_debuglevel(1);
    for (const op of ops) {
      try {
        let r: unknown = null;
        const [name, a1, a2] = op;
        if (name === 'read_until') r = telnet.read_until(Buffer.from(a1 as string, 'hex'), a2 as number | null).toString('hex');
        else if (name === 'expect') {
          const [i, m, text] = telnet.expect((a1 as string[]).map((p) => Buffer.from(p, 'latin1')), a2 as number | null);
          r = [i, m === null ? null : m.group()!.toString('hex'), text.toString('hex')];
        } else if (name === 'write') telnet.write(Buffer.from(a1 as string, 'hex'));
        else if (name === 'sleep') blockFor((a1 as number) * 1000);
        else if (name === 'callback') {
          telnet.set_option_negotiation_callback((sock, cmd, opt) => {
            const ev = [cmd.toString('hex'), opt.toString('hex')];
            if (cmd.equals(tl.SE)) ev.push(telnet.read_sb_data().toString('hex'));
            events.push(ev);
            if (cmd.equals(tl.DO) && opt.equals(tl.TTYPE)) sock!.sendall(Buffer.concat([tl.IAC, tl.WILL, tl.TTYPE]));
          });
        } else if (name === 'close') telnet.close();
        else r = (telnet as unknown as Record<string, () => Buffer>)[name]!().toString('hex');
        results.push({ ok: r });
      } catch (err) {
        if (err instanceof EOFError) results.push({ err: 'EOFError', msg: err.message });
        else if (err instanceof TimeoutError) results.push({ err: 'TimeoutError', msg: err.message });
        else throw err;
      }
    }
    telnet.close();
  });
  return { results, events, debug: out };
}

function runPython(port: number, ops: Op[]): Promise<{ results: unknown[]; events: unknown[]; debug: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-W', 'ignore', DRIVER, String(port), JSON.stringify(ops)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    child.on('exit', (code) => {
      const at = out.lastIndexOf('RESULT ');
      if (code !== 0 || at === -1) { reject(new Error(`python driver failed (${code}): ${out}`)); return; }
      const r = JSON.parse(out.slice(at + 7)) as { results: unknown[]; events: unknown[] };
      resolve({ ...r, debug: out.slice(0, at) });
    });
  });
}

/** Debug lines without the `recv` ones (they show how bytes were chunked, which differs by design). */
const debugLines = (s: string): string[] => s.split('\n').filter((l) => l !== '' && !/: recv b/.test(l)).map((l) => l.replace(/^Telnet\([^)]*\): /, ''));

const SCENARIOS: Array<{ name: string; steps: Step[]; ops: Op[] }> = [
  {
    name: 'login dialogue with refusals',
    steps: [
      { send: hex(Buffer.concat([Buffer.from([255, 253, 24, 255, 251, 1, 255, 251, 3]), b`\r\nlogin: `])) },
      { waitForText: 'admin\r\n' }, { text: 'Password: ' }, { waitForText: 'cret\r\n' },
      { send: hex(Buffer.concat([b`\r\nWelcome\x00\r\n$ `, Buffer.from([255, 241, 255, 88])])) },
      { waitForText: 'exit\r\n' }, { text: 'logout\r\n' },
    ],
    ops: [['read_until', hex('login: '), null], ['write', hex('admin\r\n')], ['read_until', hex('Password: '), 2],
      ['write', hex('se\xffcret\r\n')], ['read_until', hex('$ '), 2], ['write', hex('exit\r\n')], ['read_all'], ['read_very_lazy']],
  },
  {
    name: 'callback, SB data and expect',
    steps: [
      { send: hex(Buffer.concat([b`x`, Buffer.from([255, 253, 24, 255, 250, 24, 1, 255, 240, 0, 17]), b`prompt> `])) },
      { waitFor: hex(Buffer.from([255, 251, 24])) },
      { send: hex(Buffer.concat([Buffer.from([255, 250, 31, 255, 255, 0, 80]), b`mid`, Buffer.from([255, 240]), b`code=42 ok`])) },
      { sleep: 300 }, { text: 'END' },
    ],
    ops: [['callback'], ['expect', ['pr.mpt> '], 2], ['expect', ['code=(\\d+)', 'ok'], 2], ['expect', ['nothing'], 0.1],
      ['read_until', hex('END'), null], ['read_sb_data'], ['sleep', 0.2], ['read_eager']],
  },
  {
    name: 'timeouts and EOF',
    steps: [{ text: 'abc' }, { sleep: 500 }, { text: 'def' }],
    ops: [['read_until', hex('zzz'), 0.2], ['read_until', hex('zzz'), 0.1], ['read_until', hex('e'), null],
      ['read_until', hex('zzz'), null], ['read_until', hex('zzz'), null], ['read_all'], ['expect', ['x'], null]],
  },
];

t.test('the same operations give the same results as CPython telnetlib', { skip: pythonOk ? false : 'python3 with telnetlib not available' }, async (t) => {
  for (const sc of SCENARIOS) {
    const s = await scriptServer([sc.steps, sc.steps]);
    const ours = runOps(s.port, sc.ops);
    const theirs = await runPython(s.port, sc.ops);
    const [oursGot, theirsGot] = await s.received;
    t.same(ours.results, theirs.results, `${sc.name}: results`);
    t.same(ours.events, theirs.events, `${sc.name}: callback events`);
    t.same(oursGot, theirsGot, `${sc.name}: bytes the server received`);
    t.same(debugLines(ours.debug), debugLines(theirs.debug), `${sc.name}: debug output (recv lines aside)`);
  }
  t.end();
});

t.test('closed connections are released by the engine', async (t) => {
  const { engineCall } = await import('../../src/bridge/engine-client.js');
  const end = Date.now() + 5000;
  let stats = engineCall<{ conns: number }>('stats');
  while (stats.conns > 0 && Date.now() < end) {
    await sleep(50);
    stats = engineCall<{ conns: number }>('stats');
  }
  t.equal(stats.conns, 0, 'no raw connection is left in the engine');
  t.end();
});
