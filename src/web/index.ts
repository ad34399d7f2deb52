/**
 * `telnetlib3/web`: a browser terminal for a Telnet host — a WebSocket
 * gateway and an xterm.js page (see docs/web.md).
 */
export { createWebGateway, WebGateway, DEFAULT_WEB_HOST, DEFAULT_WEB_PORT } from './gateway.js';
export type { WebGatewayOptions, WebGatewayStats } from './gateway.js';
export type { ClientMessage, ServerMessage, SessionState } from './protocol.js';
export { parseClientMessage, MAX_DIMENSION } from './protocol.js';
export type { SessionEnd } from './session.js';
