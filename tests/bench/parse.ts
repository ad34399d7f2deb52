/**
 * Pure-core throughput: `parse.*` feeds 64 MiB to a bare TelnetParser,
 * `session.*` the same bytes to a full TelnetSession (server role), so the
 * difference is the cost of the session layer.
 *
 * - `*.ascii`: printable text lines with CR LF (no IAC, no NUL), NVT mode.
 * - `*.binary`: uniformly random bytes with every 0xFF doubled, BINARY mode.
 *
 * Input arrives in 64 KiB chunks. The data handler only sums span lengths,
 * so the numbers measure the parser (or session), not the consumer. Unit:
 * MB/s of wire input, MB = 1e6 bytes. No baseline: benchmarks.md states an
 * absolute target for the pure core.
 */
import { Cmd, Opt } from '../../src/protocol/constants.js';
import type { ProtocolProblem } from '../../src/protocol/errors.js';
import { type ParserHandler, TelnetParser } from '../../src/protocol/parser.js';
import { TelnetSession } from '../../src/protocol/session.js';
import { type Benchmark, chunks, makeAscii, makeBinaryEscaped, mbPerSecond, seconds } from './harness.js';

/** Wire bytes per benchmark input. */
export const INPUT_BYTES = 64 * 1024 * 1024;
/** Chunk size fed to `receive`. */
export const CHUNK_BYTES = 64 * 1024;
/** PRNG seed of the binary input. */
export const BINARY_SEED = 0x7e1e7;

export type InputKind = 'ascii' | 'binary';
export type Layer = 'parser' | 'session';

/** One prepared input: the chunks and how many payload bytes they must yield. */
export interface Input {
  kind: InputKind;
  chunks: Buffer[];
  wireBytes: number;
  payloadBytes: number;
}

/** Build an input of `bytes` wire bytes. */
export function makeInput(kind: InputKind, bytes: number, chunkBytes = CHUNK_BYTES): Input {
  if (kind === 'ascii') {
    const wire = makeAscii(bytes);
    return { kind, chunks: chunks(wire, chunkBytes), wireBytes: wire.length, payloadBytes: wire.length };
  }
  const { wire, payload } = makeBinaryEscaped(bytes, BINARY_SEED);
  return { kind, chunks: chunks(wire, chunkBytes), wireBytes: wire.length, payloadBytes: payload };
}

/** A handler that only counts: data bytes, and anything that should not happen. */
class CountingHandler implements ParserHandler {
  bytes = 0;
  other = 0;
  onData(span: Buffer): void {
    this.bytes += span.length;
  }
  onCommand(_cmd: number): void {
    this.other++;
  }
  onNegotiate(_verb: number, _opt: number): void {
    this.other++;
  }
  onSubnegotiation(_opt: number, _payload: Buffer): void {
    this.other++;
  }
  onProblem(_problem: ProtocolProblem): void {
    this.other++;
  }
}

/** Result of one pass. */
export interface Pass {
  /** Payload bytes delivered as data. */
  payload: number;
  /** Events other than data (commands, negotiations, problems): must be 0 for these inputs. */
  other: number;
  /** Time spent feeding the chunks, in seconds. */
  elapsed: number;
}

/** One pass of the parser benchmark's core loop (a fresh parser). */
export function parsePass(input: Input): Pass {
  const h = new CountingHandler();
  const p = new TelnetParser(h, { binary: input.kind === 'binary' });
  const cs = input.chunks;
  const t0 = seconds();
  for (let i = 0; i < cs.length; i++) p.receive(cs[i]!);
  p.end();
  const elapsed = seconds() - t0;
  return { payload: h.bytes, other: h.other, elapsed };
}

const WILL_BINARY = Buffer.from([Cmd.IAC, Cmd.WILL, Opt.BINARY]);

/** One pass of the session benchmark's core loop (a fresh server session). */
export function sessionPass(input: Input): Pass {
  const s = new TelnetSession({ role: 'server' });
  let payload = 0;
  let other = 0;
  s.onData = (span) => {
    payload += span.length;
  };
  s.onEvent = (ev) => {
    if (ev.type !== 'option') other++;
  };
  if (input.kind === 'binary') {
    s.receive(WILL_BINARY);
    if (!s.inBinary) throw new Error('session did not enable remote BINARY after IAC WILL BINARY');
  }
  const cs = input.chunks;
  const t0 = seconds();
  for (let i = 0; i < cs.length; i++) s.receive(cs[i]!);
  const elapsed = seconds() - t0;
  s.end();
  return { payload, other, elapsed };
}

function pass(layer: Layer, input: Input): Pass {
  return layer === 'parser' ? parsePass(input) : sessionPass(input);
}

function check(name: string, input: Input, p: Pass): void {
  if (p.payload !== input.payloadBytes) {
    throw new Error(`${name}: delivered ${p.payload} payload bytes, expected ${input.payloadBytes}`);
  }
  if (p.other !== 0) throw new Error(`${name}: ${p.other} unexpected non-data events`);
}

/**
 * One small iteration of a benchmark's core loop on `bytes` wire bytes
 * (for the test). Returns the payload byte count delivered.
 */
export function parseOnce(kind: InputKind, bytes: number, layer: Layer = 'parser'): number {
  const input = makeInput(kind, bytes);
  const p = pass(layer, input);
  if (p.other !== 0) throw new Error(`${layer} ${kind}: ${p.other} unexpected non-data events`);
  return p.payload;
}

// Inputs are built on first use and shared by parse.* and session.*.
const inputs = new Map<InputKind, Input>();
function input(kind: InputKind): Input {
  let i = inputs.get(kind);
  if (i === undefined) {
    i = makeInput(kind, INPUT_BYTES);
    inputs.set(kind, i);
  }
  return i;
}

function bench(name: string, layer: Layer, kind: InputKind): Benchmark {
  return {
    name,
    unit: 'MB/s',
    runs: 3,
    async warmup() {
      // Untimed: build the input, warm the JIT, and verify the payload count once.
      check(name, input(kind), pass(layer, input(kind)));
    },
    async run() {
      const inp = input(kind);
      const p = pass(layer, inp);
      check(name, inp, p); // outside the timed part
      return { value: mbPerSecond(inp.wireBytes, p.elapsed) };
    },
  };
}

export const benchmarks: Benchmark[] = [
  bench('parse.ascii', 'parser', 'ascii'),
  bench('parse.binary', 'parser', 'binary'),
  bench('session.ascii', 'session', 'ascii'),
  bench('session.binary', 'session', 'binary'),
];
