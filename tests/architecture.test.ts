/**
 * The layering, checked on the sources' import lines:
 *
 *   bin > compat, workers > automation > sync > bridge > (shells, fingerprint,
 *   web, relay) > (client.ts, server.ts, client-shell.ts) > engine > encodings > protocol
 *
 * A module may import its own layer and the layers below it, never one
 * above. The protocol core stays pure: of Node's modules it may use
 * `node:buffer` only (no sockets, timers, threads or files), and it imports
 * no package.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The layer of a source path (relative to the root, with `/`), higher may import lower; null: not checked. */
export function layerOf(rel: string): number | null {
  const rules: Array<[RegExp, number]> = [
    [/^src\/protocol\//, 0],
    [/^src\/encodings\//, 1],
    [/^src\/engine\//, 2],
    [/^src\/(client|server|client-shell|cluster)\.ts$/, 3],
    [/^src\/(shells|fingerprint|web|relay)\//, 4],
    [/^src\/index\.ts$/, 5],
    [/^src\/bridge\//, 6],
    [/^src\/sync\//, 7],
    [/^src\/automation\//, 8],
    [/^(compat|workers)\//, 9],
    [/^bin\//, 10],
  ];
  for (const [re, layer] of rules) if (re.test(rel)) return layer;
  return null;
}

const LAYER_NAMES = ['protocol', 'encodings', 'engine', 'client/server', 'shells/fingerprint/web/relay', 'index',
  'bridge', 'sync', 'automation', 'compat/workers', 'bin'];

function sources(dir: string): string[] {
  const out: string[] = [];
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return out;
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
export function specifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

const files = ['src', 'compat', 'workers', 'bin'].flatMap(sources);

t.test('the layering holds: no import runs back up', (t) => {
  const upward: string[] = [];
  for (const rel of files) {
    const from = layerOf(rel);
    if (from === null) continue;
    for (const spec of specifiers(fs.readFileSync(path.join(root, rel), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      if (to !== null && to > from) upward.push(`${rel} (${LAYER_NAMES[from]}) imports ${target} (${LAYER_NAMES[to]})`);
    }
  }
  t.strictSame(upward, [], 'upward imports');
  t.ok(files.length > 50, `checked ${files.length} files`);
  t.end();
});

t.test('the protocol core is pure', (t) => {
  const impure: string[] = [];
  for (const rel of files.filter((f) => f.startsWith('src/protocol/'))) {
    for (const spec of specifiers(fs.readFileSync(path.join(root, rel), 'utf8'))) {
      if (spec.startsWith('.') || spec === 'node:buffer') continue;
      impure.push(`${rel} imports ${spec}`);
    }
  }
  t.strictSame(impure, [], 'non-pure imports in src/protocol');
  t.end();
});

t.test('the checker sees what it must', (t) => {
  t.strictSame(specifiers("/**\n * import x from 'telnetlib3/protocol';\n */\n// import y from 'z';\nimport a from './a.js';\nexport { b } from '../b.js';\nimport './c.js';\nconst d = await import('./d.js');\nimport type { E } from 'node:net';"),
    ['./a.js', '../b.js', './c.js', './d.js', 'node:net']);
  t.equal(layerOf('src/protocol/options/naws.ts'), 0);
  t.equal(layerOf('src/engine/tls.ts'), 2);
  t.equal(layerOf('src/cluster.ts'), 3);
  t.equal(layerOf('src/sync/core.ts'), 7);
  t.equal(layerOf('bin/examples/x.ts'), 10);
  t.equal(layerOf('tests/x.ts'), null);
  t.ok(layerOf('src/engine/x.ts')! > layerOf('src/protocol/x.ts')!, 'engine sits above protocol');
  t.end();
});
