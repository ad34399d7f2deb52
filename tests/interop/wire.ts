/**
 * Reading relay captures in the interop tests: the negotiations and
 * subnegotiations in a byte stream, by name, and a readable transcript for
 * failure reports.
 */
import { cmdName, optName } from '../../src/protocol/constants.js';
import { describeBytes, tokenize } from '../helpers/session-harness.js';
import type { Relay } from '../helpers/peers.js';

/** `IAC DO TTYPE` → `'DO TTYPE'`, in stream order. */
export function negotiations(buf: Buffer): string[] {
  const out: string[] = [];
  for (const tok of tokenize(buf)) {
    if (tok.kind === 'negotiation') out.push(`${cmdName(tok.verb)} ${optName(tok.option)}`);
  }
  return out;
}

/** Subnegotiations as `{ option: 'TTYPE', payload }` (payload unescaped, without the option byte). */
export function subnegotiations(buf: Buffer): Array<{ option: string; payload: Buffer }> {
  const out: Array<{ option: string; payload: Buffer }> = [];
  for (const tok of tokenize(buf)) {
    if (tok.kind === 'sb') out.push({ option: optName(tok.option), payload: tok.payload });
  }
  return out;
}

/** In-band data of a stream (IAC IAC undoubled, commands removed), latin1. */
export function dataText(buf: Buffer): string {
  let s = '';
  for (const tok of tokenize(buf)) if (tok.kind === 'data') s += tok.text.toString('latin1');
  return s;
}

/** Subnegotiation payloads of one option, e.g. `sbPayloads(c2s, 'TTYPE')`. */
export function sbPayloads(buf: Buffer, option: string): Buffer[] {
  return subnegotiations(buf).filter((s) => s.option === option).map((s) => s.payload);
}

/** A transcript of relay connection `i`: one line per chunk, direction, ms and decoded tokens. */
export function transcript(relay: Relay, i = 0): string {
  const c = relay.connections[i];
  if (c === undefined) return '(no connection through the relay)';
  return c.log.map((e) => `+${String(e.ms).padStart(5)}ms ${e.dir === 'c2s' ? 'C>S' : 'S>C'} ${describeBytes(e.data)}`).join('\n');
}
