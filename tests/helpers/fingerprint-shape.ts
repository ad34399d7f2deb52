/**
 * The documented shape of fingerprint records (docs/fingerprint.md), as a
 * checker for tests: returns the list of problems (empty when the record
 * fits).
 */
const HASH = /^[0-9a-f]{16}$/;
const STATUSES = new Set(['WILL', 'WONT', 'timeout']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStrList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

function sorted(list: string[]): boolean {
  return list.every((x, i) => i === 0 || list[i - 1]! <= x);
}

/** Problems with a client record (`telnet-probe`). */
export function clientRecordProblems(rec: unknown): string[] {
  const p: string[] = [];
  if (!isObj(rec)) return ['record is not an object'];
  const tp = rec['telnet-probe'];
  if (!isObj(tp)) return ['telnet-probe missing'];
  if (typeof tp.fingerprint !== 'string' || !HASH.test(tp.fingerprint)) p.push('fingerprint is not 16 hex digits');
  const fd = tp['fingerprint-data'];
  if (!isObj(fd)) p.push('fingerprint-data missing');
  else {
    if (fd['probed-protocol'] !== 'client') p.push('probed-protocol is not "client"');
    for (const k of ['encoding', 'TERM', 'charset']) if (typeof fd[k] !== 'string') p.push(`fingerprint-data.${k} not a string`);
    if (!Number.isInteger(fd['ttype-count'])) p.push('ttype-count not an integer');
    for (const k of ['supported-options', 'refused-options']) {
      if (!isStrList(fd[k])) p.push(`${k} not a list of strings`);
      else if (!sorted(fd[k] as string[])) p.push(`${k} not sorted`);
    }
    for (const k of ['rejected-will', 'rejected-do']) if (k in fd && !isStrList(fd[k])) p.push(`${k} not a list of strings`);
    for (const k of ['HOME', 'USER', 'SHELL']) if (k in fd && fd[k] !== 'True' && fd[k] !== 'None') p.push(`${k} not "True"/"None"`);
  }
  const sd = tp.session_data;
  if (!isObj(sd)) p.push('session_data missing');
  else {
    if (!isObj(sd.extra)) p.push('session_data.extra missing');
    if (!isStrList(sd.ttype_cycle)) p.push('ttype_cycle not a list of strings');
    if (!isObj(sd.option_states)) p.push('option_states missing');
    if (!isObj(sd.probe)) p.push('probe missing');
    else for (const [st, m] of Object.entries(sd.probe)) {
      if (!STATUSES.has(st)) p.push(`probe status ${st}`);
      if (!isObj(m) || !Object.values(m).every((v) => Number.isInteger(v))) p.push(`probe.${st} not name → option byte`);
    }
    if (!isObj(sd.timing) || typeof (sd.timing as Obj).probe !== 'number') p.push('timing.probe missing');
  }
  p.push(...sessionsProblems(rec.sessions, ['ip', 'connected']));
  return p;
}

/** Problems with a server record (`server-probe`). */
export function serverRecordProblems(rec: unknown): string[] {
  const p: string[] = [];
  if (!isObj(rec)) return ['record is not an object'];
  const sp = rec['server-probe'];
  if (!isObj(sp)) return ['server-probe missing'];
  if (typeof sp.fingerprint !== 'string' || !HASH.test(sp.fingerprint)) p.push('fingerprint is not 16 hex digits');
  const fd = sp['fingerprint-data'];
  if (!isObj(fd)) p.push('fingerprint-data missing');
  else {
    if (fd['probed-protocol'] !== 'server') p.push('probed-protocol is not "server"');
    if (fd['scan-type'] !== 'quick' && fd['scan-type'] !== 'full') p.push('scan-type');
    for (const k of ['offered-options', 'requested-options', 'refused-options']) {
      if (!isStrList(fd[k])) p.push(`${k} not a list of strings`);
      else if (!sorted(fd[k] as string[])) p.push(`${k} not sorted`);
    }
    if (Object.keys(fd).length !== 5) p.push(`fingerprint-data has extra keys: ${Object.keys(fd).join(',')}`);
  }
  const sd = sp.session_data;
  if (!isObj(sd)) p.push('session_data missing');
  else {
    if (!isObj(sd.option_states) || !isObj((sd.option_states as Obj).server_offered) || !isObj((sd.option_states as Obj).server_requested)) {
      p.push('option_states.server_offered / server_requested missing');
    }
    for (const k of ['banner_before_return', 'banner_after_return', 'encoding', 'scan_type']) if (typeof sd[k] !== 'string') p.push(`session_data.${k} not a string`);
    if (!isObj(sd.timing) || typeof (sd.timing as Obj).total !== 'number') p.push('timing.total missing');
  }
  p.push(...sessionsProblems(rec.sessions, ['host', 'ip', 'port', 'connected']));
  return p;
}

function sessionsProblems(sessions: unknown, keys: string[]): string[] {
  if (!Array.isArray(sessions) || sessions.length === 0) return ['sessions is not a non-empty list'];
  const p: string[] = [];
  for (const s of sessions) {
    if (!isObj(s)) { p.push('a session is not an object'); continue; }
    for (const k of keys) if (!(k in s)) p.push(`session without ${k}`);
    if (typeof s.connected !== 'string' || Number.isNaN(Date.parse(s.connected))) p.push('session.connected is not an ISO time');
  }
  return p;
}
