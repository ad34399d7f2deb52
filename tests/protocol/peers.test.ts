/**
 * Real negotiations captured from Debian's telnet peers (see the headers of
 * tests/fixtures/peers/*.hex), replayed through the core in the opposite
 * role: a client capture into our server, a server capture into our client.
 *
 * For every replay:
 * - the exact bytes we answer to each captured chunk are asserted;
 * - each received WILL/WONT/DO/DONT is checked against RFC 1143 given the
 *   state just before it (one answer to a new request, none to a repeat,
 *   none to a WONT/DONT for an option already off);
 * - the only `problem` events are the ones listed (and justified) per replay;
 * - the in-band data (banners, READY lines) comes out intact.
 *
 * Client captures answered a MUD-style probe (mud-probe.hex); our server
 * sends that same probe first, through its public API, so the client's bytes
 * are replayed in the context they were produced in.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { Cmd, Opt, optName } from '../../src/protocol/constants.js';
import type { Side } from '../../src/protocol/negotiator.js';
import { TelnetSession } from '../../src/protocol/session.js';
import { type JsonEvent, type Role, type SessionOpts, describeBytes, eventToJson, hex, tokenize } from '../helpers/session-harness.js';

// ------------------------------------------------------------------ fixtures

function fixturesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'tests', 'fixtures', 'peers');
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('tests/fixtures/peers not found above the test file');
    dir = up;
  }
}
const FIXTURES = fixturesDir();

/** The chunks of a fixture: one hex line per captured read/write, `#` lines are comments. */
function load(name: string): Buffer[] {
  const text = readFileSync(path.join(FIXTURES, `${name}.hex`), 'latin1');
  if (!/^# peer: .+\n(?:# .*\n)*?# capture: .+/m.test(text)) throw new Error(`${name}.hex lacks its peer/capture header`);
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => hex(l));
}

// ------------------------------------------------------------------ expected bytes

const h2 = (b: number): string => b.toString(16).padStart(2, '0');
const txt = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const neg = (verb: number, o: number): string => `ff${h2(verb)}${h2(o)}`;
const will = (o: number): string => neg(Cmd.WILL, o);
const wont = (o: number): string => neg(Cmd.WONT, o);
const doo = (o: number): string => neg(Cmd.DO, o);
const dont = (o: number): string => neg(Cmd.DONT, o);
function sb(o: number, ...parts: Array<number | string>): string {
  let body = '';
  for (const p of parts) body += typeof p === 'number' ? h2(p) : txt(p);
  return `fffa${h2(o)}${body.replace(/(..)/g, (m) => (m === 'ff' ? 'ffff' : m))}fff0`;
}
const O = Opt;
const AUTH = O.AUTHENTICATION;
const ENCRYPT = O.ENCRYPT;
const TTYPE_SEND = sb(O.TTYPE, 1);
const CHARSET_REQUEST = sb(O.CHARSET, 1, ' UTF-8 UTF-16 LATIN1 CP1252 ISO-8859-15 CP437 SHIFT_JIS CP932 BIG5 CP950 GBK GB2312 CP936 EUC-KR CP949 US-ASCII');
const TSPEED_SEND = sb(O.TSPEED, 1);
const LFLOW_XON = sb(O.LFLOW, 3);
const MODE_LIT_ECHO = sb(O.LINEMODE, 1, 0x10);
const ENV_SEND = sb(O.NEW_ENVIRON, 1,
  ...['USER', 'LOGNAME', 'DISPLAY', 'LANG', 'TERM', 'TERM_PROGRAM', 'COLUMNS', 'LINES', 'COLORTERM', 'EDITOR', 'IPADDRESS']
    .flatMap((n) => [0, n]), 0, 3);
/** Our server's answer to the BSD clients' SLC table: ACK their NOSUPPORT for SYNCH, AYT, FORW1, FORW2 (BSD change_slc). */
const SLC_ACKS = sb(O.LINEMODE, 3, 1, 0x80, 0, 5, 0x80, 0, 17, 0x80, 0, 18, 0x80, 0);
/** Our client's answers to telnetd's usual opening, as "XTERM" in an 80x24 window. */
const TSPEED_IS = sb(O.TSPEED, 0, '38400,38400');
const TTYPE_IS = sb(O.TTYPE, 0, 'XTERM');
const NAWS_80x24 = sb(O.NAWS, 0, 80, 0, 24);
const SLC_DEFAULT_REQUEST = sb(O.LINEMODE, 3, 0, 3, 0);

// ------------------------------------------------------------------ replays

interface Step { run: (s: TelnetSession) => void; sameAs: [fixture: string, line: number] }
interface Replay {
  name: string;
  fixture: string;
  /** Our role (the peer's opposite). */
  role: Role;
  options?: SessionOpts;
  /** Our own output before chunk i, which must equal a captured line of the peer we stand in for. */
  before?: Record<number, Step>;
  /** Expected reply (hex) to each chunk, in order. */
  replies: string[];
  /** Expected in-band data, all chunks together. */
  data: string;
  /** Expected problem codes, in order; each is justified in a comment. */
  problems: string[];
  /** Further checks on the final state and events. */
  check?: (t: Tap, s: TelnetSession, events: JsonEvent[]) => void;
}
type Tap = Test;

/** The MUD probe, through our API: WILL MSSP MSDP GMCP MCCP2 EOR SGA ECHO, DO TTYPE NAWS NEW_ENVIRON CHARSET TSPEED LINEMODE. */
const PROBE: Step = {
  sameAs: ['mud-probe', 0],
  run: (s) => {
    for (const o of [O.MSSP, O.MSDP, O.GMCP, O.MCCP2, O.EOR, O.SGA, O.ECHO]) s.requestLocal(o, true);
    for (const o of [O.TTYPE, O.NAWS, O.NEW_ENVIRON, O.CHARSET, O.TSPEED, O.LINEMODE]) s.requestRemote(o, true);
  },
};

const ofType = (events: JsonEvent[], type: string): JsonEvent[] => events.filter((e) => e.type === type);
const lastTtype = (events: JsonEvent[]): JsonEvent | undefined => ofType(events, 'ttype').at(-1);

const REPLAYS: Replay[] = [
  // ---------------------------------------------------------------- clients -> our server
  {
    name: 'inetutils telnet client (-PORT mode) -> our server', fixture: 'client-inetutils-telnet-minusport', role: 'server',
    before: { 0: PROBE },
    replies: [
      // DO/WILL ENCRYPT refused; SGA, TTYPE, NAWS, TSPEED, LINEMODE, NEW_ENVIRON answer our requests (no reply, but the
      // follow-up SENDs and MODE); LFLOW and STATUS are new requests we accept.
      wont(ENCRYPT) + dont(ENCRYPT) + TTYPE_SEND + TSPEED_SEND + doo(O.LFLOW) + LFLOW_XON + MODE_LIT_ECHO + ENV_SEND + will(O.STATUS),
      // DONT MSSP..EOR and WONT CHARSET refuse our offers (no reply); DO ECHO accepts one; SLC table answered; DO SGA repeated.
      SLC_ACKS,
      TTYPE_SEND, // XTERM: ask again
      '', // XTERM again: looped, stop
      '', // a third XTERM (the probe asked three times): no reply
      '', // empty NEW_ENVIRON IS
    ],
    data: '', problems: [],
    check: (t, s, events) => {
      t.same(lastTtype(events), { type: 'ttype', name: 'XTERM', index: 2, term: 'XTERM', done: true });
      t.same(ofType(events, 'naws'), [{ type: 'naws', cols: 80, rows: 24 }]);
      t.same(ofType(events, 'slcChange'), [{ type: 'slcChange', functions: [1, 5] }]);
      t.same(s.enabledOptions('local'), [O.ECHO, O.SGA, O.STATUS]);
      t.same(s.enabledOptions('remote'), [O.TTYPE, O.NAWS, O.TSPEED, O.LFLOW, O.LINEMODE, O.NEW_ENVIRON]);
      t.same([...s.refused('local')], [ENCRYPT]);
      t.same([...s.refused('remote')], [ENCRYPT]);
    },
  },
  {
    name: 'TinTin++ -> our server', fixture: 'client-tintin', role: 'server', before: { 0: PROBE },
    replies: [
      // WILL CHARSET accepted: our REQUEST goes out at once. WONT LINEMODE, DONT MSDP/GMCP: no reply.
      TTYPE_SEND + ENV_SEND + CHARSET_REQUEST + TSPEED_SEND,
      TTYPE_SEND, // TINTIN++
      TTYPE_SEND, // xterm
      '', // MTTS 271: the cycle stops, TERM is the second name
    ],
    data: '', problems: [],
    check: (t, s, events) => {
      t.same(lastTtype(events), { type: 'ttype', name: 'MTTS 271', index: 3, term: 'xterm', done: true });
      t.equal(s.localEnabled(O.MCCP2), true, 'tintin accepts MCCP2 (DO MCCP2)');
      // TinTin++ never answers WILL MSSP (and the capture predates our REQUEST): the engine must time these out.
      t.same(s.pendingRequests(), [[Cmd.WILL, O.MSSP]]);
      t.equal(s.pendingSubnegotiation(O.CHARSET), true);
      t.equal(s.settled, false);
    },
  },
  {
    name: 'PuTTY plink -> our server', fixture: 'client-plink', role: 'server', before: { 0: PROBE },
    replies: [
      // Volunteered WILL SGA is new: DO SGA. Everything else answers the probe.
      TSPEED_SEND + TTYPE_SEND + ENV_SEND + doo(O.SGA),
      TTYPE_SEND, '', '',
      '', // NEW_ENVIRON IS USER=root
    ],
    data: '', problems: [],
    check: (t, s, events) => {
      t.same(ofType(events, 'environ'), [{ type: 'environ', vars: { USER: 'root' }, dropped: [] }]);
      t.same(lastTtype(events), { type: 'ttype', name: 'XTERM', index: 2, term: 'XTERM', done: true });
      t.same(s.enabledOptions('local'), [O.ECHO, O.SGA]);
      t.same(s.enabledOptions('remote'), [O.SGA, O.TTYPE, O.NAWS, O.TSPEED, O.NEW_ENVIRON]);
    },
  },
  {
    name: 'libtelnet telnet-client (splits an SB across writes) -> our server', fixture: 'client-libtelnet-telnet-client', role: 'server',
    before: { 0: PROBE },
    replies: [TTYPE_SEND, TTYPE_SEND, '', '', '', ''],
    data: '', problems: [],
    check: (t, s, events) => {
      t.same(ofType(events, 'ttype').map((e) => e['name']), ['xterm', 'xterm', 'xterm']);
      t.same(s.enabledOptions('local'), [O.ECHO, O.MSSP, O.MCCP2]);
      t.same(s.enabledOptions('remote'), [O.TTYPE]);
      t.equal(s.settled, true);
    },
  },
  {
    name: 'busybox telnet -> our server', fixture: 'client-busybox-telnet', role: 'server', before: { 0: PROBE },
    replies: [TTYPE_SEND, TTYPE_SEND, '', ''],
    data: '', problems: [],
    check: (t, s) => {
      t.same(s.enabledOptions('remote'), [O.TTYPE, O.NAWS]);
      t.equal(s.settled, true);
    },
  },
  {
    name: 'netkit telnet (telnet-ssl, -PORT mode) -> our server', fixture: 'client-netkit-telnet-ssl-minusport', role: 'server',
    before: { 0: PROBE },
    replies: [
      ENV_SEND + dont(AUTH) + TTYPE_SEND + TSPEED_SEND + doo(O.LFLOW) + LFLOW_XON + MODE_LIT_ECHO + will(O.STATUS),
      SLC_ACKS, TTYPE_SEND, '', '', '',
    ],
    data: '', problems: [],
  },
  {
    name: 'Python stdlib telnetlib (refuses everything) -> our server standing in for inetutils telnetd',
    fixture: 'client-python-stdlib-telnetlib', role: 'server',
    before: {
      0: { sameAs: ['server-inetutils-telnetd-to-python', 0], run: (s) => {
        s.requestLocal(AUTH, true);
        s.requestLocal(ENCRYPT, true);
        for (const o of [O.TTYPE, O.TSPEED, O.XDISPLOC, O.NEW_ENVIRON, O.OLD_ENVIRON]) s.requestRemote(o, true);
      } },
      4: { sameAs: ['server-inetutils-telnetd-to-python', 1], run: (s) => {
        s.requestLocal(O.SGA, true);
        s.requestRemote(O.ECHO, true);
        s.requestRemote(O.LINEMODE, true);
        s.requestRemote(O.NAWS, true);
        s.requestLocal(O.STATUS, true);
        s.requestRemote(O.LFLOW, true);
      } },
      6: { sameAs: ['server-inetutils-telnetd-to-python', 2], run: (s) => {
        s.requestLocal(O.ECHO, true);
        s.requestTimingMark();
        s.requestRemote(O.BINARY, true);
      } },
      // telnetd re-offers SGA and ECHO after the refusals (a new request each, legal under RFC 1143).
      8: { sameAs: ['server-inetutils-telnetd-to-python', 4], run: (s) => { s.requestLocal(O.SGA, true); s.requestLocal(O.ECHO, true); } },
    },
    // Every chunk is a refusal of a request of ours, or data: nothing is ever answered.
    replies: ['', '', '', '', '', '', '', '', '', '', ''],
    data: 'hello\r\nquit\r\n', problems: [],
    check: (t, s, events) => {
      t.same(ofType(events, 'timingMark'), [{ type: 'timingMark', verb: Cmd.WONT }], 'WONT TM answers our DO TM');
      t.same(ofType(events, 'option'), [], 'nothing was ever enabled');
      t.same(s.pendingRequests(), []);
      t.equal(s.settled, true);
    },
  },

  // ---------------------------------------------------------------- servers -> our client
  {
    name: 'inetutils telnetd -> our client', fixture: 'server-inetutils-telnetd', role: 'client',
    options: { term: 'XTERM', cols: 80, rows: 24 },
    replies: [
      // Byte for byte what the capture's "--reply accept" client sent.
      dont(AUTH) + dont(ENCRYPT) + will(O.TTYPE) + will(O.TSPEED) + will(O.XDISPLOC) + will(O.NEW_ENVIRON) + wont(O.OLD_ENVIRON),
      TSPEED_IS + sb(O.XDISPLOC, 0) + sb(O.NEW_ENVIRON, 0) + TTYPE_IS,
      doo(O.SGA) + wont(O.ECHO) + will(O.LINEMODE) + SLC_DEFAULT_REQUEST + will(O.NAWS) + NAWS_80x24 + doo(O.STATUS) + will(O.LFLOW),
      // DONT ECHO for our ECHO, which is off: no reply. WILL ECHO, DO TM, DO BINARY: accepted.
      doo(O.ECHO) + will(O.TM) + will(O.BINARY),
      '', '', '', '',
    ],
    // telnetd's NVT "\r\0" arrives as a bare CR (NUL is an NVT no-op).
    data: 'READY\r\r\nhello\r\necho: hello\r\r\nquit\r\n\r\nBYE\r\r\n', problems: [],
    check: (t, s, events) => {
      t.same(ofType(events, 'environRequest'), [{ type: 'environRequest', requested: [], sent: [] }]);
      t.same(ofType(events, 'timingMark'), [{ type: 'timingMark', verb: Cmd.DO }]);
      t.equal(s.outBinary, true);
      t.equal(s.inBinary, false);
    },
  },
  {
    name: 'inetutils telnetd in a LINEMODE session -> our client', fixture: 'server-inetutils-telnetd-pty', role: 'client',
    options: { term: 'XTERM', cols: 80, rows: 24 },
    replies: [
      dont(AUTH) + dont(ENCRYPT) + will(O.TTYPE) + will(O.TSPEED) + will(O.XDISPLOC) + will(O.NEW_ENVIRON) + wont(O.OLD_ENVIRON),
      TSPEED_IS + sb(O.NEW_ENVIRON, 0) + TTYPE_IS, // as the real inetutils client answered
      doo(O.SGA) + wont(O.ECHO) + will(O.LINEMODE) + SLC_DEFAULT_REQUEST + will(O.NAWS) + NAWS_80x24 + doo(O.STATUS) + will(O.LFLOW),
      sb(O.LINEMODE, 1, 0x07), // MODE EDIT|TRAPSIG acknowledged, as the real client did; the stray NUL is dropped
      doo(O.ECHO) + will(O.BINARY) + wont(O.LINEMODE), // as the real client did
      '', // SLC after DONT LINEMODE: ignored (the real client ignored it too)
      '', '', '', '', '',
    ],
    data: 'READY\r\r\nhello\r\necho: hello\r\r\nquit\r\nBYE\r\r\n',
    // telnetd sent SB LINEMODE SLC right after DONT LINEMODE (chunk 5 of the capture).
    problems: ['UNSOLICITED_SB'],
    check: (t, s, events) => {
      t.same(ofType(events, 'linemode'), [{ type: 'linemode', mode: 3 }]);
      t.same(ofType(events, 'lflow'), [{ type: 'lflow', restartAny: false }]);
      t.equal(s.localEnabled(O.LINEMODE), false);
      t.equal(s.linemodeMask, 0);
    },
  },
  {
    name: 'busybox telnetd -> our client', fixture: 'server-busybox-telnetd', role: 'client', options: { cols: 80, rows: 24 },
    // Byte for byte what inetutils telnet answered in the capture.
    replies: [wont(O.ECHO) + will(O.NAWS) + NAWS_80x24 + doo(O.ECHO) + doo(O.SGA), '', '', '', ''],
    data: '\r\r\nREADY\r\r\nhello\r\necho: hello\r\r\nquit\r\nBYE\r\r\n', problems: [],
    check: (t, s) => t.equal(s.mode, 'kludge', 'WILL ECHO + WILL SGA from the server: character at a time'),
  },
  {
    name: 'netkit telnetd -> our client', fixture: 'server-netkit-telnetd', role: 'client', options: { term: 'XTERM', cols: 80, rows: 24 },
    replies: [
      will(O.NEW_ENVIRON), sb(O.NEW_ENVIRON, 0), wont(AUTH), will(O.TTYPE) + will(O.TSPEED) + will(O.XDISPLOC),
      TSPEED_IS + sb(O.XDISPLOC, 0) + sb(O.NEW_ENVIRON, 0) + TTYPE_IS,
      doo(O.SGA) + wont(O.ECHO) + will(O.NAWS) + NAWS_80x24 + doo(O.STATUS) + will(O.LFLOW),
      doo(O.ECHO), // DONT ECHO for an option already off: no reply
      '', '', '', '',
    ],
    data: 'hello\r\nREADY\r\r\necho: hello\r\r\nquit\r\nBYE\r\r\n', problems: [],
  },
  {
    name: 'libtelnet telnet-chatd -> our client', fixture: 'server-libtelnet-telnet-chatd', role: 'client',
    // WILL MCCP2 refused, WILL ECHO accepted; the final WONT ECHO turns ECHO off, which RFC 1143 answers with DONT.
    replies: [dont(O.MCCP2) + doo(O.ECHO), '', dont(O.ECHO)],
    data: 'Enter name: Welcome, bob!\r\nbob: hi all\r\n', problems: [],
    check: (t, s) => t.equal(s.remoteEnabled(O.ECHO), false),
  },
];

// ------------------------------------------------------------------ RFC 1143 invariant per received verb

const REPLY_VERBS: Record<Side, { pos: number; neg: number }> = { remote: { pos: Cmd.DO, neg: Cmd.DONT }, local: { pos: Cmd.WILL, neg: Cmd.WONT } };

/** The negotiation replies RFC 1143 allows for `verb` arriving in `before`, given where the state ended up. */
function allowedReplies(positive: boolean, before: { state: string; opposite: boolean }, enabledAfter: boolean, side: Side): number[] {
  const v = REPLY_VERBS[side];
  if (positive) {
    if (before.state === 'NO') return [enabledAfter ? v.pos : v.neg];
    if (before.state === 'WANTYES' && before.opposite) return [v.neg];
    return [];
  }
  if (before.state === 'YES') return [v.neg];
  if (before.state === 'WANTNO' && before.opposite) return [v.pos];
  return [];
}

function runReplay(t: Tap, r: Replay): void {
  const chunks = load(r.fixture);
  t.equal(chunks.length, r.replies.length, 'one expected reply per captured chunk');
  const s = new TelnetSession({ ...r.options, role: r.role });
  const events: JsonEvent[] = [];
  const data: Buffer[] = [];
  let out: Buffer[] = [];
  s.onSend = (b) => out.push(Buffer.from(b));
  s.onData = (d) => data.push(Buffer.from(d));
  s.onEvent = (e) => events.push(eventToJson(e));
  const violations: string[] = [];
  let verbsChecked = 0;
  let negativesForOff = 0;

  chunks.forEach((chunk, i) => {
    const step = r.before?.[i];
    if (step) {
      out = [];
      step.run(s);
      const ours = Buffer.concat(out);
      const theirs = load(step.sameAs[0])[step.sameAs[1]]!;
      t.equal(ours.toString('hex'), theirs.toString('hex'), `before chunk ${i}, we send what the captured peer sent: ${describeBytes(ours)}`);
    }
    const reply: Buffer[] = [];
    for (const tok of tokenize(chunk)) {
      out = [];
      let check: (() => void) | null = null;
      if (tok.kind === 'negotiation' && tok.option !== O.TM) {
        const side: Side = tok.verb === Cmd.WILL || tok.verb === Cmd.WONT ? 'remote' : 'local';
        const before = s.optionState(side, tok.option);
        const positive = tok.verb === Cmd.WILL || tok.verb === Cmd.DO;
        if (!positive && before.state === 'NO') negativesForOff++;
        check = () => {
          verbsChecked++;
          const enabledAfter = side === 'local' ? s.localEnabled(tok.option) : s.remoteEnabled(tok.option);
          const verbs = REPLY_VERBS[side];
          const got = tokenize(Buffer.concat(out)).flatMap((o) =>
            o.kind === 'negotiation' && o.option === tok.option && (o.verb === verbs.pos || o.verb === verbs.neg) ? [o.verb] : []);
          const want = allowedReplies(positive, before, enabledAfter, side);
          if (got.join() !== want.join()) {
            violations.push(`chunk ${i}: ${describeBytes(tok.bytes)} in ${before.state}${before.opposite ? '/OPPOSITE' : ''} `
              + `answered ${describeBytes(Buffer.concat(out))}; RFC 1143 wants ${want.length} reply verb(s) for ${optName(tok.option)}`);
          }
        };
      }
      s.receive(tok.bytes);
      if (check) check();
      reply.push(...out);
    }
    const sent = Buffer.concat(reply);
    const want = hex(r.replies[i]!);
    t.equal(sent.toString('hex'), want.toString('hex'),
      `chunk ${i} (${describeBytes(chunk).slice(0, 160)}) -> ${describeBytes(sent)}; expected ${describeBytes(want)}`);
  });

  t.same(violations, [], `every received verb got the RFC 1143 answer (${verbsChecked} checked, ${negativesForOff} WONT/DONT for options already off)`);
  t.ok(verbsChecked > 0, 'the capture holds negotiations');
  const problems = events.filter((e) => e.type === 'problem').map((e) => (e['problem'] as { code: string }).code);
  t.same(problems, r.problems, 'problem events are exactly the justified ones');
  t.equal(Buffer.concat(data).toString('latin1'), r.data, 'data intact');
  if (r.check) r.check(t, s, events);
}

for (const r of REPLAYS) {
  t.test(r.name, async (t) => runReplay(t, r));
}

t.test('fixtures: every file is named after its capture, with a header and hex only', async (t) => {
  const names = ['mud-probe', 'server-inetutils-telnetd-to-python', ...REPLAYS.map((r) => r.fixture)];
  for (const n of names) {
    const text = readFileSync(path.join(FIXTURES, `${n}.hex`), 'latin1');
    t.match(text, /^# peer: /, `${n}: header names the peer`);
    t.match(text, /# capture: \/work\/shared\/reference\/transcripts\/[\w-]+\.txt/, `${n}: header names the capture file`);
    t.ok(load(n).length > 0, `${n}: holds chunks`);
  }
  // Every client capture answered the same probe, and the probe is what our API sends for it.
  const probe = load('mud-probe')[0]!;
  t.equal(describeBytes(probe), [
    ...[O.MSSP, O.MSDP, O.GMCP, O.MCCP2, O.EOR, O.SGA, O.ECHO].map((o) => `IAC WILL ${optName(o)}`),
    ...[O.TTYPE, O.NAWS, O.NEW_ENVIRON, O.CHARSET, O.TSPEED, O.LINEMODE].map((o) => `IAC DO ${optName(o)}`),
  ].join(', '));
});
