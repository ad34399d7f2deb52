/**
 * A blocking client (telnetlib3's `blocking_client`): `TelnetConnection`
 * reads and writes without async. Each line typed is sent, and the answer
 * printed, until the server says goodbye or input ends.
 *
 *   node dist/bin/examples/blocking-client.js [host] [port]
 *
 * In your own project, import from 'telnetlib3/sync' instead of '../../src/...'.
 */
import fs from 'node:fs';
import { TelnetConnection } from '../../src/sync/index.js';

const host = process.argv[2] ?? 'localhost';
const port = Number(process.argv[3] ?? 6023);

/** One line from stdin, blocking (null at the end of input). */
function inputLine(prompt: string): string | null {
  process.stdout.write(prompt);
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, one, 0, 1, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw err;
    }
    if (n === 0) return bytes.length > 0 ? Buffer.from(bytes).toString('utf8') : null;
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]!);
  }
}

console.log(`Connecting to ${host}:${port}...`);
{
  using conn = new TelnetConnection(host, port, { timeout: 10_000 });
  conn.connect();
  console.log(`Connected to ${host}:${port}`);
  // The greeting: what arrives until the server is quiet for 300 ms (waiting up to 2 s for the first of it).
  try {
    process.stdout.write(conn.readSome(2000));
    for (;;) process.stdout.write(conn.readSome(300));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_TELNET_TIMEOUT') throw err;
  }
  for (;;) {
    const line = inputLine('>>> ');
    if (line === null) {
      console.log('\nDisconnecting...');
      break;
    }
    conn.write(`${line}\r\n`);
    let response = '';
    try {
      response = conn.readUntil('\n', 5000);
      process.stdout.write(response);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_TELNET_TIMEOUT') { console.log('(no response)'); continue; }
      if (code === 'ERR_TELNET_CLOSED') break;
      throw err;
    }
    if (response.toLowerCase().includes('goodbye')) break;
  }
}
console.log('Connection closed.');
