/**
 * exec.async / exec.blocking: commands per second (`show clock`, login
 * done beforehand) against the fake router (bin/examples/fake-router.ts,
 * in a child process), with telnetlib3/automation's Session and
 * BlockingSession; the baseline is npm `telnet-client` running the same
 * commands against the same router in the same run. CPU ms per command of
 * this process (client side; for the blocking session, its engine thread
 * included) goes to stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BlockingSession, Session } from '../../src/automation/index.js';
import { type Benchmark, note } from './harness.js';

const FAKE_ROUTER = fileURLToPath(new URL('../../bin/examples/fake-router.js', import.meta.url));
const COUNT = Number(process.env.BENCH_EXEC_COUNT ?? 2000);
const PROMPT = /Router#$/;
const EXPECT = '*12:00:00.000 UTC Mon Dec 7 2026';

interface NpmTelnet {
  connect(o: object): Promise<void>;
  exec(cmd: string): Promise<string>;
  destroy(): Promise<void>;
}
const require = createRequire(import.meta.url);
const { Telnet: NpmTelnetClass } = require('telnet-client') as { Telnet: new () => NpmTelnet };

let router: { child: ChildProcess; port: number } | null = null;

export async function startRouter(): Promise<number> {
  if (router !== null) return router.port;
  const child = spawn(process.execPath, [FAKE_ROUTER, '127.0.0.1', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`fake router exited with ${code}`)));
  });
  router = { child, port };
  return port;
}

export function stopRouter(): Promise<void> {
  router?.child.kill();
  router = null;
  return Promise.resolve();
}

function check(out: string, who: string): void {
  if (!out.startsWith(EXPECT)) throw new Error(`${who}: unexpected output ${JSON.stringify(out)}`);
}

/** A connected, logged-in client: one command per call. */
interface Runner {
  name: string;
  exec(): Promise<void> | void;
  close(): Promise<void> | void;
}

async function npmRunner(port: number): Promise<Runner> {
  const c = new NpmTelnetClass();
  await c.connect({
    host: '127.0.0.1', port, username: 'admin', password: 'secret', loginPrompt: /Username[: ]*$/i,
    passwordPrompt: /Password[: ]*$/i, shellPrompt: PROMPT, timeout: 60000, execTimeout: 20000,
  });
  return { name: 'telnet-client', exec: async () => check(await c.exec('show clock'), 'telnet-client'), close: () => c.destroy() };
}

async function asyncRunner(port: number): Promise<Runner> {
  const s = await Session.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 20000 });
  await s.login({ username: 'admin', password: 'secret' });
  return { name: 'Session', exec: async () => check(await s.exec('show clock'), 'Session'), close: () => s.close() };
}

function blockingRunner(port: number): Runner {
  const s = BlockingSession.connect('127.0.0.1', port, { prompt: PROMPT, timeout: 20000 });
  s.login({ username: 'admin', password: 'secret' });
  return { name: 'BlockingSession', exec: () => check(s.exec('show clock'), 'BlockingSession'), close: () => s.close() };
}

/**
 * Both clients run `count` commands each, in alternating slices of a tenth,
 * so the machine's noise (it is shared) falls on both alike. Returns
 * commands per second of each and notes CPU ms per command of this process.
 */
async function race(bench: string, ours: Runner, theirs: Runner, count: number): Promise<{ value: number; baseline: number }> {
  const slices = 10;
  const per = Math.max(1, Math.floor(count / slices));
  const total = { ours: { ms: 0, cpu: 0 }, theirs: { ms: 0, cpu: 0 } };
  for (let k = 0; k < slices; k++) {
    for (const [who, r] of [['ours', ours], ['theirs', theirs]] as const) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < per; i++) await r.exec();
      total[who].ms += performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      total[who].cpu += (cpu.user + cpu.system) / 1000;
    }
  }
  const n = per * slices;
  note(`${bench}: CPU ms per command in this process: ${ours.name} ${(total.ours.cpu / n).toFixed(3)}, ${theirs.name} ${(total.theirs.cpu / n).toFixed(3)}`);
  return { value: n / (total.ours.ms / 1000), baseline: n / (total.theirs.ms / 1000) };
}

/** One run of exec.async with `count` commands per client (exported for a smoke test). */
export async function execAsyncRun(port: number, count: number): Promise<{ value: number; baseline: number }> {
  const ours = await asyncRunner(port);
  const theirs = await npmRunner(port);
  try {
    return await race('exec.async', ours, theirs, count);
  } finally {
    await ours.close();
    await theirs.close();
  }
}

/** One run of exec.blocking. */
export async function execBlockingRun(port: number, count: number): Promise<{ value: number; baseline: number }> {
  const ours = blockingRunner(port);
  const theirs = await npmRunner(port);
  try {
    return await race('exec.blocking', ours, theirs, count);
  } finally {
    ours.close();
    await theirs.close();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'exec.async',
    unit: 'commands/s',
    async warmup() { await execAsyncRun(await startRouter(), 300); },
    async run() { return execAsyncRun(await startRouter(), COUNT); },
    teardown: stopRouter,
  },
  {
    name: 'exec.blocking',
    unit: 'commands/s',
    async warmup() { await execBlockingRun(await startRouter(), 300); },
    async run() { return execBlockingRun(await startRouter(), COUNT); },
    teardown: stopRouter,
  },
];
