/**
 * What a parser reports for an input fed in pieces, as comparable lines:
 * data runs joined (and copied: in-place mode rewrites the chunk), then one
 * line per command, negotiation, subnegotiation and problem.
 */
import type { ProtocolProblem } from '../../src/protocol/errors.js';
import { type ParserHandler, type ParserOptions, TelnetParser } from '../../src/protocol/parser.js';

/**
 * Feed a copy of `input` cut at the offsets `cuts` (ascending) and log what
 * the parser reports; `place` may move each piece where it is parsed (as the
 * engine's static reads do).
 */
export function parserLog(input: Buffer, options: ParserOptions, cuts: readonly number[], place: (piece: Buffer) => Buffer = (p) => p): string[] {
  const log: string[] = [];
  let data: Buffer[] = [];
  const flush = (): void => {
    if (data.length > 0) log.push(`data ${Buffer.concat(data).toString('hex')}`);
    data = [];
  };
  const h: ParserHandler = {
    onData: (span) => { data.push(Buffer.from(span)); },
    onCommand: (c) => { flush(); log.push(`cmd ${c}`); },
    onNegotiate: (v, o) => { flush(); log.push(`neg ${v} ${o}`); },
    onSubnegotiation: (o, p) => { flush(); log.push(`sb ${o} ${p.toString('hex')}`); },
    onProblem: (p: ProtocolProblem) => { flush(); log.push(`problem ${p.code}`); },
  };
  const parser = new TelnetParser(h, options);
  const copy = Buffer.from(input);
  let at = 0;
  for (const cut of [...cuts, copy.length]) {
    if (cut > at) parser.receive(place(copy.subarray(at, cut)));
    at = Math.max(at, cut);
  }
  flush();
  return log;
}

/** Offsets that cut `length` bytes into pieces of `size`. */
export function everyN(length: number, size: number): number[] {
  const cuts: number[] = [];
  for (let i = size; i < length; i += size) cuts.push(i);
  return cuts;
}
