/**
 * The CLIs' TLS flags, under telnetlib3's names:
 *
 *   telnetlib3-server --ssl-certfile F [--ssl-keyfile F] [--tls-auto [SECONDS]]
 *   telnetlib3-client --ssl [--ssl-cafile F] [--ssl-no-verify]
 *
 * The files are read here; the library takes PEM contents.
 */
import fs from 'node:fs';
import type tls from 'node:tls';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Parsed server TLS flags. */
export interface ServerTlsFlags {
  sslCertfile?: string;
  sslKeyfile?: string;
  tlsAuto?: number | boolean;
}

/** Parsed client TLS flags. */
export interface ClientTlsFlags {
  ssl?: boolean;
  sslCafile?: string;
  sslNoVerify?: boolean;
}

function secondsOrBare(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected seconds >= 0.');
  return n;
}

/** Add --ssl-certfile, --ssl-keyfile, --tls-auto to the server's command. */
export function addServerTlsFlags(cmd: Command): Command {
  return cmd
    .option('--ssl-certfile <path>', 'serve TLS ("telnets") with this PEM certificate (chain); the key may be in the same file')
    .option('--ssl-keyfile <path>', 'the PEM private key of --ssl-certfile (default: read from the certificate file)')
    .addOption(new Option('--tls-auto [seconds]', 'accept TLS and plain Telnet on the same port: a client that sends nothing is plain after SECONDS (bare flag: 0.5); needs --ssl-certfile')
      .argParser(secondsOrBare));
}

function readPem(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new Error(`${what} ${path}: ${(err as Error).message}`);
  }
}

/** The server options for the flags (empty when TLS is off); throws a message for bad combinations. */
export function serverTlsOptions(o: ServerTlsFlags): { tls?: tls.TlsOptions; tlsAuto?: number } {
  const auto = o.tlsAuto === true ? 0.5 : typeof o.tlsAuto === 'number' ? o.tlsAuto : 0;
  if (o.sslCertfile === undefined) {
    if (o.sslKeyfile !== undefined) throw new Error('--ssl-keyfile needs --ssl-certfile');
    if (auto > 0) throw new Error('--tls-auto needs --ssl-certfile');
    return {};
  }
  const cert = readPem(o.sslCertfile, '--ssl-certfile');
  const key = o.sslKeyfile !== undefined ? readPem(o.sslKeyfile, '--ssl-keyfile') : cert;
  const out: { tls: tls.TlsOptions; tlsAuto?: number } = { tls: { cert, key } };
  if (auto > 0) out.tlsAuto = Math.max(1, Math.round(auto * 1000));
  return out;
}

/** Add --ssl, --ssl-cafile, --ssl-no-verify to the client's command. */
export function addClientTlsFlags(cmd: Command): Command {
  return cmd
    .option('--ssl', 'connect over TLS ("telnets"), verifying the server certificate against the system CAs and the host name')
    .option('--ssl-cafile <path>', 'with --ssl: trust the CA certificate(s) in this PEM file instead of the system CAs (implies --ssl)')
    .option('--ssl-no-verify', 'with --ssl: do not verify the certificate or host name (implies --ssl; insecure)');
}

/** The client's `tls` option for the flags (undefined: plain). */
export function clientTlsOption(o: ClientTlsFlags): true | tls.ConnectionOptions | undefined {
  if (o.ssl !== true && o.sslCafile === undefined && o.sslNoVerify !== true) return undefined;
  const opts: tls.ConnectionOptions = {};
  if (o.sslCafile !== undefined) opts.ca = readPem(o.sslCafile, '--ssl-cafile');
  if (o.sslNoVerify === true) opts.rejectUnauthorized = false;
  return Object.keys(opts).length === 0 ? true : opts;
}
