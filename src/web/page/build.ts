/**
 * Build step (run by `npm run build` after tsc): bundles the browser page of
 * `telnetlib3-web` — src/web/page/app.js with @xterm/xterm, @xterm/addon-fit
 * and their CSS — into dist/src/web/static/ (index.html, app.js, app.css),
 * which the gateway serves. Nothing is loaded from a CDN at run time.
 *
 *   node dist/src/web/page/build.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/src/web/page
const root = path.resolve(here, '../../../..');
const source = path.join(root, 'src/web/page');
const out = path.resolve(here, '../static');

fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(source, 'app.js')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(source, 'index.html'), path.join(out, 'index.html'));
