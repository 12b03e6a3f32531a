import { describe, expect, it } from 'vitest';
import { KEEP_MINUTES, RunningStats } from './running-stats.js';

describe('RunningStats', () => {
  it('sends running counts that grow under one gen at rising versions, with the per-minute total', () => {
    const stats = new RunningStats();
    stats.add([{ ts: 600, customer: 'acme', queries: 2, blocked: 1, logged: 0 }]);
    const first = stats.changed();
    expect(first.map((r) => [r.customer, r.queries, r.blocked])).toEqual([
      ['acme', 2, 1],
      ['*', 2, 1],
    ]);
    expect(stats.changed()).toEqual([]);
    stats.add([{ ts: 600, customer: 'acme', queries: 3, blocked: 0, logged: 1 }]);
    const second = stats.changed();
    const acme = second.find((r) => r.customer === 'acme')!;
    expect([acme.queries, acme.blocked, acme.logged]).toEqual([5, 1, 1]);
    expect(acme.gen).toBe(first[0]!.gen);
    expect(acme.version).toBeGreaterThan(first[0]!.version);
  });

  it('forgets minutes behind the newest; a late increment of one starts a new gen (the reader sums gens)', () => {
    const stats = new RunningStats();
    stats.add([{ ts: 0, customer: 'a', queries: 1, blocked: 0, logged: 0 }]);
    const [old] = stats.changed();
    stats.add([{ ts: (KEEP_MINUTES + 1) * 60, customer: 'a', queries: 1, blocked: 0, logged: 0 }]);
    stats.changed();
    expect(stats.size).toBe(2);
    stats.add([{ ts: 0, customer: 'a', queries: 4, blocked: 0, logged: 0 }]);
    const [late] = stats.changed().filter((r) => r.ts === 0 && r.customer === 'a');
    expect(late!.queries).toBe(4);
    expect(late!.gen).not.toBe(old!.gen);
  });

  it('holds at most maxEntries counts, the oldest minutes forgotten first and counted', () => {
    const stats = new RunningStats(4);
    for (let m = 0; m < 4; m++) stats.add([{ ts: m * 60, customer: 'x', queries: 1, blocked: 0, logged: 0 }]);
    stats.changed();
    expect(stats.size).toBe(4);
    expect(stats.forgotten).toBe(4);
  });
});
