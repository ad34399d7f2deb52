import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import { type ServerOptions, type TelnetServer, createServer } from '../../src/server.js';
import { LinemodeSub, ModeBit } from '../../src/protocol/options/linemode.js';
import { TELSH_HELP, characterDump, parseDump, telsh } from '../../src/shells/telsh.js';
import telshDefault from '../../src/shells/telsh.js';

const { IAC, DO, DONT, WILL, WONT, SB, SE, GA } = Cmd;
const bytes = (...b: number[]): Buffer => Buffer.from(b);
const PROMPT = 'tel:sh> ';
const PROMPT_GA = Buffer.concat([Buffer.from(PROMPT), bytes(IAC, GA)]);

/**
 * A raw-socket Telnet client: records every byte, answers negotiation by
 * refusing everything except the options listed (RFC 854 loop-free:
 * answers only state changes), and optionally acknowledges LINEMODE MODE.
 */
class RawClient {
  raw = Buffer.alloc(0);
  private cursor = 0;
  private parsePos = 0;
  private readonly socket: net.Socket;
  private readonly acceptDo: Set<number>;
  private readonly acceptWill: Set<number>;
  private readonly ackLinemode: boolean;
  /** Options the server enabled on its side (we said DO). */
  readonly serverWill = new Set<number>();
  /** Options we enabled on our side (we said WILL). */
  readonly clientWill = new Set<number>();
  readonly ended: Promise<void>;
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(port: number, opts: { acceptDo?: number[]; acceptWill?: number[]; ackLinemode?: boolean } = {}) {
    this.acceptDo = new Set(opts.acceptDo ?? []);
    this.acceptWill = new Set(opts.acceptWill ?? []);
    this.ackLinemode = opts.ackLinemode ?? false;
    this.socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    this.socket.on('data', (d: Buffer) => {
      this.raw = Buffer.concat([this.raw, d]);
      this.parse();
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    this.socket.on('error', () => {});
    // allowHalfOpen (to see the server's FIN on its own); finish our side then.
    this.ended = new Promise((r) => this.socket.once('end', () => { this.socket.end(); r(); }));
    this.closed = new Promise((r) => this.socket.once('close', () => r()));
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Half-close: EOF to the server. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The bytes from the cursor through the first `pattern`; advances the cursor. */
  async until(pattern: string | Buffer, ms = 3000): Promise<Buffer> {
    const pat = typeof pattern === 'string' ? Buffer.from(pattern, 'latin1') : pattern;
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.raw.indexOf(pat, this.cursor);
      if (at !== -1) {
        const out = this.raw.subarray(this.cursor, at + pat.length);
        this.cursor = at + pat.length;
        return out;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${JSON.stringify(pat.toString('latin1'))}; got ${JSON.stringify(this.raw.subarray(this.cursor).toString('latin1'))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Everything after the cursor, after waiting `ms`. */
  async rest(ms = 100): Promise<Buffer> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.raw.subarray(this.cursor);
    this.cursor = this.raw.length;
    return out;
  }

  private reply(verb: number, opt: number): void {
    this.socket.write(bytes(IAC, verb, opt));
  }

  private parse(): void {
    const b = this.raw;
    let i = this.parsePos;
    while (i < b.length) {
      if (b[i] !== IAC) { i++; continue; }
      if (i + 1 >= b.length) break;
      const cmd = b[i + 1]!;
      if (cmd >= WILL && cmd <= DONT) {
        if (i + 2 >= b.length) break;
        this.negotiate(cmd, b[i + 2]!);
        i += 3;
      } else if (cmd === SB) {
        let j = i + 2;
        let end = -1;
        while (j + 1 < b.length) {
          if (b[j] === IAC && b[j + 1] === SE) { end = j; break; }
          j += b[j] === IAC ? 2 : 1;
        }
        if (end === -1) break;
        this.subneg(b.subarray(i + 2, end));
        i = end + 2;
      } else {
        i += 2;
      }
    }
    this.parsePos = i;
  }

  private negotiate(verb: number, opt: number): void {
    switch (verb) {
      case WILL:
        if (this.serverWill.has(opt)) return;
        if (this.acceptDo.has(opt)) { this.serverWill.add(opt); this.reply(DO, opt); } else this.reply(DONT, opt);
        return;
      case WONT:
        if (this.serverWill.delete(opt)) this.reply(DONT, opt);
        return;
      case DO:
        if (this.clientWill.has(opt)) return;
        if (this.acceptWill.has(opt)) { this.clientWill.add(opt); this.reply(WILL, opt); } else this.reply(WONT, opt);
        return;
      case DONT:
        if (this.clientWill.delete(opt)) this.reply(WONT, opt);
        return;
    }
  }

  private subneg(body: Buffer): void {
    if (this.ackLinemode && body[0] === Opt.LINEMODE && body[1] === LinemodeSub.MODE && body.length >= 3) {
      const mask = body[2]!;
      if ((mask & ModeBit.ACK) === 0) this.socket.write(bytes(IAC, SB, Opt.LINEMODE, LinemodeSub.MODE, mask | ModeBit.ACK, IAC, SE));
    }
  }
}

/** In-band text of `b`: IAC commands removed, IAC IAC undoubled. */
function text(b: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== IAC) { out.push(b[i]!); continue; }
    const cmd = b[i + 1];
    if (cmd === IAC) { out.push(IAC); i++; } else if (cmd !== undefined && cmd >= WILL && cmd <= DONT) i += 2;
    else if (cmd === SB) {
      let j = i + 2;
      while (j + 1 < b.length && !(b[j] === IAC && b[j + 1] === SE)) j++;
      i = j + 1;
    } else i++;
  }
  return Buffer.from(out).toString('latin1');
}

async function startServer(t: Test, extra: Partial<ServerOptions> = {}): Promise<TelnetServer> {
  const server = await createServer({ host: '127.0.0.1', port: 0, shell: telsh, connectMaxwait: 500, ...extra });
  t.teardown(async () => {
    server.close(100);
    await server.waitClosed();
  });
  return server;
}

function client(t: Test, server: TelnetServer, opts?: ConstructorParameters<typeof RawClient>[1]): RawClient {
  const c = new RawClient(server.port, opts);
  t.teardown(() => c.destroy());
  return c;
}

/** Send a command line and return the in-band answer through the next prompt (+GA). */
async function command(c: RawClient, line: string | Buffer, ending: string | Buffer = PROMPT_GA): Promise<{ raw: Buffer; text: string }> {
  c.send(line);
  const raw = await c.until(ending);
  return { raw, text: text(raw) };
}

t.test('telsh is exported as default too', async (t) => {
  t.equal(telshDefault, telsh);
});

t.test('banner, prompt and GA', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  const first = await c.until(PROMPT_GA);
  t.ok(first.subarray(0, 3).equals(bytes(IAC, DO, Opt.TTYPE)), 'server opens with DO TTYPE');
  t.ok(text(first).endsWith(`Ready.\r\n${PROMPT}`), 'banner then prompt');
  t.ok(first.subarray(first.length - 2).equals(bytes(IAC, GA)), 'prompt followed by IAC GA');
  t.equal(text(first), `Ready.\r\n${PROMPT}`, 'nothing else in band');
});

t.test('help (with backspaces), empty line, unknown command, quit', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  let r = await command(c, '\bhel\blp\r');
  t.equal(r.text, `\r\n${TELSH_HELP}\r\n${PROMPT}`, 'no echo: the client refused WILL ECHO');
  t.equal(TELSH_HELP, 'quit, writer, slc, linemode, toggle [option|all], reader, proto, dump');
  r = await command(c, '\r\n');
  t.equal(r.text, `\r\n${PROMPT}`, 'empty line: just a new prompt, no extra CR LF');
  r = await command(c, 'not-a-command\n');
  t.equal(r.text, `\r\nno such command.\r\n${PROMPT}`);
  r = await command(c, 'he\x1b[Allo\x1bOP\r');
  t.equal(r.text, `\r\nno such command.\r\n${PROMPT}`, 'arrow and F1 filtered: "hello"');
  r = await command(c, 'h\x1b[Dhelp\x1b[C\r\x00');
  t.equal(r.text, `\r\nno such command.\r\n${PROMPT}`, '"hhelp"');
  r = await command(c, '\x1b[Ahelp\r');
  t.equal(r.text, `\r\n${TELSH_HELP}\r\n${PROMPT}`);
  c.send('quit\r');
  await c.ended;
  t.equal(text(await c.rest(0)), '\r\nGoodbye.\r\n');
  await c.closed;
  t.pass('socket closed by the server');
});

t.test('typed-ahead commands are answered in order', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  c.send('help\rnope\r\nquit\r');
  await c.ended;
  const all = text(await c.rest(0));
  t.equal(all, `\r\n${TELSH_HELP}\r\n${PROMPT}\r\nno such command.\r\n${PROMPT}\r\nGoodbye.\r\n`);
});

t.test('writer, reader, proto, version', async (t) => {
  const server = await startServer(t, { limit: 1337 });
  const c = client(t, server);
  await c.until(PROMPT_GA);
  let r = await command(c, 'writer\r\x00');
  t.match(r.text, /^\r\n<TelnetWriter server mode:local server-will:- peer-will:-.*>\r\ntel:sh> $/);
  r = await command(c, 'reader\r\n');
  // the LF of CR LF is still unread when the command runs (telnetlib3 shows buflen=1 too)
  t.equal(r.text, `\r\n<TelnetReader encoding='us-ascii' limit=1337 buflen=1 eof=false>\r\n${PROMPT}`);
  r = await command(c, 'proto\n');
  const streams = server.clients[0]!;
  const peer = streams.writer.getExtraInfo<{ address: string; port: number }>('peername')!;
  t.equal(r.text, `\r\n<Peer 127.0.0.1 ${peer.port}>\r\n${PROMPT}`);
  r = await command(c, 'version\r');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  t.equal(r.text, `\r\n${pkg.version}\r\n${PROMPT}`);
});

t.test('slc table text', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  const r = await command(c, 'slc\r\n');
  t.equal(r.text,
    '\r\nSpecial Line Characters:' +
    '\r\n         SLC_AO: (^O, variable|flushout)' +
    '\r\n         SLC_EC: (^?, variable)' +
    '\r\n         SLC_EL: (^U, variable)' +
    '\r\n         SLC_EW: (^W, variable)' +
    '\r\n         SLC_IP: (^C, variable|flushin|flushout)' +
    '\r\n         SLC_RP: (^R, variable)' +
    '\r\n        SLC_AYT: (^T, variable)' +
    '\r\n        SLC_EOF: (^D, variable)' +
    '\r\n        SLC_XON: (^Q, variable)' +
    '\r\n       SLC_SUSP: (^Z, variable|flushin)' +
    '\r\n       SLC_XOFF: (^S, variable)' +
    '\r\n      SLC_ABORT: (^\\, variable|flushin|flushout)' +
    '\r\n      SLC_LNEXT: (^V, variable)' +
    '\r\nUnset by client: SLC_BRK, SLC_EOR, SLC_SYNCH' +
    '\r\nNot supported by server: SLC_EBOL, SLC_ECR, SLC_EEOL, ' +
    'SLC_EWR, SLC_FORW1, SLC_FORW2, SLC_INSRT, SLC_MCBOL, ' +
    'SLC_MCEOL, SLC_MCL, SLC_MCR, SLC_MCWL, SLC_MCWR, SLC_OVER' +
    `\r\n${PROMPT}`);
});

const TOGGLE_OFF =
  '\r\nbinary off\r\necho off\r\ngoahead ON\r\ninbinary off\r\nlflow ON\r\nlinemode off' +
  '\r\nlinemode-edit off\r\nlinemode-trapsig off\r\noutbinary off\r\nxon-any off';

t.test('toggle listing, unknown option, toggle all', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  let r = await command(c, 'toggle\n');
  t.equal(r.text, `${TOGGLE_OFF}\r\n${PROMPT}`);
  r = await command(c, 'toggle not-an-option\r');
  t.equal(r.text, `\r\ntoggle: not an option.\r\n${PROMPT}`);
  r = await command(c, 'toggle constructor\r');
  t.equal(r.text, `\r\ntoggle: not an option.\r\n${PROMPT}`);
  r = await command(c, 'toggle all\r\n');
  t.ok(r.raw.equals(Buffer.concat([
    Buffer.from('\r\n'),
    bytes(IAC, WILL, Opt.ECHO, IAC, WILL, Opt.SGA, IAC, WILL, Opt.BINARY, IAC, DO, Opt.BINARY),
    Buffer.from('will echo.\r\nwill suppress go-ahead.\r\nwill outbinary.\r\ndo inbinary.' +
      '\r\nxon-any enabled.\r\nlineflow disabled.\r\n'),
    PROMPT_GA,
  ])), `toggle all bytes: ${JSON.stringify(r.raw.toString('latin1'))}`);
  // the client refused every request: only the shell's own flags flipped
  r = await command(c, 'toggle\n');
  t.equal(r.text, `${TOGGLE_OFF.replace('lflow ON', 'lflow off').replace('xon-any off', 'xon-any ON')}\r\n${PROMPT}`);
});

t.test('toggle echo: WONT ECHO / WILL ECHO and messages', async (t) => {
  const server = await startServer(t);
  const c = client(t, server, { acceptDo: [Opt.ECHO] });
  await c.until(PROMPT_GA);
  t.ok(c.serverWill.has(Opt.ECHO), 'the server asked WILL ECHO and we agreed');
  let r = await command(c, 'toggle\r');
  t.ok(r.raw.subarray(0, 6).equals(Buffer.from('toggle')), 'input echoed by the server');
  t.match(r.text, /\r\necho ON\r\n/);
  r = await command(c, 'toggle echo\r');
  t.ok(r.raw.equals(Buffer.concat([
    Buffer.from('toggle echo\r\n'), bytes(IAC, WONT, Opt.ECHO), Buffer.from(`wont echo.\r\n`), PROMPT_GA,
  ])), `wont echo bytes: ${JSON.stringify(r.raw.toString('latin1'))}`);
  const w = server.clients[0]!.writer;
  await w.waitFor({ local: { ECHO: false }, pending: { ECHO: false } }); // our DONT ECHO reached the server
  r = await command(c, 'toggle echo\r');
  t.ok(r.raw.equals(Buffer.concat([
    Buffer.from('\r\n'), bytes(IAC, WILL, Opt.ECHO), Buffer.from(`will echo.\r\n`), PROMPT_GA,
  ])), `will echo bytes (no echo of the line): ${JSON.stringify(r.raw.toString('latin1'))}`);
  await w.waitFor({ local: { ECHO: true } });
  r = await command(c, 'ab\x7fc\r');
  t.equal(r.text, `ab\b \bc\r\nno such command.\r\n${PROMPT}`, 'echo again, with erasure');
});

t.test('GA is not sent once SGA is agreed', async (t) => {
  const server = await startServer(t);
  const c = client(t, server, { acceptDo: [Opt.SGA, Opt.ECHO] });
  await c.until(PROMPT);
  const r = await command(c, 'help\r', `${TELSH_HELP}\r\n${PROMPT}`);
  t.notOk(r.raw.includes(bytes(IAC, GA)), 'no IAC GA after SGA');
  t.notOk((await c.rest(100)).includes(bytes(IAC, GA)));
});

t.test('neverSendGa suppresses GA', async (t) => {
  const server = await startServer(t, { shell: (r, w) => telsh(r, w, { neverSendGa: true }) });
  const c = client(t, server);
  await c.until(PROMPT);
  await command(c, 'help\r', `${TELSH_HELP}\r\n${PROMPT}`);
  const tail = await c.rest(100);
  t.equal(tail.length, 0, 'nothing after the prompt');
  t.notOk(c.raw.includes(bytes(IAC, GA)), 'no IAC GA anywhere');
});

t.test('linemode: not negotiated, then active with toggles', async (t) => {
  const server = await startServer(t);
  const c = client(t, server, { acceptWill: [Opt.LINEMODE], ackLinemode: true });
  await c.until(PROMPT_GA);
  let r = await command(c, 'linemode\r');
  t.equal(r.text, `\r\nLINEMODE not negotiated.\r\n${PROMPT}`);
  r = await command(c, 'toggle linemode-edit\r');
  t.equal(r.text, `\r\nlinemode not active.\r\n${PROMPT}`);
  r = await command(c, 'toggle linemode\r');
  t.ok(r.raw.includes(bytes(IAC, DO, Opt.LINEMODE)), 'DO LINEMODE sent');
  t.match(r.text, /do linemode\.\r\n/);
  const w = server.clients[0]!.writer;
  await w.waitForCondition((x) => x.session.linemodeMask === ModeBit.LIT_ECHO); // WILL LINEMODE, MODE, MODE|ACK
  r = await command(c, 'linemode\r');
  t.equal(r.text, `\r\nLINEMODE active. Mode: remote\r\nEDIT=off TRAPSIG=off SOFT_TAB=off LIT_ECHO=on ACK=on\r\n${PROMPT}`);
  r = await command(c, 'toggle linemode-edit\r');
  t.ok(r.raw.includes(bytes(IAC, SB, Opt.LINEMODE, LinemodeSub.MODE, ModeBit.EDIT | ModeBit.LIT_ECHO, IAC, SE)), 'MODE EDIT|LIT_ECHO proposed');
  t.match(r.text, /linemode-edit enabled\.\r\n/);
  await w.waitForCondition((x) => x.session.linemodeMask === (ModeBit.EDIT | ModeBit.LIT_ECHO));
  r = await command(c, 'linemode\r');
  t.equal(r.text, `\r\nLINEMODE active. Mode: local\r\nEDIT=on TRAPSIG=off SOFT_TAB=off LIT_ECHO=on ACK=on\r\n${PROMPT}`);
  r = await command(c, 'toggle\r');
  t.match(r.text, /\r\nlinemode ON\r\nlinemode-edit ON\r\nlinemode-trapsig off\r\n/);
  r = await command(c, 'toggle linemode\r');
  t.ok(r.raw.includes(bytes(IAC, DONT, Opt.LINEMODE)), 'DONT LINEMODE sent');
  t.match(r.text, /dont linemode\.\r\n/);
});

t.test('dump 1 0 nodrain noclose: output shape and byte count', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  const r = await command(c, 'dump 1 0 nodrain noclose\r');
  const lines = [...characterDump(1)];
  t.equal(lines.length, 15, '14 lines and the summary');
  t.equal(lines.at(-1), '\x1b[1Gwrote 1176 bytes');
  const expected = '\r\nkb_limit=1, delay=0, drain=True, do_close=False:\r\n' + lines.join('') + `\r\n1 OK\r\n${PROMPT}`;
  t.equal(r.text, expected);
  const body = r.text.slice(r.text.indexOf(':\r\n') + 3, r.text.indexOf('\x1b[1Gwrote'));
  t.equal(body.length, 1176, 'bytes of dump lines');
  t.equal(body.slice(0, 84), `${'/'.repeat(80)}\x1b[1G`);
  t.equal(body.slice(84, 168), `${'\\'.repeat(80)}\x1b[1G`);
  // dump ... close ends the session after the dump
  c.send('dump 0 0 drain close\r');
  await c.ended;
  t.equal(text(await c.rest(0)), '\r\nkb_limit=0, delay=0, drain=False, do_close=True:\r\n\x1b[1Gwrote 0 bytes\r\n0 OK');
});

t.test('parseDump: telnetlib3 defaults, the drain quirk and the caps', async (t) => {
  t.same(parseDump('dump'), { kbLimit: 1000, delay: 0, drain: true, doClose: false });
  t.same(parseDump('dump x 2500.5'), { kbLimit: 1000, delay: 2, drain: true, doClose: false });
  t.same(parseDump('dump 3 0 nodrain'), { kbLimit: 3, delay: 0, drain: true, doClose: false });
  t.same(parseDump('dump 3 0 drain CLOSE'), { kbLimit: 3, delay: 0, drain: false, doClose: true });
  t.same(parseDump('dump 999999999 1e12'), { kbLimit: 100000, delay: 3600, drain: true, doClose: false });
  t.same(parseDump('dump 1 nan'), { kbLimit: 1, delay: 0, drain: true, doClose: false });
  t.same([...characterDump(0)], ['\x1b[1Gwrote 0 bytes']);
});

t.test('a byte server (encoding: false) works', async (t) => {
  const server = await startServer(t, { encoding: false });
  const c = client(t, server, { acceptDo: [Opt.ECHO] });
  await c.until(PROMPT_GA);
  let r = await command(c, 'help\r');
  t.equal(r.text, `help\r\n${TELSH_HELP}\r\n${PROMPT}`);
  r = await command(c, Buffer.from('caf\xe9\x7f\xff\xff!\r', 'latin1'));
  // é erased, IAC IAC arrives as one 0xFF byte and is echoed doubled
  t.equal(r.text, `caf\xe9\b \b\xff!\r\nno such command.\r\n${PROMPT}`);
  t.ok(r.raw.includes(Buffer.from([0xff, 0xff, 0x21])), 'echoed 0xFF is doubled on the wire');
  r = await command(c, 'reader\r');
  t.match(r.text, /<TelnetReader encoding=false limit=65536 buflen=0 eof=false>/);
  c.send('quit\r');
  await c.ended;
  t.equal(text(await c.rest(0)), 'quit\r\nGoodbye.\r\n');
});

t.test('EOF from the client ends the shell; the server closes the socket', async (t) => {
  const server = await startServer(t);
  const c = client(t, server);
  await c.until(PROMPT_GA);
  t.equal(server.clients.length, 1);
  c.send('hel');
  c.end();
  await c.ended;
  await c.closed;
  t.pass('server closed its side after our EOF');
  for (let i = 0; i < 50 && server.clients.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(server.clients.length, 0, 'connection gone');
});
