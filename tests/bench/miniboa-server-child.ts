/**
 * Server child of the miniboa.poll benchmark:
 *
 *   node miniboa-server-child.js N WINDOW_S [WINDOWS]
 *
 * A compat/miniboa TelnetServer (default timeout 0.05 s) in a plain poll
 * loop: each command is a client's send time (ms since the epoch, µs
 * precision); the loop records, per command, the time from that send to
 * get_command() returning it, and acknowledges it (`ok\n`). It prints
 * `{"port"}` when listening, `{"connected"}` once N clients are in, then
 * every WINDOW_S seconds one JSON line of statistics for that window
 * (line latency and poll() duration percentiles, RSS) and starts afresh.
 * It runs until killed, or exits after WINDOWS windows when given.
 */
import { TelnetServer, type TelnetClient } from '../../compat/miniboa.js';

const N = Number(process.argv[2] ?? 5000);
const WINDOW = Number(process.argv[3] ?? 10) * 1000;
const WINDOWS = Number(process.argv[4] ?? Infinity);
let windows = 0;
const nowMs = (): number => performance.timeOrigin + performance.now();
const out = (v: unknown): void => { process.stdout.write(`${JSON.stringify(v)}\n`); };

const server = new TelnetServer({ port: 0, address: '127.0.0.1', max_connections: N + 100, backlog: 4096, on_connect: () => {} });
out({ port: server.port });

function pct(xs: Float64Array, n: number, p: number): number {
  if (n === 0) return 0;
  const s = xs.subarray(0, n).slice().sort();
  return s[Math.min(n - 1, Math.floor((p / 100) * n))]!;
}

const lat = new Float64Array(1 << 20);
const polls = new Float64Array(1 << 20);
let nLat = 0;
let nPoll = 0;
let bad = 0;
let measuring = false;
let windowStart = 0;
let connectedAt = 0;

for (;;) {
  const t0 = nowMs();
  server.poll();
  const t1 = nowMs();
  if (measuring && nPoll < polls.length) polls[nPoll++] = t1 - t0;
  for (const client of server.clients.values()) {
    while (client.cmd_ready) {
      const cmd = (client as TelnetClient).get_command()!;
      const sent = Number(cmd);
      if (Number.isFinite(sent) && sent > 0) {
        if (measuring && nLat < lat.length) lat[nLat++] = t1 - sent;
      } else {
        bad++;
      }
      client.send('ok\n');
    }
  }
  if (!measuring && server.client_count() >= N) {
    measuring = true;
    connectedAt = windowStart = nowMs();
    out({ connected: server.client_count() });
  }
  if (measuring && nowMs() - windowStart >= WINDOW) {
    const m = process.memoryUsage();
    out({
      clients: server.client_count(), lines: nLat, bad, polls: nPoll,
      lat_p50: pct(lat, nLat, 50), lat_p99: pct(lat, nLat, 99), lat_max: pct(lat, nLat, 100),
      poll_p50: pct(polls, nPoll, 50), poll_p99: pct(polls, nPoll, 99), poll_max: pct(polls, nPoll, 100),
      rss: m.rss, since: (nowMs() - connectedAt) / 1000,
    });
    nLat = 0;
    nPoll = 0;
    bad = 0;
    windowStart = nowMs();
    if (++windows >= WINDOWS) process.exit(0);
  }
}
