/**
 * Error classes and protocol problem codes shared by every layer.
 *
 * Every error the library throws is a {@link TelnetError} with a stable
 * `code` (`ERR_TELNET_*`) that callers can switch on; messages say what was
 * expected and what arrived.
 */

/**
 * What a peer did wrong. Recoverable ones arrive as `warning` problems and
 * parsing continues; `error` problems mean something was dropped because a
 * limit was reached (the connection itself stays usable unless the engine
 * decides otherwise).
 */
export const ProblemCode = {
  /** A subnegotiation grew past `maxSubnegotiation`; it is discarded up to its IAC SE. */
  SB_OVERFLOW: 'SB_OVERFLOW',
  /** IAC followed by something other than IAC or SE inside SB: the SB is dropped. */
  SB_INTERRUPTED: 'SB_INTERRUPTED',
  /** IAC SE outside a subnegotiation. */
  SE_WITHOUT_SB: 'SE_WITHOUT_SB',
  /** IAC SB IAC SE with no option byte. */
  EMPTY_SB: 'EMPTY_SB',
  /** IAC followed by a byte that is not a Telnet command. */
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  /** The stream ended inside an IAC sequence or a subnegotiation. */
  TRUNCATED: 'TRUNCATED',
  /** A subnegotiation for an option that is not enabled in the needed direction. */
  UNSOLICITED_SB: 'UNSOLICITED_SB',
  /** A subnegotiation whose payload does not follow its RFC. */
  BAD_SB: 'BAD_SB',
  /** NAWS payload that is not exactly 4 bytes. */
  BAD_NAWS: 'BAD_NAWS',
  /** A subnegotiation for an option this core has no codec for. */
  UNHANDLED_SB: 'UNHANDLED_SB',
  /** The peer broke RFC 1143 (for example answered DONT with WILL). */
  NEGOTIATION_ERROR: 'NEGOTIATION_ERROR',
  /** An option request we refused (unknown option or policy). */
  REFUSED_OPTION: 'REFUSED_OPTION',
  /** A value from the peer was rejected or sanitised (control bytes, too long). */
  BAD_VALUE: 'BAD_VALUE',
  /** More items than a per-message cap allows (environment variables, charsets). */
  TOO_MANY: 'TOO_MANY',
  /** MCCP: the peer's compressed stream inflates past the allowed ratio (a zip bomb); the connection is closed. */
  DECOMPRESSION_LIMIT: 'DECOMPRESSION_LIMIT',
  /** MCCP: the peer's compressed stream is not valid zlib; the connection is closed. */
  DECOMPRESSION_ERROR: 'DECOMPRESSION_ERROR',
} as const;

/** A stable problem code. */
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

/** A peer misbehaviour reported by the core. */
export interface ProtocolProblem {
  /** `warning`: ignored and parsing goes on; `error`: data was dropped at a limit. */
  severity: 'warning' | 'error';
  code: ProblemCode;
  message: string;
  /** The option concerned, when there is one. */
  option?: number;
}

/** Base class of every error this library throws. */
export class TelnetError extends Error {
  /** A stable code such as `ERR_TELNET_TIMEOUT`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_TELNET', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A peer broke the protocol in a way the caller asked to be told about. */
export class TelnetProtocolError extends TelnetError {
  constructor(message: string, problem: ProblemCode | string = 'PROTOCOL') {
    super(message, `ERR_TELNET_${problem}`);
  }
}

/** A caller passed something the API cannot accept. */
export class TelnetUsageError extends TelnetError {
  constructor(message: string, code = 'ERR_TELNET_USAGE') {
    super(message, code);
  }
}

/** An operation did not finish in time. */
export class TelnetTimeoutError extends TelnetError {
  constructor(message = 'Timed out', code = 'ERR_TELNET_TIMEOUT') {
    super(message, code);
  }
}

/**
 * The connection is closed (EOF from the peer or a local close). `partial`
 * holds what a read had collected before the end, when there was any.
 */
export class TelnetClosedError extends TelnetError {
  readonly partial: string | Buffer | undefined;

  constructor(message = 'Connection closed', partial?: string | Buffer, code = 'ERR_TELNET_CLOSED') {
    super(message, code);
    this.partial = partial;
  }
}

/** A read found no separator within the reader's size limit. */
export class TelnetLimitError extends TelnetError {
  constructor(message: string) {
    super(message, 'ERR_TELNET_LIMIT');
  }
}

/** Text could not be encoded or decoded with the connection's encoding (`encodingErrors: 'strict'`). */
export class TelnetEncodingError extends TelnetError {
  constructor(message: string) {
    super(message, 'ERR_TELNET_ENCODING');
  }
}
