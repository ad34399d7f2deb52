/**
 * The blocking API's queue of received MUD messages (GMCP, MSDP, MSSP), kept
 * on the engine side of a connection: the engine adds each message as its
 * event arrives, the caller takes them through the channel's call slot
 * (`mudTake`), and the control word MUD_QUEUED always holds how many wait,
 * so a caller blocked in `readMudMessage(timeout)` sleeps on CALLER_WAKE
 * instead of polling the engine.
 *
 * Messages that arrived while the connection was still negotiating (before
 * the channel was bound to it) are recovered from its extra info: the MSSP
 * table and the last data of each GMCP package.
 *
 * Bounded: past {@link MUD_QUEUE_MAX} untaken messages the oldest is dropped
 * with a logged warning (a caller that never reads must not grow the engine
 * without limit).
 */
import type { EngineConnection } from '../engine/connection.js';
import type { SessionEvent } from '../protocol/events.js';
import { C, type Channel, wake } from './channel.js';

/** A received MUD message, as the blocking API hands it out. */
export type MudMessage =
  | { type: 'gmcp'; package: string; data: unknown }
  | { type: 'msdp'; vars: Record<string, unknown>; viaGmcp: boolean }
  | { type: 'mssp'; table: Record<string, string | string[]> };

/** Most untaken messages kept per connection. */
export const MUD_QUEUE_MAX = 4096;

/** One connection's queue. */
export class MudQueue {
  private readonly items: MudMessage[] = [];
  private dropped = 0;

  constructor(private readonly ch: Channel, private readonly conn: EngineConnection) {
    Atomics.store(ch.ctrl, C.MUD_QUEUED, 0);
    const mssp = conn.extra.get('mssp') as Record<string, string | string[]> | undefined;
    if (mssp !== undefined) this.push({ type: 'mssp', table: mssp });
    const gmcp = conn.extra.get('gmcp') as Record<string, unknown> | undefined;
    if (gmcp !== undefined) for (const [pkg, data] of Object.entries(gmcp)) this.push({ type: 'gmcp', package: pkg, data });
  }

  /** A session event: queue it if it is a MUD message. */
  onEvent(ev: SessionEvent): void {
    if (ev.type === 'gmcp') this.push({ type: 'gmcp', package: ev.package, data: ev.data });
    else if (ev.type === 'msdp') this.push({ type: 'msdp', vars: ev.vars, viaGmcp: ev.viaGmcp });
    else if (ev.type === 'mssp') this.push({ type: 'mssp', table: ev.table });
  }

  /** Take up to `max` messages, oldest first. */
  take(max: number): MudMessage[] {
    const out = this.items.splice(0, Math.max(1, Math.min(max, this.items.length)));
    this.publish();
    return out;
  }

  private push(m: MudMessage): void {
    this.items.push(m);
    if (this.items.length > MUD_QUEUE_MAX) {
      this.items.shift();
      if (this.dropped++ % 1000 === 0) {
        this.conn.logger.warn(`MUD message queue full (${MUD_QUEUE_MAX} untaken): dropping the oldest (${this.dropped} so far)`);
      }
    }
    this.publish();
  }

  private publish(): void {
    Atomics.store(this.ch.ctrl, C.MUD_QUEUED, this.items.length);
    wake(this.ch.ctrl, C.CALLER_WAKE);
  }
}
