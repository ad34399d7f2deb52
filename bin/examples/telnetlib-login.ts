#!/usr/bin/env node
/**
 * The "Telnet Example" of Python's telnetlib documentation (log in, run a
 * command, print the session), ported line by line to
 * `telnetlib3/compat/telnetlib`; the Python is kept alongside.
 *
 *   node dist/bin/examples/telnetlib-login.js [HOST [PORT]]
 *
 * It asks for the account and the password on the terminal (or reads them
 * from stdin), logs in at the `login:` / `Password:` prompts, runs `ls`,
 * exits, and prints everything the host sent.
 *
 * Python (https://docs.python.org/3.12/library/telnetlib.html#telnet-example):
 *
 *     import getpass
 *     import telnetlib
 *
 *     HOST = "localhost"
 *     user = input("Enter your remote account: ")
 *     password = getpass.getpass()
 *
 *     tn = telnetlib.Telnet(HOST)
 *
 *     tn.read_until(b"login: ")
 *     tn.write(user.encode('ascii') + b"\n")
 *     if password:
 *         tn.read_until(b"Password: ")
 *         tn.write(password.encode('ascii') + b"\n")
 *
 *     tn.write(b"ls\n")
 *     tn.write(b"exit\n")
 *
 *     print(tn.read_all().decode('ascii'))
 */
import { execSync } from 'node:child_process';
import tty from 'node:tty';
import { Telnet, b } from '../../compat/telnetlib.js';
import { readStdinLine } from '../../src/sync/index.js';

/**
 * Python's `input(prompt)`: one line from stdin, without its line end; it
 * blocks (sleeping) whether stdin is a terminal or a pipe. The prompt goes to
 * stderr here so that stdout carries only the session.
 */
function input(prompt = ''): string {
  process.stderr.write(prompt);
  return readStdinLine();
}

/** Python's `getpass.getpass()`: a line from the terminal without echo. */
function getpass(prompt = 'Password: '): string {
  const onTty = tty.isatty(0);
  if (onTty) execSync('stty -echo', { stdio: 'inherit' });
  try {
    return input(prompt);
  } finally {
    if (onTty) {
      execSync('stty echo', { stdio: 'inherit' });
      process.stderr.write('\n');
    }
  }
}

const HOST = process.argv[2] ?? 'localhost'; //          HOST = "localhost"
const PORT = Number(process.argv[3] ?? 0); //             (the port: telnetlib's default 0 means 23)
const user = input('Enter your remote account: '); //    user = input("Enter your remote account: ")
const password = getpass(); //                            password = getpass.getpass()

const tn = new Telnet(HOST, PORT); //                     tn = telnetlib.Telnet(HOST)

tn.read_until(b`login: `); //                             tn.read_until(b"login: ")
tn.write(Buffer.concat([Buffer.from(user, 'ascii'), b`\n`])); //  tn.write(user.encode('ascii') + b"\n")
if (password) { //                                        if password:
  tn.read_until(b`Password: `); //                            tn.read_until(b"Password: ")
  tn.write(Buffer.concat([Buffer.from(password, 'ascii'), b`\n`])); //  tn.write(password.encode('ascii') + b"\n")
}

tn.write(b`ls\n`); //                                     tn.write(b"ls\n")
tn.write(b`exit\n`); //                                   tn.write(b"exit\n")

console.log(tn.read_all().toString('ascii')); //          print(tn.read_all().decode('ascii'))
