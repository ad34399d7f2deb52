/**
 * Saving fingerprint records under the data directory, in telnetlib3's
 * layout so its tools (and ours) read either's files:
 *
 *   <data-dir>/client/<telnet-hash>/<terminal-hash>/<session-hash>.json
 *   <data-dir>/server/<protocol-hash>/<session-hash>.json
 *   <data-dir>/fingerprint_names.json        hash → name
 *
 * `<terminal-hash>` is sixteen zeros until a terminal probe names it (then
 * later sessions of the same protocol hash go to that folder). A session
 * seen again is updated in place: its `sessions` list grows. Caps keep a
 * public service's disk use bounded: at most `maxFingerprints` protocol
 * folders and `maxFiles` files per folder (telnetlib3's environment knobs
 * `TELNETLIB3_FINGERPRINT_MAX_FINGERPRINTS` / `..._MAX_FILES`, 1000 each).
 * Files are written atomically (write `.json.new`, then rename), JSON
 * indented by 2 with sorted keys, as telnetlib3 writes them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TelnetError } from '../protocol/errors.js';
import { hashFingerprint } from './hash.js';

/** The terminal folder used before any terminal probe named one. */
export const UNKNOWN_TERMINAL_HASH = '0'.repeat(16);
/** Default caps (telnetlib3 4.0.5). */
export const DEFAULT_MAX_FILES = 1000;
export const DEFAULT_MAX_FINGERPRINTS = 1000;

/** Where and how much to save. */
export interface StoreOptions {
  /** The data directory; undefined means `$TELNETLIB3_DATA_DIR`, and then nothing is saved without one. */
  dataDir?: string;
  maxFiles?: number;
  maxFingerprints?: number;
  /** Told why a record was not saved. */
  warn?: (message: string) => void;
}

/** The data directory from options or the environment, or null. */
export function resolveDataDir(dataDir?: string): string | null {
  const d = dataDir ?? process.env.TELNETLIB3_DATA_DIR;
  return d !== undefined && d !== '' ? d : null;
}

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isSafeInteger(n) && n >= 0 && process.env[name] !== '' ? n : fallback;
}

/** JSON as telnetlib3 writes it: sorted keys, indent 2. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Write JSON atomically (`.json.new`, then rename). */
export function atomicJsonWrite(file: string, data: unknown): void {
  const tmp = `${file.replace(/\.json$/, '')}.json.new`;
  fs.writeFileSync(tmp, `${sortedJson(data)}\n`);
  fs.renameSync(tmp, file);
}

function countDirs(dir: string): number {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
  } catch {
    return 0;
  }
}

function countJson(dir: string): number {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/**
 * Save into `targetDir/<sessionHash>.json`: a new file (within the caps),
 * or the existing one with this session appended and `probeKey`'s data
 * refreshed. Returns the path, or null when skipped.
 */
function saveInto(sideDir: string, targetDir: string, sessionHash: string, data: Record<string, unknown>, probeKey: string, opts: StoreOptions): string | null {
  const warn = opts.warn ?? (() => {});
  const maxFiles = opts.maxFiles ?? envInt('TELNETLIB3_FINGERPRINT_MAX_FILES', DEFAULT_MAX_FILES);
  const maxFps = opts.maxFingerprints ?? envInt('TELNETLIB3_FINGERPRINT_MAX_FINGERPRINTS', DEFAULT_MAX_FINGERPRINTS);
  const file = path.join(targetDir, `${sessionHash}.json`);
  try {
    if (!fs.existsSync(targetDir)) {
      if (countDirs(sideDir) >= maxFps) { warn(`max fingerprints (${maxFps}) reached: not saving ${path.basename(targetDir)}`); return null; }
      fs.mkdirSync(targetDir, { recursive: true });
    } else if (!fs.existsSync(file) && countJson(targetDir) >= maxFiles) {
      warn(`fingerprint folder ${targetDir} has ${maxFiles} files: not saving`);
      return null;
    }
    if (fs.existsSync(file)) {
      try {
        const old = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
        old[probeKey].session_data = (data[probeKey] as Record<string, unknown>).session_data;
        old.sessions.push(...(data.sessions as unknown[]));
        atomicJsonWrite(file, old);
        return file;
      } catch (err) {
        warn(`cannot update ${file}: ${(err as Error).message}; rewriting it`);
      }
    }
    atomicJsonWrite(file, data);
    return file;
  } catch (err) {
    warn(`cannot save fingerprint: ${(err as Error).message}`);
    return null;
  }
}

/** Save a client record (from the server-side probe). Returns the file, or null. */
export function saveClientRecord(record: { 'telnet-probe': { fingerprint: string } }, identity: Record<string, unknown>, opts: StoreOptions = {}): string | null {
  const dir = resolveDataDir(opts.dataDir);
  if (dir === null) return null;
  const sideDir = path.join(dir, 'client');
  const telnetDir = path.join(sideDir, record['telnet-probe'].fingerprint);
  let probeDir = path.join(telnetDir, UNKNOWN_TERMINAL_HASH);
  try {
    for (const e of fs.readdirSync(telnetDir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== UNKNOWN_TERMINAL_HASH) { probeDir = path.join(telnetDir, e.name); break; }
    }
  } catch { /* new fingerprint */ }
  // The cap counts protocol folders, so check it against the telnet folder.
  if (!fs.existsSync(telnetDir)) {
    const maxFps = opts.maxFingerprints ?? envInt('TELNETLIB3_FINGERPRINT_MAX_FINGERPRINTS', DEFAULT_MAX_FINGERPRINTS);
    if (countDirs(sideDir) >= maxFps) { opts.warn?.(`max fingerprints (${maxFps}) reached: not saving`); return null; }
  }
  return saveInto(telnetDir, probeDir, hashFingerprint(identity), record as unknown as Record<string, unknown>, 'telnet-probe', { ...opts, maxFingerprints: Number.MAX_SAFE_INTEGER });
}

/** Save a server record (from the client-side probe) under the data dir, or to `savePath`. */
export function saveServerRecord(record: { 'server-probe': { fingerprint: string }; sessions: Array<{ host: string; port: number; ip: string }> }, opts: StoreOptions & { savePath?: string } = {}): string | null {
  if (opts.savePath !== undefined) {
    const d = path.dirname(opts.savePath);
    if (d !== '') fs.mkdirSync(d, { recursive: true });
    atomicJsonWrite(opts.savePath, record);
    return opts.savePath;
  }
  const dir = resolveDataDir(opts.dataDir);
  if (dir === null) return null;
  const s = record.sessions[0]!;
  const sideDir = path.join(dir, 'server');
  return saveInto(sideDir, path.join(sideDir, record['server-probe'].fingerprint), hashFingerprint({ host: s.host, port: s.port, ip: s.ip }),
    record as unknown as Record<string, unknown>, 'server-probe', opts);
}

/** Name a fingerprint hash in `<data-dir>/fingerprint_names.json`. */
export function saveFingerprintName(hash: string, name: string, dataDir?: string): string {
  const dir = resolveDataDir(dataDir);
  if (dir === null) throw new TelnetError('--set-name needs --data-dir or $TELNETLIB3_DATA_DIR', 'ERR_TELNET_NO_DATA_DIR');
  const clean = name.trim();
  if (clean === '' || /[\x00-\x1f\x7f]/.test(clean)) throw new TelnetError(`not a usable name: ${JSON.stringify(name)}`, 'ERR_TELNET_BAD_NAME');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'fingerprint_names.json');
  let names: Record<string, string> = {};
  try { names = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>; } catch { /* new file */ }
  names[hash] = clean;
  atomicJsonWrite(file, names);
  return file;
}

/** The hash → name map, or empty. */
export function loadFingerprintNames(dataDir?: string): Record<string, string> {
  const dir = resolveDataDir(dataDir);
  if (dir === null) return {};
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'fingerprint_names.json'), 'utf8')) as Record<string, string>; } catch { return {}; }
}
