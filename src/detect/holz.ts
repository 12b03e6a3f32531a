/**
 * The flux-score of Holz, Gorecki, Rieck and Freiling, "Measuring and
 * Detecting Fast-Flux Service Networks" (NDSS 2008): a linear decision
 * function over the distinct A records (nA) and distinct ASNs (nASN) of a
 * domain's lookups; the NS count term has weight 0 in their fitted model.
 */
import type { HolzScore } from '../model/verdict.js';
import { countTable, newCounts } from './address-table.js';
import type { FluxState } from './state.js';

export const HOLZ_A_WEIGHT = 1.32;
export const HOLZ_ASN_WEIGHT = 18.54;
export const HOLZ_THRESHOLD = 142.38;

export function holzScore(distinctA: number, distinctAsns: number): HolzScore {
  const score = HOLZ_A_WEIGHT * distinctA + HOLZ_ASN_WEIGHT * distinctAsns;
  return { score: Math.round(score * 100) / 100, flagged: score > HOLZ_THRESHOLD };
}

const counts = newCounts();

/**
 * The baseline over a domain's state as Holz et al. saw domains: every
 * address counts, CDN and cloud ones too (the method has no such knowledge).
 */
export function holzOfState(state: FluxState): HolzScore {
  countTable(state.addresses, -Infinity, counts, true);
  return holzScore(Math.max(state.addressesEver, counts.addresses), counts.asns);
}
