/**
 * Client child of the miniboa.poll benchmark:
 *
 *   node miniboa-clients-child.js PORT N
 *
 * Opens N raw TCP connections (in batches, so the listen backlog is not
 * overrun); each sends one line every 2 s, the line being its send time in
 * ms since the epoch, at a random phase so the load is even. The server
 * does not negotiate (raw miniboa), so nothing needs answering. Prints
 * `{"connected": N}` once all are open; runs until killed.
 */
import net from 'node:net';

const PORT = Number(process.argv[2]);
const N = Number(process.argv[3] ?? 5000);
const PERIOD = 2000;
const nowMs = (): number => performance.timeOrigin + performance.now();
let open = 0;
let failed = 0;

function client(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port: PORT, host: '127.0.0.1' });
    s.setNoDelay(true);
    s.on('data', () => { /* acks */ });
    s.on('error', () => { failed++; resolve(); });
    s.once('connect', () => {
      open++;
      const tick = (): void => { if (!s.destroyed) s.write(`${nowMs().toFixed(3)}\n`); };
      setTimeout(() => { tick(); setInterval(tick, PERIOD); }, Math.random() * PERIOD);
      resolve();
    });
  });
}

for (let i = 0; i < N; i += 250) {
  await Promise.all(Array.from({ length: Math.min(250, N - i) }, () => client()));
}
process.stdout.write(`${JSON.stringify({ connected: open, failed })}\n`);
