/**
 * Golden transcripts: bytes in -> events + bytes sent, for every command and
 * every option of the core. Each case is replayed whole, one byte at a time
 * and at 20 seeded random split points; all must give identical results.
 *
 * Expected bytes are built with the tiny helpers below (never with the
 * library's own encoders), from the RFCs and telnetlib3's documented policy.
 */
import t from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import type { TelnetSession } from '../../src/protocol/session.js';
import {
  type JsonEvent, type Role, type SessionOpts, describeBytes, hex, oneByteChunks, randomSplits, runSession, stripMessages,
} from '../helpers/session-harness.js';

// ------------------------------------------------------------------ wire helpers (hex strings)

const h2 = (b: number): string => b.toString(16).padStart(2, '0');
const txt = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const cmd = (c: number): string => `ff${h2(c)}`;
const will = (o: number): string => `fffb${h2(o)}`;
const wont = (o: number): string => `fffc${h2(o)}`;
const doo = (o: number): string => `fffd${h2(o)}`;
const dont = (o: number): string => `fffe${h2(o)}`;
/** `IAC SB o <payload> IAC SE`; numbers are bytes, strings latin1 text; 0xFF doubled. */
function sb(o: number, ...parts: Array<number | string>): string {
  let body = '';
  for (const p of parts) body += typeof p === 'number' ? h2(p) : txt(p);
  return `fffa${h2(o)}${body.replace(/(..)/g, (m) => (m === 'ff' ? 'ffff' : m))}fff0`;
}

// ------------------------------------------------------------------ event helpers

const opt = (side: 'local' | 'remote', option: number, enabled = true): JsonEvent => ({ type: 'option', side, option, enabled });
const refused = (side: 'local' | 'remote', option: number): JsonEvent => ({ type: 'refused', side, option });
const warn = (code: string, option?: number): JsonEvent =>
  (option === undefined ? { type: 'problem', severity: 'warning', code } : { type: 'problem', severity: 'warning', code, option });
const ttype = (name: string, index: number, term: string, done: boolean): JsonEvent => ({ type: 'ttype', name, index, term, done });

const { IAC, WILL, DO } = Cmd;
const O = Opt;
const TTYPE_SEND = sb(O.TTYPE, 1);

/** The server's default NEW_ENVIRON SEND (telnetlib3's list, then a bare VAR and USERVAR). */
const ENV_NAMES = ['USER', 'LOGNAME', 'DISPLAY', 'LANG', 'TERM', 'TERM_PROGRAM', 'COLUMNS', 'LINES', 'COLORTERM', 'EDITOR', 'IPADDRESS'];
const ENV_SEND_DEFAULT = sb(O.NEW_ENVIRON, 1, ...ENV_NAMES.flatMap((n) => [0, n]), 0, 3);

/** The BSD SLC table a server sends once its MODE is acknowledged (functions 1-16, RFC 1184 codes). */
const SLC_TABLE = sb(O.LINEMODE, 3,
  1, 0x03, 0, 2, 0x03, 0, 3, 0x62, 0x03, 4, 0x22, 0x0f, 5, 0x02, 0x14, 6, 0x03, 0, 7, 0x62, 0x1c, 8, 0x02, 0x04,
  9, 0x42, 0x1a, 10, 0x02, 0x7f, 11, 0x02, 0x15, 12, 0x02, 0x17, 13, 0x02, 0x12, 14, 0x02, 0x16, 15, 0x02, 0x11, 16, 0x02, 0x13);
/** One bit per SLC character above (^C ^D ^O ^Q..^W ^Z ^\ DEL), 16 bytes: `IAC SB LINEMODE DO FORWARDMASK ...`. */
const FORWARDMASK = sb(O.LINEMODE, DO, 2, 0x18, 0x01, 0x7f, 0x28, ...new Array<number>(11).fill(0), 0x01);

/** 30 names of 10 characters: 21 fit a 240-byte SEND (1 + 21 x 11 = 232), the 22nd would not. */
const MANY = Array.from({ length: 30 }, (_, i) => `VARIABLE${String(i).padStart(2, '0')}`);
const MANY_SEND_1 = sb(O.NEW_ENVIRON, 1, ...MANY.slice(0, 21).flatMap((n) => [0, n]));
const MANY_SEND_2 = sb(O.NEW_ENVIRON, 1, ...MANY.slice(21).flatMap((n) => [0, n]));

const CHARSET_OFFER = ' UTF-8 UTF-16 LATIN1 CP1252 ISO-8859-15 CP437 SHIFT_JIS CP932 BIG5 CP950 GBK GB2312 CP936 EUC-KR CP949 US-ASCII';

// ------------------------------------------------------------------ cases

interface Case {
  name: string;
  role: Role;
  options?: SessionOpts;
  /** Fed (hex) or run before recording starts. */
  setup?: string | ((s: TelnetSession) => void);
  input: string;
  /** Called after the input, while recording. */
  after?: (s: TelnetSession) => void;
  expectSent: string;
  expectEvents: JsonEvent[];
  /** latin1 text, or `{ hex }`; default: no data at all. */
  expectData?: string | { hex: string };
  todo?: string;
}

const COMMANDS: Array<[string, number]> = [
  ['NOP', Cmd.NOP], ['DM', Cmd.DM], ['BRK', Cmd.BRK], ['IP', Cmd.IP], ['AO', Cmd.AO], ['AYT', Cmd.AYT], ['EC', Cmd.EC],
  ['EL', Cmd.EL], ['GA', Cmd.GA], ['EOR', Cmd.EOR], ['SUSP', Cmd.SUSP], ['ABORT', Cmd.ABORT], ['EOF', Cmd.EOF],
];

const CASES: Case[] = [
  // ---- two-byte commands
  ...COMMANDS.map(([name, code], i): Case => ({
    name: `IAC ${name} between data -> command event`, role: i % 2 ? 'client' : 'server',
    input: txt('a') + cmd(code) + txt('b'), expectSent: '', expectEvents: [{ type: 'command', command: code }], expectData: 'ab',
  })),
  { name: 'IAC SE outside SB -> warning', role: 'server', input: cmd(Cmd.SE) + txt('x'), expectSent: '', expectEvents: [warn('SE_WITHOUT_SB')], expectData: 'x' },
  { name: 'IAC + non-command byte -> warning', role: 'server', input: 'ff20' + txt('x'), expectSent: '', expectEvents: [warn('UNKNOWN_COMMAND')], expectData: 'x' },
  { name: 'undoubled 0xFF inside SB (WinTin++ NAWS 255x80) is taken as payload, with a warning', role: 'server', setup: will(O.NAWS),
    input: 'fffa1f00ff0050fff0', expectSent: '',
    expectEvents: [warn('BAD_SB', O.NAWS), { type: 'naws', cols: 255, rows: 80 }] },
  { name: 'IAC NOP inside SB ends the SB, then counts as a command', role: 'server', setup: will(O.NAWS),
    input: 'fffa1f0050' + cmd(Cmd.NOP), expectSent: '', expectEvents: [warn('SB_INTERRUPTED', O.NAWS), { type: 'command', command: Cmd.NOP }] },

  { name: 'IAC SB IAC SE (no option byte) -> EMPTY_SB', role: 'server', input: 'fffafff0' + txt('x'), expectSent: '',
    expectEvents: [warn('EMPTY_SB')], expectData: 'x' },
  { name: 'SB longer than maxSubnegotiation -> one SB_OVERFLOW error, SB dropped, data goes on', role: 'server',
    options: { maxSubnegotiation: 4, passiveDo: [O.ATCP] }, setup: will(O.ATCP), input: sb(O.ATCP, 'abcdefgh') + txt('z') + sb(O.ATCP, 'ok'), expectSent: '',
    expectEvents: [{ type: 'problem', severity: 'error', code: 'SB_OVERFLOW', option: O.ATCP }, { type: 'subnegotiation', option: O.ATCP, payload: txt('ok') }],
    expectData: 'z' },
  { name: 'stream ends inside an SB -> TRUNCATED, later bytes ignored', role: 'server', setup: will(O.NAWS), input: txt('a') + 'fffa1f0050',
    after: (s) => { s.end(); s.receive(hex(txt('b') + doo(O.SGA))); }, expectSent: '', expectEvents: [warn('TRUNCATED', O.NAWS)], expectData: 'a' },

  { name: 'SB exactly maxSubnegotiation long, with an escaped IAC counted once, is accepted', role: 'server',
    options: { maxSubnegotiation: 4, passiveDo: [O.ATCP] }, setup: will(O.ATCP), input: sb(O.ATCP, 'a', 0xff, 'bc'), expectSent: '',
    expectEvents: [{ type: 'subnegotiation', option: O.ATCP, payload: '61ff6263' }] },
  { name: 'option byte 255 after a verb is an option, not an IAC (EXOPL refused)', role: 'server', input: doo(0xff) + will(0xff) + txt('a'),
    expectSent: wont(0xff) + dont(0xff), expectEvents: [refused('local', 0xff), refused('remote', 0xff)], expectData: 'a' },

  // ---- data: IAC IAC and NVT rules
  { name: 'IAC IAC -> one 0xFF data byte', role: 'server', input: '61ffff62', expectSent: '', expectEvents: [], expectData: { hex: '61ff62' } },
  { name: 'NVT: CR LF kept', role: 'server', input: txt('a\r\nb'), expectSent: '', expectEvents: [], expectData: 'a\r\nb' },
  { name: 'NVT: CR NUL -> CR', role: 'client', input: '610d0062', expectSent: '', expectEvents: [], expectData: 'a\rb' },
  { name: 'NVT: lone CR kept', role: 'server', input: '610d62', expectSent: '', expectEvents: [], expectData: 'a\rb' },
  { name: 'NVT: lone LF kept', role: 'client', input: '610a62', expectSent: '', expectEvents: [], expectData: 'a\nb' },
  { name: 'NVT: NULs dropped', role: 'server', input: '0061000062000000', expectSent: '', expectEvents: [], expectData: 'ab' },
  { name: 'BINARY in: NUL, CR NUL, lone CR/LF all kept; IAC IAC still one byte', role: 'server', setup: will(O.BINARY),
    input: '0d000a006100ffff0d', expectSent: '', expectEvents: [], expectData: { hex: '0d000a006100ff0d' } },
  { name: 'BINARY in (client)', role: 'client', setup: will(O.BINARY), input: '000d00', expectSent: '', expectEvents: [], expectData: { hex: '000d00' } },
  { name: 'WONT BINARY mid-chunk: NULs dropped from the next byte on', role: 'server', setup: will(O.BINARY),
    input: '6100' + wont(O.BINARY) + '620063', expectSent: dont(O.BINARY), expectEvents: [opt('remote', O.BINARY, false)], expectData: { hex: '610062' + '63' } },
  { name: 'WILL BINARY mid-chunk: NULs kept from the next byte on', role: 'server',
    input: '6100' + will(O.BINARY) + '6200', expectSent: doo(O.BINARY), expectEvents: [opt('remote', O.BINARY)], expectData: { hex: '61' + '6200' } },
  { name: 'SB with IAC IAC inside (an option without a codec passes through)', role: 'server', options: { passiveDo: [O.ATCP] }, setup: will(O.ATCP),
    input: sb(O.ATCP, 'a', 0xff, 'b'), expectSent: '', expectEvents: [{ type: 'subnegotiation', option: O.ATCP, payload: '61ff62' }] },
  { name: 'GMCP with IAC IAC inside is decoded (the 0xFF is part of the package name)', role: 'server', setup: will(O.GMCP),
    input: sb(O.GMCP, 'a', 0xff, 'b {"x":1}'), expectSent: '', expectEvents: [{ type: 'gmcp', package: 'a\ufffdb', data: { x: 1 } }] },
  { name: 'SB for an option that is not enabled -> warning', role: 'server', input: sb(0x99, 1, 2), expectSent: '', expectEvents: [warn('UNSOLICITED_SB', 0x99)] },

  // ---- BINARY, ECHO, SGA
  { name: 'server WILL BINARY -> DO', role: 'server', input: will(O.BINARY), expectSent: doo(O.BINARY), expectEvents: [opt('remote', O.BINARY)] },
  { name: 'server DO BINARY -> WILL', role: 'server', input: doo(O.BINARY), expectSent: will(O.BINARY), expectEvents: [opt('local', O.BINARY)] },
  { name: 'client WILL+DO BINARY -> DO+WILL', role: 'client', input: will(O.BINARY) + doo(O.BINARY),
    expectSent: doo(O.BINARY) + will(O.BINARY), expectEvents: [opt('remote', O.BINARY), opt('local', O.BINARY)] },
  { name: 'server DO ECHO -> WILL ECHO', role: 'server', input: doo(O.ECHO), expectSent: will(O.ECHO), expectEvents: [opt('local', O.ECHO)] },
  { name: 'client WILL ECHO -> DO ECHO', role: 'client', input: will(O.ECHO), expectSent: doo(O.ECHO), expectEvents: [opt('remote', O.ECHO)] },
  { name: 'server WILL ECHO -> DONT ECHO (a client never echoes)', role: 'server', input: will(O.ECHO),
    expectSent: dont(O.ECHO), expectEvents: [refused('remote', O.ECHO)] },
  { name: 'client DO ECHO -> WONT ECHO', role: 'client', input: doo(O.ECHO), expectSent: wont(O.ECHO), expectEvents: [refused('local', O.ECHO)] },
  { name: 'server DO+WILL SGA -> WILL+DO SGA', role: 'server', input: doo(O.SGA) + will(O.SGA),
    expectSent: will(O.SGA) + doo(O.SGA), expectEvents: [opt('local', O.SGA), opt('remote', O.SGA)] },
  { name: 'client DO+WILL SGA -> WILL+DO SGA', role: 'client', input: doo(O.SGA) + will(O.SGA),
    expectSent: will(O.SGA) + doo(O.SGA), expectEvents: [opt('local', O.SGA), opt('remote', O.SGA)] },
  { name: 'sendGa sends IAC GA without SGA', role: 'server', input: '', after: (s) => { s.sendGa(); }, expectSent: cmd(Cmd.GA), expectEvents: [] },
  { name: 'sendGa is silent once we WILL SGA', role: 'server', setup: doo(O.SGA), input: '', after: (s) => { s.sendGa(); }, expectSent: '', expectEvents: [] },
  { name: 'server in kludge mode (WILL ECHO + WILL SGA) reports SLC characters', role: 'server', setup: doo(O.ECHO) + doo(O.SGA),
    input: '6103', expectSent: '', expectEvents: [{ type: 'slc', func: 3, byte: 3 }], expectData: 'a\x03' },

  // ---- STATUS
  { name: 'server DO STATUS -> WILL STATUS', role: 'server', input: doo(O.STATUS), expectSent: will(O.STATUS), expectEvents: [opt('local', O.STATUS)] },
  { name: 'server STATUS SEND answered with IS (WILL SGA, DO BINARY)', role: 'server', setup: doo(O.STATUS) + doo(O.SGA) + will(O.BINARY),
    input: sb(O.STATUS, 1), expectSent: sb(O.STATUS, 0, WILL, O.SGA, DO, O.BINARY), expectEvents: [] },
  { name: 'client STATUS SEND answered with IS (DO ECHO)', role: 'client', setup: doo(O.STATUS) + will(O.ECHO),
    input: sb(O.STATUS, 1), expectSent: sb(O.STATUS, 0, DO, O.ECHO), expectEvents: [] },
  { name: 'STATUS SEND without WILL STATUS -> warning, no reply', role: 'server', input: sb(O.STATUS, 1), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.STATUS)] },
  { name: 'server WILL STATUS -> DO STATUS + SEND', role: 'server', input: will(O.STATUS), expectSent: doo(O.STATUS) + sb(O.STATUS, 1),
    expectEvents: [opt('remote', O.STATUS)] },
  { name: 'STATUS IS doubles an option byte 240 (SE SE)', role: 'server', options: { passiveDo: [0xf0] }, setup: doo(O.STATUS) + will(0xf0),
    input: sb(O.STATUS, 1), expectSent: sb(O.STATUS, 0, DO, 0xf0, 0xf0), expectEvents: [] },
  { name: 'STATUS SEND burst: each reply decided by the bytes received so far, not by TCP segmentation', role: 'server',
    setup: doo(O.STATUS) + doo(O.SGA) + will(O.BINARY), // 9 bytes of credit; each IS frame costs 10
    input: sb(O.STATUS, 1).repeat(3) + doo(O.TM) + sb(O.STATUS, 1),
    // credit 15 -> IS (5); 11 -> IS (1); 7 -> refused; DO TM (10); 16 -> IS (6)
    expectSent: sb(O.STATUS, 0, WILL, O.SGA, DO, O.BINARY).repeat(2) + will(O.TM) + sb(O.STATUS, 0, WILL, O.SGA, DO, O.BINARY),
    expectEvents: [{ type: 'problem', severity: 'warning', code: 'TOO_MANY', option: O.STATUS }, { type: 'timingMark', verb: DO }] },
  { name: 'STATUS IS from the peer -> status event', role: 'server', setup: will(O.STATUS), input: sb(O.STATUS, 0, WILL, O.ECHO, DO, O.SGA),
    expectSent: '', expectEvents: [{ type: 'status', entries: [{ verb: WILL, option: O.ECHO }, { verb: DO, option: O.SGA }] }] },

  // ---- TIMING-MARK
  { name: 'DO TM -> WILL TM, every time, never enabled', role: 'server', input: doo(O.TM) + doo(O.TM),
    expectSent: will(O.TM) + will(O.TM), expectEvents: [{ type: 'timingMark', verb: DO }, { type: 'timingMark', verb: DO }] },
  { name: 'client DO TM -> WILL TM', role: 'client', input: doo(O.TM), expectSent: will(O.TM), expectEvents: [{ type: 'timingMark', verb: DO }] },
  { name: 'our DO TM answered by WILL TM -> timingMark', role: 'server', setup: (s) => s.requestTimingMark(), input: will(O.TM),
    expectSent: '', expectEvents: [{ type: 'timingMark', verb: WILL }] },
  { name: 'our DO TM answered by WONT TM -> timingMark', role: 'client', setup: (s) => s.requestTimingMark(), input: wont(O.TM),
    expectSent: '', expectEvents: [{ type: 'timingMark', verb: Cmd.WONT }] },
  { name: 'one DO TM, two WILL TM -> second is a warning', role: 'server', setup: (s) => s.requestTimingMark(), input: will(O.TM) + will(O.TM),
    expectSent: '', expectEvents: [{ type: 'timingMark', verb: WILL }, warn('NEGOTIATION_ERROR', O.TM)] },
  { name: 'unsolicited WILL TM -> warning, no reply', role: 'server', input: will(O.TM), expectSent: '', expectEvents: [warn('NEGOTIATION_ERROR', O.TM)] },
  { name: 'DONT TM -> nothing', role: 'server', input: dont(O.TM), expectSent: '', expectEvents: [] },

  // ---- EOR
  { name: 'sendEor before DO EOR sends nothing', role: 'server', input: '', after: (s) => { s.sendEor(); }, expectSent: '', expectEvents: [] },
  { name: 'DO EOR -> WILL EOR, then sendEor sends IAC EOR', role: 'server', input: doo(O.EOR), after: (s) => { s.sendEor(); },
    expectSent: will(O.EOR) + cmd(Cmd.EOR), expectEvents: [opt('local', O.EOR)] },
  { name: 'client DO EOR -> WILL EOR', role: 'client', input: doo(O.EOR), expectSent: will(O.EOR), expectEvents: [opt('local', O.EOR)] },

  // ---- NAWS
  { name: 'server WILL NAWS -> DO NAWS', role: 'server', input: will(O.NAWS), expectSent: doo(O.NAWS), expectEvents: [opt('remote', O.NAWS)] },
  { name: 'server SB NAWS 80x24 -> naws', role: 'server', setup: will(O.NAWS), input: sb(O.NAWS, 0, 80, 0, 24),
    expectSent: '', expectEvents: [{ type: 'naws', cols: 80, rows: 24 }] },
  { name: 'server SB NAWS with a doubled 255 -> naws 255x256', role: 'server', setup: will(O.NAWS), input: 'fffa1f00ffff0100fff0',
    expectSent: '', expectEvents: [{ type: 'naws', cols: 255, rows: 256 }] },
  { name: 'server SB NAWS without WILL NAWS -> accepted with a warning', role: 'server', input: sb(O.NAWS, 0, 100, 0, 30),
    expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.NAWS), { type: 'naws', cols: 100, rows: 30 }] },
  { name: 'server SB NAWS of 3 bytes -> BAD_NAWS', role: 'server', setup: will(O.NAWS), input: sb(O.NAWS, 0, 80, 0),
    expectSent: '', expectEvents: [warn('BAD_NAWS', O.NAWS)] },
  { name: 'client DO NAWS -> WILL NAWS + SB NAWS 80x25', role: 'client', input: doo(O.NAWS),
    expectSent: will(O.NAWS) + sb(O.NAWS, 0, 80, 0, 25), expectEvents: [opt('local', O.NAWS)] },
  { name: 'client NAWS 255 columns: the 255 is escaped', role: 'client', options: { cols: 255, rows: 24 }, input: doo(O.NAWS),
    expectSent: will(O.NAWS) + 'fffa1f00ffff0018fff0', expectEvents: [opt('local', O.NAWS)] },
  { name: 'client setWindowSize before NAWS sends nothing', role: 'client', input: '', after: (s) => { s.setWindowSize(100, 40); },
    expectSent: '', expectEvents: [] },
  { name: 'client setWindowSize before NAWS is used once NAWS is on', role: 'client', setup: (s) => { s.setWindowSize(100, 40); },
    input: doo(O.NAWS), expectSent: will(O.NAWS) + sb(O.NAWS, 0, 100, 0, 40), expectEvents: [opt('local', O.NAWS)] },
  { name: 'client setWindowSize: only changes are sent', role: 'client', setup: doo(O.NAWS), input: '',
    after: (s) => { s.setWindowSize(80, 25); s.setWindowSize(132, 43); s.setWindowSize(132, 43); },
    expectSent: sb(O.NAWS, 0, 132, 0, 43), expectEvents: [] },
  { name: 'client WILL NAWS -> DONT NAWS', role: 'client', input: will(O.NAWS), expectSent: dont(O.NAWS), expectEvents: [refused('remote', O.NAWS)] },
  { name: 'client SB NAWS -> warning', role: 'client', input: sb(O.NAWS, 0, 80, 0, 24), expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.NAWS)] },

  // ---- TSPEED
  { name: 'server WILL TSPEED -> DO + SEND', role: 'server', input: will(O.TSPEED), expectSent: doo(O.TSPEED) + sb(O.TSPEED, 1),
    expectEvents: [opt('remote', O.TSPEED)] },
  { name: 'server TSPEED IS -> tspeed', role: 'server', setup: will(O.TSPEED), input: sb(O.TSPEED, 0, '38400,19200'),
    expectSent: '', expectEvents: [{ type: 'tspeed', rx: 38400, tx: 19200 }] },
  { name: 'server malformed TSPEED IS -> BAD_SB', role: 'server', setup: will(O.TSPEED), input: sb(O.TSPEED, 0, 'fast'),
    expectSent: '', expectEvents: [warn('BAD_SB', O.TSPEED)] },
  { name: 'client DO TSPEED + SEND -> WILL + IS', role: 'client', options: { tspeed: [9600, 4800] }, input: doo(O.TSPEED) + sb(O.TSPEED, 1),
    expectSent: will(O.TSPEED) + sb(O.TSPEED, 0, '9600,4800'), expectEvents: [opt('local', O.TSPEED)] },
  { name: 'client TSPEED SEND without DO -> warning', role: 'client', input: sb(O.TSPEED, 1), expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.TSPEED)] },

  // ---- TTYPE
  { name: 'server WILL TTYPE -> DO TTYPE + SEND', role: 'server', input: will(O.TTYPE), expectSent: doo(O.TTYPE) + TTYPE_SEND,
    expectEvents: [opt('remote', O.TTYPE)] },
  { name: 'server gets DO TTYPE -> WONT TTYPE', role: 'server', input: doo(O.TTYPE), expectSent: wont(O.TTYPE), expectEvents: [refused('local', O.TTYPE)] },
  { name: 'TTYPE ALPHA, ALPHA: stops at 2', role: 'server', setup: will(O.TTYPE), input: sb(O.TTYPE, 0, 'ALPHA') + sb(O.TTYPE, 0, 'ALPHA'),
    expectSent: TTYPE_SEND, expectEvents: [ttype('ALPHA', 1, 'ALPHA', false), ttype('ALPHA', 2, 'ALPHA', true)] },
  { name: 'TTYPE 12 distinct names: stops after the 9th, later names only update TERM', role: 'server', setup: will(O.TTYPE),
    input: Array.from({ length: 12 }, (_, i) => sb(O.TTYPE, 0, `T${i + 1}`)).join(''),
    expectSent: TTYPE_SEND.repeat(8),
    expectEvents: Array.from({ length: 12 }, (_, i) => ttype(`T${i + 1}`, Math.min(i + 1, 9), `T${i + 1}`, i >= 8)) },
  { name: 'TTYPE ALPHA, BETA, GAMMA, ALPHA: looped, TERM ALPHA', role: 'server', setup: will(O.TTYPE),
    input: ['ALPHA', 'BETA', 'GAMMA', 'ALPHA'].map((n) => sb(O.TTYPE, 0, n)).join(''), expectSent: TTYPE_SEND.repeat(3),
    expectEvents: [ttype('ALPHA', 1, 'ALPHA', false), ttype('BETA', 2, 'BETA', false), ttype('GAMMA', 3, 'GAMMA', false), ttype('ALPHA', 4, 'ALPHA', true)] },
  { name: 'TTYPE ALPHA, BETA, GAMMA, GAMMA: repeated, TERM GAMMA', role: 'server', setup: will(O.TTYPE),
    input: ['ALPHA', 'BETA', 'GAMMA', 'GAMMA'].map((n) => sb(O.TTYPE, 0, n)).join(''), expectSent: TTYPE_SEND.repeat(3),
    expectEvents: [ttype('ALPHA', 1, 'ALPHA', false), ttype('BETA', 2, 'BETA', false), ttype('GAMMA', 3, 'GAMMA', false), ttype('GAMMA', 4, 'GAMMA', true)] },
  { name: 'TTYPE ALPHA, BETA, MTTS 137: TERM BETA', role: 'server', setup: will(O.TTYPE),
    input: ['ALPHA', 'BETA', 'MTTS 137'].map((n) => sb(O.TTYPE, 0, n)).join(''), expectSent: TTYPE_SEND.repeat(2),
    expectEvents: [ttype('ALPHA', 1, 'ALPHA', false), ttype('BETA', 2, 'BETA', false), ttype('MTTS 137', 3, 'BETA', true)] },
  { name: 'TTYPE ALPHA, empty: stops, TERM stays ALPHA', role: 'server', setup: will(O.TTYPE),
    input: sb(O.TTYPE, 0, 'ALPHA') + sb(O.TTYPE, 0), expectSent: TTYPE_SEND,
    expectEvents: [ttype('ALPHA', 1, 'ALPHA', false), ttype('', 2, 'ALPHA', true)] },
  { name: 'TTYPE name with a control byte is sanitised, with a warning', role: 'server', setup: will(O.TTYPE),
    input: sb(O.TTYPE, 0, 'x', 0x1b, 'y') + sb(O.TTYPE, 0, 'x', 0x1b, 'y'), expectSent: TTYPE_SEND,
    expectEvents: [warn('BAD_VALUE', O.TTYPE), ttype('xy', 1, 'xy', false), warn('BAD_VALUE', O.TTYPE), ttype('xy', 2, 'xy', true)] },
  { name: 'server TTYPE IS without DO TTYPE -> warning', role: 'server', input: sb(O.TTYPE, 0, 'xterm'), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.TTYPE)] },
  { name: 'client cycles its term list and repeats the last', role: 'client', options: { term: ['A', 'B'] }, setup: doo(O.TTYPE),
    input: TTYPE_SEND.repeat(3), expectSent: sb(O.TTYPE, 0, 'A') + sb(O.TTYPE, 0, 'B') + sb(O.TTYPE, 0, 'B'), expectEvents: [] },
  { name: 'client DO TTYPE + SEND with the default term', role: 'client', input: doo(O.TTYPE) + TTYPE_SEND,
    expectSent: will(O.TTYPE) + sb(O.TTYPE, 0, 'unknown'), expectEvents: [opt('local', O.TTYPE)] },
  { name: 'client TTYPE SEND without DO -> warning', role: 'client', input: TTYPE_SEND, expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.TTYPE)] },

  // ---- XDISPLOC, SNDLOC
  { name: 'server WILL XDISPLOC -> DO + SEND', role: 'server', input: will(O.XDISPLOC), expectSent: doo(O.XDISPLOC) + sb(O.XDISPLOC, 1),
    expectEvents: [opt('remote', O.XDISPLOC)] },
  { name: 'server XDISPLOC IS -> xdisploc', role: 'server', setup: will(O.XDISPLOC), input: sb(O.XDISPLOC, 0, 'host:0.0'),
    expectSent: '', expectEvents: [{ type: 'xdisploc', display: 'host:0.0' }] },
  { name: 'client DO XDISPLOC + SEND -> WILL + IS', role: 'client', options: { xdisploc: 'ws:1' }, input: doo(O.XDISPLOC) + sb(O.XDISPLOC, 1),
    expectSent: will(O.XDISPLOC) + sb(O.XDISPLOC, 0, 'ws:1'), expectEvents: [opt('local', O.XDISPLOC)] },
  { name: 'server WILL SNDLOC -> DO SNDLOC, then the location', role: 'server', input: will(O.SNDLOC) + sb(O.SNDLOC, 'Room 101'),
    expectSent: doo(O.SNDLOC), expectEvents: [opt('remote', O.SNDLOC), { type: 'sndloc', location: 'Room 101' }] },
  { name: 'server SNDLOC without WILL -> warning', role: 'server', input: sb(O.SNDLOC, 'x'), expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.SNDLOC)] },
  { name: 'client DO SNDLOC -> WONT SNDLOC', role: 'client', input: doo(O.SNDLOC), expectSent: wont(O.SNDLOC), expectEvents: [refused('local', O.SNDLOC)] },

  // ---- LOGOUT
  { name: 'server DO LOGOUT -> WILL LOGOUT + logout', role: 'server', input: doo(O.LOGOUT), expectSent: will(O.LOGOUT),
    expectEvents: [opt('local', O.LOGOUT), { type: 'logout', verb: DO }] },
  { name: 'client WILL LOGOUT -> DONT LOGOUT + logout', role: 'client', input: will(O.LOGOUT), expectSent: dont(O.LOGOUT),
    expectEvents: [refused('remote', O.LOGOUT), { type: 'logout', verb: WILL }] },
  { name: 'server WILL LOGOUT -> DONT, no logout event', role: 'server', input: will(O.LOGOUT), expectSent: dont(O.LOGOUT),
    expectEvents: [refused('remote', O.LOGOUT)] },

  // ---- LFLOW
  { name: 'server WILL LFLOW -> DO + RESTART-XON', role: 'server', input: will(O.LFLOW), expectSent: doo(O.LFLOW) + sb(O.LFLOW, 3),
    expectEvents: [opt('remote', O.LFLOW)] },
  { name: 'client LFLOW ON, OFF, RESTART-ANY, RESTART-XON', role: 'client', input: doo(O.LFLOW) + sb(O.LFLOW, 1) + sb(O.LFLOW, 0) + sb(O.LFLOW, 2) + sb(O.LFLOW, 3),
    expectSent: will(O.LFLOW), expectEvents: [opt('local', O.LFLOW), { type: 'lflow', enabled: true }, { type: 'lflow', enabled: false },
      { type: 'lflow', restartAny: true }, { type: 'lflow', restartAny: false }] },
  { name: 'LFLOW sent to a server -> warning', role: 'server', setup: will(O.LFLOW), input: sb(O.LFLOW, 1), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.LFLOW)] },

  // ---- LINEMODE
  { name: 'client DO LINEMODE -> WILL LINEMODE + SLC (0, DEFAULT, 0)', role: 'client', input: doo(O.LINEMODE),
    expectSent: will(O.LINEMODE) + sb(O.LINEMODE, 3, 0, 3, 0), expectEvents: [opt('local', O.LINEMODE)] },
  { name: 'server WILL LINEMODE -> DO + MODE proposal (LIT_ECHO)', role: 'server', input: will(O.LINEMODE),
    expectSent: doo(O.LINEMODE) + sb(O.LINEMODE, 1, 0x10), expectEvents: [opt('remote', O.LINEMODE)] },
  { name: 'server MODE ACK -> SLC table + FORWARDMASK, once', role: 'server', setup: will(O.LINEMODE),
    input: sb(O.LINEMODE, 1, 0x14) + sb(O.LINEMODE, 1, 0x14), expectSent: SLC_TABLE + FORWARDMASK, expectEvents: [{ type: 'linemode', mode: 0x10 }] },
  { name: 'server MODE ACK for a mode it did not propose -> warning', role: 'server', setup: will(O.LINEMODE),
    input: sb(O.LINEMODE, 1, 0x05), expectSent: '', expectEvents: [warn('BAD_SB', O.LINEMODE)] },
  { name: 'client MODE EDIT acked once; identical re-proposal not re-acked', role: 'client', setup: doo(O.LINEMODE),
    input: sb(O.LINEMODE, 1, 0x01) + sb(O.LINEMODE, 1, 0x01), expectSent: sb(O.LINEMODE, 1, 0x05), expectEvents: [{ type: 'linemode', mode: 1 }] },
  { name: 'client DO FORWARDMASK -> WILL FORWARDMASK once', role: 'client', setup: doo(O.LINEMODE),
    input: sb(O.LINEMODE, DO, 2, 0x18, 0x01) + sb(O.LINEMODE, DO, 2, 0xff, 0x00), expectSent: sb(O.LINEMODE, WILL, 2),
    expectEvents: [{ type: 'forwardmask', mask: '1801' }, { type: 'forwardmask', mask: 'ff00' }] },
  { name: 'client SLC change to IP = ^H is acknowledged', role: 'client', setup: doo(O.LINEMODE),
    input: sb(O.LINEMODE, 3, 3, 0x62, 0x03) + sb(O.LINEMODE, 3, 3, 0x02, 0x08), expectSent: sb(O.LINEMODE, 3, 3, 0x82, 0x08),
    expectEvents: [{ type: 'slcChange', functions: [3] }] },
  { name: 'LINEMODE SB while LINEMODE is off -> warning', role: 'server', input: sb(O.LINEMODE, 1, 0x14), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.LINEMODE)] },

  // ---- NEW_ENVIRON
  { name: 'server WILL NEW_ENVIRON -> DO + default SEND', role: 'server', input: will(O.NEW_ENVIRON),
    expectSent: doo(O.NEW_ENVIRON) + ENV_SEND_DEFAULT, expectEvents: [opt('remote', O.NEW_ENVIRON)] },
  { name: 'server SEND split at 240 bytes, next frame after each IS', role: 'server', options: { environRequest: MANY.map((name) => ({ type: 'VAR' as const, name })) },
    input: will(O.NEW_ENVIRON) + sb(O.NEW_ENVIRON, 0) + sb(O.NEW_ENVIRON, 0), expectSent: doo(O.NEW_ENVIRON) + MANY_SEND_1 + MANY_SEND_2,
    expectEvents: [opt('remote', O.NEW_ENVIRON), { type: 'environ', vars: {}, dropped: [] }, { type: 'environ', vars: {}, dropped: [] }] },
  { name: 'server: INFO does not advance the split SEND queue, IS does', role: 'server',
    options: { environRequest: MANY.map((name) => ({ type: 'VAR' as const, name })) }, setup: will(O.NEW_ENVIRON),
    input: sb(O.NEW_ENVIRON, 2, 0, 'TERM', 1, 'vt220') + sb(O.NEW_ENVIRON, 0), expectSent: MANY_SEND_2,
    expectEvents: [{ type: 'environ', vars: { TERM: 'vt220' }, dropped: [] }, { type: 'environ', vars: {}, dropped: [] }] },
  { name: 'server IS filtered by the allow-list', role: 'server', setup: will(O.NEW_ENVIRON),
    input: sb(O.NEW_ENVIRON, 0, 0, 'USER', 1, 'root', 0, 'LD_PRELOAD', 1, '/x.so', 3, 'term', 1, 'xterm'), expectSent: '',
    expectEvents: [{ type: 'environ', vars: { USER: 'root', TERM: 'xterm' }, dropped: ['LD_PRELOAD'] }] },
  { name: 'client answers only allow-listed names', role: 'client', options: { environ: { TERM: 'xterm', USER: 'root', LANG: 'C.UTF-8' } },
    setup: doo(O.NEW_ENVIRON), input: sb(O.NEW_ENVIRON, 1, 0, 'USER', 0, 'TERM', 0, 'LANG', 3),
    expectSent: sb(O.NEW_ENVIRON, 0, 0, 'USER', 1, 0, 'TERM', 1, 'xterm', 0, 'LANG', 1, 'C.UTF-8'),
    expectEvents: [{ type: 'environRequest', requested: ['USER', 'TERM', 'LANG', ''], sent: ['TERM', 'LANG'] }] },
  { name: 'client bare SEND gets an empty IS (never the whole environment)', role: 'client', options: { environ: { TERM: 'xterm' } },
    setup: doo(O.NEW_ENVIRON), input: sb(O.NEW_ENVIRON, 1), expectSent: sb(O.NEW_ENVIRON, 0),
    expectEvents: [{ type: 'environRequest', requested: [], sent: [] }] },
  { name: 'client NEW_ENVIRON SEND without DO -> warning', role: 'client', input: sb(O.NEW_ENVIRON, 1), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.NEW_ENVIRON)] },

  // ---- old ENVIRON
  { name: 'server WILL ENVIRON -> DONT (not in the default policy)', role: 'server', input: will(O.OLD_ENVIRON),
    expectSent: dont(O.OLD_ENVIRON), expectEvents: [refused('remote', O.OLD_ENVIRON)] },
  { name: 'client DO ENVIRON -> WONT', role: 'client', input: doo(O.OLD_ENVIRON), expectSent: wont(O.OLD_ENVIRON), expectEvents: [refused('local', O.OLD_ENVIRON)] },
  { name: 'server with passiveDo ENVIRON reads a BSD-swapped IS', role: 'server', options: { passiveDo: [O.OLD_ENVIRON] },
    input: will(O.OLD_ENVIRON) + sb(O.OLD_ENVIRON, 0, 1, 'USER', 0, 'bob'), expectSent: doo(O.OLD_ENVIRON),
    expectEvents: [opt('remote', O.OLD_ENVIRON), { type: 'environ', vars: { USER: 'bob' }, dropped: [] }] },
  { name: 'client with alwaysWill ENVIRON answers a swapped SEND in swapped codes', role: 'client',
    options: { alwaysWill: [O.OLD_ENVIRON], environ: { TERM: 'vt100' } }, setup: doo(O.OLD_ENVIRON),
    input: sb(O.OLD_ENVIRON, 1, 1, 'TERM'), expectSent: sb(O.OLD_ENVIRON, 0, 1, 'TERM', 0, 'vt100'),
    expectEvents: [{ type: 'environRequest', requested: ['TERM'], sent: ['TERM'] }] },

  // ---- CHARSET
  { name: 'client CHARSET REQUEST -> ACCEPTED first usable', role: 'client', setup: will(O.CHARSET),
    input: sb(O.CHARSET, 1, ';UTF-8;US-ASCII'), expectSent: sb(O.CHARSET, 2, 'UTF-8'), expectEvents: [{ type: 'charset', charset: 'UTF-8' }] },
  { name: 'client CHARSET REQUEST with a preference', role: 'client', options: { charset: 'US-ASCII' }, setup: will(O.CHARSET),
    input: sb(O.CHARSET, 1, ';UTF-8;US-ASCII'), expectSent: sb(O.CHARSET, 2, 'US-ASCII'), expectEvents: [{ type: 'charset', charset: 'US-ASCII' }] },
  { name: 'client CHARSET REQUEST with nothing usable -> REJECTED', role: 'client', options: { isCharsetSupported: () => false },
    setup: will(O.CHARSET), input: sb(O.CHARSET, 1, ';UTF-8;US-ASCII'), expectSent: sb(O.CHARSET, 3), expectEvents: [] },
  { name: 'server WILL CHARSET -> DO + REQUEST at once (no reciprocal WILL to wait for)', role: 'server', input: will(O.CHARSET),
    expectSent: doo(O.CHARSET) + sb(O.CHARSET, 1, CHARSET_OFFER), expectEvents: [opt('remote', O.CHARSET)] },
  { name: 'server DO CHARSET from the client -> WILL, no second REQUEST', role: 'server', setup: will(O.CHARSET), input: doo(O.CHARSET) + doo(O.CHARSET),
    expectSent: will(O.CHARSET), expectEvents: [opt('local', O.CHARSET)] },
  { name: 'server does not repeat REQUEST when CHARSET is re-enabled', role: 'server', setup: will(O.CHARSET) + doo(O.CHARSET),
    input: wont(O.CHARSET) + will(O.CHARSET), expectSent: dont(O.CHARSET) + doo(O.CHARSET),
    expectEvents: [opt('remote', O.CHARSET, false), opt('remote', O.CHARSET)] },
  { name: 'server ACCEPTED -> charset', role: 'server', setup: will(O.CHARSET) + doo(O.CHARSET), input: sb(O.CHARSET, 2, 'UTF-8'),
    expectSent: '', expectEvents: [{ type: 'charset', charset: 'UTF-8' }] },
  { name: 'server ACCEPTED of a charset never offered -> warning', role: 'server', setup: will(O.CHARSET) + doo(O.CHARSET),
    input: sb(O.CHARSET, 2, 'KOI8-R'), expectSent: '', expectEvents: [warn('BAD_VALUE', O.CHARSET)] },
  { name: 'server REJECTED -> charsetRejected', role: 'server', setup: will(O.CHARSET) + doo(O.CHARSET), input: sb(O.CHARSET, 3),
    expectSent: '', expectEvents: [{ type: 'charsetRejected' }] },
  { name: 'unsolicited ACCEPTED ignored with a warning', role: 'client', setup: will(O.CHARSET), input: sb(O.CHARSET, 2, 'UTF-8'),
    expectSent: '', expectEvents: [warn('UNSOLICITED_SB', O.CHARSET)] },
  { name: 'CHARSET SB while CHARSET is off -> warning', role: 'client', input: sb(O.CHARSET, 1, ';UTF-8'), expectSent: '',
    expectEvents: [warn('UNSOLICITED_SB', O.CHARSET)] },

  // ---- session policy options
  { name: 'start() offers alwaysWill and asks for alwaysDo', role: 'server', options: { alwaysWill: [O.ECHO, O.SGA], alwaysDo: [O.TTYPE] },
    input: '', after: (s) => s.start(), expectSent: will(O.ECHO) + will(O.SGA) + doo(O.TTYPE), expectEvents: [] },
  { name: 'alwaysWont / alwaysDont refuse natively supported options', role: 'server', options: { alwaysWont: [O.ECHO], alwaysDont: [O.NAWS] },
    input: doo(O.ECHO) + will(O.NAWS), expectSent: wont(O.ECHO) + dont(O.NAWS), expectEvents: [refused('local', O.ECHO), refused('remote', O.NAWS)] },
  { name: 'autoRequest false: options are accepted but nothing is requested', role: 'server', options: { autoRequest: false },
    input: will(O.TTYPE) + will(O.NEW_ENVIRON) + will(O.CHARSET), expectSent: doo(O.TTYPE) + doo(O.NEW_ENVIRON) + doo(O.CHARSET),
    expectEvents: [opt('remote', O.TTYPE), opt('remote', O.NEW_ENVIRON), opt('remote', O.CHARSET)] },
  { name: 'FORWARDMASK is 32 bytes when the client sends BINARY', role: 'server', setup: will(O.BINARY) + will(O.LINEMODE),
    input: sb(O.LINEMODE, 1, 0x14), expectSent: SLC_TABLE + sb(O.LINEMODE, DO, 2, 0x18, 0x01, 0x7f, 0x28, ...new Array<number>(11).fill(0), 0x01, ...new Array<number>(16).fill(0)),
    expectEvents: [{ type: 'linemode', mode: 0x10 }] },

  // ---- unknown options and refusals
  { name: 'server: unknown DO 0x99 / WILL 0xFE refused', role: 'server', input: doo(0x99) + will(0xfe),
    expectSent: wont(0x99) + dont(0xfe), expectEvents: [refused('local', 0x99), refused('remote', 0xfe)] },
  { name: 'client: unknown DO 0x99 / WILL 0xFE refused', role: 'client', input: doo(0x99) + will(0xfe),
    expectSent: wont(0x99) + dont(0xfe), expectEvents: [refused('local', 0x99), refused('remote', 0xfe)] },
  { name: 'WONT/DONT for an option that is off -> no reply', role: 'server', input: wont(0x99) + dont(0x99) + wont(O.ECHO) + dont(O.TTYPE),
    expectSent: '', expectEvents: [] },
  { name: 'a repeated DO for an enabled option -> no reply', role: 'server', input: doo(O.SGA) + doo(O.SGA) + doo(O.SGA),
    expectSent: will(O.SGA), expectEvents: [opt('local', O.SGA)] },

  // ---- output: sendText / sendData
  { name: 'sendText NVT: LF -> CR LF, CR -> CR NUL, CR LF kept, IAC doubled', role: 'server', input: '',
    after: (s) => s.sendText(Buffer.from('a\nb\rc\r\nd\xff', 'latin1')), expectSent: '610d0a620d00630d0a64ffff', expectEvents: [] },
  { name: 'sendText NVT (client)', role: 'client', input: '', after: (s) => s.sendText(Buffer.from('x\n', 'latin1')), expectSent: '780d0a', expectEvents: [] },
  { name: 'sendText: a CR ending one write, LF starting the next', role: 'server', input: '',
    after: (s) => { s.sendText(Buffer.from('a\r')); s.sendText(Buffer.from('\nb')); }, expectSent: '610d00' + '0a62', expectEvents: [] },
  { name: 'sendText in BINARY: untouched except IAC', role: 'server', setup: doo(O.BINARY), input: '',
    after: (s) => s.sendText(Buffer.from('a\nb\rc\r\nd\xff', 'latin1')), expectSent: '610a620d630d0a64ffff', expectEvents: [] },
  { name: 'sendData: IAC doubled, no line-end translation', role: 'client', input: '',
    after: (s) => s.sendData(Buffer.from([0x61, 0x0a, IAC, 0x0d])), expectSent: '610affff0d', expectEvents: [] },
];

// ------------------------------------------------------------------ runner

function run(c: Case, chunks: Buffer[]): { data: string; events: JsonEvent[]; sent: string } {
  const setup = typeof c.setup === 'string' ? hex(c.setup) : c.setup;
  const hooks: Parameters<typeof runSession>[3] = {};
  if (setup !== undefined) hooks.setup = setup;
  if (c.after !== undefined) hooks.after = c.after;
  const r = runSession(c.role, c.options ?? {}, chunks, hooks);
  return { data: r.data.toString('hex'), events: stripMessages(r.events), sent: r.sent.toString('hex') };
}

function expectedData(c: Case): string {
  if (c.expectData === undefined) return '';
  return typeof c.expectData === 'string' ? txt(c.expectData) : hex(c.expectData.hex).toString('hex');
}

t.test('case names are unique', async (t) => {
  t.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

for (const c of CASES) {
  // A todo marks the assertions (which still run and show as `not ok ... # TODO`), not the subtest (whose body tap would skip).
  const extra = c.todo === undefined ? {} : { todo: c.todo };
  t.test(`${c.role}: ${c.name}`, async (t) => {
    const input = hex(c.input);
    const whole = run(c, input.length ? [input] : []);
    const sent = Buffer.from(whole.sent, 'hex');
    t.equal(whole.sent, hex(c.expectSent).toString('hex'),
      `sent: ${describeBytes(sent)}; expected: ${describeBytes(hex(c.expectSent))}`, extra);
    t.same(whole.events, c.expectEvents, 'events', extra);
    t.equal(whole.data, expectedData(c), `data: ${describeBytes(Buffer.from(whole.data, 'hex'))}`, extra);
    t.same(run(c, oneByteChunks(input)), whole, 'one byte at a time gives the same result', extra);
    let same = true;
    for (let seed = 1; seed <= 20 && same; seed++) {
      // Seed n cuts the input at n random points (1..20).
      const split = run(c, randomSplits(input, seed * 7919 + input.length, seed));
      same = t.same(split, whole, `random split (seed ${seed}) gives the same result`, extra);
    }
  });
}
