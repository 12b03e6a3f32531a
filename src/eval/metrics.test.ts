import { describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../act/flagged.js';
import type { Verdict } from '../model/verdict.js';
import { accuracy, blocking, callOf, holzCallOf, quantile, type Call, type LabelledName } from './metrics.js';

const call = (over: Partial<Call>): Call => ({ flagged: false, suspicious: false, flux: null, lookupsToFlag: null, secondsToFlag: null, injected: false, nsSeen: false, ...over });

describe('accuracy', () => {
  const labels: LabelledName[] = [
    { name: 'a.flux', class: 'flux-single', flux: 'single' },
    { name: 'b.flux', class: 'flux-double', flux: 'double' },
    { name: 'c.flux', class: 'flux-double', flux: 'double' },
    { name: 'pool.ntp.org', class: 'ntp-pool', flux: null },
    { name: '0.pool.ntp.org', class: 'ntp-pool', flux: null },
    { name: 'www.static', class: 'benign-static', flux: null },
  ];

  it('counts precision, recall, per-class rates, double-flux labelling and latency', () => {
    const calls = new Map<string, Call>([
      ['a.flux', call({ flagged: true, flux: 'single', lookupsToFlag: 1, secondsToFlag: 0 })],
      ['b.flux', call({ flagged: true, flux: 'double', lookupsToFlag: 3, secondsToFlag: 600, nsSeen: true })],
      ['c.flux', call({ flagged: true, flux: 'single', lookupsToFlag: 2, secondsToFlag: 120 })],
      ['pool.ntp.org', call({ flagged: true, flux: 'single' })],
      ['0.pool.ntp.org', call({ suspicious: true })],
      // www.static has no call at all: not flagged.
    ]);
    const a = accuracy(labels, calls, true);
    expect(a).toMatchObject({ positives: 3, negatives: 3, truePositives: 3, falsePositives: 1, recall: 1 });
    expect(a.precision).toBeCloseTo(0.75);
    expect(a.doubleFluxCorrect).toBe(0.5);
    // c.flux never showed its name servers: over the names whose NS records appeared, all are labelled right.
    expect(a.doubleFluxCorrectNsSeen).toBe(1);
    expect(a.medianLookupsToFlag).toBe(2);
    expect(a.medianMinutesToFlag).toBe(2);
    expect(a.benign).toEqual([
      { class: 'benign-static', names: 1, flagged: 0, suspicious: 0, injected: 0, rate: 0 },
      { class: 'ntp-pool', names: 2, flagged: 1, suspicious: 1, injected: 0, rate: 0.5 },
    ]);
    expect(a.flux.map((r) => r.class)).toEqual(['flux-double', 'flux-single']);
  });

  it('counts flux names the detector never heard of, and recall over the rest', () => {
    const calls = new Map<string, Call>([
      ['a.flux', call({ flagged: true, flux: 'single' })],
      ['b.flux', call({ suspicious: true, flux: 'double' })],
      // c.flux: no call at all (every lookup carried nothing detection uses).
    ]);
    const a = accuracy(labels, calls, true);
    expect(a.unobserved).toBe(1);
    expect(a.recall).toBeCloseTo(1 / 3);
    expect(a.recallObserved).toBe(0.5);
  });

  it('counts names whose verdict reported injected answers, per class, apart from flags', () => {
    const labels: LabelledName[] = [
      { name: 'www.censored.com', class: 'injected', flux: null },
      { name: 'shop.censored.com', class: 'injected', flux: null },
      { name: 'blocked.example.de', class: 'injected', flux: null },
      { name: 'www.facebook.com', class: 'platform', flux: null },
    ];
    const calls = new Map<string, Call>([
      ['www.censored.com', call({ injected: true })],
      ['shop.censored.com', call({ injected: true, flagged: true, flux: 'single' })],
      ['www.facebook.com', call({ injected: true })],
    ]);
    const a = accuracy(labels, calls, true);
    expect(a.benign).toEqual([
      { class: 'injected', names: 3, flagged: 1, suspicious: 0, injected: 2, rate: 1 / 3 },
      { class: 'platform', names: 1, flagged: 0, suspicious: 0, injected: 1, rate: 0 },
    ]);
  });

  it('reads an injection finding from a verdict, and none from the baseline', () => {
    const verdict = (tampering: unknown): Verdict =>
      ({ verdict: 'benign', flux: null, lookups_to_flag: null, first_flagged: null, first_seen: '2025-04-03T00:00:00.000Z', features: { ns_names: 0 }, tampering }) as unknown as Verdict;
    expect(callOf(verdict({ kind: 'injected', reasons: ['1 answer in a platform network'], answers: 1 })).injected).toBe(true);
    expect(callOf(verdict({ kind: 'poisoned', reasons: [], answers: 1 })).injected).toBe(false);
    expect(callOf(verdict(undefined)).injected).toBe(false);
    expect(holzCallOf(verdict({ kind: 'injected', reasons: [], answers: 1 })).injected).toBe(false);
  });

  it('reports double-flux labelling as not applicable for a detector that does not label it', () => {
    expect(accuracy(labels, new Map(), false).doubleFluxCorrect).toBeNull();
  });

  it.each([
    [[], 0.5, null],
    [[5], 0.5, 5],
    [[1, 2, 3, 4], 0.5, 2],
    [[4, 1, 3, 2, 10], 0.9, 10],
  ])('quantile(%j, %d) = %j', (values, q, expected) => {
    expect(quantile(values as number[], q)).toBe(expected);
  });
});

describe('blocking', () => {
  const verdict = (domain: string, registered: string): Verdict => ({ domain, registered_domain: registered, verdict: 'fast-flux', last_seen: '2025-04-03T00:00:00.000Z', flux: 'single', evidence: { addresses: [] } }) as unknown as Verdict;

  it('counts what the flagged set blocks: a flagged name blocks its registered domain and every name under it', () => {
    const flagged = new FlaggedDomains({ isAllowed: (name) => name === 'allowed.example' });
    flagged.upsert(verdict('www.evil.top', 'evil.top'));
    flagged.upsert(verdict('x.allowed.example', 'allowed.example'));
    const labels: LabelledName[] = [
      { name: 'www.evil.top', class: 'flux-single', flux: 'single' },
      // Never seen resolving, blocked through its sibling's registered domain.
      { name: 'login.evil.top', class: 'flux-single', flux: 'single' },
      { name: 'www.other-flux.ru', class: 'flux-double', flux: 'double' },
      { name: 'shop.evil.top', class: 'benign-static', flux: null },
      { name: 'x.allowed.example', class: 'top-site', flux: null },
      { name: 'www.fine.com', class: 'benign-static', flux: null },
    ];
    const b = blocking(labels, (name) => flagged.match(name) !== null);
    expect(b).toEqual({
      positives: 3,
      blocked: 2,
      recall: 2 / 3,
      negatives: 3,
      falsePositives: 1,
      falsePositivesByClass: [{ class: 'benign-static', names: 1 }],
    });
  });
});
