/**
 * What is known about the name and its addresses from reference data: the
 * answers belong to a CDN or cloud, the name is a volunteer pool or a
 * dynamic-DNS host, the registered domain is on top-site lists. These lower
 * the score of the address evidence; they never cancel name-server flux
 * (see score.ts).
 */
import { REPUTATION_DYNAMIC_DNS, REPUTATION_POOL, REPUTATION_TOP_SHIFT } from '../state.js';
import { round, type FeatureFamily } from './family.js';


export const reputation: FeatureFamily = {
  name: 'reputation',
  weights: ['known_infra_share', 'top_site_lists', 'pool', 'dynamic_dns'],
  measure(state, ctx, out) {
    if (ctx.infra === null) return;
    const counts = ctx.addresses;
    const viaCname = state.delegation !== null && state.delegation.cnameProvider >= 0;
    out.known_infra_share = viaCname ? 1 : counts.addresses === 0 ? 0 : round(counts.known / counts.addresses);
    out.top_site_lists = (state.reputation >> REPUTATION_TOP_SHIFT) & 7;
    out.pool = state.reputation & REPUTATION_POOL ? 1 : 0;
    out.dynamic_dns = state.reputation & REPUTATION_DYNAMIC_DNS ? 1 : 0;
  },
  explain(f) {
    const parts: string[] = [];
    if (f.known_infra_share > 0) parts.push(`${Math.round(f.known_infra_share * 100)}% of the answers are known CDN/cloud infrastructure`);
    if (f.pool > 0) parts.push('a known volunteer or mirror pool');
    if (f.dynamic_dns > 0) parts.push('a dynamic-DNS host');
    if (f.top_site_lists > 0) parts.push(`on ${f.top_site_lists} top-site ${f.top_site_lists === 1 ? 'list' : 'lists'}`);
    return `lowered: ${parts.join('; ')}`;
  },
};
