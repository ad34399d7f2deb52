/**
 * The record of a probed client, in telnetlib3's shape and field names
 * (`fingerprinting.py`), so files from either implementation read alike:
 *
 *   { "telnet-probe": { "fingerprint": <hash>, "fingerprint-data": {...},
 *                       "session_data": {...} },
 *     "sessions": [ { "ip": ..., "connected": <ISO time> } ] }
 *
 * `fingerprint-data` is the anonymized protocol fingerprint (what is
 * hashed): which options the client agreed to and refused, how many
 * terminal types it cycled through, whether it sent HOME/USER/SHELL (as
 * "True"/"None", never the values), the encoding from LANG, a TERM
 * category, the agreed charset, and non-default SLC entries.
 * `session_data` holds the raw details of this session.
 */
import { Opt } from '../protocol/constants.js';
import { NSLC, SlcFlag, slcName } from '../protocol/options/slc.js';
import { encodingFromLang } from '../engine/encoding.js';
import type { TelnetWriter } from '../engine/writer.js';
import { hashFingerprint } from './hash.js';
import { PROTOCOL_MATCHED_TERMINALS, optionKey } from './options.js';
import type { ProbeResults } from './probe.js';

/** What the server-side probe learned beyond option answers. */
export interface ClientProbeExtras {
  /** Options the client answered a second time (loop check). */
  looped?: string[];
  /** Terminal answers (cursor position report and the like), by query name. */
  terminal?: Record<string, string | null>;
  /** Which probe set was used: `full`, `ms-telnet` or `full+mud`. */
  probeSet?: string;
}

/** The saved/printed record of one probed client. */
export interface ClientFingerprintRecord {
  'telnet-probe': {
    fingerprint: string;
    'fingerprint-data': Record<string, unknown>;
    session_data: Record<string, unknown>;
  };
  sessions: Array<{ ip: string | null; connected: string }>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The terminal types the client reported, in order (ttype1, ttype2, ...). */
export function ttypeCycle(writer: TelnetWriter): string[] {
  const out: string[] = [];
  for (let i = 1; i < 20; i++) {
    const v = str(writer.getExtraInfo(`ttype${i}`));
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

function termOf(writer: TelnetWriter): string | undefined {
  return str(writer.getExtraInfo('TERM')) ?? (writer.getExtraInfo('term') === 'unknown' ? undefined : str(writer.getExtraInfo('term')));
}

/** Non-default SLC entries (only when LINEMODE is on), as telnetlib3 files them. */
export function slcSummary(writer: TelnetWriter): Record<string, unknown> {
  if (!writer.remoteOption.enabled(Opt.LINEMODE)) return {};
  const table = writer.session.linemodeState.table;
  const set: Record<string, number> = {};
  const unset: string[] = [];
  const nosupport: string[] = [];
  for (let f = 1; f <= NSLC; f++) {
    const cur = table.get(f);
    const def = table.defaultOf(f);
    if (cur.flags === def.flags && cur.value === def.value) continue;
    const name = slcName(f);
    if ((cur.flags & SlcFlag.LEVELBITS) === SlcFlag.NOSUPPORT) nosupport.push(name);
    else if (cur.value === 0) unset.push(name);
    else set[name] = cur.value;
  }
  const out: Record<string, unknown> = {};
  if (Object.keys(set).length > 0) out.set = set;
  if (unset.length > 0) out.unset = unset.sort();
  if (nosupport.length > 0) out.nosupport = nosupport.sort();
  return out;
}

/** Requests of the client we refused (telnetlib3 `rejected_will` / `rejected_do`). */
export function rejectedOptions(writer: TelnetWriter): { will?: string[]; do?: string[] } {
  const out: { will?: string[]; do?: string[] } = {};
  const will = [...writer.session.refused('remote')].map(optionKey).sort();
  const dos = [...writer.session.refused('local')].map(optionKey).sort();
  if (will.length > 0) out.will = will;
  if (dos.length > 0) out.do = dos;
  return out;
}

/** The anonymized protocol fingerprint (the part that is hashed). */
export function clientProtocolFingerprint(writer: TelnetWriter, probe: ProbeResults): Record<string, unknown> {
  const fp: Record<string, unknown> = { 'probed-protocol': 'client' };
  for (const key of ['HOME', 'USER', 'SHELL']) {
    const v = writer.getExtraInfo(key);
    if (v !== undefined) fp[key] = v ? 'True' : 'None';
  }
  const lang = str(writer.getExtraInfo('LANG'));
  fp.encoding = (lang !== undefined ? encodingFromLang(lang) : null) ?? 'None';
  const term = termOf(writer);
  if (term === undefined) fp.TERM = 'None';
  else if (PROTOCOL_MATCHED_TERMINALS.has(term.toLowerCase())) fp.TERM = term.toLowerCase().replace(/^./, (c) => c.toUpperCase());
  else fp.TERM = term.toLowerCase().includes('ansi') ? 'Yes-ansi' : 'Yes';
  fp.charset = str(writer.getExtraInfo('charset')) ?? 'None';
  fp['ttype-count'] = ttypeCycle(writer).length;
  fp['supported-options'] = Object.keys(probe).filter((n) => probe[n]!.status === 'WILL').sort();
  fp['refused-options'] = Object.keys(probe).filter((n) => probe[n]!.status !== 'WILL').sort();
  const rej = rejectedOptions(writer);
  if (rej.will !== undefined) fp['rejected-will'] = rej.will;
  if (rej.do !== undefined) fp['rejected-do'] = rej.do;
  if (probe.LINEMODE?.status === 'WILL') {
    const slc = slcSummary(writer);
    if (Object.keys(slc).length > 0) fp.slc = slc;
  }
  return fp;
}

/** What identifies this session (hashed into the file name): the client's address and what it told us. */
export function clientSessionIdentity(writer: TelnetWriter): Record<string, unknown> {
  const id: Record<string, unknown> = {};
  const peer = writer.getExtraInfo<{ address?: string }>('peername');
  if (peer?.address !== undefined) id['client-ip'] = peer.address;
  const term = termOf(writer);
  if (term !== undefined) id.TERM = term;
  for (const key of ['USER', 'HOME', 'SHELL', 'LANG', 'charset']) {
    const v = str(writer.getExtraInfo(key));
    if (v !== undefined) id[key] = v;
  }
  return id;
}

/** Keys of the extra info that go to `session_data.extra` (values made JSON-safe). */
function collectExtra(writer: TelnetWriter): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  const keys = ['TERM', 'term', 'cols', 'rows', 'COLUMNS', 'LINES', 'charset', 'LANG', 'COLORTERM', 'tspeed', 'xdisploc', 'sndloc',
    'DISPLAY', 'USER', 'SHELL', 'HOME', 'PATH', 'LOGNAME', 'MAIL', 'timeout', 'lang'];
  for (const k of keys) {
    const v = writer.getExtraInfo(k);
    if (v === undefined || v === '') continue;
    // telnetlib3 keeps the idle timeout in seconds.
    extra[k] = Buffer.isBuffer(v) ? v.toString('hex') : k === 'timeout' && typeof v === 'number' ? v / 1000 : v;
  }
  if ('TERM' in extra) delete extra.term;
  if ('COLUMNS' in extra) delete extra.cols;
  if ('LINES' in extra) delete extra.rows;
  return extra;
}

function optionStates(writer: TelnetWriter): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const side of ['remote', 'local'] as const) {
    const entries: Record<string, boolean> = {};
    for (let opt = 0; opt < 256; opt++) {
      const st = writer.session.optionState(side, opt);
      // Options never touched stay out; anything negotiated is listed with its state.
      if (st.state === 'YES') entries[optionKey(opt)] = true;
      else if (st.state !== 'NO') entries[optionKey(opt)] = false;
    }
    for (const opt of writer.session.refused(side)) entries[optionKey(opt)] ??= false;
    if (Object.keys(entries).length > 0) out[side] = entries;
  }
  return out;
}

/** The raw details of this session (`session_data`). */
export function clientSessionData(writer: TelnetWriter, probe: ProbeResults, probeMs: number, extras: ClientProbeExtras = {}): Record<string, unknown> {
  const byStatus: Record<string, Record<string, number>> = {};
  for (const [name, r] of Object.entries(probe)) (byStatus[r.status] ??= {})[name] = r.opt;
  const data: Record<string, unknown> = {
    extra: collectExtra(writer),
    ttype_cycle: ttypeCycle(writer),
    option_states: optionStates(writer),
    probe: byStatus,
    timing: { duration: writer.duration / 1000, idle: writer.idle / 1000, probe: probeMs / 1000 },
  };
  if (probe.LINEMODE?.status === 'WILL') {
    const slc = slcSummary(writer);
    if (Object.keys(slc).length > 0) data.slc_tab = slc;
    data.linemode = { mode: writer.session.linemodeState.mode };
  }
  const rej = rejectedOptions(writer);
  if (rej.will !== undefined || rej.do !== undefined) data.rejected = rej;
  if (extras.looped !== undefined) data.loop_detection = { looped: extras.looped };
  if (extras.terminal !== undefined) data.terminal = extras.terminal;
  if (extras.probeSet !== undefined) data.probe_set = extras.probeSet;
  return data;
}

/** The whole record of one probed client. */
export function buildClientRecord(writer: TelnetWriter, probe: ProbeResults, probeMs: number, extras: ClientProbeExtras = {}, now = new Date()): ClientFingerprintRecord {
  const fp = clientProtocolFingerprint(writer, probe);
  const peer = writer.getExtraInfo<{ address?: string }>('peername');
  return {
    'telnet-probe': { fingerprint: hashFingerprint(fp), 'fingerprint-data': fp, session_data: clientSessionData(writer, probe, probeMs, extras) },
    sessions: [{ ip: peer?.address ?? null, connected: now.toISOString() }],
  };
}

