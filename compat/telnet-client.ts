/**
 * `telnetlib3/compat/telnet-client`: a drop-in for npm `telnet-client`
 * (mkozjak/node-telnet-client 2.2): the same class name, options, methods,
 * callbacks, events and results, so that a script changes only its import:
 *
 * ```ts
 * import { Telnet } from 'telnetlib3/compat/telnet-client';   // was: from 'telnet-client'
 * const connection = new Telnet();
 * await connection.connect({ host: '192.0.2.1', port: 23, shellPrompt: /Router#/, timeout: 1500 });
 * console.log(await connection.exec('show clock'));
 * ```
 *
 * Underneath is telnetlib3's engine instead of a regex over raw socket
 * chunks. Where telnet-client's behaviour is a bug we do the right thing
 * (each item is covered by tests/compat/telnet-client.test.ts, which runs
 * the same cases against the real package):
 * - Negotiation: options are negotiated properly (RFC 1143; unknown WILL is
 *   refused with DONT where telnet-client answers DO to anything; TTYPE and
 *   NAWS are answered as a client should). IAC sequences anywhere in a chunk,
 *   or split between packets, are parsed; telnet-client only parses a chunk
 *   that *starts* with IAC and leaks the rest into the data.
 * - 0xFF: a data byte 0xFF arrives as one 0xFF (IAC IAC is unescaped) and
 *   `write`/`send`/`exec` double it on the way out.
 * - `data` events and `shell()`/`nextData()` carry in-band data only (no
 *   negotiation bytes).
 * - Prompts split between packets are found: login and shell prompts are
 *   searched in everything received since the last action, not in the
 *   last chunk alone; a pager separator split between packets is seen too.
 * - Multi-byte characters split between packets decode right (one
 *   StringDecoder per stream; telnet-client decodes each chunk alone in
 *   `exec` and `send`).
 * - `stripControls` removes every escape sequence (telnet-client's RegExp
 *   lacks the `g` flag and removes only the first of each chunk).
 * - A failed login is seen when the failure text arrives together with the
 *   next login prompt (`failedLoginMatch` is looked for first): telnet-client
 *   looks for the login prompt first, ignores it the second time and waits
 *   until `timeout`, rejecting `Cannot connect` instead of `Failed login`.
 * - `initialCtrlC` works on its own (telnet-client requires both
 *   `initialCtrlC` and the deprecated `initialCTRLC`).
 * Not supported: `sock`/`extSock` (an existing socket cannot be handed to
 * the engine; connect() rejects), `socketConnectOptions` other than
 * `family`. `getSocket()` returns a {@link TelnetClientSocket}, a Duplex
 * over the connection's in-band data with the socket's addresses, not the
 * `net.Socket` itself (that lives inside the engine).
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { openConnection } from '../src/client.js';
import type { TelnetReader } from '../src/engine/reader.js';
import type { TelnetWriter } from '../src/engine/writer.js';

/** A node-style callback. */
export type Callback<T> = (error: unknown, result?: T) => void;
/** telnet-client's states. */
export type TelnetState = null | 'end' | 'failedlogin' | 'getprompt' | 'login' | 'ready' | 'response' | 'standby' | 'start';
/** Called with each escape sequence received; what it returns is sent back. */
export type EscapeHandler = (escapeSequence: string) => string | null;

/** Options of exec(). */
export interface ExecOptions {
  echoLines?: number;
  execTimeout?: number;
  failedLoginMatch?: string | RegExp;
  irs?: string;
  loginPrompt?: string | RegExp;
  maxBufferLength?: number;
  newlineReplace?: string;
  ors?: string;
  shellPrompt?: string | RegExp;
  stripControls?: boolean;
  timeout?: number;
}

/** Options of send() and write(). */
export interface SendOptions {
  maxBufferLength?: number;
  newlineReplace?: string;
  ors?: string;
  shellPrompt?: string | RegExp;
  stripControls?: boolean;
  timeout?: number;
  waitFor?: string | RegExp | false;
  /** @deprecated */
  waitfor?: string | RegExp | false;
  sendTimeout?: number;
}

/** Options of connect(). */
export interface ConnectOptions extends SendOptions {
  debug?: boolean;
  echoLines?: number;
  encoding?: BufferEncoding;
  escapeHandler?: EscapeHandler;
  execTimeout?: number;
  extSock?: unknown;
  failedLoginMatch?: string | RegExp;
  host?: string;
  /** @deprecated */
  initialCTRLC?: boolean;
  initialCtrlC?: boolean;
  initialLFCR?: boolean;
  irs?: string;
  localAddress?: string;
  loginPrompt?: string | RegExp;
  maxEndWait?: number;
  negotiationMandatory?: boolean;
  pageSeparator?: string | RegExp;
  password?: string;
  passwordPrompt?: string | RegExp;
  port?: number;
  sock?: unknown;
  socketConnectOptions?: { family?: number };
  stripShellPrompt?: boolean;
  terminalHeight?: number;
  terminalWidth?: number;
  username?: string;
  disableLogon?: boolean;
}

type Opts = ConnectOptions & Record<string, any>;

const defaultOptions: Readonly<Opts> = Object.freeze({
  debug: false,
  echoLines: 1,
  encoding: 'ascii',
  execTimeout: 2000,
  host: '127.0.0.1',
  initialCtrlC: false,
  initialLFCR: false,
  irs: '\r\n',
  localAddress: '',
  loginPrompt: /login[: ]*$/i,
  maxBufferLength: 1048576,
  maxEndWait: 250,
  negotiationMandatory: true,
  ors: '\n',
  pageSeparator: '---- More',
  password: 'guest',
  passwordPrompt: /password[: ]*$/i,
  port: 23,
  sendTimeout: 2000,
  shellPrompt: /(?:\/ )?#\s/,
  stripControls: false,
  stripShellPrompt: true,
  timeout: 2000,
  username: 'root',
  waitFor: false,
  disableLogon: false,
} as Opts);

function stringToRegex(opts: Opts): void {
  for (const key of ['failedLoginMatch', 'loginPrompt', 'passwordPrompt', 'shellPrompt', 'waitFor']) {
    const value = opts[key];
    opts[key] = typeof value === 'string' ? new RegExp(value) : value;
  }
}

function search(str: string | null | undefined, pattern: unknown): number {
  if (!str || !pattern) return -1;
  if (pattern instanceof RegExp) return str.search(pattern);
  return str.indexOf(String(pattern));
}

function asCallback<T>(promise: Promise<T>, callback?: Callback<T>): Promise<T> {
  if (typeof callback === 'function') promise.then((result) => callback(null, result)).catch((err) => callback(err));
  return promise;
}

/**
 * What `getSocket()` and `shell()` return: a Duplex over the connection's
 * in-band data (writes are sent with IAC doubled), with the socket's
 * addresses. `destroy()` closes the connection.
 */
export class TelnetClientSocket extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;

  constructor(private readonly owner: Telnet) {
    super();
    const peer = owner.writerOrNull?.getExtraInfo('peername') as { address?: string; port?: number } | undefined;
    const sock = owner.writerOrNull?.getExtraInfo('sockname') as { address?: string; port?: number } | undefined;
    this.remoteAddress = peer?.address;
    this.remotePort = peer?.port;
    this.localAddress = sock?.address;
    this.localPort = sock?.port;
    const onData = (d: Buffer): void => { this.push(d); };
    owner.on('rawdata', onData);
    owner.once('close', () => { owner.off('rawdata', onData); this.push(null); });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.owner.isWritable()) {
      callback(new Error('socket not writable'));
      return;
    }
    this.owner.rawWrite(chunk);
    callback();
  }

  override _read(): void { /* data is pushed as it arrives */ }

  override _destroy(err: Error | null, callback: (error: Error | null) => void): void {
    void this.owner.destroy();
    callback(err);
  }
}

/** npm telnet-client's `Telnet`, over telnetlib3's engine. */
export class Telnet extends EventEmitter {
  private dataResolver: ((v: string | null) => void) | undefined;
  private endEmitted = false;
  private inputBuffer = '';
  private promptBuffer = '';
  private pagerFrom = 0;
  private loginPromptReceived = false;
  private opts: Opts = { ...defaultOptions };
  private pendingData: Array<string | null> = [];
  private response: string[] | undefined = undefined;
  private reader: TelnetReader<Buffer> | null = null;
  private writer: TelnetWriter | null = null;
  private state: TelnetState = null;
  private decoder: StringDecoder | null = null;
  private nextDecoder: StringDecoder | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closeEmitted = false;
  private dataListeners: Array<(data: Buffer) => void> = [];

  constructor() {
    super();
    this.on('data', (data: Buffer) => this.pushNextData(data));
    this.on('end', () => {
      const remaining = this.nextDecoder?.end();
      if (remaining) this.pushNextData(remaining);
      this.pushNextData(null);
      this.state = 'end';
    });
  }

  /** @internal the writer, for {@link TelnetClientSocket}. */
  get writerOrNull(): TelnetWriter | null {
    return this.writer;
  }

  private pushNextData(data: Buffer | string | null): void {
    let text: string | null;
    if (data instanceof Buffer) text = (this.nextDecoder ??= new StringDecoder(this.opts.encoding)).write(data);
    else text = data === null ? null : String(data);
    const chunks: Array<string | null> = text ? text.split(/(?<=\r\r\n|\r?\n)/) : [text];
    if (this.dataResolver) {
      this.dataResolver(chunks[0] ?? null);
      this.dataResolver = undefined;
    } else {
      this.pendingData.push(chunks[0] ?? null);
    }
    if (chunks.length > 1) this.pendingData.push(...chunks.slice(1));
  }

  /** The next line (with its end) of what arrived as `data`, or null after the end. */
  async nextData(): Promise<string | null> {
    if (this.pendingData.length > 0) return this.pendingData.splice(0, 1)[0] ?? null;
    if (this.state === 'end') return null;
    return new Promise((resolve) => { this.dataResolver = resolve; });
  }

  /** Connect, log in when asked, and resolve at the shell prompt (or at once: `negotiationMandatory: false`, `shellPrompt: null`). */
  connect(opts: ConnectOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      let connectionPending = true;
      const rejectIt = (reason: unknown): void => { connectionPending = false; reject(reason); };
      const resolveIt = (): void => { connectionPending = false; resolve(); };
      Object.assign(this.opts, opts ?? {});
      this.opts.initialCtrlC = opts.initialCtrlC ?? opts.initialCTRLC ?? false;
      stringToRegex(this.opts);
      this.decoder = new StringDecoder(this.opts.encoding);
      this.nextDecoder = new StringDecoder(this.opts.encoding);
      if (opts.sock !== undefined || opts.extSock !== undefined) {
        rejectIt(new Error('socket invalid: telnetlib3/compat/telnet-client cannot take over an existing socket'));
        return;
      }
      let aborted = false;
      this.onIdle = () => {
        if (connectionPending) {
          if (this.listeners('error').length > 0) this.emit('error', 'Cannot connect');
          aborted = true;
          void this.destroy();
          reject(new Error('Cannot connect'));
          connectionPending = false;
          return;
        }
        this.emit('timeout');
      };
      this.touch();
      const client: Parameters<typeof openConnection>[2] = {
        encoding: false,
        connectMinwait: 0,
        connectMaxwait: 0,
      };
      if (this.opts.terminalWidth && this.opts.terminalHeight) {
        client.cols = this.opts.terminalWidth;
        client.rows = this.opts.terminalHeight;
      }
      if (this.opts.localAddress) client.localAddress = this.opts.localAddress;
      const family = this.opts.socketConnectOptions?.family;
      if (family === 4 || family === 6) client.family = family;
      openConnection(this.opts.host, this.opts.port, client).then(({ reader, writer }) => {
        if (aborted) {
          writer.close();
          return;
        }
        this.reader = reader as TelnetReader<Buffer>;
        this.writer = writer;
        this.state = 'start';
        this.emit('connect');
        if (this.opts.initialCtrlC === true) this.rawWrite('\x03');
        if (this.opts.initialLFCR === true) this.rawWrite('\r\n');
        if (!this.opts.negotiationMandatory) resolveIt();
        if (!this.opts.shellPrompt) {
          this.state = 'standby';
          resolveIt();
        }
        void this.pump((data) => {
          let emitted = false;
          if (this.state === 'standby' || !this.opts.negotiationMandatory) {
            this.emit('data', this.opts.newlineReplace ? Buffer.from(this.decode(data.toString(this.opts.encoding)), this.opts.encoding) : data);
            emitted = true;
          }
          const isReady: boolean[] = [];
          const parsed = this.parseData(data, isReady);
          if (parsed && connectionPending && (isReady[0] || !this.opts.shellPrompt)) {
            resolveIt();
            if (!this.opts.shellPrompt && !emitted) this.emit('data', parsed);
          }
        }, () => {
          if (connectionPending) {
            if (this.state === 'start') resolveIt();
            else rejectIt(new Error('Socket ends'));
          }
        });
      }, (err: unknown) => {
        if (aborted) return;
        this.clearIdle();
        if (this.listeners('error').length > 0) this.emit('error', err);
        if (connectionPending) rejectIt(err);
        this.emitClose();
      });
      this.once('failedlogin', () => {
        if (connectionPending) rejectIt(new Error('Failed login'));
      });
    });
  }

  /** A Duplex stream over the connection (in-band data both ways). */
  async shell(callback?: Callback<Duplex>): Promise<Duplex> {
    return asCallback(Promise.resolve(new TelnetClientSocket(this) as Duplex), callback);
  }

  /** Send `cmd + ors`, collect until the shell prompt, resolve with the lines between echo and prompt joined by `\n`. */
  async exec(cmd: string, opts?: ExecOptions | Callback<string>, callback?: Callback<string>): Promise<string> {
    if (typeof opts === 'function') {
      callback = opts;
      opts = undefined;
    }
    return asCallback(new Promise<string>((resolve, reject) => {
      Object.assign(this.opts, opts || {});
      cmd += this.opts.ors;
      if (!this.isWritable()) {
        reject(new Error('socket not writable'));
        return;
      }
      this.rawWrite(cmd);
      let execTimeout: NodeJS.Timeout | undefined;
      this.state = 'response';
      this.pagerFrom = 0;
      this.emit('writedone');
      const buffExecHandler = (): void => {
        if (execTimeout) clearTimeout(execTimeout);
        if (!this.inputBuffer) {
          reject(new Error('response not received'));
          return;
        }
        resolve(this.inputBuffer);
        this.inputBuffer = '';
        this.state = 'standby';
      };
      const responseHandler = (): void => {
        if (execTimeout) clearTimeout(execTimeout);
        if (this.response) resolve(this.response.join(this.opts.newlineReplace || '\n'));
        else reject(new Error('invalid response'));
        this.inputBuffer = '';
        this.state = 'standby';
        this.removeListener('bufferexceeded', buffExecHandler);
      };
      this.once('responseready', responseHandler);
      this.once('bufferexceeded', buffExecHandler);
      if (this.opts.execTimeout) {
        execTimeout = setTimeout(() => {
          execTimeout = undefined;
          this.removeListener('responseready', responseHandler);
          this.removeListener('bufferexceeded', buffExecHandler);
          reject(new Error('response not received'));
        }, this.opts.execTimeout);
      }
    }), callback);
  }

  /** write(data + ors). */
  async send(data: Buffer | string, opts?: SendOptions | Callback<string>, callback?: Callback<string>): Promise<string> {
    if (typeof opts === 'function') {
      callback = opts;
      opts = undefined;
    }
    this.opts.ors = opts?.ors || this.opts.ors;
    return this.write(String(data) + this.opts.ors, opts, callback);
  }

  /**
   * Send data; with `waitFor`, resolve once what arrived matches; otherwise
   * resolve after `sendTimeout` with everything that arrived (reject
   * `response not received` when nothing did).
   */
  async write(data: Buffer | string, opts?: SendOptions, callback?: Callback<string>): Promise<string> {
    if (typeof opts === 'function') {
      callback = opts;
      opts = undefined;
    }
    return asCallback(new Promise<string>((resolve, reject) => {
      Object.assign(this.opts, opts || {});
      this.opts.waitFor = opts?.waitFor ?? opts?.waitfor ?? false;
      stringToRegex(this.opts);
      if (!this.isWritable()) {
        reject(new Error('socket not writable'));
        return;
      }
      let response = '';
      let sendTimer: NodeJS.Timeout | undefined;
      let written = false;
      const decoder = new StringDecoder(this.opts.encoding);
      const sendHandler = (chunk: Buffer): void => {
        response += this.decode(decoder.write(chunk));
        if (this.opts.waitFor instanceof RegExp) {
          if (this.opts.waitFor.test(response)) {
            if (sendTimer) clearTimeout(sendTimer);
            this.removeDataListener(sendHandler);
            resolve(response);
          }
        } else if (!sendTimer && (!written || !this.opts.sendTimeout)) {
          this.removeDataListener(sendHandler);
          resolve(response);
        }
      };
      this.dataListeners.push(sendHandler);
      this.rawWrite(data);
      written = true;
      if (this.opts.sendTimeout) {
        sendTimer = setTimeout(() => {
          sendTimer = undefined;
          this.removeDataListener(sendHandler);
          if (response === '') reject(new Error('response not received'));
          else resolve(response);
        }, this.opts.sendTimeout);
      }
    }), callback);
  }

  /** A socket-like Duplex (see {@link TelnetClientSocket}); null before connect. */
  getSocket(): TelnetClientSocket | null {
    return this.writer === null ? null : new TelnetClientSocket(this);
  }

  /** Close; resolves once closed or after `maxEndWait` ms. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = setTimeout(() => {
        timer = undefined;
        if (!this.endEmitted) {
          this.endEmitted = true;
          this.emit('end');
        }
        resolve();
      }, this.opts.maxEndWait);
      const w = this.writer;
      if (w === null) return;
      w.close();
      void w.waitClosed().then(() => {
        if (timer) {
          clearTimeout(timer);
          timer = undefined;
          resolve();
        }
      });
    });
  }

  /** Close at once. */
  destroy(): Promise<void> {
    this.clearIdle();
    this.writer?.close();
    return Promise.resolve();
  }

  /** @internal */
  isWritable(): boolean {
    return this.writer !== null && !this.writer.isClosing();
  }

  /** @internal Strings go out as UTF-8, as `socket.write(string)` sends them; IAC is doubled. */
  rawWrite(data: Buffer | string): void {
    if (this.writer === null) return;
    this.touch();
    this.writer.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  private removeDataListener(fn: (data: Buffer) => void): void {
    const i = this.dataListeners.indexOf(fn);
    if (i !== -1) this.dataListeners.splice(i, 1);
  }

  private async pump(onData: (data: Buffer) => void, onEnd: () => void): Promise<void> {
    const reader = this.reader!;
    try {
      for (;;) {
        const data = await reader.read(65536);
        if (data.length === 0) break;
        this.touch();
        this.emit('rawdata', data);
        onData(data);
        for (const fn of [...this.dataListeners]) fn(data);
      }
    } catch (err) {
      if (this.listeners('error').length > 0) this.emit('error', err);
    }
    if (!this.endEmitted) {
      this.endEmitted = true;
      this.emit('end');
    }
    onEnd();
    await this.writer?.waitClosed().catch(() => undefined);
    this.emitClose();
  }

  private emitClose(): void {
    this.clearIdle();
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }

  // ------------------------------------------------------------ idle timeout (socket.setTimeout)

  private onIdle: (() => void) | null = null;

  private touch(): void {
    if (this.onIdle === null || !this.opts.timeout || this.closeEmitted) return;
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.onIdle?.();
    }, this.opts.timeout);
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.onIdle = null;
  }

  // ------------------------------------------------------------ telnet-client's parser, on in-band text

  /** @internal */
  parseData(chunk: Buffer, isReady?: boolean[]): Buffer | null {
    if (this.state === 'start') this.state = 'getprompt';
    if (this.state === 'getprompt') {
      const stringData = this.decoder!.write(chunk);
      // Everything since the last action, so a prompt split between packets is found.
      this.promptBuffer = (this.promptBuffer + this.decode(stringData)).slice(-this.opts.maxBufferLength!);
      const decodedData = this.promptBuffer;
      const promptIndex = search(decodedData, this.opts.shellPrompt);
      // The failure text is looked for first: it usually arrives with the next login prompt, and
      // telnet-client, which looks for the login prompt first, then waits until its timeout.
      if (search(decodedData, this.opts.failedLoginMatch) >= 0) {
        this.state = 'failedlogin';
        this.promptBuffer = '';
        this.emit('failedlogin', decodedData);
        void this.destroy();
      } else if (search(decodedData, this.opts.loginPrompt) >= 0) {
        if (!this.loginPromptReceived) {
          this.state = 'login';
          this.login('username');
          this.loginPromptReceived = true;
        }
      } else if (search(decodedData, this.opts.passwordPrompt) >= 0) {
        this.state = 'login';
        this.login('password');
      } else if (promptIndex >= 0) {
        const shellPrompt = this.opts.shellPrompt instanceof RegExp ? decodedData.substring(promptIndex) : this.opts.shellPrompt;
        this.state = 'standby';
        this.inputBuffer = '';
        this.promptBuffer = '';
        this.loginPromptReceived = false;
        this.emit('ready', shellPrompt);
        isReady?.push(true);
      }
    } else if (this.state === 'response') {
      if (this.inputBuffer.length >= this.opts.maxBufferLength!) {
        this.emit('bufferexceeded');
        return Buffer.from(this.inputBuffer, this.opts.encoding);
      }
      const stringData = this.decode(this.decoder!.write(chunk));
      this.inputBuffer += stringData;
      const promptIndex = search(this.inputBuffer, this.opts.shellPrompt);
      if (promptIndex < 0 && stringData?.length > 0) {
        // Search from a little before the new text, so a separator split between packets is seen.
        const sep = this.opts.pageSeparator;
        const back = typeof sep === 'string' ? sep.length : 64;
        const from = Math.max(this.pagerFrom, this.inputBuffer.length - stringData.length - back);
        if (search(this.inputBuffer.slice(from), sep) >= 0) {
          this.pagerFrom = this.inputBuffer.length;
          this.rawWrite(Buffer.from('20', 'hex'));
        }
        return null;
      }
      const response = this.inputBuffer.split(this.opts.irs!);
      for (let i = response.length - 1; i >= 0; --i) {
        if (search(response[i], this.opts.pageSeparator) >= 0) {
          response[i] = response[i]!.replace(this.opts.pageSeparator as string, '');
          if (response[i]!.length === 0) response.splice(i, 1);
        }
      }
      const echoLines = this.opts.echoLines ?? 1;
      if (echoLines === 1) response.shift();
      else if (echoLines > 1) response.splice(0, echoLines);
      else if (echoLines < 0) response.splice(0, response.length - 2);
      if (this.opts.stripShellPrompt && response.length > 0) {
        const idx = response.length - 1;
        response[idx] = search(response[idx], this.opts.shellPrompt) >= 0
          ? response[idx]!.replace(this.opts.shellPrompt as string, '')
          : '';
      }
      this.response = response;
      this.emit('responseready');
      return null;
    }
    return chunk;
  }

  private login(handle: 'username' | 'password'): void {
    if (this.isWritable() && !this.opts.disableLogon) {
      this.rawWrite(String(this.opts[handle]) + this.opts.ors);
      this.promptBuffer = '';
      this.state = 'getprompt';
    }
  }

  private decode(str: string): string {
    if (this.opts.escapeHandler) {
      const handler = this.opts.escapeHandler;
      str.replace(/\x1B((\[.*?[a-z])|.)/gi, (seq) => {
        const answer = handler(seq);
        if (answer) this.rawWrite(answer);
        return seq;
      });
    }
    if (this.opts.stripControls) {
      str = str.replace(/\x1B((\[.*?[a-z])|.)/gi, '');
      str = str.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, '');
    }
    if (this.opts.newlineReplace) str = str.replace(/\r\r\n|\r\n?/g, this.opts.newlineReplace);
    return str;
  }
}

export default Telnet;
