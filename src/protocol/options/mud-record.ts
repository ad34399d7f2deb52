/**
 * Safe records for decoded MUD data: keys come from the peer, so a key such
 * as `__proto__` must become an own property, never a prototype change.
 */

/** Set `obj[key] = value` as an own, enumerable property whatever the key. */
export function setOwn<T>(obj: { [key: string]: T }, key: string, value: NoInfer<T>): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `obj` has `key` as an own property. */
export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
