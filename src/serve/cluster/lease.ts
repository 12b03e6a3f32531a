/**
 * The judge lease (cluster.judge: lease): the node holding the newest
 * unexpired claim in `judge_lease` judges. A node claims only when no other
 * node holds an unexpired claim (or when it holds it: a renewal), so the
 * holder keeps it while it renews every cycle, and another takes over
 * within cluster.leaseMs of the holder going quiet. Two nodes claiming at
 * once both write; the newest claim wins (ties: the smaller node name) and
 * the other sees that on its next read and stops.
 *
 * Two judges for a moment are harmless: both replay the same rows through
 * the same detector with the same config, so they write the same verdicts;
 * the verdict table keeps the newest row per domain and followers apply a
 * verdict only when it changes what they block. Node clocks must agree to
 * well within leaseMs (claims carry wall-clock times).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from '../../store/clickhouse/schema.js';

export interface LeaseClaim {
  holder: string;
  claimedMs: number;
}

/** The claim that holds the lease among unexpired ones: newest, ties to the smaller name; null when none. */
export function leaseHolder(claims: readonly LeaseClaim[]): LeaseClaim | null {
  let best: LeaseClaim | null = null;
  for (const c of claims) {
    if (best === null || c.claimedMs > best.claimedMs || (c.claimedMs === best.claimedMs && c.holder < best.holder)) best = c;
  }
  return best;
}

export class JudgeLease {
  private readonly db: string;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
    private readonly node: string,
    private readonly leaseMs: number,
  ) {
    this.db = quoteIdentifier(database);
  }

  /** Claims or renews when free or ours; true when this node holds the lease after it. */
  async tick(now: number): Promise<boolean> {
    const before = leaseHolder(await this.claims(now));
    if (before !== null && before.holder !== this.node) return false;
    await this.client.insert({
      table: `${this.db}.judge_lease`,
      values: [{ claimed_ms: now, expires_ms: now + this.leaseMs, holder: this.node }],
      format: 'JSONEachRow',
    });
    // Another node may have claimed at the same moment: the newest claim decides.
    return leaseHolder(await this.claims(now))?.holder === this.node;
  }

  /** Gives the lease up (on stop): its claims expire now, so another node takes over at its next cycle. */
  async release(now: number): Promise<void> {
    // Rows are never changed: the release is a newer claim that has already expired, and a holder's newest claim is its lease.
    await this.client.insert({ table: `${this.db}.judge_lease`, values: [{ claimed_ms: now, expires_ms: now, holder: this.node }], format: 'JSONEachRow' });
  }

  /** Every holder whose newest claim has not expired, with that claim's time. */
  async claims(now: number): Promise<LeaseClaim[]> {
    const result = await this.client.query({
      query: `SELECT holder, max(claimed_ms) AS claimed, argMax(expires_ms, claimed_ms) AS expires FROM ${this.db}.judge_lease
        WHERE claimed_ms > ${Math.floor(now - 2 * this.leaseMs)} GROUP BY holder HAVING expires > ${Math.floor(now)}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ holder: string; claimed: string | number }>();
    return rows.map((r) => ({ holder: r.holder, claimedMs: Number(r.claimed) }));
  }
}
