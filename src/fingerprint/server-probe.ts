/**
 * Fingerprinting a server (telnetlib3's `telnetlib3-fingerprint`, from
 * `server_fingerprinting.py`): connect as a client in byte mode, let the
 * negotiation settle, read the banner until it goes quiet, answer the
 * usual prompts (up to five rounds) and terminal queries, then probe the
 * server's options:
 *
 * - `DO` each option of the scan (quick: core + COM-PORT; full: + the 32
 *   legacy options; both + the MUD options, by number only), minus the
 *   options only a client WILLs;
 * - wrong-direction probes: `DO NAWS`, `DO TTYPE` (a server should refuse
 *   to WILL a client-only option) and `WILL ECHO` (a server should not let
 *   the client echo); a wrong acceptance is undone at once;
 * - the loop check (requests repeated for agreed options; a server that
 *   answers again is listed);
 * - MSSP: when the server enabled it, wait (until `msspWait` after connect)
 *   for its variables.
 *
 * Everything is bounded: the connect (`connectTimeout`), each banner read
 * (`bannerMaxWait`, `bannerMaxBytes`), each probe (500 ms), and the whole
 * run (`totalTimeout`); the input kept is bounded too. A server that never
 * answers, talks forever or loops ends with a partial record. MCCP is not
 * requested: compression would start mid-probe; a server that offered it
 * unasked is recorded as WILL.
 */
import { Cmd, Opt } from '../protocol/constants.js';
import { defaultPolicy } from '../protocol/negotiator.js';
import type { SessionEvent } from '../protocol/events.js';
import { openConnection } from '../client.js';
import type { TelnetWriter } from '../engine/writer.js';
import { hashFingerprint } from './hash.js';
import { InputPump } from './input.js';
import {
  ALL_PROBE_OPTIONS, CLIENT_ONLY_WILL, EXTENDED_OPTIONS, type ProbeOption, QUICK_PROBE_OPTIONS, optionKey,
} from './options.js';
import { PROBE_TIMEOUT_MS, type ProbeResults, probeLoops, probeOptions, waitUntilOr } from './probe.js';
import { type SynctermFont, VirtualTerminal, promptReply } from './terminal-answers.js';

/** Options of {@link probeServer}. */
export interface ServerProbeOptions {
  /** `quick` (default) or `full` (adds the legacy options). */
  scanType?: 'quick' | 'full';
  /** TCP connect bound, ms (default 10,000). */
  connectTimeout?: number;
  /** Quiet time that ends a banner, ms (default 2,000). */
  bannerQuietTime?: number;
  /** Longest banner read, ms (default 8,000). */
  bannerMaxWait?: number;
  /** Most banner bytes kept per read (default 65,536). */
  bannerMaxBytes?: number;
  /** Wait for MSSP data until this long after connect, ms (default 5,000). */
  msspWait?: number;
  /** Per-probe timeout, ms (default 500). */
  probeTimeout?: number;
  /** Pause after connect for straggling negotiation, ms (default 500). */
  settle?: number;
  /** Bound on the whole run, ms (default 60,000). */
  totalTimeout?: number;
  /** Terminal type we report (default `VT100`). */
  ttype?: string;
  /** Banner decoding (default `ascii`: bytes over 127 shown as replacement characters). */
  encoding?: string;
  /** NEW_ENVIRON values we offer. */
  sendEnv?: Record<string, string>;
  /** Window size we report (default 80x25). */
  cols?: number;
  rows?: number;
  /** Options to offer (WILL) / ask for (DO) at connect, and to refuse (WONT / DONT), as telnetlib3's `--always-*`. */
  alwaysWill?: number[];
  alwaysDo?: number[];
  alwaysWont?: number[];
  alwaysDont?: number[];
}

/** The record of a probed server (telnetlib3's `server-probe` layout). */
export interface ServerFingerprintRecord {
  'server-probe': {
    fingerprint: string;
    'fingerprint-data': {
      'probed-protocol': 'server';
      'scan-type': string;
      'offered-options': string[];
      'requested-options': string[];
      'refused-options': string[];
    };
    session_data: Record<string, unknown>;
  };
  sessions: Array<{ host: string; ip: string; port: number; connected: string }>;
}

const MCCP = new Set<number>([Opt.MCCP2, Opt.MCCP3, Opt.MCCP_COMPRESS]);

/** MSSP payload (`MSSP_VAR name MSSP_VAL value ...`) → variables (several values become a list). */
export function parseMssp(payload: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let name: string | null = null;
  let i = 0;
  while (i < payload.length) {
    const kind = payload[i]!;
    let j = i + 1;
    while (j < payload.length && payload[j] !== 1 && payload[j] !== 2) j++;
    const text = payload.subarray(i + 1, j).toString('latin1');
    if (kind === 1) name = text;
    else if (kind === 2 && name !== null) {
      const old = out[name];
      out[name] = old === undefined ? text : Array.isArray(old) ? [...old, text] : [old, text];
    }
    i = j;
  }
  return out;
}

function decodeBanner(text: string, encoding: string): string {
  const bytes = Buffer.from(text, 'latin1');
  try {
    if (encoding === 'ascii' || encoding === 'us-ascii') return bytes.toString('latin1').replace(/[\x80-\xff]/g, '\ufffd');
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function optionStates(writer: TelnetWriter): Record<string, Record<string, boolean>> {
  const offered: Record<string, boolean> = {};
  const requested: Record<string, boolean> = {};
  const s = writer.session;
  for (let opt = 0; opt < 256; opt++) {
    const r = s.optionState('remote', opt).state;
    if (r === 'YES') offered[optionKey(opt)] = true;
    else if (r !== 'NO') offered[optionKey(opt)] = false;
    const l = s.optionState('local', opt).state;
    if (l === 'YES') requested[optionKey(opt)] = true;
    else if (l !== 'NO') requested[optionKey(opt)] = false;
  }
  for (const opt of s.refused('remote')) offered[optionKey(opt)] ??= false;
  for (const opt of s.refused('local')) requested[optionKey(opt)] ??= false;
  return { server_offered: offered, server_requested: requested };
}

/** Fingerprint the server at host:port; resolves with the record (partial when the server misbehaves). */
export async function probeServer(host: string, port = 23, options: ServerProbeOptions = {}): Promise<ServerFingerprintRecord> {
  const started = Date.now();
  const deadline = started + (options.totalTimeout ?? 60000);
  const left = (ms: number): number => Math.max(0, Math.min(ms, deadline - Date.now()));
  const scanType = options.scanType ?? 'quick';
  const quiet = options.bannerQuietTime ?? 2000;
  const maxWait = options.bannerMaxWait ?? 8000;
  const maxBytes = options.bannerMaxBytes ?? 65536;
  const encoding = options.encoding ?? 'ascii';
  const cols = options.cols ?? 80;
  const rows = options.rows ?? 25;
  const mud = EXTENDED_OPTIONS.map((p) => p.opt).filter((o) => !MCCP.has(o));
  const policy = defaultPolicy('client');

  const { reader, writer } = await openConnection(host, port, {
    encoding: false, connectMinwait: 0, connectMaxwait: left(4000), connectTimeout: options.connectTimeout ?? 10000,
    term: options.ttype ?? 'VT100', cols, rows, environ: options.sendEnv ?? {},
    acceptLocal: [...policy.acceptLocal, ...mud], acceptRemote: [...policy.acceptRemote, ...mud],
    alwaysWill: options.alwaysWill, alwaysDo: options.alwaysDo, alwaysWont: options.alwaysWont, alwaysDont: options.alwaysDont,
  });
  const hardStop = setTimeout(() => writer.close(), Math.max(1, deadline - Date.now()) + 2000);
  hardStop.unref();
  const input = new InputPump(reader, Math.max(maxBytes * 8, 64 * 1024));
  const vt = new VirtualTerminal(cols, rows);
  input.onChunk = (text) => {
    const reply = vt.feed(text);
    if (reply !== '' && !writer.isClosing()) writer.write(Buffer.from(reply, 'latin1'));
  };
  let mssp: Record<string, string | string[]> | null = null;
  let environRequested: string[] | null = null;
  const stop = writer.onSessionEvent((ev: SessionEvent) => {
    if (ev.type === 'subnegotiation' && ev.option === Opt.MSSP) mssp = parseMssp(ev.payload);
    else if (ev.type === 'environRequest') environRequested = ev.requested;
    else if ((ev as { type: string }).type === 'mssp') {
      // The MSSP codec (when present) reports decoded variables.
      const vars = (ev as unknown as { variables?: Record<string, string | string[]> }).variables;
      if (vars !== undefined) mssp = vars;
    }
  });

  const timing: Record<string, number> = {};
  let probe: ProbeResults = {};
  let wrongDirection: Record<string, string> = {};
  let looped: string[] = [];
  let bannerBefore = '';
  let bannerAfter = '';
  const prompts: string[] = [];
  let states: Record<string, unknown> = {};
  try {
    await waitUntilOr(writer, () => false, left(options.settle ?? 500));
    bannerBefore = await input.untilQuiet(quiet, left(maxWait), maxBytes);
    // Prompt rounds: always answer once, then again while the output still asks something.
    let last = bannerBefore;
    for (let round = 0; round < 5 && !writer.isClosing() && left(1) > 0; round++) {
      const reply = promptReply(last, round === 0);
      if (reply === null) break;
      prompts.push(reply);
      writer.write(Buffer.from(reply, 'latin1'));
      await writer.drain();
      last = await input.untilQuiet(quiet, left(maxWait), maxBytes);
      bannerAfter += last;
      if (last === '' || bannerAfter.length >= maxBytes) break;
    }
    if (bannerAfter.length > maxBytes) bannerAfter = bannerAfter.slice(0, maxBytes);
    states = optionStates(writer);
    if (environRequested !== null) {
      // A bare name is "send all": the first of VAR, the second of USERVAR (telnetlib3 writes "*").
      let bare = 0;
      states.environ_requested = (environRequested as string[]).map((name) => (name === '' ? { type: bare++ === 0 ? 'VAR' : 'USERVAR', name: '*' } : { type: 'VAR', name }));
    }

    const t0 = Date.now();
    const base = scanType === 'full' ? ALL_PROBE_OPTIONS : QUICK_PROBE_OPTIONS;
    const set: ProbeOption[] = [...base, ...EXTENDED_OPTIONS].filter((p) => !CLIENT_ONLY_WILL.has(p.opt) && !MCCP.has(p.opt));
    const timeout = options.probeTimeout ?? PROBE_TIMEOUT_MS;
    probe = await probeOptions(writer, set, left(timeout));
    for (const p of EXTENDED_OPTIONS.filter((x) => MCCP.has(x.opt))) {
      if (writer.session.refused('remote').has(p.opt)) probe[p.name] = { status: 'WILL', opt: p.opt, description: p.description, already_negotiated: true };
    }
    wrongDirection = await wrongDirectionProbes(writer, left(timeout));
    const agreedRemote = set.filter((p) => writer.session.remoteEnabled(p.opt));
    const agreedLocal = [...CLIENT_ONLY_WILL].filter((o) => writer.session.localEnabled(o)).map((o) => ({ opt: o, name: optionKey(o), description: '' }));
    looped = await probeLoops(writer, agreedRemote, agreedLocal, left(300));
    timing.probe = (Date.now() - t0) / 1000;
    if (writer.session.remoteEnabled(Opt.MSSP) && mssp === null) {
      await waitUntilOr(writer, () => mssp !== null, left(Math.max(0, started + (options.msspWait ?? 5000) - Date.now())));
    }
  } finally {
    stop();
    timing.total = (Date.now() - started) / 1000;
  }

  const offered = Object.keys(probe).filter((n) => probe[n]!.status === 'WILL').sort();
  const refused = Object.keys(probe).filter((n) => probe[n]!.status !== 'WILL').sort();
  const requested = writer.session.enabledOptions('local').filter((o) => !(o === Opt.ECHO && wrongDirection['WILL ECHO'] === 'wrong-accept')).map(optionKey).sort();
  const fp = { 'probed-protocol': 'server' as const, 'scan-type': scanType, 'offered-options': offered, 'requested-options': requested, 'refused-options': refused };
  const sessionData: Record<string, unknown> = {
    option_states: states,
    scan_type: scanType,
    encoding,
    banner_before_return: decodeBanner(bannerBefore, encoding),
    banner_after_return: decodeBanner(bannerAfter, encoding),
    timing,
    prompt_replies: prompts,
    wrong_direction: wrongDirection,
    loop_detection: { looped },
    terminal_queries: { ...vt.answered },
    input: { received: input.received, dropped: input.overflow, eof: input.atEof },
  };
  if (mssp !== null) sessionData.mssp = mssp;
  const font: SynctermFont | null = vt.font;
  if (font !== null) sessionData.syncterm_font = font;
  const peer = writer.getExtraInfo<{ address?: string }>('peername');
  writer.close();
  clearTimeout(hardStop);
  await Promise.race([writer.waitClosed(), new Promise((r) => setTimeout(r, 1000).unref())]);
  return {
    'server-probe': { fingerprint: hashFingerprint(fp), 'fingerprint-data': fp, session_data: sessionData },
    sessions: [{ host, ip: peer?.address ?? host, port, connected: new Date(started).toISOString() }],
  };
}

/**
 * DO NAWS, DO TTYPE (client-only options a server should refuse) and WILL
 * ECHO (the client does not echo for the server): each recorded as
 * `correct-refuse`, `wrong-accept` or `timeout`; a wrong acceptance is
 * turned off again.
 */
async function wrongDirectionProbes(writer: TelnetWriter, timeoutMs: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const s = writer.session;
  const remote = [Opt.NAWS, Opt.TTYPE].filter((o) => s.optionState('remote', o).state === 'NO');
  const local = s.optionState('local', Opt.ECHO).state === 'NO' ? [Opt.ECHO] : [];
  if (writer.isClosing() || (remote.length === 0 && local.length === 0)) return out;
  for (const o of remote) writer.iac(Cmd.DO, o);
  for (const o of local) writer.iac(Cmd.WILL, o);
  await writer.drain();
  await waitUntilOr(writer, () => remote.every((o) => !s.pending('remote', o)) && local.every((o) => !s.pending('local', o)), timeoutMs);
  const verdict = (st: string): string => (st === 'YES' ? 'wrong-accept' : st === 'NO' ? 'correct-refuse' : 'timeout');
  for (const o of remote) {
    const st = s.optionState('remote', o).state;
    out[`DO ${optionKey(o)}`] = verdict(st);
    if (st === 'YES') writer.iac(Cmd.DONT, o);
  }
  for (const o of local) {
    const st = s.optionState('local', o).state;
    out[`WILL ${optionKey(o)}`] = verdict(st);
    if (st === 'YES') writer.iac(Cmd.WONT, o);
  }
  return out;
}
