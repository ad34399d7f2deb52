/**
 * The behaviour suite of the telnet-client drop-in: every case runs against
 * the real npm `telnet-client` and against telnetlib3/compat/telnet-client.
 * A case states one expectation for both, or, where we deliberately differ
 * (telnet-client's bugs), what each does.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import t, { type Test } from 'tap';
import { createServer } from '../../src/server.js';
import { Telnet as OurTelnet } from '../../compat/telnet-client.js';
import { fakeRouter } from '../../bin/examples/fake-router.js';

const require = createRequire(import.meta.url);
const { Telnet: NpmTelnet } = require('telnet-client') as { Telnet: typeof OurTelnet };

type Impl = 'npm' | 'ours';
const IMPLS: Array<[Impl, typeof OurTelnet]> = [['npm', NpmTelnet], ['ours', OurTelnet]];

const ROUTER = {
  loginPrompt: /Username[: ]*$/i,
  passwordPrompt: /Password[: ]*$/i,
  failedLoginMatch: /Login invalid/,
  shellPrompt: /Router#/,
  username: 'admin',
  password: 'secret',
  timeout: 5000,
  execTimeout: 5000,
};

async function router(t: Test): Promise<number> {
  const server = await createServer({ host: '127.0.0.1', port: 0, shell: fakeRouter(), connectMaxwait: 1000 });
  t.teardown(() => server.close(100));
  return server.port;
}

/** A plain TCP server that writes `bytes` on connect and records what the client sends. */
async function rawServer(t: Test, bytes: Buffer, opts: { close?: boolean } = {}): Promise<{ port: number; got: () => Buffer }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.write(bytes);
    if (opts.close === true) s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { port: (server.address() as net.AddressInfo).port, got: () => Buffer.concat(chunks) };
}

const until = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

for (const [impl, Telnet] of IMPLS) {
  t.test(`${impl}: login, ready, exec, end`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    const events: string[] = [];
    let readyPrompt: unknown;
    c.on('ready', (p: unknown) => { events.push('ready'); readyPrompt = p; });
    c.on('end', () => events.push('end'));
    c.on('close', () => events.push('close'));
    await c.connect({ ...ROUTER, host: '127.0.0.1', port });
    t.equal(readyPrompt, 'Router#', 'ready carries the prompt text');
    t.equal(await c.exec('show clock'), '*12:00:00.000 UTC Mon Dec 7 2026\n', 'the last line (the prompt) becomes an empty line');
    const brief = await c.exec('show ip interface brief');
    t.equal(brief.split('\n').length, 6);
    t.match(brief, /^Interface\s+IP-Address/);
    // The callback form.
    const viaCallback = await new Promise<string>((resolve, reject) => {
      void c.exec('show clock', (err: unknown, out?: string) => (err ? reject(err) : resolve(out!)));
    });
    t.equal(viaCallback, '*12:00:00.000 UTC Mon Dec 7 2026\n');
    await c.send('exit', { waitFor: false, sendTimeout: 200 }).catch(() => '');
    await until(() => events.includes('close'), 5000, 'close');
    t.ok(events.includes('end'));
    // What arrived in standby is still queued as lines; after it, null.
    let last: string | null = '';
    for (let i = 0; i < 20 && last !== null; i++) last = await c.nextData();
    t.equal(last, null, 'nextData() ends with null after the end');
  });

  t.test(`${impl}: pager with pageSeparator`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    await c.connect({ ...ROUTER, host: '127.0.0.1', port, pageSeparator: '--More--' });
    const out = await c.exec('show running-config');
    for (let i = 0; i < 8; i++) t.match(out, new RegExp(`interface GigabitEthernet0/${i}\\r?\\n description uplink ${i}`));
    t.match(out, /\nend\n/);
    await c.destroy();
  });

  t.test(`${impl}: failed login`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    let failed = '';
    c.on('failedlogin', (text: string) => { failed = text; });
    const err = await c.connect({ ...ROUTER, host: '127.0.0.1', port, password: 'wrong', timeout: 3000 }).catch((e: Error) => e);
    if (impl === 'npm') {
      // The failure arrives with the next "Username:" in one packet; telnet-client sees the login prompt
      // first, will not answer it twice, and waits for its timeout.
      t.equal((err as Error).message, 'Cannot connect', 'telnet-client: a timeout, not a failed login');
      t.equal(failed, '');
    } else {
      t.equal((err as Error).message, 'Failed login');
      t.match(failed, /Login invalid/);
    }
  });

  t.test(`${impl}: execTimeout rejects 'response not received'`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    await c.connect({ ...ROUTER, host: '127.0.0.1', port });
    const err = await c.exec('slow 2000', { execTimeout: 200 }).catch((e: Error) => e);
    t.equal((err as Error).message, 'response not received');
    await c.destroy();
  });

  t.test(`${impl}: send with waitFor, and send until sendTimeout`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    await c.connect({ ...ROUTER, host: '127.0.0.1', port });
    const got = await c.send('echo hello', { waitFor: /Router#/ });
    t.match(got, /hello\r\nRouter#$/);
    const all = await c.send('show clock', { sendTimeout: 1500 });
    t.match(all, /^show clock\r\n\*12:00:00\.000 UTC Mon Dec 7 2026\r\nRouter#$/);
    const none = await c.write('', { sendTimeout: 200 }).catch((e: Error) => e);
    t.equal((none as Error).message, 'response not received');
    await c.destroy();
  });

  t.test(`${impl}: shellPrompt null: standby at once, data events and nextData lines`, async (t) => {
    const { port } = await rawServer(t, Buffer.from('first line\r\nsecond line\r\npartial'), { close: true });
    const c = new Telnet();
    const data: Buffer[] = [];
    c.on('data', (d: Buffer) => data.push(d));
    await c.connect({ host: '127.0.0.1', port, shellPrompt: null as unknown as string, timeout: 5000 });
    t.equal(await c.nextData(), 'first line\r\n');
    t.equal(await c.nextData(), 'second line\r\n');
    t.equal(await c.nextData(), 'partial');
    t.equal(await c.nextData(), null);
    t.equal(Buffer.concat(data).toString(), 'first line\r\nsecond line\r\npartial');
  });

  t.test(`${impl}: timeout before the prompt rejects 'Cannot connect'`, async (t) => {
    const { port } = await rawServer(t, Buffer.from('no prompt here\r\n'));
    const c = new Telnet();
    const err = await c.connect({ host: '127.0.0.1', port, timeout: 300 }).catch((e: Error) => e);
    t.equal((err as Error).message, 'Cannot connect');
  });

  t.test(`${impl}: 'timeout' event when idle after ready`, async (t) => {
    const port = await router(t);
    const c = new Telnet();
    let timeouts = 0;
    c.on('timeout', () => { timeouts++; });
    await c.connect({ ...ROUTER, host: '127.0.0.1', port, timeout: 1000 });
    await until(() => timeouts > 0, 5000, 'timeout event');
    t.ok(timeouts >= 1);
    await c.destroy();
  });

  // ---------------------------------------------------------------- deliberate differences

  t.test(`${impl}: a refused connection rejects and emits error`, async (t) => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const c = new Telnet();
    const errors: unknown[] = [];
    c.on('error', (e: unknown) => errors.push(e));
    const err = await c.connect({ host: '127.0.0.1', port, timeout: 5000 }).catch((e: unknown) => e) as { code?: string; message: string };
    t.equal(errors.length, 1, 'one error event');
    t.equal(errors[0], err, 'the same error');
    // telnet-client hands out the socket's error; ours is a TelnetError with a stable code.
    t.equal(err.code, impl === 'npm' ? 'ECONNREFUSED' : 'ERR_TELNET_CONNECTION_REFUSED');
  });

  t.test(`${impl}: IAC in the middle of a chunk, and a data byte 0xFF`, async (t) => {
    // "hello " IAC WILL ECHO "w" IAC IAC "rld\r\n"
    const { port } = await rawServer(t, Buffer.from([...Buffer.from('hello '), 255, 251, 1, 0x77, 255, 255, ...Buffer.from('rld\r\n')]), { close: true });
    const c = new Telnet();
    const data: Buffer[] = [];
    c.on('data', (d: Buffer) => data.push(d));
    await c.connect({ host: '127.0.0.1', port, shellPrompt: null as unknown as string, timeout: 5000, encoding: 'latin1' });
    await until(() => c.listenerCount('data') > 0 && Buffer.concat(data).includes(Buffer.from('rld')), 5000, 'data');
    const got = Buffer.concat(data);
    if (impl === 'npm') {
      t.ok(got.includes(Buffer.from([255, 251, 1])), 'telnet-client leaks the IAC sequence into the data');
      t.ok(got.includes(Buffer.from([255, 255])), 'and does not unescape IAC IAC');
    } else {
      t.same([...got], [...Buffer.from('hello w\xffrld\r\n', 'latin1')], 'ours: in-band data only, IAC IAC is one 0xFF');
    }
    await c.destroy();
  });

  t.test(`${impl}: answers to negotiation`, async (t) => {
    // DO TTYPE, WILL ECHO, DO 0x99 (unknown), WILL 0x99 (unknown)
    const srv = await rawServer(t, Buffer.from([255, 253, 24, 255, 251, 1, 255, 253, 0x99, 255, 251, 0x99]));
    const c = new Telnet();
    await c.connect({ host: '127.0.0.1', port: srv.port, shellPrompt: null as unknown as string, timeout: 5000 });
    const has = (...b: number[]): boolean => srv.got().includes(Buffer.from(b));
    await until(() => has(255, 253, 1) || has(255, 254, 1), 5000, 'an answer to WILL ECHO');
    await until(() => has(255, 252, 0x99), 5000, 'WONT to the unknown DO');
    t.ok(has(255, 253, 1), 'both accept WILL ECHO');
    t.ok(has(255, 252, 0x99), 'both refuse an unknown DO with WONT');
    if (impl === 'npm') {
      t.ok(has(255, 253, 0x99), 'telnet-client answers an unknown WILL with DO (it accepts anything)');
      t.ok(has(255, 252, 24), 'telnet-client refuses TTYPE');
    } else {
      await until(() => has(255, 254, 0x99), 5000, 'DONT to the unknown WILL');
      t.ok(has(255, 254, 0x99), 'ours refuses an unknown WILL with DONT');
      t.ok(has(255, 251, 24), 'ours offers its terminal type (WILL TTYPE)');
    }
    await c.destroy();
  });

  t.test(`${impl}: writing 0xFF`, async (t) => {
    const srv = await rawServer(t, Buffer.from('x'));
    const c = new Telnet();
    await c.connect({ host: '127.0.0.1', port: srv.port, shellPrompt: null as unknown as string, timeout: 5000 });
    await c.write(Buffer.from([0x41, 0xff, 0x42]), { sendTimeout: 100 }).catch(() => '');
    await until(() => srv.got().includes(0x42), 5000, 'the bytes');
    const at = srv.got().indexOf(0x41);
    const sent = [...srv.got().subarray(at, srv.got().indexOf(0x42) + 1)];
    t.same(sent, impl === 'npm' ? [0x41, 0xff, 0x42] : [0x41, 0xff, 0xff, 0x42], impl === 'npm' ? 'telnet-client sends a bare IAC' : 'ours doubles IAC');
    await c.destroy();
  });
}
