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
  /** Rows by minute, then by customer ('' for none): two lookups and no key string built per query. */
  private buckets = new Map<number, Map<string, StatsBucket>>();
  private size = 0;
  /** Queries that found no room (the store has not drained for very long). */
  overflow = 0;
  /** Who else hears every drain's rows (the cluster's console writer), beside the one who drains. */
  private readonly listeners = new Set<(rows: readonly StatsBucket[]) => void>();

  constructor(private readonly maxBuckets = 100_000) {}

  /** One query handled at `ts` (seconds) for `customer` (null: no customer), with the action it got. */
  count(ts: number, customer: string | null, action: QueryAction): void {
    if (action === 'exposed') return; // a finding, not a query
    const minute = Math.floor(ts / 60) * 60;
    const id = customer ?? '';
    let byCustomer = this.buckets.get(minute);
    let bucket = byCustomer?.get(id);
    if (bucket === undefined) {
      if (this.size >= this.maxBuckets) {
        this.overflow++;
        return;
      }
      if (byCustomer === undefined) {
        byCustomer = new Map();
        this.buckets.set(minute, byCustomer);
      }
      bucket = { ts: minute, customer: id, queries: 0, blocked: 0, logged: 0 };
      byCustomer.set(id, bucket);
      this.size++;
    }
    bucket.queries++;
    if (action === 'log') bucket.logged++;
    else if (isBlockAction(action)) bucket.blocked++;
  }

  /** Rows waiting. */
  get pending(): number {
    return this.size;
  }

  /** Every row counted since the last drain, oldest minute first; the counts start again from zero. Listeners hear them too. */
  drain(): StatsBucket[] {
    const rows: StatsBucket[] = [];
    for (const byCustomer of this.buckets.values()) for (const bucket of byCustomer.values()) rows.push(bucket);
    rows.sort((a, b) => a.ts - b.ts || (a.customer < b.customer ? -1 : 1));
    this.buckets = new Map();
    this.size = 0;
    // Copies: the drainer may hand its rows on (the store's retry adds to them).
    if (rows.length > 0) for (const listener of this.listeners) listener(rows.map((r) => ({ ...r })));
    return rows;
  }

  /**
   * Adds drained rows back (summed into what was counted since), for the next drain: the cluster's console
   * service drains at its stop, then unsubscribes and hands the rows back for the store's last flush. putBack
   * tells no listener; one still subscribed hears the rows again at the next drain.
   */
  putBack(rows: readonly StatsBucket[]): void {
    for (const r of rows) {
      let byCustomer = this.buckets.get(r.ts);
      if (byCustomer === undefined) {
        byCustomer = new Map();
        this.buckets.set(r.ts, byCustomer);
      }
      const bucket = byCustomer.get(r.customer);
      if (bucket === undefined) {
        byCustomer.set(r.customer, { ...r });
        this.size++;
      } else {
        bucket.queries += r.queries;
        bucket.blocked += r.blocked;
        bucket.logged += r.logged;
      }
    }
  }

  /** Hears the rows of every drain, whoever drains (the store's flush, or the listener's own timer without a store). */
  onDrain(listener: (rows: readonly StatsBucket[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
