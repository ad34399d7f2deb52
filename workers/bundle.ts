/**
 * Build step (run by `npm run build` after tsc): bundles the handler thread
 * of BlockingTelnetServer.serveForever() into dist/workers/handler.bundle.js.
 *
 * Each ES module a thread loads costs it 30-50 KiB of resident memory
 * (its record, source and compiled code), and a server holds one handler
 * thread per connection: loading the handler's nine modules as one saves
 * about 0.35 MiB per connection (server.blocking.rss: 8.25 -> 7.9 MiB).
 *
 * Modules whose identity or state must be the same one that the handler's
 * own imports of `telnetlib3/sync` get stay outside the bundle and load as
 * themselves: the error classes (so `instanceof TelnetClosedError` works in a
 * handler), the constants, and the engine client with its channel and spin helpers
 * (which hold the thread's engine status and spin back-off). ServerConnection is inside; its
 * class recognises instances of either copy (Symbol.hasInstance).
 *
 *   node dist/workers/bundle.js
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const workers = path.dirname(fileURLToPath(import.meta.url));
const dist = path.dirname(workers);

/** Loaded as themselves (absolute paths: esbuild rewrites the imports relative to the bundle). */
const SHARED = ['protocol/errors.js', 'protocol/constants.js', 'bridge/engine-client.js', 'bridge/channel.js', 'bridge/spin.js']
  .map((p) => path.join(dist, 'src', p));

await build({
  entryPoints: [path.join(workers, 'handler.js')],
  outfile: path.join(workers, 'handler.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: SHARED,
  logLevel: 'warning',
});
