/**
 * Idle timeouts for many connections on one Node timer per duration.
 *
 * A connection's idle timeout fires `ms` after it was armed or after the
 * last input, whichever is later (as a Node timer that is refreshed on each
 * input). Instead of a Timeout object per connection, connections with the
 * same duration sit in one intrusive doubly linked list, oldest first:
 * arming or input moves a connection to the tail, so the list stays sorted
 * by deadline, and one timer armed for the head's deadline serves them all.
 * When it fires, the expired heads are unlinked and told; a head touched
 * since the timer was armed just makes it re-arm for the new head.
 */

/** What a connection keeps for its place in a list (fields on the connection: no per-connection object). */
export interface IdleEntry {
  idleList: IdleList | null;
  idlePrev: IdleEntry | null;
  idleNext: IdleEntry | null;
  /** Monotonic ms ({@link monotonicNow}) of the arming or the last input, whichever is later. */
  idleFrom: number;
  /** Called once when the timeout expires (the entry is already unlinked). */
  idleExpired(): void;
}

/** Whole monotonic milliseconds (small integers, so fields holding them need no boxed number). */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/** The connections sharing one idle duration. */
export class IdleList {
  head: IdleEntry | null = null;
  tail: IdleEntry | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly ms: number) {}

  /** Put `e` at the tail (it is not in any list). */
  append(e: IdleEntry): void {
    e.idleList = this;
    e.idlePrev = this.tail;
    e.idleNext = null;
    if (this.tail === null) this.head = e;
    else this.tail.idleNext = e;
    this.tail = e;
    if (this.timer === null) this.schedule(this.head!.idleFrom + this.ms);
  }

  /** Take `e` out of this list. */
  unlink(e: IdleEntry): void {
    if (e.idlePrev === null) this.head = e.idleNext;
    else e.idlePrev.idleNext = e.idleNext;
    if (e.idleNext === null) this.tail = e.idlePrev;
    else e.idleNext.idlePrev = e.idlePrev;
    e.idleList = e.idlePrev = e.idleNext = null;
    if (this.head === null) {
      if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
      if (lists.get(this.ms) === this) lists.delete(this.ms);
    }
  }

  /** `e` (in this list) had input: move it to the tail. */
  touch(e: IdleEntry): void {
    if (this.tail === e) return;
    // Unlink without the empty-list bookkeeping: the list is not empty (e is moved, not removed).
    if (e.idlePrev === null) this.head = e.idleNext;
    else e.idlePrev.idleNext = e.idleNext;
    e.idleNext!.idlePrev = e.idlePrev;
    e.idlePrev = this.tail;
    e.idleNext = null;
    this.tail!.idleNext = e;
    this.tail = e;
  }

  private schedule(due: number): void {
    this.timer = setTimeout(fire, Math.max(1, due - monotonicNow()), this);
  }

  /** @internal the timer fired. */
  expire(): void {
    this.timer = null;
    const now = monotonicNow();
    let failure: unknown = null;
    let failed = false;
    for (let e = this.head; e !== null; e = this.head) {
      if (e.idleFrom + this.ms > now) break;
      this.unlink(e);
      try {
        e.idleExpired();
      } catch (err) {
        // One failing callback must not cost the others their timeout; the
        // first error is rethrown as the timer's own would be.
        if (!failed) { failed = true; failure = err; }
      }
    }
    if (this.head !== null && this.timer === null) this.schedule(this.head.idleFrom + this.ms);
    if (failed) throw failure;
  }
}

function fire(list: IdleList): void {
  list.expire();
}

/** One list per duration in use. */
const lists = new Map<number, IdleList>();

/** Arm (ms > 0, from now) or cancel (0) the idle timeout of `e`. */
export function setIdle(e: IdleEntry, ms: number): void {
  if (e.idleList !== null) e.idleList.unlink(e);
  if (ms <= 0) return;
  e.idleFrom = monotonicNow();
  let list = lists.get(ms);
  if (list === undefined) {
    list = new IdleList(ms);
    lists.set(ms, list);
  }
  list.append(e);
}

/** Input arrived on `e`: its idle time restarts. */
export function touchIdle(e: IdleEntry, now: number): void {
  e.idleFrom = now;
  e.idleList?.touch(e);
}
