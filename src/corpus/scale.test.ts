/** The scale scenario, reduced to 20,000 names: its class mix, its hidden flux and its popularity. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CorpusResult } from './generate.js';
import { generateCorpus } from './generate.js';
import type { DomainClass } from './labels.js';
import { countByClass, isFlux } from './labels.js';
import { SCALE_FLUX_DOMAINS, SCALE_MIX, scaleHostileCounts, scaleSpec } from './scale.js';
import { SinkWriter } from './writers/sink-writer.js';

const NAMES = 20_000;
let result: CorpusResult;
let exchanges = 0;

beforeAll(async () => {
  result = await generateCorpus(scaleSpec(7, NAMES), [new SinkWriter({ observe: () => void exchanges++, skip: () => {} })]);
}, 120_000);

function namesByClass(): Record<DomainClass, number> {
  const counts = countByClass();
  const { popular, flux, schedule } = result.population;
  for (const b of [...popular, ...flux, ...schedule.names]) counts[b.label.class]++;
  return counts;
}

describe('scaleSpec', () => {
  it('builds the top-million mix: mostly static hosting and CDN customers', () => {
    const counts = namesByClass();
    expect(counts['benign-static']).toBe(Math.round(NAMES * SCALE_MIX.benignStatic));
    expect(counts.cdn).toBe(Math.round(NAMES * SCALE_MIX.cdn));
    expect(counts['benign-roundrobin']).toBe(Math.round(NAMES * SCALE_MIX.benignRoundRobin));
    expect(counts['cloud-lb']).toBe(Math.round(NAMES * SCALE_MIX.cloudLb));
    expect(counts['cdn-akamai-isp']).toBe(Math.round(NAMES * SCALE_MIX.cdnAkamaiIsp));
    expect(counts['dynamic-dns']).toBe(Math.round(NAMES * SCALE_MIX.dynamicDns));
    expect(counts['top-site']).toBe(300);
    expect(counts['shared-registry']).toBeGreaterThanOrEqual(NAMES * SCALE_MIX.sharedRegistry * 0.5);
    expect(counts['flux-slow']).toBe(0);
    const benign = Object.entries(counts).filter(([c]) => !isFlux(c as DomainClass)).reduce((sum, [, n]) => sum + n, 0);
    expect(benign).toBeGreaterThanOrEqual(NAMES * 0.95);
    expect(benign).toBeLessThanOrEqual(NAMES * 1.05);
  });

  it('hides exactly a handful of fast-flux domains, each asked', () => {
    const flux = result.population.flux;
    expect(new Set(flux.map((b) => b.label.registeredDomain)).size).toBe(SCALE_FLUX_DOMAINS);
    const askedDomains = new Set(flux.filter((_, i) => (result.traffic.fluxLookups[i] as number) > 0).map((b) => b.label.registeredDomain));
    expect(askedDomains.size).toBe(SCALE_FLUX_DOMAINS);
    expect(result.traffic.byClass['flux-single'] + result.traffic.byClass['flux-double']).toBeLessThan(exchanges * 0.01);
  });

  it('asks most names 1-3 times in the day and a popular head far more', () => {
    const lookups = [...result.traffic.popularLookups].filter((n) => n > 0).sort((a, b) => a - b);
    expect(lookups.length / result.population.popular.length).toBeGreaterThanOrEqual(0.75);
    expect(lookups.filter((n) => n <= 3).length / lookups.length).toBeGreaterThanOrEqual(0.6);
    expect(lookups[lookups.length - 1]).toBeGreaterThanOrEqual(100);
    expect(exchanges).toBe(result.traffic.records);
    expect(result.traffic.records).toBe(3 * NAMES + result.population.schedule.lookups);
  });

  it('keeps the hostile shares the issue measured (injected, national CDNs, non-routable)', () => {
    expect(scaleHostileCounts(1_000_000).injected).toBe(4540);
  });

  it('refuses a size too small to hold its mix', () => {
    expect(() => scaleSpec(1, 10)).toThrow(/names must be a whole number >= 1000/);
  });
});
