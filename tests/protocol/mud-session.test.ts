/**
 * The MUD options in the pure session: negotiation policy (the server
 * offers, the client accepts what it was told to), GMCP / MSDP / MSSP
 * events and sends, the prompt end, and the MCCP start offset that
 * `receive()` returns wherever the chunk is split.
 */
import t from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import type { SessionEvent } from '../../src/protocol/events.js';
import { TelnetSession } from '../../src/protocol/session.js';
import { encodeMsdp } from '../../src/protocol/options/msdp.js';
import { pair } from '../helpers/session-harness.js';

const { IAC, SB, SE, WILL, DO } = Cmd;
const MUD = [Opt.GMCP, Opt.MSDP, Opt.MSSP];

t.test('server offers GMCP/MSDP/MSSP (mudOffer); a default client refuses, a told client accepts', async (t) => {
  const p1 = pair({ mudOffer: MUD }, {});
  p1.server.start();
  p1.pump();
  for (const o of MUD) t.equal(p1.server.localEnabled(o), false, `default client refuses ${o}`);
  const p2 = pair({ mudOffer: MUD, mssp: { NAME: 'Mini', PLAYERS: 2 } }, { passiveDo: MUD });
  p2.server.start();
  p2.pump();
  for (const o of MUD) t.equal(p2.client.remoteEnabled(o), true, `told client accepts ${o}`);
  const mssp = p2.clientLog.events.find((e) => e.type === 'mssp');
  t.same(mssp, { type: 'mssp', table: { NAME: 'Mini', PLAYERS: '2' } }, 'MSSP sent on DO MSSP');
  // The client greets over GMCP as telnetlib3 does.
  const hello = p2.serverLog.events.filter((e) => e.type === 'gmcp');
  t.same(hello.map((e) => e.package), ['Core.Hello', 'Core.Supports.Set']);
  t.same(hello[0]!.data, { client: 'telnetlib3', version: '4.0.5' });
  t.ok(Array.isArray(hello[1]!.data) && (hello[1]!.data as string[]).includes('Room.Info 1'));
});

t.test('GMCP, MSDP and MSDP over GMCP both ways', async (t) => {
  const p = pair({ mudOffer: [Opt.GMCP, Opt.MSDP] }, { passiveDo: [Opt.GMCP, Opt.MSDP], gmcpModules: false });
  p.server.start();
  p.pump();
  t.equal(p.server.sendGmcp('Room.Info', { num: 1, name: 'Hall' }), true);
  t.equal(p.server.sendMsdp({ HEALTH: 10, ROOM: { EXITS: ['n', 's'] } }), 'msdp');
  t.equal(p.client.sendGmcp('Char.Login', { name: 'bob' }), true);
  p.pump();
  const c = p.clientLog.events.filter((e) => e.type === 'gmcp' || e.type === 'msdp');
  t.same(c, [
    { type: 'gmcp', package: 'Room.Info', data: { num: 1, name: 'Hall' } },
    { type: 'msdp', vars: { HEALTH: '10', ROOM: { EXITS: ['n', 's'] } }, viaGmcp: false },
  ]);
  t.same(p.serverLog.events.filter((e) => e.type === 'gmcp'), [{ type: 'gmcp', package: 'Char.Login', data: { name: 'bob' } }]);
  // Only GMCP: MSDP goes over GMCP.
  const g = pair({ mudOffer: [Opt.GMCP] }, { passiveDo: [Opt.GMCP], gmcpModules: false });
  g.server.start();
  g.pump();
  t.equal(g.server.sendMsdp({ HEALTH: 3 }), 'gmcp');
  g.pump();
  t.same(g.clientLog.events.filter((e) => e.type === 'msdp'), [{ type: 'msdp', vars: { HEALTH: '3' }, viaGmcp: true }]);
  // Neither enabled: nothing is sent.
  const none = new TelnetSession({ role: 'server' });
  let sent = 0;
  none.onSend = () => { sent++; };
  t.equal(none.sendGmcp('X'), false);
  t.equal(none.sendMsdp({ A: 1 }), null);
  t.equal(none.sendMssp({ A: 1 }), false);
  t.equal(sent, 0);
});

t.test('malformed GMCP JSON and unsolicited MUD subnegotiations are warnings, never events', async (t) => {
  const s = new TelnetSession({ role: 'client', passiveDo: [Opt.GMCP], gmcpModules: false });
  const events: SessionEvent[] = [];
  s.onEvent = (e) => events.push(e);
  s.receive(Buffer.from([IAC, WILL, Opt.GMCP]));
  s.receive(Buffer.concat([Buffer.from([IAC, SB, Opt.GMCP]), Buffer.from('Char.Vitals {"hp":'), Buffer.from([IAC, SE])]));
  s.receive(Buffer.concat([Buffer.from([IAC, SB, Opt.MSDP]), encodeMsdp({ A: 1 }), Buffer.from([IAC, SE])]));
  s.receive(Buffer.concat([Buffer.from([IAC, SB, Opt.GMCP]), Buffer.from('Core.Ping'), Buffer.from([IAC, SE])]));
  const kinds = events.filter((e) => e.type !== 'option').map((e) => (e.type === 'problem' ? `problem:${e.problem.code}` : e.type));
  t.same(kinds, ['problem:BAD_VALUE', 'problem:UNSOLICITED_SB', 'gmcp']);
});

t.test('endPrompt: EOR once agreed, else GA unless SGA', async (t) => {
  const s = new TelnetSession({ role: 'server' });
  const out: number[] = [];
  s.onSend = (b) => out.push(...b);
  t.equal(s.sendPromptEnd(), 'ga');
  s.requestLocal(Opt.EOR, true);
  s.receive(Buffer.from([IAC, DO, Opt.EOR]));
  out.length = 0;
  t.equal(s.sendPromptEnd(), 'eor');
  t.same(out, [IAC, Cmd.EOR]);
});

t.test('MCCP policy: server offers only with compression: true; a client accepts with \'accept\'', async (t) => {
  const p = pair({ compression: true }, { compression: 'accept' });
  p.server.start();
  p.pump();
  t.ok(p.server.localEnabled(Opt.MCCP2) && p.server.localEnabled(Opt.MCCP3));
  const sends = p.serverLog.events.filter((e) => e.type === 'compress');
  t.same(sends, [
    { type: 'compress', option: Opt.MCCP2, direction: 'send', active: true },
    { type: 'compress', option: Opt.MCCP3, direction: 'receive', active: true },
  ], 'the server compresses MCCP2 and sees the client start MCCP3');
  t.same(p.clientLog.events.filter((e) => e.type === 'compress'), [
    { type: 'compress', option: Opt.MCCP3, direction: 'send', active: true },
    { type: 'compress', option: Opt.MCCP2, direction: 'receive', active: true },
  ]);
  for (const c of [false, undefined]) {
    const q = pair({ compression: true }, c === undefined ? {} : { compression: c });
    q.server.start();
    q.pump();
    t.equal(q.server.localEnabled(Opt.MCCP2), false, `the core client refuses with compression ${String(c)}`);
  }
  // An application that offered MCCP2 itself starts it explicitly.
  const e = pair({}, { compression: 'accept' });
  e.server.requestLocal(Opt.MCCP2, true);
  e.pump();
  t.equal(e.server.localEnabled(Opt.MCCP2), true);
  t.equal(e.server.compressing, false, 'not automatic without compression: true');
  t.equal(e.server.beginCompression(), true);
  t.equal(e.server.compressing, true);
  const r = new TelnetSession({ role: 'server' });
  const out: Buffer[] = [];
  r.onSend = (b) => out.push(Buffer.from(b));
  r.receive(Buffer.from([IAC, DO, Opt.MCCP2]));
  t.same([...Buffer.concat(out)], [IAC, Cmd.WONT, Opt.MCCP2], 'a server without compression refuses DO MCCP2');
});

t.test('client: receive() stops just past IAC SB MCCP2 IAC SE, however the chunk is split', async (t) => {
  const start = Buffer.from([IAC, SB, Opt.MCCP2, IAC, SE]);
  const wire = Buffer.concat([Buffer.from('ab'), start, Buffer.from([0x78, 0x9c, 1, 2, 3])]);
  const startEnd = 2 + start.length;
  for (let cut = 0; cut <= wire.length; cut++) {
    const s = new TelnetSession({ role: 'client', compression: 'accept' });
    const data: Buffer[] = [];
    const compress: SessionEvent[] = [];
    s.onData = (b) => data.push(Buffer.from(b));
    s.onEvent = (e) => { if (e.type === 'compress') compress.push(e); };
    s.receive(Buffer.from([IAC, WILL, Opt.MCCP2]));
    const a = wire.subarray(0, cut);
    const usedA = s.receive(a);
    let rest: Buffer;
    if (compress.length > 0) {
      rest = Buffer.concat([a.subarray(usedA), wire.subarray(cut)]);
    } else {
      t.equal(usedA, a.length);
      const b = wire.subarray(cut);
      const usedB = s.receive(b);
      rest = b.subarray(usedB);
    }
    t.equal(compress.length, 1, `cut ${cut}: one compress event`);
    t.same(compress[0], { type: 'compress', option: Opt.MCCP2, direction: 'receive', active: true });
    t.equal(Buffer.concat(data).toString('latin1'), 'ab', `cut ${cut}: only the plain bytes are data`);
    t.same([...rest], [...wire.subarray(startEnd)], `cut ${cut}: the rest is handed back`);
  }
});
