/**
 * The blocking API's MUD surface: TelnetConnection against the mini-MUD
 * (bin/examples/server-mud.ts in a child process): MSSP / GMCP / MSDP
 * messages from the queue with a timeout (none lost, including those that
 * came during negotiation), sendGmcp, endPrompt, and text through MCCP2.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { Opt } from '../../src/protocol/constants.js';
import { type MudMessage, TelnetConnection } from '../../src/sync/index.js';
import { REPO_ROOT } from '../helpers/peers.js';

const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'bin', 'examples', 'server-mud.js'), '127.0.0.1', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
t.teardown(() => { child.kill(); });
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`mini-MUD did not start: ${out}`)), 10000);
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    const m = /listening on [^\s]+:(\d+)/.exec(out);
    if (m !== null) { clearTimeout(timer); resolve(Number(m[1])); }
  });
});

t.test('blocking client: MUD messages queue, with a timeout; sends; MCCP2 text', (t) => {
  const c = new TelnetConnection('127.0.0.1', port, { timeout: 5000, connectMaxwait: 2000, passiveDo: [Opt.GMCP, Opt.MSDP, Opt.MSSP, Opt.EOR] });
  c.connect();
  t.teardown(() => c.close());
  t.match(c.readUntil('What is your name? ', 5000), /Welcome to the telnetlib3 mini-MUD/);
  const first = c.readMudMessage(3000);
  t.equal(first?.type, 'mssp', 'the MSSP table, sent during negotiation, is in the queue');
  t.equal((first as Extract<MudMessage, { type: 'mssp' }>).table.NAME, 'telnetlib3 mini-MUD');
  t.equal(c.getExtraInfo<Record<string, string>>('mssp')?.NAME, 'telnetlib3 mini-MUD');
  t.ok(c.writer.remoteOption.enabled(Opt.MCCP2), 'MCCP2 agreed');
  c.write('dora\r\n');
  t.match(c.readUntil('10/10mp> ', 5000), /Town Square/, 'room text arrived (compressed on the wire)');
  const got: MudMessage[] = [];
  for (;;) {
    const m = c.readMudMessage(1000);
    if (m === null) break;
    got.push(m);
    if (m.type === 'gmcp' && m.package === 'Char.Vitals') break;
  }
  const pkgs = got.filter((m) => m.type === 'gmcp').map((m) => (m as { package: string }).package);
  t.ok(pkgs.includes('Char.Name') && pkgs.includes('Room.Info') && pkgs.includes('Char.Vitals'), `GMCP in order: ${pkgs.join(', ')}`);
  t.ok(got.some((m) => m.type === 'msdp' && m.vars.ROOM_NAME === 'Town Square'), 'MSDP (here over GMCP or MSDP)');
  const t0 = Date.now();
  t.equal(c.readMudMessage(300), null, 'nothing more: null after the timeout');
  t.ok(Date.now() - t0 >= 250, 'it waited');
  t.equal(c.sendGmcp('Core.Ping'), true, 'sendGmcp once GMCP is enabled');
  t.equal(c.endPrompt(), 'ga', 'the client never agreed to our EOR: GA');
  c.write('n\r\n');
  t.match(c.readUntil('mp> ', 5000), /Prancing Pony/);
  const room = c.readMudMessages().find((m) => m.type === 'gmcp' && m.package === 'Room.Info') as { data: { num: number } } | undefined
    ?? (c.readMudMessage(2000) as { data: { num: number } } | null);
  t.equal(room?.data.num, 2, 'Room.Info after the move');
  c.write('quit\r\n');
  t.match(c.read(-1), /Farewell!/, 'to EOF through the end of the compressed stream');
  t.end();
});
