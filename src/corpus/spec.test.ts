import { describe, expect, it } from 'vitest';
import { exampleSpec } from './example.js';
import type { CorpusSpec } from './spec.js';
import { validateSpec } from './spec.js';

function withChange(change: (spec: CorpusSpec) => void): CorpusSpec {
  const spec = exampleSpec();
  change(spec);
  return spec;
}

describe('validateSpec', () => {
  it('accepts the example spec', () => {
    expect(() => validateSpec(exampleSpec())).not.toThrow();
  });

  it.each([
    ['negative counts', (s: CorpusSpec) => (s.population.cdn = -1), /population\.cdn must be a whole number/],
    ['fractional records', (s: CorpusSpec) => (s.traffic.records = 1.5), /traffic\.records must be a whole number/],
    ['no benign names', (s: CorpusSpec) => Object.assign(s.population, { benignStatic: 0, benignRoundRobin: 0, cdn: 0 }), /at least one benign name/],
    ['no clients', (s: CorpusSpec) => (s.traffic.clients = 0), /clients must be at least 1/],
    ['zero duration', (s: CorpusSpec) => (s.traffic.durationSeconds = 0), /durationSeconds must be > 0/],
    ['share above one', (s: CorpusSpec) => (s.traffic.fluxShare = 1.5), /fluxShare must be in \[0, 1\]/],
    ['inverted pool size', (s: CorpusSpec) => (s.population.flux.poolSize = [500, 200]), /poolSize/],
  ])('rejects %s', (_what, change, message) => {
    expect(() => validateSpec(withChange(change))).toThrow(message);
  });
});
