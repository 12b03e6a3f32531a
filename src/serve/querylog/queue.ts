/**
 * The bounded queue in front of each sink: the query path pushes an entry
 * (no I/O, no serialisation), the sink takes batches in the background. Full
 * means dropped and counted, never a wait and never unbounded memory.
 */
import type { QueryLogEntry } from '../../model/query-log.js';

export interface SinkStats {
  /** Entries written (file) or sent (syslog). */
  written: number;
  /** Entries dropped because the queue was full. */
  dropped: number;
  /** Write or send errors (a batch, a datagram, a connection). */
  errors: number;
}

export function sinkStats(): SinkStats {
  return { written: 0, dropped: 0, errors: 0 };
}

export class EntryQueue {
  private items: QueryLogEntry[] = [];

  constructor(
    private readonly max: number,
    private readonly stats: SinkStats,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** False (and counted) when full. */
  push(entry: QueryLogEntry): boolean {
    if (this.items.length >= this.max) {
      this.stats.dropped++;
      return false;
    }
    this.items.push(entry);
    return true;
  }

  /** Up to `n` of the oldest entries, removed from the queue. */
  take(n: number): QueryLogEntry[] {
    if (this.items.length <= n) {
      const all = this.items;
      this.items = [];
      return all;
    }
    return this.items.splice(0, n);
  }
}
