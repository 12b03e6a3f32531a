/** What a corpus is made of; every field is part of what the seed reproduces. */
import type { FluxSpec } from './build-flux.js';

export interface PopulationSpec {
  /** Names (not domains) of each benign class. */
  benignStatic: number;
  benignRoundRobin: number;
  cdn: number;
  flux: FluxSpec;
}

export interface TrafficSpec {
  /** Simulated start, seconds since the Unix epoch. */
  start: number;
  durationSeconds: number;
  /** Exchanges (log lines) to generate. */
  records: number;
  /** Distinct client addresses asking. */
  clients: number;
  /** Zipf exponent of benign name popularity: ~1 is web-like, 0 makes every name equally likely. */
  popularityExponent: number;
  /** Fraction of exchanges that ask for flux names (spread evenly over them). */
  fluxShare: number;
  /** Fraction of exchanges that ask AAAA rather than A. */
  aaaaShare: number;
  /** Fraction of responses that carry authority and additional sections, the same for every class. */
  authorityShare: number;
}

export interface CorpusSpec {
  seed: number;
  population: PopulationSpec;
  traffic: TrafficSpec;
}

/** 2025-04-03T00:00:00Z, the default simulated start. */
export const DEFAULT_START = Date.UTC(2025, 3, 3) / 1000;

/**
 * A web-like default: popular names dominate, flux is a small slice of
 * traffic. `records` and the population sizes are what callers usually change.
 */
export function defaultTraffic(records: number, durationSeconds: number): TrafficSpec {
  return {
    start: DEFAULT_START,
    durationSeconds,
    records,
    clients: 500,
    popularityExponent: 1,
    fluxShare: 0.02,
    aaaaShare: 0.25,
    authorityShare: 0.3,
  };
}

/** Check a spec once, before anything is generated; errors name the field. */
export function validateSpec(spec: CorpusSpec): void {
  const { population: p, traffic: t } = spec;
  const counts: [string, number][] = [
    ['population.benignStatic', p.benignStatic],
    ['population.benignRoundRobin', p.benignRoundRobin],
    ['population.cdn', p.cdn],
    ['population.flux.networks', p.flux.networks],
    ['population.flux.singleDomains', p.flux.singleDomains],
    ['population.flux.doubleDomains', p.flux.doubleDomains],
    ['traffic.records', t.records],
    ['traffic.clients', t.clients],
  ];
  for (const [field, value] of counts) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`corpus: spec: ${field} must be a whole number >= 0, got ${value}`);
  }
  if (p.benignStatic + p.benignRoundRobin + p.cdn === 0) throw new Error('corpus: spec: needs at least one benign name');
  if (t.clients === 0) throw new Error('corpus: spec: traffic.clients must be at least 1');
  if (!(t.durationSeconds > 0)) throw new Error(`corpus: spec: traffic.durationSeconds must be > 0, got ${t.durationSeconds}`);
  const [minPool, maxPool] = p.flux.poolSize;
  if (!(minPool >= 1 && maxPool >= minPool)) throw new Error(`corpus: spec: population.flux.poolSize must be [min >= 1, max >= min], got [${minPool}, ${maxPool}]`);
  for (const [field, value] of [
    ['traffic.fluxShare', t.fluxShare],
    ['traffic.aaaaShare', t.aaaaShare],
    ['traffic.authorityShare', t.authorityShare],
  ] as const) {
    if (!(value >= 0 && value <= 1)) throw new Error(`corpus: spec: ${field} must be in [0, 1], got ${value}`);
  }
}
