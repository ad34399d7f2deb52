/**
 * The generated tables are what the mapping files say: regenerating
 * tables.generated.ts from src/encodings/data/*.txt gives the committed file.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = path.join(root, 'src', 'encodings', 'data');

t.test('tables.generated.ts is up to date with the mapping files', async (t) => {
  const gen = await import(path.join(dataDir, 'generate.mjs')) as { generate(dir?: string): string; parseMapping(text: string, file?: string): number[] };
  t.equal(gen.generate(dataDir), fs.readFileSync(path.join(root, 'src', 'encodings', 'tables.generated.ts'), 'utf8'));
  t.throws(() => gen.parseMapping('0x00\t0x0041\n'), /not mapped/, 'a file missing bytes is refused');
  t.throws(() => gen.parseMapping('0x00\t0x0041\n0x00\t0x0042\n'), /mapped twice/);
});
