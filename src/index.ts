/**
 * `telnetlib3`: a complete Telnet client and server library for Node.js.
 *
 * The pure protocol core is re-exported here; it is also available alone as
 * `telnetlib3/protocol`.
 */
export * from './protocol/index.js';
