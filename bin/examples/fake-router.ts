/**
 * A fake router CLI (Cisco-like) for trying the automation examples and for
 * tests and benchmarks: a login with `Username:` / `Password:` (three tries,
 * `% Login invalid`), the prompt `Router#` (`Router(config)#` in
 * configuration mode, and `hostname NAME` changes it), a `--More--` pager
 * every 20 lines (off after `terminal length 0`), and `slow MS`, a command
 * that answers after MS milliseconds.
 *
 *   node dist/bin/examples/fake-router.js [host] [port] [username] [password]
 *   telnetlib3-server --shell dist/bin/examples/fake-router.js:shell
 *
 * Commands: show version, show clock, show ip interface brief,
 * show running-config (paged), terminal length N, configure terminal,
 * hostname NAME, end, slow MS, echo TEXT, exit.
 */
import { pathToFileURL } from 'node:url';
import { createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

/** How the fake router behaves. */
export interface FakeRouterOptions {
  /** null: no login, straight to the prompt. */
  username?: string | null;
  password?: string;
  hostname?: string;
  /** Lines per page before `--More--` (0: no pager). */
  pageLength?: number;
}

const VERSION = [
  'Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.2(4)M7, RELEASE SOFTWARE (fc2)',
  'ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)',
  '',
  '{host} uptime is 1 week, 2 days, 3 hours, 4 minutes',
  'System image file is "flash0:c2900-universalk9-mz.SPA.152-4.M7.bin"',
  'cisco CISCO2911/K9 (revision 1.0) with 487424K/36864K bytes of memory.',
  '3 Gigabit Ethernet interfaces',
  'Configuration register is 0x2102',
];

const INTERFACES = [
  'Interface              IP-Address      OK? Method Status                Protocol',
  'GigabitEthernet0/0     192.0.2.1       YES NVRAM  up                    up',
  'GigabitEthernet0/1     198.51.100.1    YES NVRAM  up                    up',
  'GigabitEthernet0/2     unassigned      YES NVRAM  administratively down down',
  'Loopback0              203.0.113.1     YES NVRAM  up                    up',
];

function runningConfig(host: string): string[] {
  const lines = ['Building configuration...', '', 'Current configuration : 4242 bytes', '!', 'version 15.2', `hostname ${host}`, '!'];
  for (let i = 0; i < 8; i++) {
    lines.push(`interface GigabitEthernet0/${i}`, ` description uplink ${i}`, ` ip address 10.0.${i}.1 255.255.255.0`, ' no shutdown', '!');
  }
  lines.push('line vty 0 4', ' login local', ' transport input telnet', '!', 'end');
  return lines;
}

const ERASE = '\b'.repeat(9) + ' '.repeat(9) + '\b'.repeat(9);

/** A shell for `createServer` that plays the router. */
export function fakeRouter(options: FakeRouterOptions = {}): (reader: TelnetReader<string>, writer: TelnetWriter) => Promise<void> {
  const username = options.username === undefined ? 'admin' : options.username;
  const password = options.password ?? 'secret';
  return async (reader, writer) => {
    let host = options.hostname ?? 'Router';
    let pageLength = options.pageLength ?? 20;
    let config = false;
    // What the router says is collected and written in one piece before it waits for input, as a
    // device's CLI usually answers (echo, output and prompt in one packet).
    let pending = '';
    const say = (text: string): void => { pending += text; };
    const flush = (): void => {
      if (pending.length > 0) writer.write(pending);
      pending = '';
    };
    const line = async (echo = true): Promise<string | null> => {
      flush();
      const got = await reader.readline();
      if (got === '') return null;
      const text = got.replace(/[\r\n\0]+$/, '');
      say(echo ? `${text}\r\n` : '\r\n');
      return text;
    };
    const print = (lines: string[]): void => { say(lines.map((l) => `${l}\r\n`).join('')); };
    const paged = async (lines: string[]): Promise<void> => {
      if (pageLength <= 0) return print(lines);
      for (let i = 0; i < lines.length; i += pageLength) {
        print(lines.slice(i, i + pageLength));
        if (i + pageLength >= lines.length) break;
        say(' --More-- ');
        flush();
        const key = await reader.read(1);
        if (key === '') return;
        say(ERASE);
        if (key === 'q') return;
      }
    };
    try {
      if (username !== null) {
        say('\r\nUser Access Verification\r\n\r\n');
        let ok = false;
        say('Username: ');
        for (let tries = 0; tries < 3 && !ok; tries++) {
          const u = await line();
          if (u === null) return;
          say('Password: ');
          const p = await line(false);
          if (p === null) return;
          ok = u === username && p === password;
          // The failure and the next prompt in one write, as devices send them (one packet).
          if (!ok) say(`% Login invalid\r\n\r\n${tries < 2 ? 'Username: ' : ''}`);
        }
        if (!ok) return;
      }
      say('\r\n');
      for (;;) {
        say(config ? `${host}(config)#` : `${host}#`);
        const cmd = await line();
        if (cmd === null) return;
        const words = cmd.trim().split(/\s+/);
        const verb = words.join(' ');
        if (verb === '') continue;
        if (verb === 'exit' || verb === 'quit' || verb === 'logout') {
          if (config) { config = false; continue; }
          return;
        }
        if (config) {
          if (verb === 'end') config = false;
          else if (words[0] === 'hostname' && words[1] !== undefined) host = words[1];
          continue;
        }
        if (verb === 'show version') print(VERSION.map((l) => l.replace('{host}', host)));
        else if (verb === 'show clock') print(['*12:00:00.000 UTC Mon Dec 7 2026']);
        else if (verb === 'show ip interface brief') print(INTERFACES);
        else if (verb === 'show running-config') await paged(runningConfig(host));
        else if (words[0] === 'terminal' && words[1] === 'length') pageLength = Number(words[2] ?? 20) || 0;
        else if (verb === 'configure terminal') { print(['Enter configuration commands, one per line.  End with CNTL/Z.']); config = true; }
        else if (words[0] === 'slow') { flush(); await new Promise((r) => setTimeout(r, Number(words[1] ?? 1000))); print(['done']); }
        else if (words[0] === 'echo') print([cmd.trim().slice(5)]);
        else print(['                ^', "% Invalid input detected at '^' marker.", '']);
      }
    } finally {
      flush();
      writer.close();
    }
  };
}

/** For `telnetlib3-server --shell dist/bin/examples/fake-router.js:shell` (user admin, password secret). */
export const shell = fakeRouter();

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 6023);
  const username = process.argv[4] ?? 'admin';
  const password = process.argv[5] ?? 'secret';
  const server = await createServer({ host, port, shell: fakeRouter({ username, password }) });
  console.log(`fake router listening on ${host}:${server.port} (login ${username} / ${password})`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
