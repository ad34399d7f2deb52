/**
 * The option sets the fingerprint probes use, with telnetlib3's names
 * (`fingerprinting.py`): the names are the keys of the saved JSON, so they
 * must match for existing tooling to read our files.
 *
 * - {@link CORE_OPTIONS}: what every client is asked (and the reduced set
 *   for Microsoft telnet together with {@link MUD_OPTIONS}).
 * - {@link MUD_OPTIONS}: COM-PORT (telnetlib3 files it under MUD options).
 * - {@link LEGACY_OPTIONS}: 32 old or rare options, not sent to MS telnet
 *   (a burst of them crashes it).
 * - {@link EXTENDED_OPTIONS}: MUD protocols with high option bytes, asked
 *   only of clients that look like MUD clients (some terminals treat a
 *   byte above 140 as a hard error). Probed by number only: this module
 *   records the answer, it does not speak the MUD protocol.
 */
import { Opt } from '../protocol/constants.js';

/** One probed option: its byte, its name in the JSON, and a description. */
export interface ProbeOption {
  opt: number;
  name: string;
  description: string;
}

const o = (opt: number, name: string, description: string): ProbeOption => Object.freeze({ opt, name, description });

/** Asked of every client (LOGOUT left out: the BSD client times out on it). */
export const CORE_OPTIONS: readonly ProbeOption[] = Object.freeze([
  o(Opt.BINARY, 'BINARY', '8-bit binary mode'),
  o(Opt.SGA, 'SGA', 'Suppress Go Ahead'),
  o(Opt.ECHO, 'ECHO', 'Echo mode'),
  o(Opt.STATUS, 'STATUS', 'Option status reporting'),
  o(Opt.TTYPE, 'TTYPE', 'Terminal type'),
  o(Opt.TSPEED, 'TSPEED', 'Terminal speed'),
  o(Opt.LFLOW, 'LFLOW', 'Local flow control'),
  o(Opt.XDISPLOC, 'XDISPLOC', 'X display location'),
  o(Opt.NAWS, 'NAWS', 'Window size'),
  o(Opt.NEW_ENVIRON, 'NEW_ENVIRON', 'Environment variables'),
  o(Opt.CHARSET, 'CHARSET', 'Character set'),
  o(Opt.LINEMODE, 'LINEMODE', 'Line mode with SLC'),
  o(Opt.EOR, 'EOR', 'End of Record'),
  o(Opt.SNDLOC, 'SNDLOC', 'Send location'),
]);

/** telnetlib3's "MUD options" group (despite the name: the serial-port option). */
export const MUD_OPTIONS: readonly ProbeOption[] = Object.freeze([
  o(Opt.COM_PORT_OPTION, 'COM_PORT', 'Serial port control (RFC 2217)'),
]);

/** MUD protocols, probed by number only and only for MUD clients (client side: always, servers cope). */
export const EXTENDED_OPTIONS: readonly ProbeOption[] = Object.freeze([
  o(Opt.GMCP, 'GMCP', 'Generic MUD Communication Protocol'),
  o(Opt.MSDP, 'MSDP', 'MUD Server Data Protocol'),
  o(Opt.MSSP, 'MSSP', 'MUD Server Status Protocol'),
  o(Opt.MCCP2, 'MCCP2', 'MUD Client Compression v2'),
  o(Opt.MCCP3, 'MCCP3', 'MUD Client Compression v3'),
  o(Opt.MSP, 'MSP', 'MUD Sound Protocol'),
  o(Opt.MXP, 'MXP', 'MUD eXtension Protocol'),
  o(Opt.ZMP, 'ZMP', 'Zenith MUD Protocol'),
  o(Opt.AARDWOLF, 'AARDWOLF', 'Aardwolf 102 channel'),
  o(Opt.ATCP, 'ATCP', 'Achaea Telnet Client Protocol'),
]);

/** The 32 legacy options of a full probe. */
export const LEGACY_OPTIONS: readonly ProbeOption[] = Object.freeze([
  o(Opt.AUTHENTICATION, 'AUTHENTICATION', 'Telnet authentication'),
  o(Opt.ENCRYPT, 'ENCRYPT', 'Encryption option'),
  o(Opt.TN3270E, 'TN3270E', '3270 terminal emulation'),
  o(Opt.XAUTH, 'XAUTH', 'X authentication'),
  o(Opt.RSP, 'RSP', 'Remote serial port'),
  o(Opt.SUPPRESS_LOCAL_ECHO, 'SUPPRESS_LOCAL_ECHO', 'Local echo suppression'),
  o(Opt.TLS, 'TLS', 'TLS negotiation'),
  o(Opt.KERMIT, 'KERMIT', 'Kermit file transfer'),
  o(Opt.SEND_URL, 'SEND_URL', 'URL sending'),
  o(Opt.FORWARD_X, 'FORWARD_X', 'X11 forwarding'),
  o(Opt.PRAGMA_LOGON, 'PRAGMA_LOGON', 'Pragma logon'),
  o(Opt.SSPI_LOGON, 'SSPI_LOGON', 'SSPI logon'),
  o(Opt.PRAGMA_HEARTBEAT, 'PRAGMA_HEARTBEAT', 'Heartbeat'),
  o(Opt.X3PAD, 'X3PAD', 'X.3 PAD'),
  o(Opt.VT3270REGIME, 'VT3270REGIME', 'VT3270 regime'),
  o(Opt.TTYLOC, 'TTYLOC', 'Terminal location'),
  o(Opt.SUPDUP, 'SUPDUP', 'SUPDUP protocol'),
  o(Opt.SUPDUPOUTPUT, 'SUPDUPOUTPUT', 'SUPDUP output'),
  o(Opt.DET, 'DET', 'Data entry terminal'),
  o(Opt.BM, 'BM', 'Byte macro'),
  o(Opt.RCP, 'RCP', 'Reconnection'),
  o(Opt.NAMS, 'NAMS', 'NAMS'),
  o(Opt.RCTE, 'RCTE', 'Remote controlled transmit/echo'),
  o(Opt.NAOL, 'NAOL', 'Output line width'),
  o(Opt.NAOP, 'NAOP', 'Output page size'),
  o(Opt.NAOCRD, 'NAOCRD', 'Output CR disposition'),
  o(Opt.NAOHTS, 'NAOHTS', 'Output horiz tab stops'),
  o(Opt.NAOHTD, 'NAOHTD', 'Output horiz tab disposition'),
  o(Opt.NAOFFD, 'NAOFFD', 'Output formfeed disposition'),
  o(Opt.NAOVTS, 'NAOVTS', 'Output vert tabstops'),
  o(Opt.NAOVTD, 'NAOVTD', 'Output vert tab disposition'),
  o(Opt.NAOLFD, 'NAOLFD', 'Output LF disposition'),
]);

/** Everything a server asks of a client that is neither MS telnet nor a MUD client. */
export const ALL_PROBE_OPTIONS: readonly ProbeOption[] = Object.freeze([...CORE_OPTIONS, ...MUD_OPTIONS, ...LEGACY_OPTIONS]);
/** A quick scan of a server. */
export const QUICK_PROBE_OPTIONS: readonly ProbeOption[] = Object.freeze([...CORE_OPTIONS, ...MUD_OPTIONS]);

/**
 * Options only a client WILLs (they describe the client's terminal): the
 * server probe does not DO them; it sends them the wrong way round instead
 * and records whether the server wrongly agrees.
 */
export const CLIENT_ONLY_WILL: ReadonlySet<number> = new Set([
  Opt.TTYPE, Opt.TSPEED, Opt.NAWS, Opt.XDISPLOC, Opt.NEW_ENVIRON, Opt.LFLOW, Opt.LINEMODE, Opt.SNDLOC,
]);

/** Terminal types that name a specific client (kept by name in the protocol fingerprint). */
export const PROTOCOL_MATCHED_TERMINALS: ReadonlySet<string> = new Set(['syncterm']);

/** Terminal types of MUD clients (lower case), which also get {@link EXTENDED_OPTIONS}. */
export const MUD_TERMINALS: ReadonlySet<string> = new Set([
  'mudlet', 'cmud', 'zmud', 'mushclient', 'atlantis', 'tintin++', 'tt++', 'blowtorch', 'mudrammer', 'kildclient', 'portal',
  'beip', 'savitar',
]);

const KNOWN = new Map<number, string>();
for (const p of [...ALL_PROBE_OPTIONS, ...EXTENDED_OPTIONS]) KNOWN.set(p.opt, p.name);

/** telnetlib3's name for an option byte in the JSON: the probe name, else `0x..`. */
export function optionKey(opt: number): string {
  return KNOWN.get(opt) ?? `0x${opt.toString(16).padStart(2, '0')}`;
}
