/**
 * Threat intelligence as evidence: answer addresses a feed lists as flux
 * infrastructure (an address, or inside a listed network), each weighed by
 * its feed's confidence. Like addresses shared with a flux network, they flag
 * a never-seen name on its first lookup; unlike them they come from outside,
 * so the reason names the feed, the entry and the value. Counted at absorb
 * (absorb.ts noteIntelAddress), never for a known CDN/cloud address, pool,
 * top site or allowlisted name. Absent from the features when there is none,
 * so outputs without feeds are unchanged.
 */
import { addressReason } from '../intel-evidence.js';
import { plural, round, type FeatureFamily } from './family.js';

export const intel: FeatureFamily = {
  name: 'intel',
  weights: ['intel_evidence'],
  measure(state, _ctx, out) {
    const evidence = state.marks.intel;
    if (evidence === null || evidence.addresses === 0) {
      // The reused hot-path record may hold the last name's; a fresh verdict record stays without the keys.
      if (out.intel_addresses !== undefined) out.intel_addresses = out.intel_evidence = 0;
      return;
    }
    out.intel_addresses = evidence.addresses;
    out.intel_evidence = round(evidence.confidenceSum / 100);
  },
  explain(f, ctx) {
    const evidence = ctx.intel;
    if (evidence === null || evidence === undefined || evidence.listings.length === 0) return `${plural(f.intel_addresses ?? 0, 'address', 'addresses')} listed by intel feeds as flux infrastructure`;
    const parts: string[] = [];
    for (let i = 0; i < evidence.listings.length; i++) parts.push(addressReason(evidence.matched[i]!, evidence.listings[i]!));
    const more = evidence.addresses - evidence.listings.length;
    if (more > 0) parts.push(`and ${plural(more, 'more listed address', 'more listed addresses')}`);
    return parts.join('; ');
  },
};
