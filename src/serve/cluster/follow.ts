/**
 * A follower of the cluster's verdict table: every cluster.followMs it reads
 * the verdict rows recorded since its cursor (less a look-back, for rows of
 * a write that reached one shard before the other), keeps the newest per
 * domain, and puts each into this node's flagged set through the daemon's
 * one verdict path (context.flag): the forwarder, the RPZ file and server
 * and the blocklists then block what the cluster flagged. A benign row
 * (the judge let a domain go) removes a domain this follower had put in.
 *
 * Memory: one entry per domain whose row is within the look-back (the
 * recorded time applied), and one per domain it holds in the flagged set.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Verdict } from '../../model/verdict.js';
import { quoteIdentifier } from '../../store/clickhouse/schema.js';
import type { FollowMetrics } from './judge-metrics.js';

export interface VerdictFollowerOptions {
  client: ClickHouseClient;
  database: string;
  /** Puts a flagged verdict into the node's flagged set; true when the set changed. */
  apply(verdict: Verdict): boolean;
  /** Takes a domain out of the flagged set; true when it was there. */
  remove(domain: string): boolean;
  /** Milliseconds read again behind the cursor (a write seen on one shard before the other). Default 60000. */
  lookbackMs?: number;
  metrics?: FollowMetrics | null;
  now?: () => number;
}

export interface FollowReport {
  /** Rows read (the newest per domain since the cursor less the look-back). */
  read: number;
  /** Rows that changed what this node acts on (added, changed, removed). */
  applied: number;
  /** Rows whose verdict JSON was no verdict (skipped, counted). */
  skipped: number;
}

export class VerdictFollower {
  private cursor = 0;
  /** Domain → recorded_ms of the row last applied, within the look-back. */
  private readonly appliedAt = new Map<string, number>();
  /**
   * Domains the cluster holds flagged, with their latest verdict: what this follower put into the flagged set
   * (a benign row removes only these), or offered while the allowlist kept it out.
   */
  private readonly held = new Map<string, Verdict>();
  private readonly db: string;
  private readonly lookbackMs: number;
  skipped = 0;

  constructor(private readonly options: VerdictFollowerOptions) {
    this.db = quoteIdentifier(options.database);
    this.lookbackMs = options.lookbackMs ?? 60_000;
  }

  /** Domains this follower holds in the flagged set. */
  get holding(): number {
    return this.held.size;
  }

  /** The cluster's current flagged verdict of `domain`, or null: the lists bring it back when an allow entry covering it goes. */
  flagged(domain: string): Verdict | null {
    return this.held.get(domain) ?? null;
  }

  async poll(): Promise<FollowReport> {
    const from = Math.max(0, this.cursor - this.lookbackMs);
    const result = await this.options.client.query({
      query: `SELECT domain, recorded_ms, verdict FROM ${this.db}.verdicts WHERE recorded_ms > ${from}
        ORDER BY recorded_ms DESC, judge LIMIT 1 BY domain`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ domain: string; recorded_ms: string | number; verdict: string }>();
    const report: FollowReport = { read: rows.length, applied: 0, skipped: 0 };
    let newest = -1;
    // Oldest first, so the cursor and the flagged set move forward in the judge's order.
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i]!;
      const recorded = Number(row.recorded_ms);
      if ((this.appliedAt.get(row.domain) ?? -1) >= recorded) continue;
      this.appliedAt.set(row.domain, recorded);
      const v = verdictOf(row.verdict);
      if (v === null || v.domain !== row.domain) {
        report.skipped++;
        continue;
      }
      if (this.applyOne(v)) report.applied++;
      if (recorded > newest) newest = recorded;
    }
    if (newest > this.cursor) this.cursor = newest;
    for (const [domain, at] of this.appliedAt) if (at < this.cursor - this.lookbackMs) this.appliedAt.delete(domain);
    this.skipped += report.skipped;
    const now = (this.options.now ?? Date.now)();
    this.options.metrics?.polled(report.applied, newest < 0 ? null : Math.max(0, (now - newest) / 1000));
    return report;
  }

  private applyOne(v: Verdict): boolean {
    if (v.verdict === 'benign') {
      if (!this.held.delete(v.domain)) return false;
      return this.options.remove(v.domain);
    }
    this.held.set(v.domain, v);
    return this.options.apply(v);
  }
}

/** A verdict row's JSON, or null when it is none (a hostile or damaged row is skipped, not trusted). */
export function verdictOf(text: string): Verdict | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<Verdict>;
  if (typeof v.domain !== 'string' || typeof v.registered_domain !== 'string' || typeof v.last_seen !== 'string') return null;
  if (v.verdict !== 'benign' && v.verdict !== 'suspicious' && v.verdict !== 'fast-flux') return null;
  if (typeof v.score !== 'number' || !Array.isArray(v.reasons)) return null;
  return v as Verdict;
}
