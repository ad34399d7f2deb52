/**
 * MUD-like text for the MCCP benchmark: room descriptions, exits, a prompt
 * and chat lines from a seeded generator (ANSI colour codes included), so
 * the compression ratio is that of real MUD output, not of one repeated line.
 */
import { prng } from './harness.js';

const ADJ = ['dusty', 'narrow', 'damp', 'vast', 'silent', 'smoky', 'ancient', 'crumbling', 'sunlit', 'gloomy', 'cold', 'grand'];
const PLACE = ['hall', 'corridor', 'cavern', 'courtyard', 'chapel', 'library', 'cellar', 'forge', 'market', 'tower room', 'crypt', 'garden'];
const THING = ['a rusty sword', 'an old tapestry', 'a broken chair', 'a pile of bones', 'a flickering torch', 'a wooden chest', 'a silver mirror', 'muddy footprints'];
const SOUND = ['Water drips somewhere.', 'A cold wind blows.', 'You hear distant voices.', 'Rats scurry in the walls.', 'A bell tolls far away.'];
const DIRS = ['north', 'south', 'east', 'west', 'up', 'down'];
const NAMES = ['Aragorn', 'Brienne', 'Conan', 'Drizzt', 'Elric', 'Fafhrd', 'Gandalf'];

/** `size` bytes of MUD output (ASCII with ANSI escapes, CR LF line ends). */
export function makeMudText(size: number, seed = 7): Buffer {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const parts: string[] = [];
  let n = 0;
  let room = 1000;
  while (n < size) {
    room += 1 + Math.floor(rand() * 7);
    const exits = DIRS.filter(() => rand() < 0.4);
    let s = `\x1b[1;36mThe ${pick(ADJ)} ${pick(PLACE)}\x1b[0m [${room}]\r\n`
      + `You stand in a ${pick(ADJ)} ${pick(PLACE)}. ${pick(SOUND)} In the corner lies ${pick(THING)},\r\n`
      + `and beside it ${pick(THING)}. ${pick(SOUND)}\r\n`
      + `\x1b[32m[Exits: ${exits.length > 0 ? exits.join(' ') : 'none'}]\x1b[0m\r\n`;
    if (rand() < 0.5) s += `\x1b[33m${pick(NAMES)} says, 'Have you seen ${pick(THING)}?'\x1b[0m\r\n`;
    s += `<${Math.floor(rand() * 100)}/100hp ${Math.floor(rand() * 50)}/50mp> \r\n`;
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, size);
}
