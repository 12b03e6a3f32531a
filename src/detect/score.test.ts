import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { Prng } from '../corpus/prng.js';
import type { Features } from '../model/verdict.js';
import { emptyFeatures } from './features/index.js';
import { holzScore } from './holz.js';
import { featurePoints, fluxKindOf, labelOf, newScores, ownScore, ramp, scoreFeatures, scoreOnly, scoresInto } from './score.js';

const config = defaultConfig();

function features(over: Partial<Features>): Features {
  return { ...emptyFeatures(), ...over };
}

describe('ramp', () => {
  it.each([
    // x, low, high, expected
    [0, 2, 8, 0],
    [2, 2, 8, 0],
    [5, 2, 8, 0.5],
    [8, 2, 8, 1],
    [100, 2, 8, 1],
    // reversed: lower is worse (TTL)
    [900, 900, 60, 0],
    [480, 900, 60, 0.5],
    [60, 900, 60, 1],
    [0, 900, 60, 1],
    [5000, 900, 60, 0],
  ])('ramp(%d, %d→%d) = %d', (x, low, high, expected) => {
    expect(ramp(x, { low, high })).toBeCloseTo(expected, 10);
  });
});

describe('scoreFeatures with the default weights', () => {
  // Each row: a realistic feature vector and the label it must get.
  const table: [string, Partial<Features>, string, string | null][] = [
    ['static site, one address', { ips: 1, prefixes: 1, asns: 1, countries: 1, ttl_min: 3600 }, 'benign', null],
    ['google-style 6×A in one AS', { ips: 6, prefixes: 2, asns: 1, countries: 1, ttl_min: 300, churn: 0.5, ips_per_hour: 5 }, 'benign', null],
    ['round robin of 8 in one AS, low TTL', { ips: 8, prefixes: 1, asns: 1, countries: 1, ttl_min: 60, churn: 0.8, ips_per_hour: 7 }, 'benign', null],
    ['dynamic DNS home user', { ips: 2, prefixes: 2, asns: 1, countries: 1, ttl_min: 60, churn: 1 }, 'benign', null],
    ['CDN edge set in 2 ASNs, TTL 20', { ips: 20, prefixes: 5, asns: 2, countries: 2, ttl_min: 20, churn: 0.7, ips_per_hour: 19 }, 'benign', null],
    ['one lookup, 5 IPs in 5 ASNs, 4 countries', { ips: 5, prefixes: 5, asns: 5, countries: 4, ttl_min: 300 }, 'suspicious', 'single'],
    ['botnet: 15 IPs, 12 ASNs, 8 countries, TTL 120', { ips: 15, prefixes: 14, asns: 12, countries: 8, ttl_min: 120, churn: 1, ips_per_hour: 14 }, 'fast-flux', 'single'],
    ['double flux: rotating NS on botnet addresses', { ips: 12, prefixes: 10, asns: 9, countries: 6, ttl_min: 180, churn: 0.9, ns_names: 6, ns_addresses: 9, ns_asns: 5 }, 'fast-flux', 'double'],
  ];
  it.each(table)('%s', (_name, over, label, flux) => {
    const scored = scoreFeatures(features(over), config);
    const got = labelOf(scored.score, config);
    expect(got).toBe(label);
    expect(fluxKindOf(got, scored.nsPoints, config)).toBe(flux);
  });

  it('caps the score at 100 and lists contributions strongest first', () => {
    const scored = scoreFeatures(
      features({ ips: 500, prefixes: 60, asns: 40, countries: 30, ttl_min: 0, churn: 1, ips_per_hour: 300, ns_names: 20, ns_addresses: 40, ns_asns: 20, cname_targets: 20 }),
      config,
    );
    expect(scored.score).toBe(100);
    const points = scored.contributions.map((c) => c.points);
    expect(points).toEqual([...points].sort((a, b) => b - a));
    expect(scored.contributions[0]).toEqual({ feature: 'asns', points: 25 });
  });

  it('gives TTL and churn no points without network diversity', () => {
    const scored = scoreFeatures(features({ ips: 3, asns: 1, countries: 1, ttl_min: 0, churn: 1 }), config);
    expect(scored.contributions.map((c) => c.feature)).not.toContain('ttl_min');
    expect(scored.contributions.map((c) => c.feature)).not.toContain('churn');
  });

  it('ignores features the input could not measure (null TTL, churn)', () => {
    const scored = scoreFeatures(features({ ips: 9, asns: 9, countries: 6, ttl_min: null, churn: null }), config);
    expect(scored.contributions.map((c) => c.feature)).toEqual(['asns', 'countries', 'ips']);
  });
});

describe('scoreOnly', () => {
  // The rules one weight at a time (featurePoints), summed as scoreOnly sums them: address and held points floored at 0, name-server points after.
  const NS = new Set(['ns_names', 'ns_addresses', 'ns_asns', 'ns_network_addresses']);
  const HELD = new Set(['asns', 'countries', 'prefixes', 'ips', 'ips_per_hour', 'ttl_min', 'churn']);
  function byFeature(f: Features, c: typeof config, own: boolean): number {
    let address = 0;
    let held = 0;
    let ns = 0;
    for (const name of Object.keys(c.weights) as (keyof typeof c.weights)[]) {
      const points = featurePoints(f, name, c, own);
      if (NS.has(name)) ns += points;
      else if (HELD.has(name)) held += points;
      else address += points;
    }
    address += held - (f.single_country_asns > 0 ? Math.max(0, held - c.geography.maxPoints) : 0);
    return Math.min(100, Math.round(Math.max(0, address) + ns));
  }

  it('scores and own-scores (apart and in one pass) as the weights one by one do, on 2,000 random feature vectors', () => {
    const rng = new Prng(18);
    const scores = newScores();
    const numeric = Object.keys(emptyFeatures()) as (keyof Features)[];
    for (let n = 0; n < 2000; n++) {
      const f = emptyFeatures() as unknown as Record<string, number | null>;
      for (const key of numeric) f[key] = rng.chance(0.1) ? null : rng.chance(0.5) ? rng.int(40) : rng.next() * 4;
      f.network_trust = rng.chance(0.5) ? 1 : rng.next();
      f.single_country_asns = rng.int(2);
      if (rng.chance(0.3)) f.intel_evidence = rng.int(5);
      if (rng.chance(0.3)) f.flow_evidence = rng.int(5);
      const features = f as unknown as Features;
      expect(scoreOnly(features, config)).toBe(byFeature(features, config, false));
      expect(ownScore(features, config)).toBe(byFeature(features, config, true));
      expect(scoresInto(features, config, scores)).toEqual({ score: byFeature(features, config, false), own: byFeature(features, config, true) });
    }
  });

  it('counts a ramp changed in place after the config was first scored with', () => {
    const own = defaultConfig();
    const f = features({ ips: 15, prefixes: 14, asns: 12, countries: 8, ttl_min: 120 });
    const before = scoreOnly(f, own);
    own.weights.asns.points = 0;
    expect(scoreOnly(f, own)).toBe(before - 25);
    own.weights = { ...own.weights, countries: { ...own.weights.countries, points: 0 } };
    expect(scoreOnly(f, own)).toBe(before - 50);
  });
});

describe('holzScore (NDSS 2008)', () => {
  it.each([
    // nA, nASN, score, flagged
    [1, 1, 19.86, false],
    [6, 1, 26.46, false],
    [30, 5, 132.3, false],
    [40, 5, 145.5, true],
    [10, 7, 142.98, true],
    [0, 0, 0, false],
  ])('nA=%d nASN=%d → %d', (nA, nAsn, score, flagged) => {
    expect(holzScore(nA, nAsn)).toEqual({ score, flagged });
  });
});
