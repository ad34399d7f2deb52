/**
 * The typed events a {@link TelnetSession} reports. In-band data does not
 * appear here: it goes to `onData` as spans, so the hot path allocates no
 * event objects.
 */
import type { ProtocolProblem } from './errors.js';
import type { Side } from './negotiator.js';
import type { MsdpTable } from './options/msdp.js';
import type { MsspTable } from './options/mssp.js';

/** Every event the session emits, discriminated by `type`. */
export type SessionEvent =
  /** A two-byte command arrived (GA, AYT, IP, BRK, EC, EL, ...). */
  | { type: 'command'; command: number }
  /** One side of an option became enabled or disabled. */
  | { type: 'option'; side: Side; option: number; enabled: boolean }
  /** The peer sent WILL/WONT/DO/DONT (before it is applied); only while `reportNegotiations` is set. */
  | { type: 'negotiation'; verb: number; option: number }
  /** We refused a peer's request (unknown option, wrong direction or policy). */
  | { type: 'refused'; side: Side; option: number }
  /** The client's window size (server side). */
  | { type: 'naws'; cols: number; rows: number }
  /**
   * A terminal type reply (server side). `index` is 1-based (`ttype1`...),
   * `term` is the terminal type chosen so far, `done` is true once the cycle
   * stopped.
   */
  | { type: 'ttype'; name: string; index: number; term: string; done: boolean }
  /** The client's terminal speed (server side). */
  | { type: 'tspeed'; rx: number; tx: number }
  /** The client's X display (server side). */
  | { type: 'xdisploc'; display: string }
  /** The client's location (server side). */
  | { type: 'sndloc'; location: string }
  /**
   * Environment variables from the client (server side), already filtered
   * by the allow-list: names upper-cased, empty values and unlisted names dropped.
   */
  | { type: 'environ'; vars: Readonly<Record<string, string>>; dropped: string[] }
  /** The peer asked for our environment; `sent` lists what we answered with. */
  | { type: 'environRequest'; requested: string[]; sent: string[] }
  /** A character set was agreed (either side); the caller may switch encodings. */
  | { type: 'charset'; charset: string }
  /** Our CHARSET REQUEST was rejected. */
  | { type: 'charsetRejected' }
  /** LFLOW from the server: flow control on/off or the restart rule. */
  | { type: 'lflow'; enabled?: boolean; restartAny?: boolean }
  /** The LINEMODE mode in force changed (RFC 1184 mode bits). */
  | { type: 'linemode'; mode: number }
  /** The server sent a FORWARDMASK (client side). */
  | { type: 'forwardmask'; mask: Buffer }
  /** SLC table entries changed by negotiation. */
  | { type: 'slcChange'; functions: number[] }
  /** Kludge-mode SLC simulation: a received data byte is an SLC character. */
  | { type: 'slc'; func: number; byte: number }
  /** The peer's STATUS IS: what it believes is enabled. */
  | { type: 'status'; entries: Array<{ verb: number; option: number }> }
  /** The answer to our DO TIMING-MARK (WILL or WONT), or a DO TM we answered. */
  | { type: 'timingMark'; verb: number }
  /** The peer asked us to log out (DO LOGOUT on a server) or warned of one (WILL LOGOUT on a client). */
  | { type: 'logout'; verb: number }
  /** A GMCP message (`data` is null when it carried none). */
  | { type: 'gmcp'; package: string; data: unknown }
  /** MSDP variables, over MSDP or (`viaGmcp`) as the GMCP message `MSDP {...}`. */
  | { type: 'msdp'; vars: MsdpTable; viaGmcp: boolean }
  /** The server's MSSP table (client side). */
  | { type: 'mssp'; table: MsspTable }
  /**
   * MCCP compression starts (`active`) for one direction: `send` after our
   * IAC SB MCCP2/MCCP3 IAC SE went out (deflate everything sent later),
   * `receive` when the peer's start sequence arrived (`receive()` returns
   * where in the chunk it ended; inflate the rest).
   */
  | { type: 'compress'; option: number; direction: 'send' | 'receive'; active: boolean }
  /** A subnegotiation for an option with no codec here (MXP, ZMP, ATCP, ...), when enabled. */
  | { type: 'subnegotiation'; option: number; payload: Buffer }
  /** Peer misbehaviour; the session continues. */
  | { type: 'problem'; problem: ProtocolProblem };

/** The `type` strings of {@link SessionEvent}. */
export type SessionEventType = SessionEvent['type'];
