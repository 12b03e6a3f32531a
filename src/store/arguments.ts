/**
 * What every store backend checks and builds the same way before it asks its
 * own engine: the query log's page size and time range, the stats series'
 * empty points, and the per-minute totals over every customer. One place, so
 * SQLite and ClickHouse refuse the same arguments with the same line.
 */
import { UsageError } from '../model/errors.js';
import type { QueryLogFilter, StatsBucket, StatsPoint, StatsQuery } from './store.js';

/** Query-log entries one page holds at most. */
export const MAX_PAGE = 1000;
/** Points one stats series holds at most. */
export const MAX_POINTS = 50_000;
/** The customer of a minute's total over every customer. */
export const STATS_TOTAL = '*';

/** The page size for `limit`, after checking the filter's time range (UsageError when bad). */
export function queryLogPageSize(filter: QueryLogFilter, limit: number): number {
  if (!Number.isFinite(limit)) throw new UsageError(`store: querylog limit must be a number, not ${String(limit)}`);
  const { since, until } = filter;
  if (since !== undefined && !Number.isFinite(since)) throw new UsageError('store: querylog since is not a time');
  if (until !== undefined && !Number.isFinite(until)) throw new UsageError('store: querylog until is not a time');
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('store: querylog since is after until');
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

/** One zero point per step from since (UsageError for a bad range or step, or too many points). */
export function emptyStatsPoints(query: StatsQuery): StatsPoint[] {
  const { since, until, step } = query;
  if (!Number.isFinite(since) || !Number.isFinite(until)) throw new UsageError('store: stats since and until must be times');
  if (since > until) throw new UsageError('store: stats since is after until');
  if (!Number.isInteger(step) || step <= 0 || step % 60 !== 0) throw new UsageError(`store: stats step must be a positive multiple of 60 seconds, not ${String(step)}`);
  const count = Math.ceil((until - since) / step);
  if (count > MAX_POINTS) throw new UsageError(`store: stats would have ${count} points (most ${MAX_POINTS}): a longer step or a shorter range`);
  const points: StatsPoint[] = [];
  for (let i = 0; i < count; i++) points.push({ ts: since + i * step, queries: 0, blocked: 0, logged: 0, flagged: 0 });
  return points;
}

/** The buckets (a given total left out), then each minute's total over every customer as customer STATS_TOTAL. */
export function withStatsTotals(buckets: readonly StatsBucket[]): StatsBucket[] {
  const out: StatsBucket[] = [];
  const totals = new Map<number, StatsBucket>();
  for (const b of buckets) {
    if (b.customer === STATS_TOTAL) continue;
    out.push(b);
    const t = totals.get(b.ts);
    if (t === undefined) totals.set(b.ts, { ...b, customer: STATS_TOTAL });
    else {
      t.queries += b.queries;
      t.blocked += b.blocked;
      t.logged += b.logged;
    }
  }
  return [...out, ...totals.values()];
}
