/**
 * A TLS ("telnets") server (telnetlib3's `server_tls`): greets with the
 * TLS version and cipher, echoes one line, and hangs up. With `--tls-auto`
 * plain Telnet clients are served on the same port too.
 *
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
 *     -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem
 *   node dist/bin/examples/server-tls.js cert.pem key.pem [host] [port] [--tls-auto]
 *   telnetlib3-client --ssl --ssl-cafile cert.pem localhost 6023
 *   openssl s_client -connect localhost:6023 -CAfile cert.pem -quiet
 *
 * In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

export async function shell(reader: TelnetReader<string>, writer: TelnetWriter): Promise<void> {
  const version = writer.getExtraInfo<string>('tlsVersion');
  const cipher = writer.getExtraInfo<{ name: string }>('cipher');
  writer.write(version === undefined ? 'Hello over plain Telnet.\r\n' : `Hello over ${version} (${cipher?.name ?? '?'}).\r\n`);
  writer.write('Say something: ');
  const line = await reader.readline();
  writer.write(`\r\nYou said: ${line.trim()}\r\n`);
  await writer.drain();
  writer.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--tls-auto');
  const [certFile, keyFile, host = '127.0.0.1', port = '6023'] = args;
  if (certFile === undefined || keyFile === undefined) {
    console.error('usage: server-tls CERT.pem KEY.pem [host] [port] [--tls-auto]');
    process.exit(1);
  }
  const server = await createServer({
    host, port: Number(port), shell,
    tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    tlsAuto: process.argv.includes('--tls-auto'),
  });
  console.log(`listening on ${host}:${server.port}`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
