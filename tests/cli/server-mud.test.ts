/**
 * bin/examples/server-mud.ts as a `telnetlib3-server --shell` module, played
 * by two of our clients: GMCP Room.Info / Char.Vitals / Comm.Channel.Text,
 * MSSP, MSDP, MCCP2 compression, movement, say and chat.
 */
import path from 'node:path';
import t, { type Test } from 'tap';
import { openConnection } from '../../src/client.js';
import { Opt } from '../../src/protocol/constants.js';
import type { MsdpTable } from '../../src/protocol/options/msdp.js';
import type { TelnetStreams } from '../../src/server.js';
import { killAll, withTimeout } from '../helpers/peers.js';
import { EXAMPLES, startServer } from './helpers.js';

t.teardown(() => killAll());

const STEP = 8000;
const MUD = `${path.join(EXAMPLES, 'server-mud.js')}:shell`;

interface Player {
  s: TelnetStreams;
  gmcp: Array<{ pkg: string; data: unknown }>;
  msdp: MsdpTable[];
  text: string;
}

async function join(t: Test, port: number, name: string): Promise<Player> {
  const s = await openConnection('127.0.0.1', port, {
    connectMaxwait: 2000, passiveDo: [Opt.GMCP, Opt.MSDP, Opt.MSSP, Opt.EOR],
  });
  const p: Player = { s, gmcp: [], msdp: [], text: '' };
  s.writer.onGmcp((pkg, data) => { p.gmcp.push({ pkg, data }); });
  s.writer.onMsdp((vars) => { p.msdp.push(vars); });
  t.teardown(() => s.writer.close());
  await until(p, /What is your name\?/);
  s.writer.write(`${name}\r\n`);
  await until(p, /Town Square/);
  return p;
}

async function until(p: Player, re: RegExp): Promise<void> {
  while (!re.test(p.text)) {
    const chunk = await withTimeout(p.s.reader.read(4096) as Promise<string>, STEP, `waiting for ${re}: ${JSON.stringify(p.text.slice(-300))}`);
    if (!chunk) throw new Error(`EOF while waiting for ${re}`);
    p.text += chunk;
  }
  p.text = p.text.slice(p.text.search(re));
}

t.test('mini-MUD: GMCP, MSDP, MSSP, MCCP2, movement, say and chat between two players', async (t) => {
  const { port } = await startServer(t, ['--shell', MUD]);
  const a = await join(t, port, 'alice');
  const w = a.s.writer;
  t.equal(w.remoteOption.enabled(Opt.MCCP2), true, 'MCCP2 agreed');
  t.equal(w.compression.receive?.active, true, 'the server output is compressed');
  const mssp = w.getExtraInfo<Record<string, string>>('mssp');
  t.equal(mssp?.NAME, 'telnetlib3 mini-MUD', 'MSSP table kept in extra info');
  t.equal(mssp?.GMCP, '1');
  const room = a.gmcp.find((g) => g.pkg === 'Room.Info');
  t.same(room?.data, { num: 1, name: 'Town Square', area: 'Town', exits: { north: 2, east: 3, south: 4 } });
  t.ok(a.msdp.some((v) => v.ROOM_NAME === 'Town Square'), 'MSDP ROOM_NAME');
  await until(a, /<20\/20hp 10\/10mp>/);
  t.ok(a.gmcp.some((g) => g.pkg === 'Char.Vitals'), 'Char.Vitals');
  t.ok(w.getExtraInfo<Record<string, unknown>>('gmcp')?.['Room.Info'], 'extra info gmcp keeps the last data of each package');

  const b = await join(t, port, 'bob');
  await until(a, /Bob appears/);
  b.s.writer.write('say hello there\r\n');
  await until(a, /Bob says, "hello there"/);
  a.s.writer.write('n\r\n');
  await until(a, /The Prancing Pony/);
  t.equal((a.gmcp.filter((g) => g.pkg === 'Room.Info').at(-1)?.data as { num: number }).num, 2, 'Room.Info after moving');
  await until(b, /Alice leaves/);
  a.s.writer.write('chat anyone here?\r\n');
  await until(b, /\[chat\] Alice: anyone here\?/);
  t.ok(b.gmcp.some((g) => g.pkg === 'Comm.Channel.Text'), 'Comm.Channel.Text');
  a.s.writer.write('quit\r\n');
  await until(a, /Farewell!/);
  t.equal(await withTimeout(a.s.reader.read() as Promise<string>, STEP, 'EOF'), '', 'clean end of the compressed stream');
  t.equal(w.compression.receive?.active, false, 'Z_STREAM_END before the FIN');
});

t.test('mini-MUD under --no-compression: plain text', async (t) => {
  const { port } = await startServer(t, ['--shell', MUD, '--no-compression']);
  const a = await join(t, port, 'carol');
  t.equal(a.s.writer.compression.receive, null);
  a.s.writer.write('look\r\n');
  await until(a, /Town Square/);
});
