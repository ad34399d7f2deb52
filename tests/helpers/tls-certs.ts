/**
 * Test certificates, made at test time with `openssl req` into a temp dir
 * (removed at exit): a self-signed certificate for `localhost` /
 * 127.0.0.1, and a second, unrelated one (a CA that does not sign the first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate and its key, as PEM, and where they are on disk. */
export interface TestCert {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface TestCerts {
  dir: string;
  /** Self-signed, CN=localhost, SAN DNS:localhost, IP:127.0.0.1. */
  localhost: TestCert;
  /** Self-signed, CN=other.invalid: verifying `localhost` against it fails. */
  other: TestCert;
}

let made: TestCerts | null = null;

/** Is `openssl` on PATH? */
export function haveOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

function makeOne(dir: string, name: string, cn: string, san: string): TestCert {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`,
  ], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`openssl req failed (${String(r.status)}): ${r.stderr}`);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** The test certificates (made once per process). */
export function testCerts(): TestCerts {
  if (made !== null) return made;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telnetlib3-tls-'));
  process.on('exit', () => { try { rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ } });
  made = {
    dir,
    localhost: makeOne(dir, 'localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    other: makeOne(dir, 'other', 'other.invalid', 'DNS:other.invalid'),
  };
  return made;
}
