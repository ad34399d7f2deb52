/**
 * Telnet command and option codes (RFC 854, RFC 855, the IANA Telnet option
 * registry) plus the MUD extensions that telnetlib3 knows.
 *
 * `Cmd` and `Opt` are plain `as const` tables so that they inline well and
 * can be used as both values and types.
 */

/** Telnet commands (the byte that follows IAC). */
export const Cmd = {
  /** End of file (RFC 1184 SLC function, also sent as a command). */
  EOF: 236,
  /** Suspend process. */
  SUSP: 237,
  /** Abort process. */
  ABORT: 238,
  /** End of record (RFC 885). */
  EOR: 239,
  /** End of subnegotiation parameters. */
  SE: 240,
  /** No operation. */
  NOP: 241,
  /** Data mark: the data stream part of a SYNCH. */
  DM: 242,
  /** Break. */
  BRK: 243,
  /** Interrupt process. */
  IP: 244,
  /** Abort output. */
  AO: 245,
  /** Are you there. */
  AYT: 246,
  /** Erase character. */
  EC: 247,
  /** Erase line. */
  EL: 248,
  /** Go ahead. */
  GA: 249,
  /** Begin subnegotiation. */
  SB: 250,
  WILL: 251,
  WONT: 252,
  DO: 253,
  DONT: 254,
  /** Interpret as command. */
  IAC: 255,
} as const;

/** Any Telnet command byte. */
export type CmdCode = (typeof Cmd)[keyof typeof Cmd];

/** The four negotiation verbs. */
export type Verb = typeof Cmd.WILL | typeof Cmd.WONT | typeof Cmd.DO | typeof Cmd.DONT;

/** Telnet options: the IANA registry and the MUD options telnetlib3 knows. */
export const Opt = {
  BINARY: 0,
  ECHO: 1,
  RCP: 2,
  SGA: 3,
  NAMS: 4,
  STATUS: 5,
  TM: 6,
  RCTE: 7,
  NAOL: 8,
  NAOP: 9,
  NAOCRD: 10,
  NAOHTS: 11,
  NAOHTD: 12,
  NAOFFD: 13,
  NAOVTS: 14,
  NAOVTD: 15,
  NAOLFD: 16,
  XASCII: 17,
  LOGOUT: 18,
  BM: 19,
  DET: 20,
  SUPDUP: 21,
  SUPDUPOUTPUT: 22,
  SNDLOC: 23,
  TTYPE: 24,
  EOR: 25,
  TUID: 26,
  OUTMRK: 27,
  TTYLOC: 28,
  VT3270REGIME: 29,
  X3PAD: 30,
  NAWS: 31,
  TSPEED: 32,
  LFLOW: 33,
  LINEMODE: 34,
  XDISPLOC: 35,
  OLD_ENVIRON: 36,
  AUTHENTICATION: 37,
  ENCRYPT: 38,
  NEW_ENVIRON: 39,
  TN3270E: 40,
  XAUTH: 41,
  CHARSET: 42,
  RSP: 43,
  COM_PORT_OPTION: 44,
  SUPPRESS_LOCAL_ECHO: 45,
  TLS: 46,
  KERMIT: 47,
  SEND_URL: 48,
  FORWARD_X: 49,
  MSDP: 69,
  MSSP: 70,
  MCCP_COMPRESS: 85,
  MCCP2: 86,
  MCCP3: 87,
  MSP: 90,
  MXP: 91,
  ZMP: 93,
  AARDWOLF: 102,
  PRAGMA_LOGON: 138,
  SSPI_LOGON: 139,
  PRAGMA_HEARTBEAT: 140,
  ATCP: 200,
  GMCP: 201,
  EXOPL: 255,
} as const;

/** A known option code. Any byte 0-255 may arrive on the wire. */
export type OptCode = (typeof Opt)[keyof typeof Opt];

const CMD_NAMES: string[] = [];
for (const [name, code] of Object.entries(Cmd)) CMD_NAMES[code] = name;

const OPT_NAMES: string[] = [];
for (const [name, code] of Object.entries(Opt)) OPT_NAMES[code] = name;

const OPT_BY_NAME = new Map<string, number>();
for (const [name, code] of Object.entries(Opt)) OPT_BY_NAME.set(name, code);
// Common aliases used by other libraries and by telnetlib3's CLIs.
OPT_BY_NAME.set('ENVIRON', Opt.OLD_ENVIRON);
OPT_BY_NAME.set('COMPORT', Opt.COM_PORT_OPTION);
OPT_BY_NAME.set('COM_PORT', Opt.COM_PORT_OPTION);
OPT_BY_NAME.set('MCCP', Opt.MCCP2);
OPT_BY_NAME.set('COMPRESS2', Opt.MCCP2);
OPT_BY_NAME.set('AUTH', Opt.AUTHENTICATION);

/** The name of a command byte (`"DO"`, `"GA"`), or its decimal value when unknown. */
export function cmdName(code: number): string {
  return CMD_NAMES[code] ?? String(code);
}

/** The name of an option byte (`"TTYPE"`, `"GMCP"`), or its decimal value when unknown. */
export function optName(code: number): string {
  return OPT_NAMES[code] ?? String(code);
}

/**
 * The option code for a name (case-insensitive, `-` or `_`) or a decimal
 * string; `undefined` when neither.
 */
export function optionFromName(name: string): number | undefined {
  const trimmed = name.trim();
  if (/^\d{1,3}$/.test(trimmed)) {
    const n = Number(trimmed);
    return n <= 255 ? n : undefined;
  }
  return OPT_BY_NAME.get(trimmed.toUpperCase().replace(/-/g, '_'));
}

/** True for the four negotiation verbs WILL, WONT, DO, DONT. */
export function isVerb(code: number): code is Verb {
  return code >= Cmd.WILL && code <= Cmd.DONT;
}

/** `"IAC DO TTYPE"`-style description of a negotiation, for logs and errors. */
export function describeNegotiation(verb: number, opt: number): string {
  return `IAC ${cmdName(verb)} ${optName(opt)}`;
}
