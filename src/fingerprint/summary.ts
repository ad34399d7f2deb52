/**
 * A readable summary of a fingerprint record, as a two-column text table
 * (CR LF line ends, ASCII only, so any terminal and any Telnet client shows
 * it): what the person sees at the end of a probe.
 */

/** Render `rows` as a boxed two-column table, wrapping long values at `width`. */
export function renderTable(title: string, rows: Array<[string, string]>, width = 76): string {
  const keyW = Math.max(...rows.map(([k]) => k.length), 4);
  const valW = Math.max(20, width - keyW - 7);
  const line = `+${'-'.repeat(keyW + 2)}+${'-'.repeat(valW + 2)}+`;
  const out = [line, `| ${title.slice(0, keyW + valW + 3).padEnd(keyW + valW + 3)} |`, line];
  for (const [k, v] of rows) {
    const parts = wrap(v === '' ? '-' : v, valW);
    parts.forEach((p, i) => out.push(`| ${(i === 0 ? k : '').padEnd(keyW)} | ${p.padEnd(valW)} |`));
  }
  out.push(line);
  return `${out.join('\r\n')}\r\n`;
}

function wrap(text: string, w: number): string[] {
  // Printable ASCII only: a peer's strings (TERM, banners) must not drive the viewer's terminal.
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  const words = clean.split(/(?<=[ ,])/);
  const lines: string[] = [];
  let cur = '';
  for (const word of words) {
    if ((cur + word).length > w && cur !== '') { lines.push(cur.trimEnd()); cur = ''; }
    let rest = word;
    while (rest.length > w) { lines.push(rest.slice(0, w)); rest = rest.slice(w); }
    cur += rest;
  }
  if (cur !== '' || lines.length === 0) lines.push(cur.trimEnd());
  return lines;
}

const list = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : v === undefined ? '' : String(v));

/** The summary of a client record (server-side probe). */
export function summarizeClient(record: { 'telnet-probe': { fingerprint: string; 'fingerprint-data': Record<string, any>; session_data: Record<string, any> } }, savedAs: string | null, name?: string): string {
  const p = record['telnet-probe'];
  const fp = p['fingerprint-data'];
  const sd = p.session_data;
  const extra = sd.extra ?? {};
  const timeouts = Object.keys(sd.probe?.timeout ?? {}).sort();
  const wont = Object.keys(sd.probe?.WONT ?? {}).sort();
  const rows: Array<[string, string]> = [
    ['Fingerprint', name !== undefined ? `${p.fingerprint} (${name})` : p.fingerprint],
    ['Terminal types', list(sd.ttype_cycle)],
    ['TERM', String(extra.TERM ?? extra.term ?? '')],
    ['Window', extra.COLUMNS ?? extra.cols ? `${extra.COLUMNS ?? extra.cols}x${extra.LINES ?? extra.rows}` : ''],
    ['Encoding', `${fp.encoding} (charset ${fp.charset})`],
    ['Will', list(fp['supported-options'])],
    ['Wont', list(wont)],
    ['No answer', list(timeouts)],
  ];
  if (fp['rejected-will'] !== undefined || fp['rejected-do'] !== undefined) {
    rows.push(['We refused', [fp['rejected-will'] ? `WILL ${list(fp['rejected-will'])}` : '', fp['rejected-do'] ? `DO ${list(fp['rejected-do'])}` : ''].filter(Boolean).join('; ')]);
  }
  if (sd.loop_detection !== undefined) rows.push(['Answered twice', list(sd.loop_detection.looped) || 'none']);
  if (fp.slc !== undefined) rows.push(['SLC', JSON.stringify(fp.slc)]);
  if (sd.terminal !== undefined) {
    for (const [k, v] of Object.entries(sd.terminal as Record<string, string | null>)) rows.push([k, v === null ? 'no answer' : JSON.stringify(v)]);
  }
  rows.push(['Probe time', `${Number(sd.timing?.probe ?? 0).toFixed(2)} s`]);
  rows.push(['Saved', savedAs ?? 'not saved (no data directory)']);
  return renderTable('telnetlib3 client fingerprint', rows);
}

/** The summary of a server record (client-side probe). */
export function summarizeServer(record: { 'server-probe': { fingerprint: string; 'fingerprint-data': Record<string, any>; session_data: Record<string, any> }; sessions: Array<Record<string, unknown>> }, savedAs: string | null): string {
  const p = record['server-probe'];
  const fp = p['fingerprint-data'];
  const sd = p.session_data;
  const s = record.sessions[0] ?? {};
  const rows: Array<[string, string]> = [
    ['Fingerprint', p.fingerprint],
    ['Server', `${s.host}:${s.port} (${s.ip})`],
    ['Offered (WILL)', list(fp['offered-options'])],
    ['Requested (DO)', list(fp['requested-options'])],
    ['Refused', list(fp['refused-options'])],
    ['Wrong direction', sd.wrong_direction ? JSON.stringify(sd.wrong_direction) : ''],
    ['Answered twice', list(sd.loop_detection?.looped) || 'none'],
    ['Banner bytes', `${String(sd.banner_before_return ?? '').length} + ${String(sd.banner_after_return ?? '').length}`],
    ['Total time', `${Number(sd.timing?.total ?? 0).toFixed(2)} s`],
    ['Saved', savedAs ?? 'not saved'],
  ];
  if (sd.syncterm_font !== undefined) rows.splice(6, 0, ['SyncTERM font', JSON.stringify(sd.syncterm_font)]);
  return renderTable('telnetlib3 server fingerprint', rows);
}
