/**
 * Log in to a router, run three commands, parse the output: written for
 * npm `telnet-client`; only the import changed.
 *
 *   node dist/bin/examples/router-telnet-client.js 127.0.0.1 6023 admin secret
 *
 * In your own project: import { Telnet } from 'telnetlib3/compat/telnet-client'.
 */
import { Telnet } from '../../compat/telnet-client.js';      // was: import { Telnet } from 'telnet-client'
import { parseRouter } from './router-parse.js';

const [host = '127.0.0.1', port = '23', username = 'admin', password = 'secret'] = process.argv.slice(2);

const connection = new Telnet();
await connection.connect({
  host, port: Number(port), username, password,
  loginPrompt: /Username[: ]*$/i, passwordPrompt: /Password[: ]*$/i, failedLoginMatch: /Login invalid/,
  shellPrompt: /[\w.-]+(?:\([\w-]+\))?#/, pageSeparator: '--More--',
  timeout: 10_000, execTimeout: 10_000,
});
// telnet-client's exec keeps the prompt's line as a trailing empty line and leaves pager remnants: clean like a telnet-client script would.
const clean = (s: string): string => s.replace(/[ \b]*\x08+[ ]*\x08*/g, '').replace(/\n$/, '');
const version = clean(await connection.exec('show version'));
const brief = clean(await connection.exec('show ip interface brief'));
const config = clean(await connection.exec('show running-config'));
console.log(JSON.stringify(parseRouter(version, brief, config)));
await connection.end();
