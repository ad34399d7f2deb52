/**
 * The fingerprinting shell (telnetlib3's `fingerprinting_server_shell`):
 * run by a server for each connecting client, after the usual negotiation
 * (TTYPE cycle, NAWS, NEW_ENVIRON, CHARSET). It
 *
 * 1. probes the client's options at once (`IAC DO` each, {@link PROBE_TIMEOUT_MS}):
 *    core + COM-PORT + the 32 legacy options; only the core set and
 *    COM-PORT for what looks like Microsoft telnet (ttype1 `ANSI`, ttype2
 *    `VT100` or none: a burst of legacy DOs crashes it); then the MUD options
 *    (by number only) for clients whose terminal type names a MUD client;
 * 2. repeats the requests the client agreed to and notes a client that
 *    answers again (the loop check);
 * 3. asks the terminal for a cursor position report and device attributes
 *    (answers recorded, not hashed: a person's terminal differs from run to run);
 * 4. builds the record (client-record.ts), saves it under the data
 *    directory (store.ts), runs the optional post-script on the saved file,
 *    and shows the person a summary table; then the connection closes.
 *
 * SyncTERM clients are switched to the Topaz font, as telnetlib3 does.
 */
import { spawn } from 'node:child_process';
import { Cmd, Opt } from '../protocol/constants.js';
import type { Logger } from '../engine/logger.js';
import type { TelnetReader } from '../engine/reader.js';
import type { TelnetWriter } from '../engine/writer.js';
import { type ClientFingerprintRecord, buildClientRecord, clientSessionIdentity, ttypeCycle } from './client-record.js';
import { InputPump } from './input.js';
import {
  ALL_PROBE_OPTIONS, CORE_OPTIONS, EXTENDED_OPTIONS, MUD_OPTIONS, MUD_TERMINALS, type ProbeOption,
} from './options.js';
import { PROBE_TIMEOUT_MS, type ProbeResults, probeLoops, probeOptions, writeText } from './probe.js';
import { loadFingerprintNames, saveClientRecord } from './store.js';
import { summarizeClient } from './summary.js';

/** Options of {@link makeFingerprintShell}. */
export interface FingerprintShellOptions {
  /** Where records go (default `$TELNETLIB3_DATA_DIR`; none: nothing is saved). */
  dataDir?: string;
  /** Probe timeout in ms (default 500, telnetlib3's). */
  probeTimeout?: number;
  /** How long to wait for each terminal answer, ms (default 1,000; 0 skips the terminal queries). */
  terminalTimeout?: number;
  /**
   * A program run with the saved file's path as its argument (default
   * `$TELNETLIB3_FINGERPRINT_POST_SCRIPT`); its output is shown to the client.
   */
  postScript?: string;
  /** Longest the post-script may run, ms (default 30,000). */
  postScriptTimeout?: number;
  /** Show the summary table (default true). */
  summary?: boolean;
  /** Called with each finished record and where it was saved (tests, services). */
  onRecord?: (record: ClientFingerprintRecord, file: string | null) => void;
  logger?: Logger;
}

/** Whether the client looks like Microsoft telnet (reduced probe). */
export function isMaybeMsTelnet(writer: TelnetWriter): boolean {
  const t1 = String(writer.getExtraInfo('ttype1') ?? '').toUpperCase();
  if (t1 !== 'ANSI') return false;
  const t2 = String(writer.getExtraInfo('ttype2') ?? '').toUpperCase();
  return t2 === '' || t2 === 'VT100';
}

/** Whether the client's terminal type names a MUD client (then MUD options are probed too). */
export function isMaybeMud(writer: TelnetWriter): boolean {
  const names = [writer.getExtraInfo('TERM'), ...ttypeCycle(writer).slice(0, 3)];
  if (names.some((n) => typeof n === 'string' && MUD_TERMINALS.has(n.toLowerCase()))) return true;
  // A client that volunteered a MUD option is one too.
  return EXTENDED_OPTIONS.some((p) => writer.session.remoteEnabled(p.opt) || writer.session.localEnabled(p.opt));
}

/** The probes of one client: option answers, loop check, probe time and which set was used. */
export async function probeClient(writer: TelnetWriter, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ results: ProbeResults; ms: number; looped: string[]; probeSet: string }> {
  const start = Date.now();
  const ms = isMaybeMsTelnet(writer);
  const set: readonly ProbeOption[] = ms ? [...CORE_OPTIONS, ...MUD_OPTIONS] : ALL_PROBE_OPTIONS;
  const results = await probeOptions(writer, set, timeoutMs);
  let probeSet = ms ? 'ms-telnet' : 'full';
  if (isMaybeMud(writer) && !writer.isClosing()) {
    Object.assign(results, await probeOptions(writer, EXTENDED_OPTIONS, timeoutMs));
    probeSet += '+mud';
  }
  const agreed = Object.values(results).filter((r) => r.status === 'WILL').map((r) => set.concat(EXTENDED_OPTIONS).find((p) => p.opt === r.opt)!);
  const looped = await probeLoops(writer, agreed);
  return { results, ms: Date.now() - start, looped, probeSet };
}

/** Ask the terminal for a cursor position report (ESC[6n) and device attributes (ESC[c). */
async function terminalAnswers(writer: TelnetWriter, input: InputPump, ms: number): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  // A client without a terminal type (a script, Python's telnetlib) would only print the query.
  if (ms <= 0 || writer.isClosing() || ttypeCycle(writer).length === 0) return out;
  writeText(writer, '\x1b[6n');
  await writer.drain();
  const cpr = await input.waitFor(/\x1b\[(\d+);(\d+)R/, ms);
  out.cpr = cpr === null ? null : cpr[0].slice(1);
  if (cpr === null) return out;
  // Only a terminal that answered CPR is asked more (a dumb client would print the bytes).
  writeText(writer, '\x1b[c');
  await writer.drain();
  const da = await input.waitFor(/\x1b\[\?[\d;]*c/, ms);
  out.da = da === null ? null : da[0].slice(1);
  input.take();
  return out;
}

/** Run the post-script on the saved file; its output (bounded) goes to the client. */
function runPostScript(writer: TelnetWriter, command: string, file: string, ms: number, logger?: Logger): Promise<void> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TELNETLIB3_FINGERPRINT_FILE: file } });
    } catch (err) {
      logger?.warn(`post-script ${command}: ${(err as Error).message}`);
      resolve();
      return;
    }
    let sent = 0;
    const relay = (b: Buffer): void => {
      if (sent > 1024 * 1024) return;
      sent += b.length;
      writeText(writer, b.toString('latin1').replace(/\r?\n/g, '\r\n'));
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    const t = setTimeout(() => { logger?.warn(`post-script ${command} ran over ${ms} ms: killed`); child.kill('SIGKILL'); }, ms);
    child.on('error', (err) => { logger?.warn(`post-script ${command}: ${err.message}`); });
    child.on('close', (code) => {
      clearTimeout(t);
      if (code !== 0 && code !== null) logger?.warn(`post-script ${command} exited ${code}`);
      resolve();
    });
  });
}

/** A fingerprinting shell with these options. */
export function makeFingerprintShell(options: FingerprintShellOptions = {}): (reader: TelnetReader<any>, writer: TelnetWriter) => Promise<void> {
  return async (reader, writer) => {
    const input = new InputPump(reader, 64 * 1024);
    const probe = await probeClient(writer, options.probeTimeout ?? PROBE_TIMEOUT_MS);
    if (String(writer.getExtraInfo('TERM') ?? '').toLowerCase() === 'syncterm') writeText(writer, '\x1b[0;40 D');
    const terminal = await terminalAnswers(writer, input, options.terminalTimeout ?? 1000);
    const record = buildClientRecord(writer, probe.results, probe.ms, { looped: probe.looped, terminal, probeSet: probe.probeSet });
    const file = saveClientRecord(record, clientSessionIdentity(writer), { dataDir: options.dataDir, warn: (m) => options.logger?.warn(m) });
    options.logger?.info(`fingerprint ${record['telnet-probe'].fingerprint}${file !== null ? ` saved to ${file}` : ''}`);
    try {
      options.onRecord?.(record, file);
    } catch (err) {
      options.logger?.warn(`onRecord threw: ${(err as Error).message}`);
    }
    if (probe.results.LINEMODE?.status === 'WILL' && !writer.isClosing()) writer.iac(Cmd.DONT, Opt.LINEMODE);
    if (options.summary !== false) {
      const name = loadFingerprintNames(options.dataDir)[record['telnet-probe'].fingerprint];
      writeText(writer, `\r\n${summarizeClient(record, file, name)}`);
    }
    const post = options.postScript ?? process.env.TELNETLIB3_FINGERPRINT_POST_SCRIPT;
    if (file !== null && post !== undefined && post !== '' && !writer.isClosing()) {
      await runPostScript(writer, post, file, options.postScriptTimeout ?? 30000, options.logger);
    }
    await writer.drain();
  };
}

/** The fingerprinting shell with default options (for `telnetlib3-server --shell fingerprint`). */
export const fingerprintShell = makeFingerprintShell();
