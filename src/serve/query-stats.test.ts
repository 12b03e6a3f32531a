import { describe, expect, it } from 'vitest';
import { QueryStats } from './query-stats.js';

describe('QueryStats', () => {
  it('counts queries per minute and customer, blocks and policy-log answers apart', () => {
    const stats = new QueryStats();
    stats.count(120.5, 'acme', 'pass');
    stats.count(150, 'acme', 'nxdomain');
    stats.count(179.9, 'acme', 'log');
    stats.count(180, 'acme', 'sinkhole');
    stats.count(130, null, 'drop');
    expect(stats.drain()).toEqual([
      { ts: 120, customer: '', queries: 1, blocked: 1, logged: 0 },
      { ts: 120, customer: 'acme', queries: 3, blocked: 1, logged: 1 },
      { ts: 180, customer: 'acme', queries: 1, blocked: 1, logged: 0 },
    ]);
    expect(stats.drain()).toEqual([]);
  });

  it('holds at most maxBuckets rows and counts what found no room', () => {
    const stats = new QueryStats(2);
    stats.count(0, 'a', 'pass');
    stats.count(0, 'b', 'pass');
    stats.count(0, 'c', 'pass');
    stats.count(0, 'a', 'pass');
    expect(stats.pending).toBe(2);
    expect(stats.overflow).toBe(1);
    expect(stats.drain().map((b) => [b.customer, b.queries])).toEqual([['a', 2], ['b', 1]]);
  });

  it('counts the bucket limit across minutes, and starts again from zero after a drain', () => {
    const stats = new QueryStats(2);
    stats.count(0, 'a', 'pass');
    stats.count(60, 'a', 'pass');
    stats.count(120, 'a', 'pass');
    stats.count(60, 'a', 'drop');
    expect(stats.pending).toBe(2);
    expect(stats.overflow).toBe(1);
    expect(stats.drain().map((b) => [b.ts, b.queries, b.blocked])).toEqual([[0, 1, 0], [60, 2, 1]]);
    expect(stats.pending).toBe(0);
    stats.count(120, null, 'pass');
    stats.count(120, 'b', 'pass');
    expect(stats.pending).toBe(2);
    expect(stats.overflow).toBe(1);
  });

  it('tells drain listeners every drained row, and takes rows put back for the next drain (summed into the new counts)', () => {
    const stats = new QueryStats();
    const heard: number[] = [];
    stats.onDrain((rows) => heard.push(...rows.map((r) => r.queries)));
    stats.count(60, 'a', 'pass');
    stats.count(60, 'a', 'nxdomain');
    const first = stats.drain();
    expect(heard).toEqual([2]);
    stats.count(60, 'a', 'log');
    stats.putBack(first);
    expect(stats.drain()).toEqual([{ ts: 60, customer: 'a', queries: 3, blocked: 1, logged: 1 }]);
    expect(heard).toEqual([2, 3]);
  });
});
