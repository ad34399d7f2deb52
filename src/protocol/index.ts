/**
 * `telnetlib3/protocol`: the pure Telnet core. Bytes in, events and bytes to
 * send out; no sockets, timers or threads. Proxies, test harnesses and other
 * engines can use it directly.
 *
 * @example
 * ```ts
 * import { TelnetSession, Opt } from 'telnetlib3/protocol';
 * const s = new TelnetSession({ role: 'server' });
 * s.onSend = (bytes) => socket.write(bytes);
 * s.onData = (span) => process.stdout.write(span);
 * s.onEvent = (ev) => { if (ev.type === 'naws') console.log(ev.cols, ev.rows); };
 * socket.on('data', (chunk) => s.receive(chunk));
 * s.requestRemote(Opt.TTYPE, true);
 * ```
 */
export * from './constants.js';
export * from './errors.js';
export * from './events.js';
export * from './parser.js';
export * from './qmethod.js';
export * from './negotiator.js';
export * from './nvt.js';
export * from './session.js';
export * from './linemode-state.js';
export * from './options/codec.js';
export * from './options/naws.js';
export * from './options/ttype.js';
export * from './options/tspeed.js';
export * from './options/xdisploc.js';
export * from './options/sndloc.js';
export * from './options/lflow.js';
export * from './options/linemode.js';
export * from './options/slc.js';
export * from './options/environ.js';
export * from './options/charset.js';
export * from './options/status.js';
export * from './options/basic.js';
export * from './options/gmcp.js';
export * from './options/msdp.js';
export * from './options/mssp.js';
export * from './proxy-header.js';
