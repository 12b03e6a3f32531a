/**
 * The flow analysis reports an exposure with running totals (flows, bytes,
 * packets over the flows its tally has seen); the store adds what it is
 * handed. This turns each report into the increment since the last report of
 * the same client, domain and direction, so stored totals are exact across
 * the analysis evicting and restarting a tally and across daemon restarts.
 *
 * The analysis reports a live tally again only after new flows joined it, so
 * a report whose flows do not exceed the last one's, whose bytes or packets
 * are smaller, or whose first flow is later (a tally's first only moves
 * earlier) comes from a restarted tally: its whole totals are new. So is a
 * key this map does not hold (a daemon restart: a new map and a new
 * analysis). Bounded: past `max` keys the least recently reported is
 * forgotten; `max` is twice the analysis's own bound (flows.limits.maxHosts
 * tallies), so a key is forgotten only long after its tally was.
 */
import type { Exposure } from '../../model/flow.js';

interface LastTotals {
  flows: number;
  bytes: number;
  packets: number;
  first: number;
}

export class ExposureIncrements {
  private readonly last = new Map<string, LastTotals>();
  /** Keys forgotten to stay within `max` (their next report counts in full). */
  forgotten = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.last.size;
  }

  /** The exposure with flows, bytes and packets since the last report of its client, domain and direction. */
  increment(e: Exposure): Exposure {
    const key = `${e.client}\t${e.domain}\t${e.direction}`;
    const previous = this.last.get(key);
    const first = Date.parse(e.first);
    const now: LastTotals = { flows: e.flows, bytes: e.bytes, packets: e.packets, first };
    this.last.delete(key);
    this.last.set(key, now);
    if (this.last.size > this.max) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
      this.forgotten++;
    }
    if (previous === undefined || restarted(previous, now)) return e;
    return { ...e, flows: now.flows - previous.flows, bytes: now.bytes - previous.bytes, packets: now.packets - previous.packets };
  }
}

function restarted(previous: LastTotals, now: LastTotals): boolean {
  return now.flows <= previous.flows || now.bytes < previous.bytes || now.packets < previous.packets || now.first > previous.first;
}
