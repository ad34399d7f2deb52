// The browser side of telnetlib3-web: an xterm.js terminal wired to the
// gateway's WebSocket (message protocol: src/web/protocol.ts). Bundled by
// src/web/page/build.ts into dist/src/web/static/app.js (no CDN).
//
// Plain JavaScript on purpose: the package's tsconfig has no DOM library,
// and this file is only ever read by esbuild.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import './page.css';

const $ = (id) => document.getElementById(id);
const stateEl = $('state');
const messageEl = $('message');
const targetEl = $('target');
const reconnectEl = $('reconnect');
const panelEl = $('panel');
const panelToggle = $('panel-toggle');
const gmcpEl = $('gmcp');
const msspEl = $('mssp');

const GMCP_KEEP = 200;

const term = new Terminal({
  convertEol: true, // a bare LF from the server also returns the carriage
  cursorBlink: true,
  scrollback: 5000,
  fontFamily: 'DejaVu Sans Mono, Menlo, Consolas, monospace',
  fontSize: 15,
  theme: { background: '#101010' },
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();

let ws = null;
let state = 'connecting';
/** The local mode the gateway told us (src/client-shell.ts): line, line-noecho, raw, raw-echo. */
let mode = 'line';
let lineBuffer = '';

function setState(s, message) {
  state = s;
  stateEl.dataset.state = s;
  stateEl.textContent = s;
  if (message !== undefined) messageEl.textContent = message;
  reconnectEl.hidden = !(s === 'closed' || s === 'error');
}

function send(msg) {
  if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

/**
 * Pieces of at most this many characters per message: the gateway closes a
 * session on a message over its limit (64 KiB by default), and JSON may
 * escape one character into up to 12 bytes.
 */
const PIECE = 2048;

function pieces(text) {
  const chars = Array.from(text); // never split a surrogate pair
  const out = [];
  for (let i = 0; i < chars.length; i += PIECE) out.push(chars.slice(i, i + PIECE).join(''));
  return out;
}

/** Keystrokes (or a paste), split to fit the gateway's message limit. */
function sendInput(data) {
  if (data.length <= PIECE) { send({ type: 'input', data }); return; }
  for (const p of pieces(data)) send({ type: 'input', data: p });
}

/** One edited line: its head as plain input (it holds no CR), its tail as the line. */
function sendLine(line) {
  const parts = line.length <= PIECE ? [line] : pieces(line);
  for (let i = 0; i < parts.length - 1; i++) send({ type: 'input', data: parts[i] });
  send({ type: 'line', data: parts[parts.length - 1] ?? '' });
}

function connect() {
  lineBuffer = '';
  mode = 'line';
  setState('connecting', 'Connecting to the gateway...');
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = `?cols=${term.cols}&rows=${term.rows}`;
  const sock = new WebSocket(url);
  sock.binaryType = 'arraybuffer';
  ws = sock;
  let told = false; // whether the gateway explained the end itself
  sock.onmessage = (ev) => {
    if (ws !== sock) return;
    if (typeof ev.data !== 'string') {
      term.write(new Uint8Array(ev.data));
      return;
    }
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    switch (msg.type) {
      case 'status':
        if (msg.target) targetEl.textContent = msg.target;
        if (msg.state === 'closed' || msg.state === 'error') told = true;
        setState(msg.state, msg.message);
        if (msg.state === 'closed' || msg.state === 'error') term.write(`\r\n\x1b[1;${msg.state === 'error' ? 31 : 33}m${msg.message}\x1b[m\r\n`);
        break;
      case 'mode':
        if (msg.mode !== mode) lineBuffer = '';
        mode = msg.mode;
        break;
      case 'gmcp':
        showGmcp(msg.package, msg.data);
        break;
      case 'mssp':
        showMssp(msg.variables);
        break;
      default:
        break;
    }
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    if (!told) {
      const why = ev.reason ? `: ${ev.reason}` : '';
      setState(ev.code === 1000 ? 'closed' : 'error', `Disconnected from the gateway (code ${ev.code}${why}).`);
    }
  };
}

// ------------------------------------------------------------------ input

function echo(text) {
  term.write(text);
}

/** Line modes: edit the line here (echoed unless line-noecho), send it on Enter. */
function lineInput(data) {
  const local = mode === 'line';
  if (data.startsWith('\x1b')) return; // cursor keys and the like have no meaning in a line
  for (const ch of data) {
    if (ch === '\r' || ch === '\n') {
      if (local) echo('\r\n');
      sendLine(lineBuffer);
      lineBuffer = '';
    } else if (ch === '\x7f' || ch === '\b') {
      if (lineBuffer.length > 0) {
        lineBuffer = Array.from(lineBuffer).slice(0, -1).join('');
        if (local) echo('\b \b');
      }
    } else if (ch === '\x15') { // ^U
      if (local) echo('\b \b'.repeat(Array.from(lineBuffer).length));
      lineBuffer = '';
    } else if (ch === '\x03') { // ^C: interrupt, as the CLI's localchars
      lineBuffer = '';
      if (local) echo('^C\r\n');
      send({ type: 'command', name: 'ip' });
    } else if (ch >= ' ' || ch === '\t') {
      lineBuffer += ch;
      if (local) echo(ch);
    }
  }
}

term.onData((data) => {
  if (ws === null) return;
  if (mode === 'raw' || mode === 'raw-echo') {
    sendInput(data);
    if (mode === 'raw-echo') {
      let e = '';
      for (const ch of data) {
        if (ch === '\r') e += '\r\n';
        else if (ch === '\x7f' || ch === '\b') e += '\b \b';
        else if (ch >= ' ' || ch === '\t') e += ch;
      }
      if (e) echo(e);
    }
  } else {
    lineInput(data);
  }
});

term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
new ResizeObserver(() => fit.fit()).observe($('terminal'));

// ------------------------------------------------------------------ side panel

function showPanel(on) {
  panelEl.hidden = !on;
  panelToggle.setAttribute('aria-expanded', String(on));
  fit.fit();
}

function showGmcp(pkg, data) {
  const li = document.createElement('li');
  li.textContent = data === undefined ? String(pkg) : `${pkg} ${JSON.stringify(data)}`;
  gmcpEl.append(li);
  while (gmcpEl.children.length > GMCP_KEEP) gmcpEl.firstElementChild.remove();
  if (panelEl.hidden) showPanel(true);
}

function showMssp(variables) {
  msspEl.replaceChildren();
  for (const [name, values] of Object.entries(variables ?? {})) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = Array.isArray(values) ? values.join(', ') : String(values);
    msspEl.append(dt, dd);
  }
  if (panelEl.hidden) showPanel(true);
}

panelToggle.addEventListener('click', () => showPanel(panelEl.hidden));
reconnectEl.addEventListener('click', () => {
  term.reset();
  connect();
  term.focus();
});

// For tests and embedding: the terminal, the state, and the screen as text.
window.telnetWeb = {
  term,
  get state() { return state; },
  get mode() { return mode; },
  screenText() {
    const buf = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  },
};

connect();
term.focus();
