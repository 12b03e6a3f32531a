import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../model/verdict.js';
import { candidateQuery, sqlString } from './candidates.js';
import { verdictOf } from './follow.js';
import { outranks, verdictKey } from './judge.js';
import { leaseHolder } from './lease.js';

const verdict = (over: Partial<Verdict>): Verdict =>
  ({ domain: 'www.x.com', registered_domain: 'x.com', scope: 'name', verdict: 'benign', flux: null, score: 0, reasons: [], last_seen: '2025-01-01T00:00:00.000Z', ...over }) as Verdict;

describe('cluster judge pieces', () => {
  it('keeps the stronger label, then a name before its registered domain, then the higher score', () => {
    expect(outranks(verdict({ verdict: 'fast-flux', score: 60 }), verdict({ verdict: 'suspicious', score: 59 }))).toBe(true);
    expect(outranks(verdict({ verdict: 'suspicious', score: 59 }), verdict({ verdict: 'fast-flux', score: 60 }))).toBe(false);
    expect(outranks(verdict({ scope: 'name', verdict: 'fast-flux', score: 61 }), verdict({ scope: 'registered_domain', verdict: 'fast-flux', score: 90 }))).toBe(true);
    expect(outranks(verdict({ scope: 'registered_domain', verdict: 'fast-flux', score: 90 }), verdict({ scope: 'name', verdict: 'fast-flux', score: 61 }))).toBe(false);
    expect(outranks(verdict({ score: 20 }), verdict({ score: 10 }))).toBe(true);
    expect(outranks(verdict({ score: 10 }), verdict({ score: 10 }))).toBe(false);
  });

  it('writes a verdict again only when what followers act on or read changes', () => {
    expect(verdictKey(verdict({ verdict: 'fast-flux', score: 70, reasons: ['a'] }))).toBe(verdictKey(verdict({ verdict: 'fast-flux', score: 70, reasons: ['a'], last_seen: 'later' })));
    expect(verdictKey(verdict({ verdict: 'fast-flux', score: 70 }))).not.toBe(verdictKey(verdict({ verdict: 'fast-flux', score: 71 })));
  });

  it('gives the lease to the newest unexpired claim, ties to the smaller name', () => {
    expect(leaseHolder([])).toBeNull();
    expect(leaseHolder([{ holder: 'b', claimedMs: 5 }, { holder: 'a', claimedMs: 4 }])?.holder).toBe('b');
    expect(leaseHolder([{ holder: 'b', claimedMs: 5 }, { holder: 'a', claimedMs: 5 }])?.holder).toBe('a');
  });

  it('reads only verdict rows that are verdicts (a hostile row is skipped)', () => {
    expect(verdictOf(JSON.stringify(verdict({ verdict: 'fast-flux', score: 70 })))?.verdict).toBe('fast-flux');
    for (const bad of ['', 'null', '{"domain":"x"}', JSON.stringify(verdict({ verdict: 'evil' as Verdict['verdict'] })), JSON.stringify({ ...verdict({}), score: '9' })]) {
      expect(verdictOf(bad)).toBeNull();
    }
  });

  it('quotes names into SQL so that no name can end the literal', () => {
    expect(sqlString("x'); DROP TABLE t; --")).toBe("'x\\'); DROP TABLE t; --'");
    expect(sqlString('a\\')).toBe("'a\\\\'");
    expect(candidateQuery('fluxhound', { fromBucket: 300, sinceMs: 0 })).toMatch(/HAVING \(asn_count >= 2 OR country_count >= 2 OR ns >= 2 OR ips >= 4\)/);
    expect(() => candidateQuery('x; DROP', { fromBucket: 0, sinceMs: 0 })).toThrow(/not a plain identifier/);
  });
});
