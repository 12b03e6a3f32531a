import { describe, expect, it } from 'vitest';
import { evalSpec } from './eval.js';
import { exampleSpec } from '../../scripts/example.js';
import type { CorpusSpec } from './spec.js';
import { validateSpec } from './spec.js';

function withChange(change: (spec: CorpusSpec) => void): CorpusSpec {
  const spec = exampleSpec();
  change(spec);
  return spec;
}

describe('validateSpec', () => {
  it('accepts the example and evaluation specs', () => {
    expect(() => validateSpec(exampleSpec())).not.toThrow();
    expect(() => validateSpec(evalSpec())).not.toThrow();
  });

  it.each([
    ['negative counts', (s: CorpusSpec) => (s.population.cdn = -1), /population\.cdn must be a whole number/],
    ['fractional records', (s: CorpusSpec) => (s.traffic.records = 1.5), /traffic\.records must be a whole number/],
    ['no benign names', (s: CorpusSpec) => Object.assign(s.population, { benignStatic: 0, benignRoundRobin: 0, cdn: 0 }), /at least one benign name/],
    ['no clients', (s: CorpusSpec) => (s.traffic.clients = 0), /clients must be at least 1/],
    ['zero duration', (s: CorpusSpec) => (s.traffic.durationSeconds = 0), /durationSeconds must be > 0/],
    ['share above one', (s: CorpusSpec) => (s.traffic.fluxShare = 1.5), /fluxShare must be in \[0, 1\]/],
    ['inverted pool size', (s: CorpusSpec) => (s.population.flux.poolSize = [500, 200]), /poolSize/],
    ['negative look-alike counts', (s: CorpusSpec) => (s.population.lookalikes = { ...evalSpec().population.lookalikes!, ntpPool: -3 }), /lookalikes\.ntpPool must be a whole number/],
    ['no ASN per flux network', (s: CorpusSpec) => (s.population.flux.asnsPerNetwork = [0, 5]), /asnsPerNetwork/],
    ['flux TTLs above 300 s', (s: CorpusSpec) => (s.population.flux.addressTtls = [60, 3600]), /addressTtls must be a non-empty list/],
    ['a negative flux popularity', (s: CorpusSpec) => (s.traffic.fluxPopularityExponent = -1), /fluxPopularityExponent must be >= 0/],
    ['empty campaigns', (s: CorpusSpec) => (s.traffic.fluxActiveSeconds = [0, 3600]), /fluxActiveSeconds/],
    ['inverted slow-flux lookups', (s: CorpusSpec) => (s.population.slowFlux = { ...evalSpec().population.slowFlux!, lookups: [8, 3] }), /slowFlux\.lookups must be \[min >= 1/],
    ['too many names per slow-flux domain', (s: CorpusSpec) => (s.population.slowFlux = { ...evalSpec().population.slowFlux!, namesPerDomain: [2, 20] }), /namesPerDomain allows at most 10/],
    ['registry flux children without a provider', (s: CorpusSpec) => (s.population.sharedRegistry = { ...evalSpec().population.sharedRegistry!, providers: 0 }), /fluxChildren needs at least one provider/],
    ['fractional registry providers', (s: CorpusSpec) => (s.population.sharedRegistry = { ...evalSpec().population.sharedRegistry!, providers: 1.5 }), /sharedRegistry\.providers must be a whole number/],
  ])('rejects %s', (_what, change, message) => {
    expect(() => validateSpec(withChange(change))).toThrow(message);
  });
});
