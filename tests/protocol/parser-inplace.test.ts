import t from 'tap';
import { TelnetParser } from '../../src/protocol/parser.js';
import { everyN, parserLog } from '../helpers/parser-log.js';

/** Everything a parser reports, fed in pieces of `chunk` bytes. */
function run(input: Buffer, inPlace: boolean, binary: boolean, chunk: number): string[] {
  return parserLog(input, { inPlace, binary }, everyN(input.length, chunk));
}

t.test('in-place parsing reports exactly what span parsing reports', async (t) => {
  let x = 12345;
  const rnd = (n: number): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x % n; };
  const specials = [0xff, 0xff, 0xff, 0x00, 0x0d, 0x0a, 0xfa, 0xf0, 0xfb, 0xfd, 0xf1, 0x18];
  let cases = 0;
  for (let k = 0; k < 300; k++) {
    const len = 1 + rnd(600);
    const input = Buffer.alloc(len);
    for (let i = 0; i < len; i++) input[i] = rnd(3) === 0 ? specials[rnd(specials.length)]! : 0x20 + rnd(90);
    for (const binary of [false, true]) {
      const chunk = 1 + rnd(64);
      const spans = run(input, false, binary, chunk);
      const inplace = run(input, true, binary, chunk);
      if (JSON.stringify(spans) !== JSON.stringify(inplace)) {
        t.fail(`differs for ${input.toString('hex')} binary=${binary} chunk=${chunk}`);
        return;
      }
      cases++;
    }
  }
  t.equal(cases, 600, 'every case identical');
});

t.test('in-place parsing squeezes escapes into one span', async (t) => {
  const spans: Buffer[] = [];
  const p = new TelnetParser({
    onData: (s) => spans.push(Buffer.from(s)), onCommand: () => {}, onNegotiate: () => {}, onSubnegotiation: () => {}, onProblem: () => {},
  }, { inPlace: true, binary: false });
  p.receive(Buffer.from([0x61, 0xff, 0xff, 0x62, 0x00, 0x63, 0xff, 0xff]));
  t.equal(spans.length, 1);
  t.same([...spans[0]!], [0x61, 0xff, 0x62, 0x63, 0xff]);
});
