/**
 * The scale scenario: a day of lookups of about a million popular names, as a
 * resolver serving a large population sees it, with a handful of genuine
 * fast-flux domains hidden in it. The benign mix follows what serves a real
 * top-million list: mostly static hosting and CDN customers, then round
 * robin, cloud load balancers, Akamai inside ISPs, home users on dynamic
 * DNS, shared registries; the real popular sites lead. Popularity is Zipf
 * 0.5 over three lookups per name: most names are asked 1-3 times in the day,
 * the head thousands of times. `fluxhound eval --scenario scale` runs it.
 */
import type { CorpusSpec } from './spec.js';
import { DEFAULT_START } from './spec.js';

export const SCALE_SEED = 20250601;
/** Benign names of the population (about 85% of them are asked within the day). */
export const SCALE_NAMES = 1_000_000;
/** Genuine fast-flux registered domains hidden in the day, as in the capture. */
export const SCALE_FLUX_DOMAINS = 5;

const DAY = 86_400;
const LOOKUPS_PER_NAME = 3;
/** Lookups each hidden flux name gets, on average, during its campaign. */
const FLUX_LOOKUPS_PER_NAME = 40;

/** Shares of the benign names by what serves them; the fixed vocabularies (top sites, Google, NTP, mirrors) come on top. */
export const SCALE_MIX = {
  benignStatic: 0.56,
  cdn: 0.22,
  benignRoundRobin: 0.05,
  cloudLb: 0.05,
  cdnAkamaiIsp: 0.04,
  dynamicDns: 0.03,
  /** Children of shared registries (about 25 per provider). */
  sharedRegistry: 0.01,
} as const;

/**
 * The issue's hostile conditions, as shares of the benign names: `injected`
 * (names a censoring middlebox answers: 4,540 of a million), `national-cdn`
 * and `non-routable`; the platforms' own names come on top, as their look-alike.
 */
export const SCALE_HOSTILE_SHARES = { injected: 0.00454, nationalCdn: 0.01, nonRoutable: 0.001 } as const;

export function scaleHostileCounts(names: number): Record<keyof typeof SCALE_HOSTILE_SHARES, number> {
  const s = SCALE_HOSTILE_SHARES;
  return { injected: Math.round(names * s.injected), nationalCdn: Math.round(names * s.nationalCdn), nonRoutable: Math.round(names * s.nonRoutable) };
}

/** The scale scenario with `names` benign names (a reduced size for tests); everything else scales with it. */
export function scaleSpec(seed = SCALE_SEED, names = SCALE_NAMES): CorpusSpec {
  if (!(Number.isInteger(names) && names >= 1000)) throw new Error(`corpus: scale: names must be a whole number >= 1000, got ${names}`);
  const share = (s: number): number => Math.round(names * s);
  const records = LOOKUPS_PER_NAME * names;
  // About 1.5 names per flux domain plus aliases.
  const fluxNames = Math.ceil(SCALE_FLUX_DOMAINS * 1.8);
  return {
    seed,
    population: {
      benignStatic: share(SCALE_MIX.benignStatic),
      benignRoundRobin: share(SCALE_MIX.benignRoundRobin),
      cdn: share(SCALE_MIX.cdn),
      flux: {
        networks: 2,
        singleDomains: 3,
        doubleDomains: SCALE_FLUX_DOMAINS - 3,
        poolSize: [300, 2000],
        asnsPerNetwork: [8, 25],
        addressTtls: [0, 0, 30, 60, 60, 120, 150, 180, 300],
        nsTtls: [0, 60, 120, 300, 600],
      },
      lookalikes: {
        cdnAkamaiIsp: share(SCALE_MIX.cdnAkamaiIsp),
        cloudLb: share(SCALE_MIX.cloudLb),
        googleMultiA: 120,
        ntpPool: 140,
        mirrorNetwork: 110,
        dynamicDns: share(SCALE_MIX.dynamicDns),
        topSite: 300,
        ...scaleHostileCounts(names),
        platform: 100,
      },
      sharedRegistry: {
        providers: Math.max(3, Math.round(share(SCALE_MIX.sharedRegistry) / 25)),
        childrenPerProvider: [10, 40],
        lookups: [1, 3],
        fluxChildren: 0,
      },
    },
    traffic: {
      start: DEFAULT_START,
      durationSeconds: DAY,
      records,
      clients: 20_000,
      popularityExponent: 0.5,
      fluxShare: Math.min(0.01, (fluxNames * FLUX_LOOKUPS_PER_NAME) / records),
      aaaaShare: 0.25,
      authorityShare: 0.3,
      fluxPopularityExponent: 1,
      fluxActiveSeconds: [2 * 3600, 12 * 3600],
    },
  };
}
