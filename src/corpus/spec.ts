/** What a corpus is made of; every field is part of what the seed reproduces. */
import type { FluxSpec } from './build-flux.js';
import type { SharedRegistrySpec } from './build-shared-registry.js';
import type { SlowFluxSpec } from './build-slow-flux.js';

export interface PopulationSpec {
  /** Names (not domains) of each benign class. */
  benignStatic: number;
  benignRoundRobin: number;
  cdn: number;
  flux: FluxSpec;
  /** The legitimate look-alikes of flux; none when absent. */
  lookalikes?: LookalikeSpec;
  /** Slow-flux networks and their sibling domains, each name asked a few times (schedule.ts); none when absent. */
  slowFlux?: SlowFluxSpec;
  /** Free-subdomain, dynamic-DNS and hosting providers with delegated children, and double-flux children among them; none when absent. */
  sharedRegistry?: SharedRegistrySpec;
}

/** Names (not domains) of each look-alike class. */
export interface LookalikeSpec {
  cdnAkamaiIsp: number;
  cloudLb: number;
  googleMultiA: number;
  ntpPool: number;
  mirrorNetwork: number;
  dynamicDns: number;
  topSite: number;
  /** Benign names a censoring middlebox answers for (every answer injected); absent: none. */
  injected?: number;
  /** The single-tenant platforms' own names (the look-alike of injection); absent: none. */
  platform?: number;
  /** Names on a multi-carrier CDN inside one country; absent: none. */
  nationalCdn?: number;
  /** Names answering reserved, private, multicast or bogon addresses; absent: none. */
  nonRoutable?: number;
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
  /**
   * Zipf exponent of flux name popularity over a shuffled order, so some
   * flux names are asked often and some only a few times. Absent: every flux
   * name equally likely.
   */
  fluxPopularityExponent?: number;
  /**
   * Seconds a flux domain is asked for at all, [min, max] (its campaign),
   * placed at random over the span. Absent: the whole span.
   */
  fluxActiveSeconds?: readonly [number, number];
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
  for (const [field, value] of Object.entries(p.lookalikes ?? {})) counts.push([`population.lookalikes.${field}`, value]);
  for (const [field, value] of counts) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`corpus: spec: ${field} must be a whole number >= 0, got ${value}`);
  }
  const lookalikes = Object.values(p.lookalikes ?? {}).reduce((sum, n) => sum + n, 0);
  if (p.benignStatic + p.benignRoundRobin + p.cdn + lookalikes === 0) throw new Error('corpus: spec: needs at least one benign name');
  validateFlux(p.flux);
  if (p.slowFlux !== undefined) validateSlowFlux(p.slowFlux);
  if (p.sharedRegistry !== undefined) validateSharedRegistry(p.sharedRegistry);
  validateTraffic(t);
}

function validateFlux(flux: FluxSpec): void {
  const [minPool, maxPool] = flux.poolSize;
  if (!(minPool >= 1 && maxPool >= minPool)) throw new Error(`corpus: spec: population.flux.poolSize must be [min >= 1, max >= min], got [${minPool}, ${maxPool}]`);
  const [minAsns, maxAsns] = flux.asnsPerNetwork ?? [1, 1];
  if (!(Number.isInteger(minAsns) && minAsns >= 1 && maxAsns >= minAsns)) {
    throw new Error(`corpus: spec: population.flux.asnsPerNetwork must be [min >= 1, max >= min], got [${minAsns}, ${maxAsns}]`);
  }
  for (const [field, ttls, max] of [
    ['population.flux.addressTtls', flux.addressTtls, 300],
    ['population.flux.nsTtls', flux.nsTtls, 86400],
  ] as const) {
    if (ttls !== undefined && (ttls.length === 0 || ttls.some((ttl) => !Number.isInteger(ttl) || ttl < 0 || ttl > max))) {
      throw new Error(`corpus: spec: ${field} must be a non-empty list of whole seconds in [0, ${max}], got [${ttls.join(', ')}]`);
    }
  }
}

/** A [min, max] of whole numbers with min >= `least`. */
function validateRange(field: string, range: readonly [number, number], least: number): void {
  const [min, max] = range;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= least && max >= min)) {
    throw new Error(`corpus: spec: ${field} must be [min >= ${least}, max >= min] whole numbers, got [${min}, ${max}]`);
  }
}

function validateSlowFlux(slow: SlowFluxSpec): void {
  if (!(Number.isInteger(slow.networks) && slow.networks >= 0)) throw new Error(`corpus: spec: population.slowFlux.networks must be a whole number >= 0, got ${slow.networks}`);
  validateRange('population.slowFlux.domainsPerNetwork', slow.domainsPerNetwork, 1);
  validateRange('population.slowFlux.namesPerDomain', slow.namesPerDomain, 1);
  if (slow.namesPerDomain[1] > 10) throw new Error(`corpus: spec: population.slowFlux.namesPerDomain allows at most 10 names, got ${slow.namesPerDomain[1]}`);
  validateRange('population.slowFlux.poolSize', slow.poolSize, 1);
  validateRange('population.slowFlux.asnsPerNetwork', slow.asnsPerNetwork, 1);
  validateRange('population.slowFlux.lookups', slow.lookups, 1);
}

function validateSharedRegistry(registry: SharedRegistrySpec): void {
  for (const [field, value] of [
    ['population.sharedRegistry.providers', registry.providers],
    ['population.sharedRegistry.fluxChildren', registry.fluxChildren],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 0)) throw new Error(`corpus: spec: ${field} must be a whole number >= 0, got ${value}`);
  }
  if (registry.fluxChildren > 0 && registry.providers === 0) throw new Error('corpus: spec: population.sharedRegistry.fluxChildren needs at least one provider');
  validateRange('population.sharedRegistry.childrenPerProvider', registry.childrenPerProvider, 0);
  validateRange('population.sharedRegistry.lookups', registry.lookups, 1);
}

function validateTraffic(t: TrafficSpec): void {
  if (t.clients === 0) throw new Error('corpus: spec: traffic.clients must be at least 1');
  if (!(t.durationSeconds > 0)) throw new Error(`corpus: spec: traffic.durationSeconds must be > 0, got ${t.durationSeconds}`);
  for (const [field, value] of [
    ['traffic.fluxShare', t.fluxShare],
    ['traffic.aaaaShare', t.aaaaShare],
    ['traffic.authorityShare', t.authorityShare],
  ] as const) {
    if (!(value >= 0 && value <= 1)) throw new Error(`corpus: spec: ${field} must be in [0, 1], got ${value}`);
  }
  if (t.fluxPopularityExponent !== undefined && !(t.fluxPopularityExponent >= 0)) {
    throw new Error(`corpus: spec: traffic.fluxPopularityExponent must be >= 0, got ${t.fluxPopularityExponent}`);
  }
  if (t.fluxActiveSeconds !== undefined) {
    const [minActive, maxActive] = t.fluxActiveSeconds;
    if (!(minActive > 0 && maxActive >= minActive)) {
      throw new Error(`corpus: spec: traffic.fluxActiveSeconds must be [min > 0, max >= min], got [${minActive}, ${maxActive}]`);
    }
  }
}
