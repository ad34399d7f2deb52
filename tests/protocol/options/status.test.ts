import t from 'tap';
import { StatusCmd, decodeStatus, encodeStatusIs, encodeStatusSend, type StatusMessage } from '../../../src/protocol/options/status.js';
import { frameSubnegotiation } from '../../../src/protocol/options/codec.js';
import { Cmd, Opt } from '../../../src/protocol/constants.js';
import { TelnetUsageError } from '../../../src/protocol/errors.js';

const { WILL, WONT, DO, DONT, SB, SE, IAC } = Cmd;

function decoded(payload: Buffer | number[], opts?: { maxEntries?: number }): { value: StatusMessage; warnings: string[] } {
  const r = decodeStatus(Buffer.from(payload), opts);
  if (!r.ok) throw new Error(`decode failed: ${r.reason}`);
  return { value: r.value, warnings: r.warnings };
}

function entriesOf(payload: Buffer | number[], opts?: { maxEntries?: number }): { entries: Array<{ verb: number; option: number }>; warnings: string[] } {
  const { value, warnings } = decoded(payload, opts);
  if (value.kind !== 'is') throw new Error('expected IS');
  return { entries: value.entries, warnings };
}

t.test('SEND', async (t) => {
  t.same([...encodeStatusSend()], [StatusCmd.SEND]);
  t.same(decoded([StatusCmd.SEND]), { value: { kind: 'send' }, warnings: [] });
  t.equal(decoded([StatusCmd.SEND, 1, 2]).warnings.length, 1);
});

t.test('IS lists WILL for local and DO for remote options, with option 240 doubled', async (t) => {
  const p = encodeStatusIs([Opt.ECHO, Opt.SGA, Opt.STATUS, 240, Opt.ECHO], [Opt.BINARY, 240, Opt.STATUS]);
  t.same([...p], [StatusCmd.IS, WILL, 1, WILL, 3, WILL, SE, SE, DO, 0, DO, SE, SE]);
  const { entries, warnings } = entriesOf(p);
  t.same(entries, [
    { verb: WILL, option: 1 },
    { verb: WILL, option: 3 },
    { verb: WILL, option: 240 },
    { verb: DO, option: 0 },
    { verb: DO, option: 240 },
  ]);
  t.same(warnings, []);
  // The framer only doubles IAC: SE SE stays as is and one IAC SE closes the frame.
  const framed = frameSubnegotiation(Opt.STATUS, encodeStatusIs([255], [240]));
  t.same([...framed], [IAC, SB, Opt.STATUS, StatusCmd.IS, WILL, IAC, IAC, DO, SE, SE, IAC, SE]);
  t.same([...encodeStatusIs([], [])], [StatusCmd.IS]);
  t.throws(() => encodeStatusIs([256], []), TelnetUsageError);
  t.throws(() => encodeStatusIs([], [-1]), TelnetUsageError);
  t.throws(() => encodeStatusIs([1.5], []), TelnetUsageError);
});

t.test('the RFC 859 example and WONT/DONT entries decode', async (t) => {
  const { entries } = entriesOf([StatusCmd.IS, WILL, Opt.ECHO, DO, Opt.SGA, WILL, Opt.STATUS, DO, Opt.STATUS, WONT, Opt.NAWS, DONT, Opt.LINEMODE]);
  t.same(entries, [
    { verb: WILL, option: Opt.ECHO },
    { verb: DO, option: Opt.SGA },
    { verb: WILL, option: Opt.STATUS },
    { verb: DO, option: Opt.STATUS },
    { verb: WONT, option: Opt.NAWS },
    { verb: DONT, option: Opt.LINEMODE },
  ]);
});

t.test('SB sections inside IS are skipped, honouring SE SE', async (t) => {
  const withSb = [StatusCmd.IS, WILL, 1, SB, Opt.TTYPE, 0, ...Buffer.from('VT'), SE, SE, 0x78, SE, DO, 3];
  const r = entriesOf(withSb);
  t.same(r.entries, [{ verb: WILL, option: 1 }, { verb: DO, option: 3 }]);
  t.same(r.warnings, []);
  // An SB for option 240 (doubled) is skipped as well.
  t.same(entriesOf([StatusCmd.IS, SB, SE, SE, 1, 2, SE, WILL, 5]).entries, [{ verb: WILL, option: 5 }]);
  const open = entriesOf([StatusCmd.IS, DO, 1, SB, Opt.NAWS, 0, 80, 0, 24]);
  t.same(open.entries, [{ verb: DO, option: 1 }]);
  t.match(open.warnings[0]!, /without its SE/);
});

t.test('malformed IS is decoded leniently', async (t) => {
  const undoubled = entriesOf([StatusCmd.IS, WILL, SE, DO, 1]);
  t.same(undoubled.entries, [{ verb: WILL, option: 240 }, { verb: DO, option: 1 }]);
  t.match(undoubled.warnings[0]!, /not doubled/);
  const stray = entriesOf([StatusCmd.IS, 7, 8, WILL, 1, 9]);
  t.same(stray.entries, [{ verb: WILL, option: 1 }]);
  t.match(stray.warnings[0]!, /3 stray bytes/);
  const cut = entriesOf([StatusCmd.IS, WILL, 1, DO]);
  t.same(cut.entries, [{ verb: WILL, option: 1 }]);
  t.match(cut.warnings[0]!, /ends after a verb/);
  t.equal(decodeStatus(Buffer.alloc(0)).ok, false);
  t.equal(decodeStatus(Buffer.from([2])).ok, false);
});

t.test('a bogus huge IS is bounded (B31)', async (t) => {
  const big: number[] = [StatusCmd.IS];
  for (let i = 0; i < 2000; i++) big.push(WILL, i & 0xff);
  const r = entriesOf(big);
  t.equal(r.entries.length, 1024);
  t.match(r.warnings[0]!, /^TOO_MANY/);
  t.equal(entriesOf(big, { maxEntries: 10 }).entries.length, 10);
});
