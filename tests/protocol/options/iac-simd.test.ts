/**
 * The WebAssembly IAC escaper: byte for byte what the oracle gives, at every
 * length around its 16-byte blocks and 64 KiB pieces and at every density
 * of 0xFF, and the embedded module is what iac-simd.wat assembles to.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { escapeIac } from '../../../src/protocol/options/codec.js';
import { IAC_SIMD_WASM, escapeIacSimd } from '../../../src/protocol/options/iac-simd.js';
import { mulberry32 } from '../../helpers/session-harness.js';
import { REPO_ROOT, needPeer, peer, peerTestOptions } from '../../helpers/peers.js';

function oracle(buf: Buffer): Buffer {
  const out = Buffer.alloc(buf.length * 2);
  let j = 0;
  for (const b of buf) {
    out[j++] = b;
    if (b === 0xff) out[j++] = 0xff;
  }
  return out.subarray(0, j);
}

function randomBytes(rand: () => number, len: number, density: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = rand() < density ? 0xff : Math.floor(rand() * 255);
  return b;
}

t.test('this runtime runs the module', async (t) => {
  t.not(escapeIacSimd(Buffer.from([0xff])), null, 'Node.js >= 20 has WebAssembly SIMD');
});

t.test('lengths around the 16-byte blocks, 0xFF at each position', async (t) => {
  let bad = 0;
  for (let len = 1; len <= 50; len++) {
    for (let at = 0; at < len; at++) {
      const b = Buffer.alloc(len, 0x41);
      b[at] = 0xff;
      const got = escapeIacSimd(b)!;
      if (!got.equals(oracle(b))) { bad++; t.fail(`length ${len}, 0xFF at ${at}: ${got.toString('hex')}`); }
    }
  }
  t.equal(bad, 0, '1,275 placements');
  t.equal(escapeIacSimd(Buffer.alloc(0))!.length, 0, 'empty in, empty out');
});

t.test('random buffers up to 300 KiB, densities from none to all 0xFF', async (t) => {
  const rand = mulberry32(0x5eed);
  const lengths = [15, 16, 17, 1023, 1024, 4097, 65535, 65536, 65537, 131072, 131073, 300_001];
  let checked = 0;
  for (const density of [0, 1 / 4096, 1 / 256, 1 / 16, 1 / 2, 1]) {
    for (const len of lengths) {
      const b = randomBytes(rand, len, density);
      const before = Buffer.from(b);
      const got = escapeIacSimd(b)!;
      if (!got.equals(oracle(before))) t.fail(`density ${density}, length ${len}`);
      if (!b.equals(before)) t.fail(`input modified (density ${density}, length ${len})`);
      // escapeIac picks the module for these sizes and must agree too.
      if (!escapeIac(b).equals(got)) t.fail(`escapeIac differs (density ${density}, length ${len})`);
      checked++;
    }
  }
  t.equal(checked, 72);
});

t.test('outputs do not share memory: each call returns its own bytes', async (t) => {
  const a = escapeIacSimd(Buffer.from([1, 0xff, 2]))!;
  const b = escapeIacSimd(Buffer.from([3, 0xff, 4]))!;
  t.same([...a], [1, 0xff, 0xff, 2]);
  t.same([...b], [3, 0xff, 0xff, 4]);
  const big = escapeIacSimd(Buffer.alloc(200_000, 0xff))!;
  escapeIacSimd(Buffer.alloc(200_000, 0x01));
  t.ok(big.equals(Buffer.alloc(400_000, 0xff)), 'a later call leaves an earlier result alone');
});

const wat2wasm = peer('wat2wasm');
t.test('the embedded module is iac-simd.wat assembled', peerTestOptions(30_000, wat2wasm), async (t) => {
  const bin = needPeer(t, wat2wasm);
  if (bin === null) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'iac-simd-'));
  try {
    const out = path.join(dir, 'iac-simd.wasm');
    const r = spawnSync(bin, [path.join(REPO_ROOT, 'src/protocol/options/iac-simd.wat'), '-o', out], { encoding: 'utf8' });
    t.equal(r.status, 0, `wat2wasm: ${r.stderr}`);
    const assembled = readFileSync(out).toString('base64');
    t.equal(IAC_SIMD_WASM, assembled, 'IAC_SIMD_WASM in iac-simd.ts matches; if not, paste the assembled base64 there');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
