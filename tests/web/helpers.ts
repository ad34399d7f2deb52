/**
 * Shared rig of the src/web tests: a telsh server on 127.0.0.1 that records
 * each connection, a gateway in front of it, a Node WebSocket client that
 * collects what the gateway sends, and headless Chromium (Debian's
 * `chromium`, installed by .ci/install-peers) driven by playwright-core.
 * No test ever downloads a browser: without /usr/bin/chromium the browser
 * tests skip (or fail, when .ci/install-peers ran here).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { TelnetReader } from '../../src/engine/reader.js';
import type { TelnetWriter } from '../../src/engine/writer.js';
import { type ServerOptions, type Shell, type TelnetServer, createServer } from '../../src/server.js';
import { telsh } from '../../src/shells/telsh.js';
import { type WebGateway, type WebGatewayOptions, createWebGateway } from '../../src/web/gateway.js';
import type { ServerMessage } from '../../src/web/protocol.js';
import { REPO_ROOT, peersInstalled } from '../helpers/peers.js';

/** One server-side connection. */
export interface ServerSession {
  reader: TelnetReader<any>;
  writer: TelnetWriter;
  /** Resolves when the shell returned and the connection closed. */
  closed: Promise<void>;
  isClosed: boolean;
}

/** A Telnet server that records its connections. */
export interface RecordingServer {
  server: TelnetServer;
  port: number;
  sessions: ServerSession[];
  close(): Promise<void>;
}

/** A telsh (or `shell`) server on 127.0.0.1, port 0. */
export async function startRecordingServer(shell: Shell = telsh, options: Partial<ServerOptions> = {}): Promise<RecordingServer> {
  const sessions: ServerSession[] = [];
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    connectMaxwait: 500,
    timeout: 0,
    shell: async (reader, writer) => {
      const s: ServerSession = { reader, writer, closed: Promise.resolve(), isClosed: false };
      s.closed = writer.waitClosed().then(() => { s.isClosed = true; });
      sessions.push(s);
      await shell(reader, writer);
    },
    ...options,
  });
  return {
    server, port: server.port, sessions,
    close: async () => { server.close(0); await server.waitClosed(); },
  };
}

/** A gateway to `telnetPort` on 127.0.0.1, HTTP port 0. */
export function startGateway(telnetPort: number, options: Partial<WebGatewayOptions> = {}): Promise<WebGateway> {
  return createWebGateway({ telnetHost: '127.0.0.1', telnetPort, host: '127.0.0.1', port: 0, connectMaxwait: 1000, ...options });
}

/** Wait until `check()` is true (polling), or reject after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Node WebSocket client of the gateway that collects everything. */
export interface WsClient {
  ws: WebSocket;
  messages: ServerMessage[];
  /** The terminal output so far (binary frames, UTF-8). */
  text(): string;
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
}

export function wsClient(gw: WebGateway, query = '', headers: Record<string, string> = {}): WsClient {
  const { port } = gw.address();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers });
  const messages: ServerMessage[] = [];
  const chunks: Buffer[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) chunks.push(data as Buffer);
    else messages.push(JSON.parse(String(data)) as ServerMessage);
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
  return {
    ws, messages, closed,
    text: () => Buffer.concat(chunks).toString('utf8'),
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
  };
}

/** A port with nothing listening (bound, then closed). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ------------------------------------------------------------------ Chromium

/** Debian's chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** tap `skip` reason when Chromium is missing on a machine that never ran .ci/install-peers. */
export function chromiumSkip(): string | false {
  if (fs.existsSync(CHROMIUM)) return false;
  return peersInstalled() ? false : `${CHROMIUM} missing; install it with: sudo bash .ci/install-peers`;
}

/** Flags for a closed network: no background connections, no GPU, no sandbox (root in CI). */
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Where test artifacts (screenshots) go: gitignored. */
export const ARTIFACTS = path.join(REPO_ROOT, 'tmp', 'web');

/** Launch headless Chromium with a fresh profile; `close()` removes it. */
export async function launchChromium(): Promise<{ context: import('playwright-core').BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'telnetlib3-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 600 },
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
