/** Early detection: addresses shared with a flux service network already detected. */
import { plural, type FeatureFamily } from './family.js';

const overlap = { hits: 0, network: -1 };

export const fluxNetwork: FeatureFamily = {
  name: 'flux-network',
  weights: ['network_addresses', 'network_share'],
  measure(state, ctx, out) {
    // A registered domain's addresses are its names' addresses, and names that joined a network put
    // them there: counting them again would be the zone's own evidence echoed back. Names carry it.
    if (ctx.networks === null || state.scope !== 'name') return;
    // Once a name has joined a network its own addresses are in it: count what was shared before.
    let hits: number;
    if (state.marks.network >= 0) hits = state.marks.networkHitsAtJoin;
    else {
      ctx.networks.overlap(state.addresses, overlap);
      hits = overlap.hits;
    }
    out.network_addresses = hits;
    // Known CDN/cloud addresses never enter a network, so they are left out of the share too.
    const own = ctx.addresses.addresses - ctx.addresses.known;
    out.network_share = own > 0 ? Math.round(Math.min(1, hits / own) * 1000) / 1000 : 0;
  },
  explain(f) {
    const all = f.network_share >= 1 ? ' (all of its own)' : '';
    return `${plural(f.network_addresses, 'address', 'addresses')} shared with a flux network known before${all}`;
  },
};
