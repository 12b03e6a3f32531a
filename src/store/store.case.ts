/**
 * The suite every store backend passes (as Hono runs one router suite
 * against every router): call it from the backend's test with a factory that
 * opens the same store again after close (a restart).
 */
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../model/verdict.js';
import { emptyBatch, type Store } from './store.js';

export function verdictFixture(domain: string, label: Verdict['verdict'] = 'fast-flux', score = 90): Verdict {
  return {
    domain,
    registered_domain: domain.split('.').slice(-2).join('.'),
    scope: 'name',
    verdict: label,
    flux: label === 'benign' ? null : 'single',
    score,
    reasons: ['12 IPs in 9 ASNs across 6 countries'],
    features: {} as Verdict['features'],
    contributions: [],
    first_seen: '2026-11-26T10:00:00.000Z',
    last_seen: '2026-11-26T10:05:00.000Z',
    first_flagged: '2026-11-26T10:01:00.000Z',
    lookups_to_flag: 2,
    network: 'fn-1',
    enrichment: [],
    evidence: { addresses: [], name_servers: [], ns_addresses: [] },
  };
}

export function storeSuite(name: string, open: () => Store): void {
  describe(`store conformance: ${name}`, () => {
    it('keeps tuples, domains, verdict history, networks and meta across a restart', () => {
      let store = open();
      const batch = emptyBatch();
      batch.tuples.push({ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 1000, lastSeen: 1010, count: 2, ttl: 30 });
      batch.domains.push({ name: 'a.flux.test', firstSeen: 1000, lastSeen: 1010, queries: 2 });
      batch.verdicts.push({ ts: 1011, verdict: verdictFixture('a.flux.test', 'suspicious', 40) });
      batch.networks.push({ id: 'fn-1', domains: 1, sample_domains: ['a.flux.test'], addresses: 9, asns: 7, countries: 5, first_seen: 'x', last_seen: 'y' });
      batch.meta.serial = '17';
      store.write(batch);
      const second = emptyBatch();
      second.tuples.push({ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 990, lastSeen: 1020, count: 3, ttl: 20 });
      second.domains.push({ name: 'a.flux.test', firstSeen: 1015, lastSeen: 1020, queries: 3 });
      second.verdicts.push({ ts: 1021, verdict: verdictFixture('a.flux.test', 'fast-flux', 85) });
      store.write(second);
      store.close();

      store = open();
      expect(store.recentTuples(0, 10)).toEqual([{ name: 'a.flux.test', type: 'A', data: '1.2.3.4', firstSeen: 990, lastSeen: 1020, count: 5, ttl: 20 }]);
      expect(store.domain('a.flux.test')).toEqual({ name: 'a.flux.test', firstSeen: 1000, lastSeen: 1021, queries: 5 });
      expect(store.history('a.flux.test').map((r) => [r.ts, r.verdict.verdict, r.verdict.score])).toEqual([
        [1011, 'suspicious', 40],
        [1021, 'fast-flux', 85],
      ]);
      expect(store.flaggedSince(0).map((r) => r.verdict.domain)).toEqual(['a.flux.test']);
      expect(store.flaggedSince(1022)).toEqual([]);
      expect(store.networks()[0]?.sample_domains).toEqual(['a.flux.test']);
      expect(store.meta('serial')).toBe('17');
      expect(store.meta('missing')).toBeNull();
      expect(store.check()).toBe('ok');
      store.close();
    });

    it('restores only domains whose latest verdict is not benign', () => {
      const store = open();
      const batch = emptyBatch();
      batch.verdicts.push({ ts: 2000, verdict: verdictFixture('b.flux.test') }, { ts: 2001, verdict: verdictFixture('b.flux.test', 'benign', 0) });
      batch.verdicts.push({ ts: 2002, verdict: verdictFixture('c.flux.test') });
      store.write(batch);
      expect(store.flaggedSince(1999).map((r) => r.verdict.domain)).toEqual(['c.flux.test']);
      store.close();
    });

    it('returns the newest tuples, oldest first, within the limit', () => {
      const store = open();
      const batch = emptyBatch();
      for (let i = 0; i < 20; i++) batch.tuples.push({ name: `n${i}.test`, type: 'A', data: `10.0.0.${i}`, firstSeen: 3000 + i, lastSeen: 3000 + i, count: 1, ttl: null });
      store.write(batch);
      expect(store.recentTuples(3005, 3).map((t) => t.name)).toEqual(['n17.test', 'n18.test', 'n19.test']);
      store.close();
    });

    it('sweeps rows older than the retention', () => {
      const store = open();
      const batch = emptyBatch();
      batch.tuples.push({ name: 'old.test', type: 'A', data: '10.1.1.1', firstSeen: 10, lastSeen: 20, count: 1, ttl: 5 });
      batch.domains.push({ name: 'old.test', firstSeen: 10, lastSeen: 20, queries: 1 });
      store.write(batch);
      const before = store.counts();
      expect(store.sweep(100)).toBeGreaterThanOrEqual(2);
      const after = store.counts();
      expect(after.tuples).toBe(before.tuples - 1);
      expect(store.domain('old.test')).toBeNull();
      store.close();
    });
  });
}
