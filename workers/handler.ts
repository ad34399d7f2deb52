/**
 * A handler thread of BlockingTelnetServer.serveForever(): imports the
 * handler module once (so it is warm), then runs it for each connection it
 * is given, closing the connection when the handler returns or throws.
 * Its state word tells the serving thread when it is free again, or gone.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { adoptEngineStatus } from '../src/bridge/engine-client.js';
import { wake } from '../src/bridge/channel.js';
import { type AcceptedConnection, ServerConnection } from '../src/sync/server-connection.js';

const { handler, status, state, serverCtrl } = workerData as {
  handler: { url: string; name: string };
  status: SharedArrayBuffer | null;
  state: SharedArrayBuffer;
  serverCtrl: SharedArrayBuffer;
};
const stateWord = new Int32Array(state);
const ctrl = new Int32Array(serverCtrl);
if (status !== null) adoptEngineStatus(status);

function setState(v: number): void {
  Atomics.store(stateWord, 0, v);
  wake(ctrl, 0);
}

// A handler that calls process.exit() or dies still frees its slot.
process.on('exit', () => setState(2));

// Output goes straight to fd 2: the serving thread is blocked and could not relay it.
function report(message: string): void {
  try { writeSync(2, `${message}\n`); } catch { /* nowhere to report */ }
}

// The same for the handler's own console output: a worker's stdout and stderr
// are relayed by the serving thread's event loop, which serveForever() blocks.
for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean => {
    const done = typeof encoding === 'function' ? encoding : cb;
    try {
      writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : chunk);
    } catch { /* nowhere to write */ }
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof stream.write;
}

// An exception outside the handler call (a timer, a stray promise) ends this
// thread only: reported here, and the serving thread frees the slot.
process.on('uncaughtException', (err) => {
  report(`telnetlib3: handler thread failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});

let mod: Record<string, unknown> = {};
try {
  mod = await import(handler.url) as Record<string, unknown>;
} catch (err) {
  report(`telnetlib3: cannot load handler ${handler.url}: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
}
const fn = mod[handler.name];
if (typeof fn !== 'function') {
  report(`telnetlib3: handler ${handler.url}#${handler.name} is not a function`);
  process.exit(1);
}

parentPort!.on('message', (accepted: AcceptedConnection) => {
  void (async () => {
    const conn = new ServerConnection(accepted);
    try {
      await (fn as (c: ServerConnection) => unknown)(conn);
    } catch (err) {
      report(`telnetlib3: handler for ${conn.addrport()} failed: ${(err as Error)?.stack ?? String(err)}`);
    } finally {
      conn.close();
      setState(0);
    }
  })();
});
