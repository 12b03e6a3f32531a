/**
 * Per-minute counts of the queries the forwarder handled, by customer: what
 * the console's charts and a customer's page draw. Counted on the hot path
 * without allocation in the common case (the current minute's row exists),
 * drained by the store at each flush. Bounded: at most `maxBuckets` rows wait;
 * past that, counts go to the overflow counter instead of a new row.
 */
import { isBlockAction, type QueryAction } from '../model/query-log.js';
import type { StatsBucket } from '../store/store.js';

export class QueryStats {
  private buckets = new Map<string, StatsBucket>();
  /** Queries that found no room (the store has not drained for very long). */
  overflow = 0;

  constructor(private readonly maxBuckets = 100_000) {}

  /** One query handled at `ts` (seconds) for `customer` (null: no customer), with the action it got. */
  count(ts: number, customer: string | null, action: QueryAction): void {
    if (action === 'exposed') return; // a finding, not a query
    const minute = Math.floor(ts / 60) * 60;
    const key = `${minute}\0${customer ?? ''}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) {
        this.overflow++;
        return;
      }
      bucket = { ts: minute, customer: customer ?? '', queries: 0, blocked: 0, logged: 0 };
      this.buckets.set(key, bucket);
    }
    bucket.queries++;
    if (action === 'log') bucket.logged++;
    else if (isBlockAction(action)) bucket.blocked++;
  }

  /** Rows waiting. */
  get pending(): number {
    return this.buckets.size;
  }

  /** Every row counted since the last drain, oldest minute first; the counts start again from zero. */
  drain(): StatsBucket[] {
    const rows = [...this.buckets.values()].sort((a, b) => a.ts - b.ts || (a.customer < b.customer ? -1 : 1));
    this.buckets = new Map();
    return rows;
  }
}
