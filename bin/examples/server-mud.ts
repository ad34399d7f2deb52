/**
 * A small multi-user MUD (after telnetlib3's bin/server_mud.py): a few rooms,
 * movement, `say` to the room and `chat` to everyone, with the MUD
 * protocols a MUD client expects:
 *
 * - GMCP `Room.Info` on every move and `Char.Vitals` with the prompt,
 *   `Comm.Channel.Text` for chat; MSDP `ROOM_NAME` / `HEALTH` to MSDP clients
 * - MSSP: the server status table when the client asks (DO MSSP)
 * - MCCP2: compressed output once the client agrees (unless the server
 *   runs with --no-compression)
 * - prompts end with IAC EOR (or IAC GA), so clients know where a prompt ends
 *
 *   telnetlib3-server --shell dist/bin/examples/server-mud.js            # port 6023
 *   node dist/bin/examples/server-mud.js [host] [port]                   # the same, standalone
 *   tt++ -e '#session mud 127.0.0.1 6023'                                # play
 *
 * The world lives in this module, so every connection of the server shares
 * it. In your own project, import from 'telnetlib3' instead of '../../src/...'.
 */
import { pathToFileURL } from 'node:url';
import { Cmd, Opt, createServer } from '../../src/index.js';
import type { TelnetReader, TelnetWriter } from '../../src/index.js';

interface Room {
  num: number;
  name: string;
  area: string;
  description: string;
  exits: Record<string, number>;
}

const ROOMS: readonly Room[] = [
  { num: 1, name: 'Town Square', area: 'Town', description: 'A cobbled square with a dry fountain. Roads lead north to the tavern, east to the market and south to the gate.', exits: { north: 2, east: 3, south: 4 } },
  { num: 2, name: 'The Prancing Pony', area: 'Town', description: 'A low tavern, warm and loud. Stairs creak under the weight of adventurers. The square is south.', exits: { south: 1 } },
  { num: 3, name: 'Market', area: 'Town', description: 'Stalls of apples, rope and rusty swords. A merchant eyes your purse. The square is west.', exits: { west: 1 } },
  { num: 4, name: 'South Gate', area: 'Wilds', description: 'The town wall ends at an iron gate. Beyond it, a path disappears into the forest. The square is north.', exits: { north: 1, south: 5 } },
  { num: 5, name: 'Dark Forest', area: 'Wilds', description: 'Tall pines block the sky. Something moves between the trees. The gate is north.', exits: { north: 4 } },
];

const ALIASES: Record<string, string> = { n: 'north', s: 'south', e: 'east', w: 'west' };

interface Player {
  name: string;
  room: number;
  hp: number;
  maxhp: number;
  mp: number;
  maxmp: number;
  writer: TelnetWriter;
}

const players = new Set<Player>();
const startedAt = Date.now();

/** The MSSP table (https://tintin.mudhalla.net/protocols/mssp/). */
function msspTable(): Record<string, string | number> {
  return {
    NAME: 'telnetlib3 mini-MUD', PLAYERS: players.size, UPTIME: Math.floor(startedAt / 1000),
    CODEBASE: 'telnetlib3', CONTACT: 'nobody@example.invalid', LANGUAGE: 'English', FAMILY: 'Custom',
    GENRE: 'Fantasy', GAMEPLAY: 'Social', STATUS: 'Alpha', AREAS: 2, ROOMS: ROOMS.length,
    ANSI: 1, GMCP: 1, MSDP: 1, MCCP: 1, MSSP: 1, UTF_8: 1,
  };
}

function room(num: number): Room {
  return ROOMS.find((r) => r.num === num) ?? ROOMS[0]!;
}

function others(p: Player): Player[] {
  return [...players].filter((o) => o !== p && o.room === p.room);
}

function send(p: Player, text: string): void {
  p.writer.write(text.replace(/\r?\n/g, '\r\n'));
}

function prompt(p: Player): void {
  p.writer.sendGmcp('Char.Vitals', { hp: p.hp, maxhp: p.maxhp, mp: p.mp, maxmp: p.maxmp });
  send(p, `<${p.hp}/${p.maxhp}hp ${p.mp}/${p.maxmp}mp> `);
  p.writer.endPrompt();
}

function look(p: Player): void {
  const r = room(p.room);
  const who = others(p).map((o) => `${o.name} is here.\n`).join('');
  send(p, `\n\x1b[1m${r.name}\x1b[0m\n${r.description}\n[Exits: ${Object.keys(r.exits).join(' ')}]\n${who}`);
  p.writer.sendGmcp('Room.Info', {
    num: r.num, name: r.name, area: r.area, exits: r.exits,
  });
  p.writer.sendMsdp({ ROOM_NAME: r.name, ROOM_VNUM: r.num, HEALTH: p.hp, HEALTH_MAX: p.maxhp });
}

function tellRoom(p: Player, text: string, roomNum = p.room): void {
  for (const o of players) if (o !== p && o.room === roomNum) { send(o, `\n${text}\n`); prompt(o); }
}

/** One command; false ends the session. */
function command(p: Player, line: string): boolean {
  const [verb = '', ...rest] = line.trim().split(/\s+/);
  const arg = rest.join(' ');
  const v = ALIASES[verb.toLowerCase()] ?? verb.toLowerCase();
  const exit = room(p.room).exits[v === 'go' ? (ALIASES[arg] ?? arg) : v];
  if (v === '') return true;
  if (exit !== undefined) {
    tellRoom(p, `${p.name} leaves.`);
    p.room = exit;
    tellRoom(p, `${p.name} arrives.`);
    look(p);
  } else if (v === 'look' || v === 'l') {
    look(p);
  } else if (v === 'say') {
    send(p, `You say, "${arg}"\n`);
    tellRoom(p, `${p.name} says, "${arg}"`);
  } else if (v === 'chat') {
    for (const o of players) {
      send(o, `${o === p ? '' : '\n'}[chat] ${p.name}: ${arg}\n`);
      o.writer.sendGmcp('Comm.Channel.Text', { channel: 'chat', talker: p.name, text: `[chat] ${p.name}: ${arg}` });
      if (o !== p) prompt(o);
    }
  } else if (v === 'who') {
    send(p, `Players online: ${[...players].map((o) => o.name).join(', ')}\n`);
  } else if (v === 'rest') {
    p.hp = p.maxhp;
    p.mp = p.maxmp;
    send(p, 'You rest and feel better.\n');
  } else if (v === 'quit') {
    send(p, 'Farewell!\n');
    return false;
  } else if (v === 'north' || v === 'south' || v === 'east' || v === 'west' || v === 'go') {
    send(p, 'You cannot go that way.\n');
  } else {
    send(p, 'Commands: look, north/south/east/west (n/s/e/w), say <text>, chat <text>, who, rest, quit\n');
  }
  return true;
}

/** Offer the MUD options and wait (briefly: some clients never answer some) for the answers. */
async function negotiateMud(writer: TelnetWriter): Promise<void> {
  for (const o of [Opt.EOR, Opt.GMCP, Opt.MSDP, Opt.MSSP, Opt.MCCP2]) writer.iac(Cmd.WILL, o);
  const answered = writer.waitFor({ pending: { EOR: false, GMCP: false, MSDP: false, MSSP: false, MCCP2: false } });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([answered.catch(() => true), new Promise((r) => { timer = setTimeout(r, 1500); })]);
  clearTimeout(timer);
  if (writer.localOption.enabled(Opt.MSSP)) writer.sendMssp(msspTable());
  // MCCP2 agreed: compress from here on (unless the server refuses compression).
  if (writer.localOption.enabled(Opt.MCCP2)) writer.startCompression();
}

/** The shell: one player per connection. */
export async function shell(reader: TelnetReader<string>, writer: TelnetWriter): Promise<void> {
  await negotiateMud(writer);
  writer.write('\r\nWelcome to the telnetlib3 mini-MUD!\r\nWhat is your name? ');
  writer.endPrompt();
  let name = '';
  while (name === '') {
    const line = await reader.readline();
    if (line === '') return; // EOF
    name = line.trim().replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
    if (name === '') { writer.write('Letters and digits only. What is your name? '); writer.endPrompt(); }
  }
  const p: Player = { name: name[0]!.toUpperCase() + name.slice(1), room: 1, hp: 20, maxhp: 20, mp: 10, maxmp: 10, writer };
  players.add(p);
  try {
    writer.sendGmcp('Char.Name', { name: p.name });
    tellRoom(p, `${p.name} appears in a puff of smoke.`);
    look(p);
    prompt(p);
    for (;;) {
      const line = await reader.readline();
      if (line === '') break;
      if (!command(p, line)) break;
      prompt(p);
    }
  } finally {
    players.delete(p);
    tellRoom(p, `${p.name} vanishes.`);
  }
  await writer.drain();
  writer.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 6023);
  const server = await createServer({ host, port, shell });
  console.log(`listening on ${host}:${server.port}`);
  process.once('SIGTERM', () => { server.close(); void server.waitClosed().then(() => process.exit(0)); });
}
