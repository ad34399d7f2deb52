/**
 * RFC 1143 ("The Q Method of Implementing TELNET Option Negotiation"),
 * section 7, written out by hand as data, and checked three ways:
 *   1. against the pure transition functions in qmethod.ts;
 *   2. through a real TelnetSession, on both sides of an option, with the exact bytes sent;
 *   3. as a property: two sessions back to back never loop and always agree.
 *
 * The table is phrased for one side of one option, with "positive" meaning
 * WILL (the peer's side, answered by DO) or DO (our side, answered by WILL)
 * and "negative" meaning WONT / DONT.
 */
import t from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import { type QSide, type QState, receiveNegative, receivePositive, requestDisable, requestEnable } from '../../src/protocol/qmethod.js';
import type { Side } from '../../src/protocol/negotiator.js';
import { TelnetSession } from '../../src/protocol/session.js';
import { type JsonEvent, describeBytes, eventToJson, mulberry32, pair, randInt } from '../helpers/session-harness.js';

type Name = 'NO' | 'YES' | 'WANTNO/EMPTY' | 'WANTNO/OPPOSITE' | 'WANTYES/EMPTY' | 'WANTYES/OPPOSITE';
const STATES: readonly Name[] = ['NO', 'YES', 'WANTNO/EMPTY', 'WANTNO/OPPOSITE', 'WANTYES/EMPTY', 'WANTYES/OPPOSITE'];
type Reply = 'positive' | 'negative' | null;

function qside(name: Name): QSide {
  const [state, queue] = name.split('/') as [QState, string | undefined];
  return { state, opposite: queue === 'OPPOSITE' };
}
function nameOf(s: QSide): string {
  if (s.state === 'NO' || s.state === 'YES') return s.opposite ? `${s.state}/OPPOSITE(!)` : s.state;
  return `${s.state}/${s.opposite ? 'OPPOSITE' : 'EMPTY'}`;
}

/** A row: from `state`, on `input`, go to `next`, send `reply`; `error` when RFC 1143 says "Error". */
interface Row { state: Name; accept?: boolean; next: Name; reply: Reply; error: boolean; enabled: boolean | null }

// Upon receipt of WILL (him) / DO (us).  RFC 1143 section 7.
const RECEIVE_POSITIVE: readonly Row[] = [
  { state: 'NO', accept: true, next: 'YES', reply: 'positive', error: false, enabled: true }, // agree: him=YES, send DO
  { state: 'NO', accept: false, next: 'NO', reply: 'negative', error: false, enabled: null }, // disagree: send DONT
  { state: 'YES', accept: true, next: 'YES', reply: null, error: false, enabled: null }, // ignore
  { state: 'YES', accept: false, next: 'YES', reply: null, error: false, enabled: null },
  { state: 'WANTNO/EMPTY', accept: true, next: 'NO', reply: null, error: true, enabled: null }, // Error: DONT answered by WILL. him=NO
  { state: 'WANTNO/EMPTY', accept: false, next: 'NO', reply: null, error: true, enabled: null },
  { state: 'WANTNO/OPPOSITE', accept: true, next: 'YES', reply: null, error: true, enabled: true }, // Error. him=YES, himq=EMPTY
  { state: 'WANTNO/OPPOSITE', accept: false, next: 'YES', reply: null, error: true, enabled: true },
  { state: 'WANTYES/EMPTY', accept: true, next: 'YES', reply: null, error: false, enabled: true }, // him=YES
  { state: 'WANTYES/EMPTY', accept: false, next: 'YES', reply: null, error: false, enabled: true },
  { state: 'WANTYES/OPPOSITE', accept: true, next: 'WANTNO/EMPTY', reply: 'negative', error: false, enabled: null }, // him=WANTNO, send DONT
  { state: 'WANTYES/OPPOSITE', accept: false, next: 'WANTNO/EMPTY', reply: 'negative', error: false, enabled: null },
];

// Upon receipt of WONT (him) / DONT (us). The accept policy plays no part.
const RECEIVE_NEGATIVE: readonly Row[] = [
  { state: 'NO', next: 'NO', reply: null, error: false, enabled: null }, // ignore
  { state: 'YES', next: 'NO', reply: 'negative', error: false, enabled: false }, // him=NO, send DONT
  { state: 'WANTNO/EMPTY', next: 'NO', reply: null, error: false, enabled: null }, // him=NO
  { state: 'WANTNO/OPPOSITE', next: 'WANTYES/EMPTY', reply: 'positive', error: false, enabled: null }, // him=WANTYES, send DO
  { state: 'WANTYES/EMPTY', next: 'NO', reply: null, error: false, enabled: null }, // him=NO
  { state: 'WANTYES/OPPOSITE', next: 'NO', reply: null, error: false, enabled: null }, // him=NO, himq=EMPTY
];

// "If we decide to ask him to enable" (we are queueing requests).
const REQUEST_ENABLE: readonly Row[] = [
  { state: 'NO', next: 'WANTYES/EMPTY', reply: 'positive', error: false, enabled: null },
  { state: 'YES', next: 'YES', reply: null, error: true, enabled: null }, // Error: already enabled
  { state: 'WANTNO/EMPTY', next: 'WANTNO/OPPOSITE', reply: null, error: false, enabled: null }, // himq=OPPOSITE
  { state: 'WANTNO/OPPOSITE', next: 'WANTNO/OPPOSITE', reply: null, error: true, enabled: null }, // Error: already queued
  { state: 'WANTYES/EMPTY', next: 'WANTYES/EMPTY', reply: null, error: true, enabled: null }, // Error: already negotiating
  { state: 'WANTYES/OPPOSITE', next: 'WANTYES/EMPTY', reply: null, error: false, enabled: null }, // himq=EMPTY
];

// "If we decide to ask him to disable".
const REQUEST_DISABLE: readonly Row[] = [
  { state: 'NO', next: 'NO', reply: null, error: true, enabled: null }, // Error: already disabled
  // him=WANTNO, send DONT. The core stops using the option at once (enabled = state YES only),
  // which reports it disabled now rather than when the peer's WONT arrives.
  { state: 'YES', next: 'WANTNO/EMPTY', reply: 'negative', error: false, enabled: false },
  { state: 'WANTNO/EMPTY', next: 'WANTNO/EMPTY', reply: null, error: true, enabled: null }, // Error: already negotiating
  { state: 'WANTNO/OPPOSITE', next: 'WANTNO/EMPTY', reply: null, error: false, enabled: null }, // himq=EMPTY
  { state: 'WANTYES/EMPTY', next: 'WANTYES/OPPOSITE', reply: null, error: false, enabled: null }, // himq=OPPOSITE
  { state: 'WANTYES/OPPOSITE', next: 'WANTYES/OPPOSITE', reply: null, error: true, enabled: null }, // Error: already queued
];

t.test('the tables cover every state (and every accept value for received verbs)', async (t) => {
  t.same(RECEIVE_POSITIVE.map((r) => `${r.state}:${r.accept}`).sort(),
    STATES.flatMap((s) => [`${s}:false`, `${s}:true`]).sort());
  for (const table of [RECEIVE_NEGATIVE, REQUEST_ENABLE, REQUEST_DISABLE]) t.same(table.map((r) => r.state), STATES);
});

// ------------------------------------------------------------------ 1. pure functions

t.test('pure transition functions follow RFC 1143 section 7', async (t) => {
  const tables: Array<[string, readonly Row[], (s: QSide, accept: boolean) => ReturnType<typeof receivePositive>]> = [
    ['receive positive', RECEIVE_POSITIVE, (s, a) => receivePositive(s, a)],
    ['receive negative', RECEIVE_NEGATIVE, (s) => receiveNegative(s)],
    ['request enable', REQUEST_ENABLE, (s) => requestEnable(s)],
    ['request disable', REQUEST_DISABLE, (s) => requestDisable(s)],
  ];
  for (const [what, table, fn] of tables) {
    for (const row of table) {
      for (const accept of row.accept === undefined ? [true, false] : [row.accept]) {
        const tr = fn(qside(row.state), accept);
        t.same(
          { next: nameOf(tr.next), send: tr.send, error: tr.error !== null, changed: tr.changed },
          { next: row.next, send: row.reply, error: row.error, changed: row.enabled },
          `${what} in ${row.state} (accept ${accept})`,
        );
      }
    }
  }
});

// ------------------------------------------------------------------ 2. through a session

/** An option with no codec and no automatic behaviour, so only negotiation bytes appear. */
const OPT = 0x63;

interface Verbs { positive: number; negative: number; replyPositive: number; replyNegative: number }
const VERBS: Record<Side, Verbs> = {
  // The peer's side: it says WILL/WONT, we answer DO/DONT.
  remote: { positive: Cmd.WILL, negative: Cmd.WONT, replyPositive: Cmd.DO, replyNegative: Cmd.DONT },
  // Our side: the peer says DO/DONT, we answer WILL/WONT.
  local: { positive: Cmd.DO, negative: Cmd.DONT, replyPositive: Cmd.WILL, replyNegative: Cmd.WONT },
};

function request(s: TelnetSession, side: Side, enable: boolean): boolean {
  return side === 'local' ? s.requestLocal(OPT, enable) : s.requestRemote(OPT, enable);
}

/** A session whose `side` of OPT is in `state`, reached only through the public API and peer bytes. */
function sessionIn(role: 'server' | 'client', side: Side, state: Name): TelnetSession {
  const s = new TelnetSession({ role });
  const v = VERBS[side];
  const peer = (verb: number): void => { s.receive(Buffer.from([Cmd.IAC, verb, OPT])); };
  switch (state) {
    case 'NO': break;
    case 'YES': request(s, side, true); peer(v.positive); break;
    case 'WANTNO/EMPTY': request(s, side, true); peer(v.positive); request(s, side, false); break;
    case 'WANTNO/OPPOSITE': request(s, side, true); peer(v.positive); request(s, side, false); request(s, side, true); break;
    case 'WANTYES/EMPTY': request(s, side, true); break;
    case 'WANTYES/OPPOSITE': request(s, side, true); request(s, side, false); break;
  }
  return s;
}

function record(s: TelnetSession): { sent: Buffer[]; events: JsonEvent[] } {
  const rec = { sent: [] as Buffer[], events: [] as JsonEvent[] };
  s.onSend = (b) => rec.sent.push(Buffer.from(b));
  s.onEvent = (e) => rec.events.push(eventToJson(e));
  return rec;
}

function replyBytes(side: Side, reply: Reply): string {
  if (reply === null) return '';
  const v = VERBS[side];
  return Buffer.from([Cmd.IAC, reply === 'positive' ? v.replyPositive : v.replyNegative, OPT]).toString('hex');
}

for (const role of ['server', 'client'] as const) {
  for (const side of ['remote', 'local'] as const) {
    t.test(`${role}, ${side} side: received verbs drive the table with exact bytes`, async (t) => {
      const v = VERBS[side];
      const rows: Array<[string, number, Row, boolean]> = [
        ...RECEIVE_POSITIVE.map((r): [string, number, Row, boolean] => ['positive', v.positive, r, r.accept!]),
        ...RECEIVE_NEGATIVE.flatMap((r) => [true, false].map((a): [string, number, Row, boolean] => ['negative', v.negative, r, a])),
      ];
      for (const [kind, verb, row, accept] of rows) {
        const label = `${role} ${side} ${row.state} + ${kind} (accept ${accept})`;
        const s = sessionIn(role, side, row.state);
        t.equal(nameOf(s.optionState(side, OPT)), row.state, `${label}: setup reached the state`);
        s.setAccept(side, OPT, accept);
        const rec = record(s);
        s.receive(Buffer.from([Cmd.IAC, verb, OPT]));
        const sent = Buffer.concat(rec.sent);
        t.equal(sent.toString('hex'), replyBytes(side, row.reply), `${label}: sent ${describeBytes(sent)}`);
        t.equal(nameOf(s.optionState(side, OPT)), row.next, `${label}: next state`);
        const refused = kind === 'positive' && row.state === 'NO' && !accept;
        const expected: JsonEvent[] = [];
        if (refused) expected.push({ type: 'refused', side, option: OPT });
        if (row.error) expected.push({ type: 'problem', code: 'NEGOTIATION_ERROR' });
        if (row.enabled !== null) expected.push({ type: 'option', side, option: OPT, enabled: row.enabled });
        const got = rec.events.map((e) => e.type === 'problem'
          ? { type: 'problem', code: (e['problem'] as { code: string }).code }
          : e);
        t.same(got, expected, `${label}: events`);
        t.equal(s.refused(side).has(OPT), refused, `${label}: refused() set`);
      }
    });

    t.test(`${role}, ${side} side: our requests drive the table with exact bytes`, async (t) => {
      for (const [enable, table] of [[true, REQUEST_ENABLE], [false, REQUEST_DISABLE]] as const) {
        for (const row of table) {
          const label = `${role} ${side} ${row.state} + request ${enable ? 'enable' : 'disable'}`;
          const s = sessionIn(role, side, row.state);
          const rec = record(s);
          const returned = request(s, side, enable);
          const sent = Buffer.concat(rec.sent);
          t.equal(sent.toString('hex'), replyBytes(side, row.reply), `${label}: sent ${describeBytes(sent)}`);
          t.equal(returned, row.reply !== null, `${label}: return value says whether bytes went out`);
          t.equal(nameOf(s.optionState(side, OPT)), row.next, `${label}: next state`);
          const expected = row.enabled === null ? [] : [{ type: 'option', side, option: OPT, enabled: row.enabled }];
          t.same(rec.events, expected, `${label}: events (only leaving YES changes the enabled state)`);
          t.equal(side === 'local' ? s.localEnabled(OPT) : s.remoteEnabled(OPT), row.next === 'YES', `${label}: enabled`);
        }
      }
    });
  }
}

t.test('a side enabled by request + acceptance is visible through localEnabled/remoteEnabled/pending', async (t) => {
  const s = new TelnetSession({ role: 'server' });
  s.requestLocal(OPT, true);
  t.equal(s.pending('local', OPT), true);
  t.same(s.pendingRequests(), [[Cmd.WILL, OPT]]);
  s.receive(Buffer.from([Cmd.IAC, Cmd.DO, OPT]));
  t.equal(s.localEnabled(OPT), true);
  t.equal(s.remoteEnabled(OPT), false);
  t.equal(s.pending('local', OPT), false);
  t.equal(s.settled, true);
});

// ------------------------------------------------------------------ 3. loop freedom

/** Options without subnegotiations, so every byte exchanged is a negotiation. */
const LOOP_OPTIONS = [Opt.BINARY, Opt.ECHO, Opt.SGA, Opt.LOGOUT, Opt.EOR, 0x63, 0x96];

for (const seed of [1, 2, 3]) {
  t.test(`loop freedom: 2,000 seeded random requests on both sessions (seed ${seed})`, async (t) => {
    const rand = mulberry32(seed);
    const p = pair();
    const requests = { server: 0, client: 0 };
    const failures: string[] = [];
    let pumps = 0;
    const check = (when: string): void => {
      pumps++;
      for (const o of LOOP_OPTIONS) {
        if (p.server.localEnabled(o) !== p.client.remoteEnabled(o)) failures.push(`${when}: server local ${o} vs client remote disagree`);
        if (p.server.remoteEnabled(o) !== p.client.localEnabled(o)) failures.push(`${when}: server remote ${o} vs client local disagree`);
      }
      const pending = [...p.server.pendingRequests(), ...p.client.pendingRequests()];
      if (pending.length > 0) failures.push(`${when}: requests still pending at quiescence: ${JSON.stringify(pending)}`);
      for (const [name, log] of [['server', p.serverLog], ['client', p.clientLog]] as const) {
        const bound = 3 * (requests[name] + log.receivedBytes / 3);
        if (log.sentBytes > bound) failures.push(`${when}: ${name} sent ${log.sentBytes} bytes > bound ${bound}`);
      }
    };
    for (let i = 0; i < 2000; i++) {
      const who = rand() < 0.5 ? 'server' : 'client';
      const s = who === 'server' ? p.server : p.client;
      const o = LOOP_OPTIONS[randInt(rand, LOOP_OPTIONS.length)]!;
      const enable = rand() < 0.6;
      if (rand() < 0.5) s.requestLocal(o, enable);
      else s.requestRemote(o, enable);
      requests[who]++;
      // Pump only sometimes, so requests from both ends cross in flight.
      if (rand() < 0.3) {
        try {
          p.pump();
        } catch (err) {
          failures.push(`step ${i}: ${(err as Error).message}`);
          break;
        }
        check(`step ${i}`);
      }
    }
    p.pump();
    check('end');
    t.same(failures.slice(0, 10), [], 'no loop, no reply storm, and both views agree at every quiescence');
    t.ok(pumps > 400, `pumped often enough to mean something (${pumps})`);
    const enables = [...p.serverLog.events, ...p.clientLog.events].filter((e) => e.type === 'option' && e['enabled'] === true).length;
    const disables = [...p.serverLog.events, ...p.clientLog.events].filter((e) => e.type === 'option' && e['enabled'] === false).length;
    t.ok(enables > 50 && disables > 50, `options really went on and off (${enables} enables, ${disables} disables)`);
  });
}

t.test('simultaneous opposite requests settle without a storm', async (t) => {
  // Both ends ask for the same side of an option at once, then both cancel at once.
  const p = pair();
  p.server.requestLocal(Opt.SGA, true);
  p.client.requestRemote(Opt.SGA, true);
  t.equal(p.pump(), 2, 'two crossing requests need no further reply');
  t.equal(p.server.localEnabled(Opt.SGA), true);
  t.equal(p.client.remoteEnabled(Opt.SGA), true);
  p.server.requestLocal(Opt.SGA, false);
  p.client.requestRemote(Opt.SGA, false);
  t.equal(p.pump(), 2, 'two crossing cancellations need no further reply');
  t.equal(p.server.localEnabled(Opt.SGA), false);
  t.equal(p.client.remoteEnabled(Opt.SGA), false);
  t.equal(p.serverLog.sentBytes + p.clientLog.sentBytes, 12);
});
