/**
 * Server-side harness for the interop tests: our `createServer` on
 * 127.0.0.1, port 0, with a small inline shell, recording what each
 * connection negotiated and which commands it ran.
 *
 * The inline shell stands in for telsh (src/shells/telsh.ts did not exist
 * when these tests were written) and mimics its surface: banner `Ready.`,
 * prompt `tel:sh> `, `help`, `info` (prints `TERM=... cols=... rows=...` so a
 * test sees what TTYPE and NAWS delivered) and `quit` (prints `Goodbye.` and
 * closes). Anything else gets `unknown command: ...`.
 */
import { Opt, cmdName, optName } from '../../src/protocol/constants.js';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { type ServerOptions, type TelnetServer, createServer } from '../../src/server.js';

export const BANNER = 'Ready.';
export const PROMPT = 'tel:sh> ';
export const GOODBYE = 'Goodbye.';

/** What one server connection saw. */
export interface ShellRecord {
  writer: TelnetWriter;
  reader: TelnetReader<any>;
  /** ms from TCP accept to the shell starting (negotiation time). */
  negotiationMs: number;
  /** Commands received, in order, trimmed. */
  commands: string[];
  /** Raw lines as read (with their line ends), for line-ending checks. */
  rawLines: string[];
  /** Snapshot of negotiated state taken when the shell started. */
  atStart: Snapshot;
  /** Snapshot taken at `quit` (or at EOF). */
  atEnd: Snapshot | null;
  /** Resolves when the shell returned. */
  finished: Promise<void>;
}

/** Negotiated state of one server connection. */
export interface Snapshot {
  term: unknown;
  ttypes: string[];
  cols: unknown;
  rows: unknown;
  local: string[];
  remote: string[];
  refusedLocal: string[];
  refusedRemote: string[];
  pending: string[];
  mode: string;
  lang: unknown;
  charset: unknown;
}

/** The option state of a connection, with names. */
export function snapshot(writer: TelnetWriter): Snapshot {
  const s = writer.session;
  const ttypes: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const v = writer.getExtraInfo<string>(`ttype${i}`);
    if (v === undefined) break;
    ttypes.push(v);
  }
  return {
    term: writer.getExtraInfo('TERM'),
    ttypes,
    cols: writer.getExtraInfo('cols'),
    rows: writer.getExtraInfo('rows'),
    local: writer.localOption.list().map(optName),
    remote: writer.remoteOption.list().map(optName),
    refusedLocal: [...s.refused('local')].sort((a, b) => a - b).map(optName),
    refusedRemote: [...s.refused('remote')].sort((a, b) => a - b).map(optName),
    pending: s.pendingRequests().map(([v, o]) => `${cmdName(v)} ${optName(o)}`),
    mode: writer.mode,
    lang: writer.getExtraInfo('LANG'),
    charset: writer.getExtraInfo('charset'),
  };
}

/** A running test server. */
export interface TestServer {
  server: TelnetServer;
  port: number;
  sessions: ShellRecord[];
  /** The next connection's record (resolves when its shell starts). */
  nextSession(ms?: number): Promise<ShellRecord>;
  close(): Promise<void>;
}

/** A shell to run instead of the inline one (e.g. telsh); the record then has no `commands`. */
export type ExternalShell = (reader: TelnetReader<any>, writer: TelnetWriter) => unknown;

/**
 * Start `createServer` on 127.0.0.1:0 with the inline shell, or with
 * `shell` (then `commands`/`rawLines` stay empty and `atEnd` is taken when
 * it returns).
 */
export async function startTestServer(options: Partial<ServerOptions> = {}, external?: ExternalShell): Promise<TestServer> {
  const sessions: ShellRecord[] = [];
  const waiting: Array<(r: ShellRecord) => void> = [];
  let taken = 0;
  const shell = (reader: TelnetReader<any>, writer: TelnetWriter): Promise<void> => {
    let done!: () => void;
    const rec: ShellRecord = {
      writer,
      reader,
      negotiationMs: writer.duration,
      commands: [],
      rawLines: [],
      atStart: snapshot(writer),
      atEnd: null,
      finished: new Promise<void>((r) => { done = r; }),
    };
    sessions.push(rec);
    const w = waiting.shift();
    if (w !== undefined) { taken++; w(rec); }
    const run = external === undefined
      ? runShell(rec)
      : Promise.resolve(external(reader, writer)).then(() => { rec.atEnd = snapshot(writer); });
    return run.finally(() => done());
  };
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    connectMaxwait: 1000,
    timeout: 20000,
    ...options,
    shell,
  });
  return {
    server,
    port: server.port,
    sessions,
    nextSession(ms = 8000) {
      if (taken < sessions.length) return Promise.resolve(sessions[taken++]!);
      return new Promise<ShellRecord>((resolve, reject) => {
        const t = setTimeout(() => {
          const i = waiting.indexOf(resolve);
          if (i !== -1) waiting.splice(i, 1);
          reject(new Error(`no server session started within ${ms} ms`));
        }, ms);
        waiting.push((r) => { clearTimeout(t); resolve(r); });
      });
    },
    async close() {
      server.close(200);
      await Promise.race([server.waitClosed(), new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

async function runShell(rec: ShellRecord): Promise<void> {
  const { reader, writer } = rec;
  writer.write(`${BANNER}\r\n`);
  for (;;) {
    writer.write(PROMPT);
    const raw: string = await reader.readline();
    if (raw.length === 0) break; // EOF
    rec.rawLines.push(raw);
    const cmd = raw.replace(/[\r\n\0]+$/u, '').trim();
    // Character-at-a-time clients (we said WILL ECHO) do not echo locally.
    writer.echo(`${cmd}\r\n`);
    if (cmd === '') continue;
    rec.commands.push(cmd);
    if (cmd === 'quit') {
      rec.atEnd = snapshot(writer);
      writer.write(`${GOODBYE}\r\n`);
      return;
    }
    if (cmd === 'help') {
      writer.write('commands: help info quit\r\n');
    } else if (cmd === 'info') {
      const s = snapshot(writer);
      writer.write(`TERM=${String(s.term ?? '-')} cols=${String(s.cols)} rows=${String(s.rows)}\r\n`);
    } else {
      writer.write(`unknown command: ${cmd}\r\n`);
    }
  }
  rec.atEnd = snapshot(writer);
}

export { Opt };
