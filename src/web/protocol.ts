/**
 * The WebSocket message protocol between the browser page and the gateway.
 *
 * Terminal output (gateway -> page) travels as **binary** frames holding
 * UTF-8 text, so the page hands them to xterm.js as they are and the
 * gateway never wraps bulk data in JSON. Everything else is a **text**
 * frame holding one JSON object with a `type`.
 *
 * Page -> gateway (text frames only; a binary frame closes the session
 * with 1003):
 *
 * | type      | fields             | meaning                                          |
 * | --------- | ------------------ | ------------------------------------------------ |
 * | `input`   | `data: string`     | keystrokes, character mode (sent as typed)       |
 * | `line`    | `data: string`     | one edited line, line mode (CR LF is appended)   |
 * | `resize`  | `cols, rows`       | the terminal's size (NAWS follows)               |
 * | `command` | `name`             | `ip`, `brk` or `ayt` (a Telnet command)          |
 *
 * Gateway -> page (text frames):
 *
 * | type     | fields                              | meaning                                   |
 * | -------- | ----------------------------------- | ----------------------------------------- |
 * | `status` | `state`, `message`, `target?`       | `connecting`, `connected`, `closed`, `error` |
 * | `mode`   | `mode`                              | the local mode, as the CLI client picks it |
 * | `gmcp`   | `package: string`, `data: unknown`  | a GMCP message, for the side panel        |
 * | `mssp`   | `variables: {name: string[]}`       | MSSP variables, for the side panel        |
 *
 * `gmcp` and `mssp` carry what the Telnet server sends over GMCP and MSSP
 * (those that came during negotiation first, from extra info).
 *
 * The initial terminal size comes in the WebSocket URL (`/ws?cols=&rows=`)
 * so that the very first NAWS is right.
 *
 * Pure: no I/O here.
 */
import type { LocalMode } from '../client-shell.js';

/** Connection states shown by the page. */
export type SessionState = 'connecting' | 'connected' | 'closed' | 'error';

/** A message from the page. */
export type ClientMessage =
  | { type: 'input'; data: string }
  | { type: 'line'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'command'; name: 'ip' | 'brk' | 'ayt' };

/** A (text) message to the page. */
export type ServerMessage =
  | { type: 'status'; state: SessionState; message: string; target?: string }
  | { type: 'mode'; mode: LocalMode }
  | { type: 'gmcp'; package: string; data: unknown }
  | { type: 'mssp'; variables: Record<string, string[]> };

/** Largest terminal dimension accepted from a page (NAWS carries 16 bits; xterm.js never needs more). */
export const MAX_DIMENSION = 1000;

/** A terminal dimension from the page, or null when it is not a sane integer. */
export function parseDimension(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_DIMENSION) return null;
  return n;
}

/** The outcome of parsing one frame from the page. */
export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: string };

const COMMANDS = new Set(['ip', 'brk', 'ayt']);

/** Parse and validate one text frame from the page; never throws. */
export function parseClientMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'not a JSON object' };
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'input':
    case 'line':
      if (typeof m.data !== 'string') return { ok: false, error: `${m.type}: data must be a string` };
      return { ok: true, message: { type: m.type, data: m.data } };
    case 'resize': {
      const cols = parseDimension(m.cols);
      const rows = parseDimension(m.rows);
      if (cols === null || rows === null) return { ok: false, error: `resize: cols and rows must be integers 1-${MAX_DIMENSION}` };
      return { ok: true, message: { type: 'resize', cols, rows } };
    }
    case 'command':
      if (typeof m.name !== 'string' || !COMMANDS.has(m.name)) return { ok: false, error: 'command: name must be ip, brk or ayt' };
      return { ok: true, message: { type: 'command', name: m.name as 'ip' | 'brk' | 'ayt' } };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(String(m.type)).slice(0, 40)}` };
  }
}
