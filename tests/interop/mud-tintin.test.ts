/**
 * Interop: TinTin++ (Debian's tt++) as a real MUD client against our mini-MUD
 * (bin/examples/server-mud.ts), through a logging relay. tt++ runs a script
 * (`-r`): it logs in, walks north and quits. Checked: it negotiates MCCP2,
 * GMCP and MSSP, the room text reaches it through compression (the relay
 * sees no room text in clear after the start sequence), and the compressed
 * stream ends cleanly before the FIN.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import { createServer } from '../../src/server.js';
import { shell } from '../../bin/examples/server-mud.js';
import { killAll, needPeer, peer, peerTestOptions, spawnPeer, startRelay, withTimeout } from '../helpers/peers.js';
import { negotiations } from './wire.js';

const tintin = peer('tt++');
t.teardown(() => killAll());

t.test('TinTin++ plays the mini-MUD: MCCP2, GMCP, MSSP, room text through compression', peerTestOptions(20000, tintin), async (tt) => {
  const bin = needPeer(tt, tintin);
  if (bin === null) return;
  const server = await createServer({ host: '127.0.0.1', port: 0, shell, connectMaxwait: 1000 });
  const relay = await startRelay(server.port);
  tt.teardown(async () => {
    await relay.close();
    server.close(100);
    await server.waitClosed();
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telnetlib3-tintin-mud-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, 'mud.tin');
  writeFileSync(script, [
    '#delay {12} {#end}',
    // tt++ answers WILL GMCP only when a script asks it to.
    '#event {IAC WILL GMCP} {#send {\\xFF\\xFD\\xC9\\}}',
    // ... and DO MSSP only in its telnet debug mode, so ask for it the same way.
    '#event {IAC WILL MSSP} {#send {\\xFF\\xFD\\x46\\}}',
    '#event {IAC SB MSSP} {#showme TEST-MSSP %0=%1}',
    '#action {What is your name?} {#send {tina}}',
    '#action {Town Square} {#send {north}}',
    '#action {The Prancing Pony} {#send {quit}}',
    '#action {Farewell!} {#showme TEST-FAREWELL}',
    '#event {SESSION DISCONNECTED} {#end}',
    `#session {mud} {127.0.0.1} {${relay.port}}`,
    '',
  ].join('\n'));
  const p = spawnPeer(bin, ['-H', '-G', '-r', script], { timeoutMs: 15000, cwd: dir, env: { ...process.env, HOME: dir, TERM: 'xterm' } });
  tt.teardown(() => p.kill());
  const exit = await withTimeout(p.exited, 17000, 'tt++ exit');
  tt.notOk(exit.timedOut, 'tt++ finished by itself');
  const out = p.stdout();
  tt.match(out, /Town Square/, 'tt++ showed the first room');
  tt.match(out, /The Prancing Pony/, 'tt++ moved north');
  tt.match(out, /TEST-MSSP NAME=telnetlib3 mini-MUD/, 'tt++ decoded our MSSP table');
  tt.match(out, /TEST-FAREWELL/, 'tt++ saw the last line, sent just before the compressed stream ended');

  const c2s = negotiations(relay.c2s());
  tt.ok(c2s.includes('DO MCCP2'), 'tt++ agreed to MCCP2');
  tt.ok(c2s.includes('DO GMCP'), 'tt++ agreed to GMCP');
  tt.ok(c2s.includes('DO MSSP'), 'tt++ agreed to MSSP');
  const s2c = relay.s2c();
  const start = s2c.indexOf(Buffer.from([Cmd.IAC, Cmd.SB, Opt.MCCP2, Cmd.IAC, Cmd.SE]));
  tt.ok(start > 0, 'IAC SB MCCP2 IAC SE sent');
  const plain = s2c.subarray(0, start);
  tt.match(plain.toString('latin1'), /NAME\x02telnetlib3 mini-MUD/, 'the MSSP table went out before compression');
  const compressed = s2c.subarray(start + 5);
  tt.notOk(compressed.toString('latin1').includes('Town Square'), 'no room text in clear after the start sequence');
  const inflated = zlib.inflateSync(compressed).toString('latin1');
  tt.match(inflated, /Town Square/, 'the room text is in the compressed stream');
  tt.match(inflated, /\xff\xfa\xc9Room\.Info \{"num":1/, 'GMCP Room.Info inside the compressed stream');
  tt.match(inflated, /Farewell!/);
  tt.ok(compressed.length < inflated.length, `compressed ${compressed.length} < ${inflated.length} bytes`);
});
