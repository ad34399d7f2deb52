/**
 * Python semantics the compat modules share: `b` literals with Python's
 * escapes, `repr()` of bytes, `%`-formatting, a byte queue, the bytes-only
 * argument check (a string is a TypeError, as in Python), and `str.strip()` /
 * `str.split()` with Python's idea of whitespace.
 */

const PY_ESCAPES: Record<string, string> = {
  '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** Python's escapes of a bytes literal (unknown ones such as `\d` keep their backslash, as Python's do). */
function pyUnescape(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|[\s\S])/g, (m, e: string) => {
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    const v = PY_ESCAPES[e];
    return v === undefined ? m : v;
  });
}

/**
 * Python's `b'...'` for ports. As a tagged template, `` b`login: \r\n` ``
 * reads its text as a Python bytes literal would (`\r`, `\n`, `\xff`,
 * octal escapes; an unknown escape such as `\d` keeps its backslash, so
 * `` b`(\d+)` `` is the regular expression Python's `b"(\d+)"` is). Called as
 * `b(string)` it takes the string's characters as they are. Either way the
 * result is the latin1 bytes; characters above U+00FF are refused, as Python
 * refuses non-ASCII in a bytes literal.
 */
export function b(text: string | TemplateStringsArray, ...values: unknown[]): Buffer {
  let s: string;
  if (typeof text === 'string') s = text;
  else s = text.raw.reduce((acc, part, i) => acc + pyUnescape(part) + (i < values.length ? String(values[i]) : ''), '');
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(s)) throw new TypeError('bytes can only contain characters up to \\xff');
  return Buffer.from(s, 'latin1');
}

/** Python's `repr()` of a bytes object: `b'abc\r\n\xff'`. */
export function bytesRepr(data: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of data) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = '';
  for (const c of data) {
    if (c === quote || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  const q = String.fromCharCode(quote);
  return `b${q}${out}${q}`;
}

export function pyRepr(v: unknown): string {
  if (v instanceof Uint8Array) return bytesRepr(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python's `fmt % args` for the conversions telnetlib uses (`%s`, `%r`, `%d`, `%%`). */
export function percentFormat(fmt: string, args: readonly unknown[]): string {
  let i = 0;
  return fmt.replace(/%([srdi%])/g, (_m, conv: string) => {
    if (conv === '%') return '%';
    const v = args[i++];
    if (conv === 'r') return pyRepr(v);
    if (conv === 'd' || conv === 'i') return String(Math.trunc(Number(v)));
    return pyStr(v);
  });
}

/** A growable byte queue: amortised O(1) append, O(1) consume from the front. */
export class ByteQueue {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.end + n > this.buf.length) {
      const live = this.end - this.start;
      if (live + n <= this.buf.length >> 1) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, live + n, 256));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(data, this.end);
    this.end += n;
  }

  /** A view of the queued bytes (valid until the next append). */
  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  indexOf(needle: Uint8Array, from = 0): number {
    const i = this.view().indexOf(needle, from);
    return i;
  }

  /** Remove and return (a copy of) the first `n` bytes. */
  take(n: number): Buffer {
    const out = Buffer.from(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    if (this.start === this.end) { this.start = 0; this.end = 0; }
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.length);
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }
}

export function toBytes(data: unknown, what: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') throw new TypeError(`${what}: a bytes-like object is required, not 'str' (use b\`...\` or Buffer.from())`);
  throw new TypeError(`${what}: a bytes-like object is required, not '${data === null ? 'None' : typeof data}'`);
}

// ------------------------------------------------------ str whitespace

/** Python's `str.isspace()` characters (a RegExp character-class body). */
export const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`);
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
export const PY_ALL_WS = new RegExp(`^[${PY_WS}]+$`);

/** Python's `str.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/** Python's `str.split()` (no argument). */
export function pySplit(s: string): string[] {
  return s.split(PY_WS_RUN).filter((w) => w.length > 0);
}
