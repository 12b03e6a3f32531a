/**
 * A node's per-minute query counts as the cluster keeps them (store-schema.ts
 * stats_local): not increments, which a retried insert would add twice, but
 * each (minute, customer)'s running count in this process, sent again as it
 * grows with a higher version. The newest version of a count wins, so a row
 * sent twice changes nothing; counts of one minute from other nodes, other
 * processes (a restart) or a count this one forgot and began again (another
 * gen) are summed by the reader.
 *
 * Memory: one entry per (minute, customer) counted within the last
 * KEEP_MINUTES of data time, at most `maxEntries` (then the oldest minutes
 * are forgotten first: a later increment of one starts a new gen, which the
 * reader sums with the old, so forgetting loses nothing).
 */
import { withStatsTotals } from '../arguments.js';
import type { StatsBucket } from '../store.js';

/** Minutes behind the newest one a count is kept, to take late increments under the same gen. */
export const KEEP_MINUTES = 10;

export interface RunningStatsRow extends StatsBucket {
  gen: number;
  version: number;
}

interface RunningCount extends RunningStatsRow {
  changed: boolean;
}

export class RunningStats {
  private readonly counts = new Map<string, RunningCount>();
  private lastStamp = 0;
  private newestMinute = 0;

  constructor(private readonly maxEntries = 100_000) {}

  /** Counts forgotten for room (their minute's later increments start a new gen). */
  forgotten = 0;

  get size(): number {
    return this.counts.size;
  }

  /** Increasing microseconds of this process: gens and versions never repeat, across restarts too (wall clock). */
  private stamp(): number {
    this.lastStamp = Math.max(this.lastStamp + 1, Date.now() * 1000);
    return this.lastStamp;
  }

  /** Adds a drain's increments (and each minute's total over every customer, as customer '*'). */
  add(buckets: readonly StatsBucket[]): void {
    for (const b of withStatsTotals(buckets)) {
      const key = `${b.ts} ${b.customer}`;
      let count = this.counts.get(key);
      if (count === undefined) {
        count = { ts: b.ts, customer: b.customer, queries: 0, blocked: 0, logged: 0, gen: this.stamp(), version: 0, changed: false };
        this.counts.set(key, count);
      }
      count.queries += b.queries;
      count.blocked += b.blocked;
      count.logged += b.logged;
      count.changed = true;
      if (b.ts > this.newestMinute) this.newestMinute = b.ts;
    }
  }

  /** The counts that changed since the last call, each at a new version; then forgets minutes too old or over the cap. */
  changed(): RunningStatsRow[] {
    const out: RunningStatsRow[] = [];
    for (const count of this.counts.values()) {
      if (!count.changed) continue;
      count.changed = false;
      count.version = this.stamp();
      const { changed: _, ...row } = count;
      out.push(row);
    }
    const horizon = this.newestMinute - KEEP_MINUTES * 60;
    for (const [key, count] of this.counts) if (count.ts < horizon) this.counts.delete(key);
    if (this.counts.size > this.maxEntries) {
      const oldest = [...this.counts.entries()].sort((a, b) => a[1].ts - b[1].ts);
      for (const [key] of oldest.slice(0, this.counts.size - this.maxEntries)) {
        this.counts.delete(key);
        this.forgotten++;
      }
    }
    return out;
  }
}
