/**
 * Helpers for the compat tests. A blocking client stops this thread's event
 * loop, so the servers it talks to run in child processes
 * ({@link scriptServer}); the results are collected once the blocking part
 * is over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Block this thread for `ms` (the event loop stops; children run on). */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Path of a compiled script under tests/compat/fixtures/. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

/** Hex of latin1 text or bytes, for script steps. */
export function hex(data: string | Buffer): string {
  return (typeof data === 'string' ? Buffer.from(data, 'latin1') : data).toString('hex');
}

export type Step =
  | { send: string } | { text: string } | { fill: [number, number] } | { sleep: number }
  | { waitFor: string } | { waitForText: string } | { end: true } | { destroy: true };

/** A running script server. */
export interface ScriptServer {
  port: number;
  child: ChildProcess;
  /** What each connection received from the client, in accept order (resolves when the child exits). */
  received: Promise<Buffer[]>;
}

/**
 * Start `fixtures/script-server.js`: `steps` for each of `connections`
 * connections, or (`steps` a list of lists) one script per connection.
 */
export async function scriptServer(steps: Step[] | Step[][], connections?: number): Promise<ScriptServer> {
  const spec = Array.isArray(steps[0]) ? { scripts: steps } : { steps, connections: connections ?? 1 };
  const child = spawn(process.execPath, [fixture('script-server'), JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: any[] = [];
  let rest = '';
  let onLine: (() => void) | null = null;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    rest += s;
    let nl: number;
    while ((nl = rest.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(rest.slice(0, nl)));
      rest = rest.slice(nl + 1);
      onLine?.();
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    onLine = () => { if (lines[0]?.port !== undefined) resolve(lines[0].port as number); };
    child.once('exit', (code) => reject(new Error(`script server exited early (${code})`)));
  });
  const received = exited.then(() => lines.filter((l) => l.conn !== undefined)
    .sort((a, b) => a.conn - b.conn)
    .map((l) => Buffer.from(l.received as string, 'hex')));
  return { port, child, received };
}
