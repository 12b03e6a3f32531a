import { describe, expect, it } from 'vitest';
import { Allowlist } from '../../act/rpz/allowlist.js';
import type { Verdict } from '../../model/verdict.js';
import { flaggedVerdict, type VerdictSpec } from '../../../test/helpers/verdicts.js';
import { skipReason } from './judge.js';
import { ConfirmSchedule, type ScheduleOptions } from './schedule.js';

const OPTIONS: ScheduleOptions = { minInterval: 5, maxInterval: 300, maxProbesPerName: 12, maxNames: 100, ratePerSecond: 100, qtypes: ['A', 'AAAA', 'NS'] };
/** The fake clock's start, ms. */
const T = 1_800_000_000_000;

function suspicious(domain: string, ttlMin: number | null = 1, spec: VerdictSpec = {}): Verdict {
  const v = flaggedVerdict(domain, { label: 'suspicious', flux: null, addresses: ['198.51.100.7', '203.0.113.9'], ...spec });
  v.features.ttl_min = ttlMin;
  return v;
}

function fastFlux(domain: string, probes: number | undefined): Verdict {
  const v = flaggedVerdict(domain);
  if (probes !== undefined) v.probes = probes;
  return v;
}

function schedule(options: Partial<ScheduleOptions> = {}, allow = new Allowlist()): ConfirmSchedule {
  return new ConfirmSchedule({ ...OPTIONS, ...options }, (v) => skipReason(v, { isAllowed: (n) => allow.isAllowed(n), isAllowedAddress: (a) => allow.isAllowedAddress(a), infra: null }));
}

/** Answers every probe of `probes` with records of TTL `ttl` at `now`. */
function answerAll(s: ConfirmSchedule, probes: { name: string }[], ttl: number, now: number): string[] {
  return probes.map((p) => s.settle(p.name, ttl, now));
}

describe('ConfirmSchedule pacing', () => {
  it('waits the TTL of the answer the client got before the first probe, then one query per configured type', () => {
    const s = schedule();
    s.onVerdict(suspicious('www.flux.example', 30), 'flag', T);
    expect(s.due(T)).toEqual([]);
    expect(s.due(T + 29_999)).toEqual([]);
    expect(s.due(T + 30_000)).toEqual([
      { name: 'www.flux.example', qtype: 'A' },
      { name: 'www.flux.example', qtype: 'AAAA' },
      { name: 'www.flux.example', qtype: 'NS' },
    ]);
    expect(s.stats.sent).toBe(3);
  });

  it('paces the next round at max(TTL, minInterval) after the last answer, and never sends while a round is unanswered', () => {
    const s = schedule({ qtypes: ['A'] });
    s.onVerdict(suspicious('a.flux.example', 1), 'flag', T);
    const first = s.due(T + 5_000);
    expect(first).toHaveLength(1);
    expect(s.due(T + 60_000)).toEqual([]); // still waiting for the answer
    expect(s.settle('a.flux.example', 1, T + 60_000)).toBe('next-round');
    // TTL 1 s is under minInterval 5 s: 5 s after the answer.
    expect(s.due(T + 64_999)).toEqual([]);
    expect(s.due(T + 65_000)).toHaveLength(1);
    expect(s.settle('a.flux.example', 120, T + 70_000)).toBe('next-round');
    // TTL 120 s: the upstream's cache would answer the same before then.
    expect(s.due(T + 189_999)).toEqual([]);
    expect(s.due(T + 190_000)).toHaveLength(1);
  });

  it('waits at most maxInterval, whatever the TTL', () => {
    const s = schedule({ qtypes: ['A'], maxInterval: 60 });
    s.onVerdict(suspicious('long.flux.example', 86_400), 'flag', T);
    expect(s.due(T + 59_999)).toEqual([]);
    expect(s.due(T + 60_000)).toHaveLength(1);
  });

  it('takes the smallest TTL of a round and waits for every answer of it', () => {
    const s = schedule();
    s.onVerdict(suspicious('b.flux.example', 1), 'flag', T);
    const round = s.due(T + 5_000);
    expect(s.settle('b.flux.example', 40, T + 6_000)).toBe('waiting');
    expect(s.settle('b.flux.example', null, T + 6_000)).toBe('waiting');
    expect(s.settle('b.flux.example', 20, T + 6_000)).toBe('next-round');
    expect(round).toHaveLength(3);
    expect(s.stats.answered).toBe(2);
    expect(s.stats.failed).toBe(1);
    expect(s.due(T + 25_999)).toEqual([]);
    expect(s.due(T + 26_000)).toHaveLength(3);
  });
});

describe('ConfirmSchedule outcomes and caps', () => {
  it('clears a name whose probes reach maxProbesPerName without it rising, the last round cut to the cap', () => {
    const s = schedule({ maxProbesPerName: 4 });
    s.onVerdict(suspicious('stable.example', 1), 'flag', T);
    expect(answerAll(s, s.due(T + 5_000), 1, T + 5_000)).toEqual(['waiting', 'waiting', 'next-round']);
    const last = s.due(T + 10_000);
    expect(last).toEqual([{ name: 'stable.example', qtype: 'A' }]);
    expect(s.settle('stable.example', 1, T + 10_000)).toBe('cleared');
    expect(s.stats.cleared).toBe(1);
    expect(s.stats.sent).toBe(4);
    expect(s.has('stable.example')).toBe(false);
    expect(s.due(T + 1_000_000)).toEqual([]);
  });

  it('counts a name confirmed when it rises to fast-flux with probe evidence, and stops probing it', () => {
    const s = schedule();
    s.onVerdict(suspicious('c.flux.example', 1), 'flag', T);
    s.due(T + 5_000);
    s.onVerdict(fastFlux('c.flux.example', 2), 'flag', T + 5_100);
    expect(s.stats.confirmed).toBe(1);
    expect(s.has('c.flux.example')).toBe(false);
    // Answers still in flight change nothing.
    expect(s.settle('c.flux.example', 1, T + 5_200)).toBe('gone');
    expect(s.due(T + 100_000)).toEqual([]);
  });

  it('does not call a name confirmed that clients made fast-flux before any probe', () => {
    const s = schedule();
    s.onVerdict(suspicious('d.flux.example', 1), 'flag', T);
    s.onVerdict(fastFlux('d.flux.example', undefined), 'flag', T + 1_000);
    expect(s.stats.confirmed).toBe(0);
    expect(s.stats.givenUp.get('rose-without-probes')).toBe(1);
  });

  it('gives up the oldest name when maxNames are being confirmed', () => {
    const s = schedule({ maxNames: 2 });
    for (const [i, name] of ['one.example', 'two.example', 'three.example'].entries()) s.onVerdict(suspicious(name), 'flag', T + i);
    expect(s.size).toBe(2);
    expect(s.has('one.example')).toBe(false);
    expect(s.has('three.example')).toBe(true);
    expect(s.stats.givenUp.get('capacity')).toBe(1);
  });

  it('lets a name go when the detector evicts it', () => {
    const s = schedule();
    s.onVerdict(suspicious('e.flux.example'), 'flag', T);
    s.onVerdict(suspicious('e.flux.example'), 'final', T + 1);
    expect(s.size).toBe(0);
    expect(s.stats.givenUp.get('evicted')).toBe(1);
  });

  it('admits a name once, however often it is reported suspicious', () => {
    const s = schedule({ qtypes: ['A'] });
    s.onVerdict(suspicious('f.flux.example'), 'flag', T);
    s.onVerdict(suspicious('f.flux.example'), 'flag', T + 4_000);
    expect(s.due(T + 5_000)).toHaveLength(1);
  });

  it('keeps all names together under ratePerSecond, oldest first, each held-back round counted once', () => {
    const s = schedule({ ratePerSecond: 3 });
    for (const name of ['r1.example', 'r2.example', 'r3.example']) s.onVerdict(suspicious(name), 'flag', T);
    const first = s.due(T + 5_000);
    expect(first.map((p) => p.name)).toEqual(['r1.example', 'r1.example', 'r1.example']);
    expect(s.due(T + 5_000)).toEqual([]);
    expect(s.due(T + 5_500)).toEqual([]);
    expect(s.stats.rateLimited).toBe(1);
    const second = s.due(T + 6_000);
    expect(second.map((p) => p.name)).toEqual(['r2.example', 'r2.example', 'r2.example']);
    expect(s.stats.rateLimited).toBe(2);
    expect(s.due(T + 7_000).map((p) => p.name)).toEqual(['r3.example', 'r3.example', 'r3.example']);
    expect(s.stats.sent).toBe(9);
  });

  it('charges a TCP retry after a truncated answer against ratePerSecond, and refuses it when no token is left', () => {
    const s = schedule({ ratePerSecond: 4 });
    s.onVerdict(suspicious('tc.example'), 'flag', T);
    expect(s.due(T + 5_000)).toHaveLength(3);
    expect(s.retry(T + 5_000)).toBe(true);
    expect(s.stats.sent).toBe(4);
    expect(s.retry(T + 5_000)).toBe(false);
    expect(s.stats).toMatchObject({ sent: 4, rateLimited: 1 });
    // A quarter second later one token is back.
    expect(s.retry(T + 5_250)).toBe(true);
    expect(s.stats).toMatchObject({ sent: 5, rateLimited: 1 });
  });

  it('applies a smaller maxNames on reload by giving up the oldest', () => {
    const s = schedule();
    for (const name of ['g1.example', 'g2.example', 'g3.example']) s.onVerdict(suspicious(name), 'flag', T);
    s.reconfigure({ ...OPTIONS, maxNames: 1 });
    expect(s.size).toBe(1);
    expect(s.has('g3.example')).toBe(true);
  });
});

describe('names never probed', () => {
  const cases: Array<[string, Verdict, string]> = [
    ['an allowlisted name', suspicious('www.allowed.example'), 'allowlisted'],
    ['a name answering an allowlisted address', suspicious('x.other.example', 1, { addresses: ['192.0.2.10'] }), 'allowlisted'],
    ['a public suffix', suspicious('github.io', 1, { registered: 'github.io' }), 'public-suffix'],
    ['a name answering a known CDN address', suspicious('cdn.shop.example', 1, { addresses: [{ address: '203.0.113.5', known: true }] }), 'known-infra'],
  ];
  const withFeature = (name: string, set: (v: Verdict) => void): Verdict => {
    const v = suspicious(name);
    set(v);
    return v;
  };
  cases.push(
    ['a name with known CDN/cloud answers', withFeature('m.shop.example', (v) => (v.features.known_infra_share = 0.5)), 'known-infra'],
    ['a top site', withFeature('www.popular.example', (v) => (v.features.top_site_lists = 2)), 'top-site'],
    ['a pool member', withFeature('0.pool.example', (v) => (v.features.pool = 1)), 'pool'],
    ['a dynamic-DNS name', withFeature('home.dyn.example', (v) => (v.features.dynamic_dns = 1)), 'dynamic-dns'],
    ['a registered-domain union', withFeature('union.example', (v) => (v.scope = 'registered_domain')), 'registered-domain'],
    ['a name with injected answers', withFeature('www.censored.example', (v) => (v.tampering = { kind: 'injected', reasons: [], answers: 3 })), 'tampering'],
  );

  it.each(cases)('%s is skipped, counted by reason, and never probed', (_what, v, reason) => {
    const s = schedule({}, new Allowlist(['allowed.example', '192.0.2.0/24']));
    s.onVerdict(v, 'flag', T);
    expect(s.size).toBe(0);
    expect(s.stats.skipped.get(reason as never)).toBe(1);
    expect(s.due(T + 1_000_000)).toEqual([]);
  });

  it('a suspicious name with none of those is admitted', () => {
    const s = schedule({}, new Allowlist(['allowed.example', '192.0.2.0/24']));
    s.onVerdict(suspicious('www.flux.example'), 'flag', T);
    expect(s.size).toBe(1);
    expect(s.stats.skipped.size).toBe(0);
  });
});
