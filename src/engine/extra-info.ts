/**
 * A connection's extra info (telnetlib3's `get_extra_info`): a small map
 * from names to values with the `Map` interface, stored as one flat
 * `[key, value, key, value, ...]` array searched linearly. A connection
 * holds about a dozen entries (peername, sockname, term, cols, rows, the
 * terminal types and the environment values the client sent), for which a
 * `Map`'s hash table costs about twice as much.
 */

/** Slots added when the array is full (four entries). */
const GROW = 8;

export class ExtraInfo implements Map<string, unknown> {
  /** Keys at even, values at odd indexes; `length` is twice {@link size}, the rest is spare. */
  private kv: unknown[];
  private used = 0;

  /** @param capacity entries to make room for at once */
  constructor(capacity = 4) {
    this.kv = new Array(capacity * 2);
  }

  get size(): number {
    return this.used >> 1;
  }

  private indexOf(key: string): number {
    const kv = this.kv;
    for (let i = 0; i < this.used; i += 2) if (kv[i] === key) return i;
    return -1;
  }

  get(key: string): unknown {
    const i = this.indexOf(key);
    return i === -1 ? undefined : this.kv[i + 1];
  }

  has(key: string): boolean {
    return this.indexOf(key) !== -1;
  }

  set(key: string, value: unknown): this {
    const i = this.indexOf(key);
    if (i !== -1) {
      this.kv[i + 1] = value;
      return this;
    }
    let kv = this.kv;
    if (this.used + 2 > kv.length) {
      const grown = new Array<unknown>(kv.length + GROW);
      for (let j = 0; j < this.used; j++) grown[j] = kv[j];
      this.kv = kv = grown;
    }
    kv[this.used] = key;
    kv[this.used + 1] = value;
    this.used += 2;
    return this;
  }

  delete(key: string): boolean {
    const i = this.indexOf(key);
    if (i === -1) return false;
    const kv = this.kv;
    for (let j = i; j + 2 < this.used; j++) kv[j] = kv[j + 2];
    this.used -= 2;
    kv[this.used] = undefined;
    kv[this.used + 1] = undefined;
    return true;
  }

  clear(): void {
    this.kv = new Array(this.kv.length);
    this.used = 0;
  }

  forEach(fn: (value: unknown, key: string, map: Map<string, unknown>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  /** Entries in insertion order (a value replaced keeps its place, as in a Map). */
  *entries(): MapIterator<[string, unknown]> {
    // Read live, as a Map iterator does: entries set while iterating are visited.
    for (let i = 0; i < this.used; i += 2) yield [this.kv[i] as string, this.kv[i + 1]];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<unknown> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'ExtraInfo';
  }
}
