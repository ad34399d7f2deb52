/**
 * Option probes shared by both fingerprints: ask the peer about many
 * options at once and record, per option, `WILL` / `WONT` / `timeout` (no
 * answer within the probe timeout), as telnetlib3's
 * `probe_client_capabilities` does; and the loop check, which repeats a
 * request the peer already agreed to: RFC 1143 says a peer must not answer
 * it, so one that answers again would loop with a naive implementation.
 */
import { Cmd, Opt } from '../protocol/constants.js';
import type { SessionEvent } from '../protocol/events.js';
import type { TelnetWriter } from '../engine/writer.js';
import type { ProbeOption } from './options.js';

/** telnetlib3's probe timeout. */
export const PROBE_TIMEOUT_MS = 500;
/** How long the loop check listens for repeated answers. */
export const LOOP_TIMEOUT_MS = 300;

/** The answer to one probed option. */
export interface ProbeResult {
  status: 'WILL' | 'WONT' | 'timeout';
  opt: number;
  description: string;
  /** Set when the option was already decided before the probe (nothing was sent). */
  already_negotiated?: true;
}

/** Probe results by option name. */
export type ProbeResults = Record<string, ProbeResult>;

/** Resolve after `ms`, or at once when the connection closes. */
function pause(writer: TelnetWriter, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void writer.waitClosed().then(() => { clearTimeout(t); resolve(); });
  });
}

/** Resolve when `check()` holds (re-checked after each option change), the timeout passes, or the connection closes. */
export async function waitUntilOr(writer: TelnetWriter, check: () => boolean, ms: number): Promise<boolean> {
  if (check()) return true;
  let timer: NodeJS.Timeout | null = null;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([writer.waitForCondition(check).then(() => true as const, () => false as const), timeout]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/**
 * Ask for every option at once (`DO` them: the peer's side; or `WILL` them,
 * our side, for wrong-direction probes), wait up to `timeoutMs` for all
 * answers, and classify each. Options already enabled are reported without
 * asking.
 */
export async function probeOptions(writer: TelnetWriter, options: readonly ProbeOption[], timeoutMs = PROBE_TIMEOUT_MS, direction: 'DO' | 'WILL' = 'DO'): Promise<ProbeResults> {
  const side = direction === 'DO' ? 'remote' : 'local';
  const s = writer.session;
  const results: ProbeResults = {};
  const asked: ProbeOption[] = [];
  for (const p of options) {
    if (p.opt === Opt.TM) continue;
    const st = s.optionState(side, p.opt).state;
    if (st === 'YES') results[p.name] = { status: 'WILL', opt: p.opt, description: p.description, already_negotiated: true };
    else asked.push(p);
  }
  if (writer.isClosing()) {
    for (const p of asked) results[p.name] = { status: 'timeout', opt: p.opt, description: p.description };
    return results;
  }
  for (const p of asked) writer.iac(direction === 'DO' ? Cmd.DO : Cmd.WILL, p.opt);
  await writer.drain();
  const answered = (): boolean => asked.every((p) => !s.pending(side, p.opt));
  await waitUntilOr(writer, answered, timeoutMs);
  for (const p of asked) {
    const st = s.optionState(side, p.opt).state;
    const status = st === 'YES' ? 'WILL' : st === 'NO' ? 'WONT' : 'timeout';
    results[p.name] = { status, opt: p.opt, description: p.description };
  }
  return results;
}

/**
 * The loop check: send `IAC DO` again for options the peer enabled (and
 * `IAC WILL` for ours it agreed to) and list those it answers a second
 * time within `timeoutMs`. Returns the names of the options that looped.
 */
export async function probeLoops(writer: TelnetWriter, remote: readonly ProbeOption[], local: readonly ProbeOption[] = [], timeoutMs = LOOP_TIMEOUT_MS): Promise<string[]> {
  const s = writer.session;
  const r = remote.filter((p) => s.remoteEnabled(p.opt));
  const l = local.filter((p) => s.localEnabled(p.opt));
  if ((r.length === 0 && l.length === 0) || writer.isClosing()) return [];
  const looped = new Set<string>();
  const byRemote = new Map(r.map((p) => [p.opt, p.name]));
  const byLocal = new Map(l.map((p) => [p.opt, p.name]));
  s.reportNegotiations = true;
  const stop = writer.onSessionEvent((ev: SessionEvent) => {
    if (ev.type !== 'negotiation') return;
    if (ev.verb === Cmd.WILL || ev.verb === Cmd.WONT) { const n = byRemote.get(ev.option); if (n !== undefined) looped.add(n); }
    if (ev.verb === Cmd.DO || ev.verb === Cmd.DONT) { const n = byLocal.get(ev.option); if (n !== undefined) looped.add(n); }
  });
  try {
    // Raw bytes on purpose: RFC 1143 would (rightly) suppress a request that changes nothing.
    const out: number[] = [];
    for (const p of r) out.push(Cmd.IAC, Cmd.DO, p.opt);
    for (const p of l) out.push(Cmd.IAC, Cmd.WILL, p.opt);
    writer.sendIac(Buffer.from(out));
    await writer.drain();
    await pause(writer, timeoutMs);
  } finally {
    stop();
    s.reportNegotiations = false;
  }
  return [...looped].sort();
}

/** Write terminal text whatever the writer's mode (latin-1 bytes on a byte connection). */
export function writeText(writer: TelnetWriter, text: string): void {
  if (writer.isClosing()) return;
  if (writer.binary) writer.write(Buffer.from(text, 'latin1'));
  else writer.write(text);
}
