/**
 * `telnetlib3/compat/miniboa`: miniboa's single-threaded poll-loop Telnet
 * server (`TelnetServer`, `TelnetClient`, the caret colour codes of
 * `xterm.py`), with miniboa's names (snake_case) and units (seconds):
 *
 * ```ts
 * import { TelnetServer } from 'telnetlib3/compat/miniboa';
 *
 * const server = new TelnetServer({ port: 7777, on_connect: (c) => c.send('Hi!\n'), timeout: 0.05 });
 * for (;;) {
 *   server.poll();                     // send, accept, receive: at most `timeout` seconds
 *   for (const c of server.client_list()) {
 *     if (c.active && c.cmd_ready) c.send(`You said ${c.get_command()}\n`);
 *   }
 * }
 * ```
 *
 * How it maps: the server is a {@link BlockingTelnetServer} started in raw
 * mode (the engine thread owns the sockets and moves bytes untouched; it
 * does not negotiate), and `poll()` runs in the caller's thread over
 * `start()`, `acceptNow()`, `activityMark()` (taken *before* looking at
 * the connections and handed to `waitForActivity()`, so that nothing arriving
 * meanwhile is missed) and each connection's `hasInput()`,
 * `readAvailable()`, `active` and non-blocking `writeNow()`. No handler
 * threads, and no shared memory touched here.
 * Everything Telnet is done here, as miniboa does it: the IAC sniffer, the
 * option state table and its replies, the
 * TTYPE and NAWS subnegotiations, echo. So the bytes on the wire are
 * miniboa's: nothing is negotiated unless the application calls a
 * `request_*()` method, and `on_connect` runs in the first poll after the
 * TCP accept.
 *
 * Differences from miniboa 1.0.9 (each a fix of a miniboa bug or a
 * consequence of not using select()):
 * - Sends never block `poll()`: what the connection's send ring cannot take
 *   stays queued (`send_pending`) for the next poll, as miniboa's partial
 *   `socket.send`. Text is encoded with the client's `encoding` and IAC
 *   (0xFF) in it is doubled; negotiation bytes are sent as bytes (miniboa
 *   encodes them with the text encoding, which breaks them under UTF-8).
 * - Received bytes are split from IAC sequences first and only the data is
 *   decoded (a multi-byte character split across reads is kept whole;
 *   undecodable bytes become U+FFFD instead of raising). `IAC IAC` is a data
 *   byte 0xFF (miniboa drops it); a subnegotiation longer than 64 bytes is
 *   ignored up to its `IAC SE` (miniboa turns the rest into input).
 * - Echoed input (`request_will_echo()`) is sent at the next poll like any
 *   other output (miniboa waits for unrelated output to carry it).
 * - A client that is dropped (`active = false` / `deactivate()` / lost) is
 *   reported to `on_disconnect` in the next `poll()`, as in miniboa; then its
 *   pending output (including what `on_disconnect` sent it) is delivered and
 *   the connection closed (miniboa drops the output and leaves the socket to
 *   the garbage collector).
 * - `bytes_received` counts received bytes (IAC sequences included),
 *   `bytes_sent` encoded bytes handed to the connection.
 * - `max_connections` is not capped at 1000 (miniboa's select() limit).
 * - `port` is the bound port once listening (so `port: 0` picks a free one).
 * - `fileno` is a per-server connection number, and `sock` the
 *   {@link ServerConnection} (the socket belongs to the engine thread).
 * - `idle()` / `duration()` / `connect_time` / `last_input_time` are in
 *   seconds, as in miniboa.
 */
import { BlockingTelnetServer } from '../src/sync/blocking-server.js';
import type { LogLevel } from '../src/engine/logger.js';
import type { ServerConnection } from '../src/sync/server-connection.js';
import { type TextDecoderLike, encodeText, makeDecoder, normalizeEncoding } from '../src/engine/encoding.js';
import { TelnetError, TelnetUsageError } from '../src/protocol/errors.js';
import { Cmd, Opt } from '../src/protocol/constants.js';
import { escapeIac } from '../src/protocol/options/codec.js';
import { colorize, word_wrap } from './miniboa-xterm.js';
import { pyStrip } from './python.js';

export * from './miniboa-xterm.js';

// --------------------------------------------------------------- telnet

/** Unknown state of an option. */
export const UNKNOWN = -1;

// Telnet commands and options (byte values), under miniboa's names.
const { SE, NOP, DM: DATMK, IP, AO, AYT, EC, EL, GA, SB, WILL, WONT, DO, DONT, IAC } = Cmd;
const { BINARY, ECHO, SGA, TTYPE, NAWS } = Opt;
/** Subnegotiation verbs. */
const IS = 0;
const SEND = 1;

/** The client's connection was lost (raised by `socket_recv()`; the server deactivates the client). */
export class ConnectionLost extends TelnetError {
  constructor(message = 'connection lost') {
    super(message, 'ERR_TELNET_CONNECTION_LOST');
  }
}

/** The state of one extended Telnet option. */
export class TelnetOption {
  /** Local state of an option: UNKNOWN, true or false. */
  local_option: boolean | typeof UNKNOWN = UNKNOWN;
  /** Remote state of an option. */
  remote_option: boolean | typeof UNKNOWN = UNKNOWN;
  /** Are we expecting a reply? */
  reply_pending = false;
}

const now = (): number => Date.now() / 1000;

/** The largest subnegotiation miniboa keeps (bytes). */
const SB_MAX = 64;

/**
 * One client connection (miniboa's `TelnetClient`). Output (`send`,
 * `send_cc`, `send_wrapped`, `request_*`) is queued until the next
 * `poll()`; input is collected by `poll()` into `command_list`.
 */
export class TelnetClient {
  protocol = 'telnet';
  /** Turns false when the connection is lost; set it false to drop the client at the next poll. */
  active = true;
  /** The connection (miniboa: the socket). */
  readonly sock: ServerConnection<Buffer>;
  /** A per-server connection number (miniboa: the socket's file descriptor). */
  fileno = -1;
  /** The client's remote IP address. */
  readonly address: string;
  /** The client's remote port. */
  readonly port: number;
  /** Set by `request_terminal_type()`. */
  terminal_type = 'ANSI';
  /** Text encoding of both directions. */
  encoding: string;
  use_ansi = true;
  columns = 80;
  rows = 24;
  send_pending = false;
  recv_buffer = '';
  bytes_sent = 0;
  bytes_received = 0;
  cmd_ready = false;
  command_list: string[] = [];
  /** Seconds since the epoch. */
  connect_time: number;
  /** Seconds since the epoch. */
  last_input_time: number;

  // State variables for interpreting incoming telnet commands
  /** Are we inside an IAC sequence? */
  telnet_got_iac = false;
  /** Did we get a telnet command? (the verb byte) */
  telnet_got_cmd: number | null = null;
  /** Are we inside a subnegotiation? */
  telnet_got_sb = false;
  /** Mapping for up to 256 TelnetOptions. */
  telnet_opt_dict = new Map<number, TelnetOption>();
  /** Echo input back to the client? */
  telnet_echo = false;
  /** Echo back '*' for passwords? */
  telnet_echo_password = false;
  /** Buffer for sub-negotiations. */
  telnet_sb_buffer: number[] = [];

  private sbOverflow = false;
  /** Output queued since the last send: text (encoded at send time) or protocol bytes. */
  private parts: Array<string | Buffer> = [];
  /** Encoded output the connection did not take yet. */
  private unsent: Buffer = Buffer.alloc(0);
  private readonly enc: string;
  private readonly decoder: TextDecoderLike;

  constructor(sock: ServerConnection<Buffer>, addr_tup: readonly [string, number], encoding = 'cp1252') {
    this.sock = sock;
    this.address = addr_tup[0];
    this.port = addr_tup[1];
    this.encoding = encoding;
    const enc = normalizeEncoding(encoding);
    if (enc === null) throw new TelnetUsageError(`unknown encoding: ${encoding}`, 'ERR_TELNET_UNKNOWN_ENCODING');
    this.enc = enc;
    this.decoder = makeDecoder(enc, 'replace');
    this.connect_time = now();
    this.last_input_time = now();
  }

  /** The text waiting to be sent (protocol bytes shown as latin1 characters). */
  get send_buffer(): string {
    return this.unsent.toString('latin1') + this.parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1'))).join('');
  }

  set send_buffer(value: string) {
    // miniboa code may clear or replace the buffer.
    this.unsent = Buffer.alloc(0);
    this.parts = value.length > 0 ? [value] : [];
    this.send_pending = value.length > 0;
  }

  /** A line of text received from the client (stripped), or null; `cmd_ready` tells if one is there. */
  get_command(): string | null {
    let cmd: string | null = null;
    const count = this.command_list.length;
    if (count > 0) cmd = this.command_list.shift()!;
    // If that was the last line, turn off lines_pending
    if (count === 1) this.cmd_ready = false;
    return cmd;
  }

  /** Queue text for the client; every `\n` becomes `\r\n`. Sent at the next poll. */
  send(text: string | null | undefined): void {
    if (text) {
      this.parts.push(text.split('\n').join('\r\n'));
      this.send_pending = true;
    }
  }

  /** Send text with caret codes converted to ANSI (or stripped when `use_ansi` is false). */
  send_cc(text: string): void {
    this.send(colorize(text, this.use_ansi));
  }

  /** Send text padded and wrapped to the client's screen width. */
  send_wrapped(text: string): void {
    const lines = word_wrap(text, this.columns);
    for (const line of lines) this.send_cc(`${line}\n`);
  }

  /** Set the client to disconnect on the next server poll. */
  deactivate(): void {
    this.active = false;
  }

  /** The client's IP address and port number as `"IP:PORT"`. */
  addrport(): string {
    return `${this.address}:${this.port}`;
  }

  /** Seconds since the client last sent us some input. */
  idle(): number {
    return now() - this.last_input_time;
  }

  /** Seconds the client has been connected. */
  duration(): number {
    return now() - this.connect_time;
  }

  /** Request the client to Suppress Go-Ahead (RFC 858). */
  request_do_sga(): void {
    this._iac_do(SGA);
    this._note_reply_pending(SGA, true);
  }

  /** Tell the client that we would like to echo their text (RFC 857). */
  request_will_echo(): void {
    this._iac_will(ECHO);
    this._note_reply_pending(ECHO, true);
    this.telnet_echo = true;
  }

  /** Tell the client that we would like to stop echoing their text (RFC 857). */
  request_wont_echo(): void {
    this._iac_wont(ECHO);
    this._note_reply_pending(ECHO, true);
    this.telnet_echo = false;
  }

  /** Tell the client we will echo (but don't) so typed passwords don't show. */
  password_mode_on(): void {
    this._iac_will(ECHO);
    this._note_reply_pending(ECHO, true);
  }

  /** Tell the client we are done echoing (we lied) and show typing again. */
  password_mode_off(): void {
    this._iac_wont(ECHO);
    this._note_reply_pending(ECHO, true);
  }

  /** Request to Negotiate About Window Size (RFC 1073). */
  request_naws(): void {
    this._iac_do(NAWS);
    this._note_reply_pending(NAWS, true);
  }

  /** Begin the Telnet negotiation for the client's terminal type (RFC 1091). */
  request_terminal_type(): void {
    this._iac_do(TTYPE);
    this._note_reply_pending(TTYPE, true);
  }

  /**
   * Called by the server: hand queued output to the connection, as much as
   * it takes now (never blocks); the rest stays pending.
   */
  socket_send(): void {
    if (this.parts.length > 0) {
      const out: Buffer[] = this.unsent.length > 0 ? [this.unsent] : [];
      for (const p of this.parts) out.push(typeof p === 'string' ? escapeIac(encodeText(p, this.enc, 'replace')) : p);
      this.parts = [];
      this.unsent = out.length === 1 ? out[0]! : Buffer.concat(out);
    }
    if (this.unsent.length === 0) {
      this.send_pending = false;
      return;
    }
    const sent = this.sock.writeNow(this.unsent);
    if (sent < 0) {
      // The socket is gone: nothing more can be sent.
      this.unsent = Buffer.alloc(0);
      this.send_pending = false;
      this.active = false;
      return;
    }
    this.bytes_sent += sent;
    this.unsent = this.unsent.subarray(sent);
    this.send_pending = this.unsent.length > 0;
  }

  /**
   * Called by the server: take what arrived (never blocks). Returns whether
   * anything did; raises {@link ConnectionLost} once the client has closed
   * and everything it sent was taken.
   */
  socket_recv(): boolean {
    // Most clients have nothing most of the time: look at the ring before reading.
    if (!this.sock.hasInput()) return false;
    if (this.sock.closedLocally) throw new ConnectionLost('the connection was closed');
    const data = this.sock.readAvailable();
    if (data.length === 0) {
      if (!this.sock.active) throw new ConnectionLost();
      return false;
    }
    // Update some trackers
    this.last_input_time = now();
    this.bytes_received += data.length;
    // Test for telnet commands
    this.iacSniffer(data);
    // Look for newline characters to get whole lines from the buffer
    for (;;) {
      const mark = this.recv_buffer.indexOf('\n');
      if (mark === -1) break;
      this.command_list.push(pyStrip(this.recv_buffer.slice(0, mark)));
      this.cmd_ready = true;
      this.recv_buffer = this.recv_buffer.slice(mark + 1);
    }
    if (!this.sock.active) throw new ConnectionLost();
    return true;
  }

  /** Received text (IAC sequences already removed): echo it if asked, then buffer it. */
  _recv_text(text: string): void {
    if (text.length === 0) return;
    if (this.telnet_echo) this._echo_text(text);
    this.recv_buffer += text;
  }

  /** Echo characters back to the client, LF as CR LF (`*` for each in password echo). */
  _echo_text(text: string): void {
    let out = '';
    for (const ch of text) {
      if (ch === '\n') out += '\r';
      out += this.telnet_echo_password ? '*' : ch;
    }
    this.parts.push(out);
    this.send_pending = true;
  }

  /** Watch incoming bytes for IAC sequences; pass the data on, with them removed. */
  private iacSniffer(data: Buffer): void {
    const n = data.length;
    let i = 0;
    let spanStart = -1;
    const flush = (end: number): void => {
      if (spanStart !== -1 && end > spanStart) this._recv_text(this.decoder.write(data.subarray(spanStart, end)).text);
      spanStart = -1;
    };
    while (i < n) {
      if (!this.telnet_got_iac) {
        if (this.telnet_got_sb) {
          // Inside a subnegotiation: bytes up to the next IAC are its payload.
          let j = data.indexOf(IAC, i);
          if (j === -1) j = n;
          for (let k = i; k < j; k++) this.sbByte(data[k]!);
          i = j;
        } else {
          // Plain NVT data up to the next IAC.
          let j = data.indexOf(IAC, i);
          if (j === -1) j = n;
          if (spanStart === -1) spanStart = i;
          if (j === n) break;
          flush(j);
          i = j;
        }
        if (i < n) {
          this.telnet_got_iac = true;
          i++;
        }
        continue;
      }
      const byte = data[i++]!;
      if (byte === IAC) {
        // An escaped 255 (IAC IAC).
        if (this.telnet_got_sb) this.sbByte(IAC);
        else this._recv_text(this.decoder.write(Buffer.from([IAC])).text);
        this.telnet_got_iac = false;
      } else if (this.telnet_got_cmd !== null) {
        this._three_byte_cmd(byte);
      } else if (byte === DO || byte === DONT || byte === WILL || byte === WONT) {
        // The middle byte of a three-byte command.
        this.telnet_got_cmd = byte;
      } else {
        this._two_byte_cmd(byte);
      }
    }
    flush(n);
  }

  private sbByte(b: number): void {
    // Sanity check on length
    if (this.sbOverflow) return;
    if (this.telnet_sb_buffer.length < SB_MAX) this.telnet_sb_buffer.push(b);
    else {
      this.sbOverflow = true;
      this.telnet_sb_buffer = [];
    }
  }

  /** Incoming Telnet commands that are two bytes long. */
  _two_byte_cmd(cmd: number): void {
    if (cmd === SB) {
      // Begin capturing a sub-negotiation string
      this.telnet_got_sb = true;
      this.telnet_sb_buffer = [];
      this.sbOverflow = false;
    } else if (cmd === SE) {
      // Stop capturing a sub-negotiation string
      this.telnet_got_sb = false;
      if (!this.sbOverflow) this._sb_decoder();
      this.sbOverflow = false;
      this.telnet_sb_buffer = [];
    } else if (cmd === NOP || cmd === DATMK || cmd === IP || cmd === AO || cmd === AYT || cmd === EC || cmd === EL || cmd === GA) {
      // nothing to do
    }
    this.telnet_got_iac = false;
    this.telnet_got_cmd = null;
  }

  /** Incoming Telnet commands that are three bytes long (miniboa's option rules). */
  _three_byte_cmd(option: number): void {
    const cmd = this.telnet_got_cmd;
    // Incoming DO's and DONT's refer to the status of this end
    if (cmd === DO) {
      if (option === BINARY || option === SGA || option === ECHO) {
        if (this._check_reply_pending(option)) {
          this._note_reply_pending(option, false);
          this._note_local_option(option, true);
        } else if (this._check_local_option(option) === false || this._check_local_option(option) === UNKNOWN) {
          this._note_local_option(option, true);
          this._iac_will(option);
          // Just nod unless setting echo
          if (option === ECHO) this.telnet_echo = true;
        }
      } else if (this._check_local_option(option) === UNKNOWN) {
        // All other options = Default to refusing once
        this._note_local_option(option, false);
        this._iac_wont(option);
      }
    } else if (cmd === DONT) {
      if (option === BINARY || option === SGA || option === ECHO) {
        if (this._check_reply_pending(option)) {
          this._note_reply_pending(option, false);
          this._note_local_option(option, false);
        } else if (this._check_local_option(option) === true || this._check_local_option(option) === UNKNOWN) {
          this._note_local_option(option, false);
          this._iac_wont(option);
          // Just nod unless setting echo
          if (option === ECHO) this.telnet_echo = false;
        }
      }
      // All other options = Default to ignoring
    } else if (cmd === WILL) {
      // Incoming WILL's and WONT's refer to the status of the client
      if (option === ECHO) {
        // Nutjob client offering to echo the server...
        if (this._check_remote_option(ECHO) === UNKNOWN) {
          this._note_remote_option(ECHO, false);
          // No no, bad client!
          this._iac_dont(ECHO);
        }
      } else if (option === NAWS || option === SGA) {
        if (this._check_reply_pending(option)) {
          this._note_reply_pending(option, false);
          this._note_remote_option(option, true);
        } else if (this._check_remote_option(option) === false || this._check_remote_option(option) === UNKNOWN) {
          this._note_remote_option(option, true);
          this._iac_do(option);
          // Client should respond with SB (for NAWS)
        }
      } else if (option === TTYPE) {
        if (this._check_reply_pending(TTYPE)) {
          this._note_reply_pending(TTYPE, false);
          this._note_remote_option(TTYPE, true);
          // Tell them to send their terminal type
          this.queueBytes([IAC, SB, TTYPE, SEND, IAC, SE]);
        } else if (this._check_remote_option(TTYPE) === false || this._check_remote_option(TTYPE) === UNKNOWN) {
          this._note_remote_option(TTYPE, true);
          this._iac_do(TTYPE);
        }
      }
    } else if (cmd === WONT) {
      if (option === ECHO) {
        // Client states it wont echo us -- good, they're not supposed to.
        if (this._check_remote_option(ECHO) === UNKNOWN) {
          this._note_remote_option(ECHO, false);
          this._iac_dont(ECHO);
        }
      } else if (option === SGA || option === TTYPE) {
        if (this._check_reply_pending(option)) {
          this._note_reply_pending(option, false);
          this._note_remote_option(option, false);
        } else if (this._check_remote_option(option) === true || this._check_remote_option(option) === UNKNOWN) {
          this._note_remote_option(option, false);
          this._iac_dont(option);
        }
      }
      // Ignore all other options
    }
    this.telnet_got_iac = false;
    this.telnet_got_cmd = null;
  }

  /** What to do with a received sub-negotiation block (TTYPE IS, NAWS). */
  _sb_decoder(): void {
    const bloc = this.telnet_sb_buffer;
    if (bloc.length > 2) {
      if (bloc[0] === TTYPE && bloc[1] === IS) this.terminal_type = Buffer.from(bloc.slice(2)).toString('latin1');
      if (bloc[0] === NAWS && bloc.length === 5) {
        this.columns = 256 * bloc[1]! + bloc[2]!;
        this.rows = 256 * bloc[3]! + bloc[4]!;
      }
    }
    this.telnet_sb_buffer = [];
  }

  // State juggling for Telnet options

  private opt(option: number): TelnetOption {
    let o = this.telnet_opt_dict.get(option);
    if (o === undefined) {
      o = new TelnetOption();
      this.telnet_opt_dict.set(option, o);
    }
    return o;
  }

  _check_local_option(option: number): boolean | typeof UNKNOWN {
    return this.opt(option).local_option;
  }

  _note_local_option(option: number, state: boolean): void {
    this.opt(option).local_option = state;
  }

  _check_remote_option(option: number): boolean | typeof UNKNOWN {
    return this.opt(option).remote_option;
  }

  _note_remote_option(option: number, state: boolean): void {
    this.opt(option).remote_option = state;
  }

  _check_reply_pending(option: number): boolean {
    return this.opt(option).reply_pending;
  }

  _note_reply_pending(option: number, state: boolean): void {
    this.opt(option).reply_pending = state;
  }

  // Telnet command shortcuts

  _iac_do(option: number): void {
    this.queueBytes([IAC, DO, option]);
  }

  _iac_dont(option: number): void {
    this.queueBytes([IAC, DONT, option]);
  }

  _iac_will(option: number): void {
    this.queueBytes([IAC, WILL, option]);
  }

  _iac_wont(option: number): void {
    this.queueBytes([IAC, WONT, option]);
  }

  private queueBytes(bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
    this.send_pending = true;
  }

  /** @internal Called by the server when the client is dropped: send what is pending, then close. */
  _release(): void {
    try {
      if (this.send_pending) this.socket_send();
    } catch {
      // The connection is already gone.
    }
    this.sock.close();
  }
}

// --------------------------------------------------------------- server

/** miniboa caps at 1000 (select()); here it is only the default. */
export const MAX_CONNECTIONS = 1000;

/** miniboa's default connection handler: a greeting. */
function defaultOnConnect(client: TelnetClient): void {
  client.send('Hello, my friend. Stay awhile and listen.\n');
}

/** miniboa's default lost-connection handler (it only logs). */
function defaultOnDisconnect(_client: TelnetClient): void {
  // nothing to do
}

/** A TelnetClient class (or subclass) the server instantiates for each connection. */
export type ClientClass = new (sock: ServerConnection<Buffer>, addr_tup: readonly [string, number], encoding?: string) => TelnetClient;

/** Options of {@link TelnetServer} (miniboa's keyword arguments). */
export interface TelnetServerOptions {
  /** Port to listen on (default 7777; 0 picks a free one). */
  port?: number;
  /** Local interface to listen on (default `''`: all IPv4 interfaces). */
  address?: string;
  /** Called with each new client, in `poll()`. */
  on_connect?: (client: TelnetClient) => void;
  /** Called with each lost or deactivated client, in `poll()`. */
  on_disconnect?: (client: TelnetClient) => void;
  /** Most simultaneous clients; more are closed at accept (default 1000). */
  max_connections?: number;
  /** Longest `poll()` wait in seconds (default 0.05). */
  timeout?: number;
  /** The client class (must extend TelnetClient). */
  client_class?: ClientClass | null;
  /** Accepted for compatibility; the address decides the family. */
  socket_family?: unknown;
  /** Text encoding of every client (default `cp1252`, as miniboa). */
  encoding?: string;
  /** Receive and send ring size per connection in bytes (power of two, default 16 KiB). */
  ring_size?: number;
  /** listen() backlog (default 511; miniboa: 5). */
  backlog?: number;
  /**
   * Behind a load balancer: every connection starts with a PROXY v1/v2
   * header, and `client.address`/`client.port` are the client it names
   * (not in miniboa; telnetlib3's `--proxy-protocol`, docs/scaling.md).
   */
  proxy_protocol?: boolean;
  /** With `proxy_protocol`: the balancers' addresses or CIDRs allowed to connect (default any). */
  proxy_from?: string[];
  /**
   * What the engine thread writes to stderr (not in miniboa): `'warn'` by
   * default (a refused PROXY header), `'info'`, `'debug'`, or `'silent'`.
   */
  log_level?: LogLevel;
}

/**
 * miniboa's `TelnetServer`: listens at construction; `poll()` does one
 * round of sending, accepting and receiving in the calling thread.
 */
export class TelnetServer {
  /** The bound port. */
  port: number;
  address: string;
  on_connect: (client: TelnetClient) => void;
  on_disconnect: (client: TelnetClient) => void;
  max_connections: number;
  /** Seconds. */
  timeout: number;
  client_class: ClientClass;
  encoding: string;
  /** Active clients by `fileno`. */
  readonly clients = new Map<number, TelnetClient>();

  private readonly server: BlockingTelnetServer;
  private nextFileno = 1;
  private stopped = false;

  constructor(options: TelnetServerOptions = {}) {
    const clientClass = options.client_class ?? null;
    if (clientClass !== null && !(clientClass.prototype instanceof TelnetClient) && clientClass !== TelnetClient) {
      throw new TypeError('client_class must be a subclass of TelnetClient');
    }
    this.port = options.port ?? 7777;
    this.address = options.address ?? '';
    this.on_connect = options.on_connect ?? defaultOnConnect;
    this.on_disconnect = options.on_disconnect ?? defaultOnDisconnect;
    this.max_connections = options.max_connections ?? MAX_CONNECTIONS;
    this.timeout = options.timeout ?? 0.05;
    this.client_class = clientClass ?? TelnetClient;
    this.encoding = options.encoding ?? 'cp1252';
    if (normalizeEncoding(this.encoding) === null) throw new TelnetUsageError(`unknown encoding: ${this.encoding}`, 'ERR_TELNET_UNKNOWN_ENCODING');
    const host = this.address === '' ? '0.0.0.0' : this.address;
    // Raw mode: the engine moves bytes and never negotiates; this module speaks Telnet.
    const serverOptions = {
      raw: true,
      ringSize: options.ring_size ?? 16 * 1024,
      backlog: options.backlog ?? 511,
      maxConnections: Math.max(10000, this.max_connections * 2),
      ...(options.proxy_protocol === true ? { proxyProtocol: true, proxyFrom: options.proxy_from } : {}),
      ...(options.log_level !== undefined ? { logLevel: options.log_level } : {}),
    };
    this.server = new BlockingTelnetServer(host, this.port, serverOptions as ConstructorParameters<typeof BlockingTelnetServer>[2]);
    this.server.start();
    this.port = this.server.port;
  }

  /** Disconnect every client and shut the server down. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const client of this.client_list()) {
      try { client.sock.close(); } catch { /* already gone */ }
    }
    this.server.shutdown();
  }

  /** The number of connected clients. */
  client_count(): number {
    return this.clients.size;
  }

  /** The connected clients. */
  client_list(): TelnetClient[] {
    return [...this.clients.values()];
  }

  /**
   * One round trip, at most `timeout` seconds: drop inactive clients
   * (`on_disconnect`), send queued output, read what arrived — waiting up
   * to `timeout` only when nothing has — accept new clients (`on_connect`),
   * and send what those steps queued. Sends and receives may be partial;
   * nothing here blocks on a single client.
   */
  poll(): void {
    if (this.stopped) throw new TelnetUsageError('the server is stopped', 'ERR_TELNET_NOT_STARTED');
    // Drop inactive connections.
    for (const [fileno, client] of this.clients) {
      if (!client.active) {
        this.on_disconnect(client);
        this.clients.delete(fileno);
        client._release();
      }
    }
    this.sendAll();
    // What happened since the last poll is handled at once; only when nothing
    // did, wait (at most `timeout`) for the next thing to happen. The activity
    // word is read before looking, so nothing that arrives meanwhile is missed.
    const mark = this.server.activityMark();
    let news = this.acceptAll();
    if (this.recvAll()) news = true;
    if (!news) {
      this.server.waitForActivity(Math.max(0, this.timeout * 1000), mark);
      this.acceptAll();
      this.recvAll();
    }
    // Greetings, echoes and replies queued in this poll go out now.
    this.sendAll();
  }

  /** `using server = new TelnetServer(...)` stops it at the end of the block. */
  [Symbol.dispose](): void {
    this.stop();
  }

  private sendAll(): void {
    for (const client of this.clients.values()) {
      if (client.send_pending && client.active) client.socket_send();
    }
  }

  private recvAll(): boolean {
    let news = false;
    for (const client of this.clients.values()) {
      if (!client.active) continue;
      try {
        if (client.socket_recv()) news = true;
      } catch (err) {
        if (!(err instanceof ConnectionLost)) throw err;
        client.deactivate();
        news = true;
      }
    }
    return news;
  }

  /** Accept every connection that is ready; returns whether there was one. */
  private acceptAll(): boolean {
    let any = false;
    for (;;) {
      const conn = this.server.acceptNow() as ServerConnection<Buffer> | null;
      if (conn === null) return any;
      any = true;
      // Check for maximum connections
      if (this.client_count() >= this.max_connections) {
        conn.close();
        continue;
      }
      const client = new this.client_class(conn, [conn.address, conn.port], this.encoding);
      client.fileno = this.nextFileno++;
      this.clients.set(client.fileno, client);
      this.on_connect(client);
    }
  }
}
