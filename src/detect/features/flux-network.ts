/** Early detection: addresses shared with a flux service network already detected. */
import { plural, type FeatureFamily } from './family.js';

const overlap = { hits: 0, network: -1 };

export const fluxNetwork: FeatureFamily = {
  name: 'flux-network',
  weights: ['network_addresses'],
  measure(state, ctx, out) {
    // A registered domain's addresses are its names' addresses, and names that joined a network put
    // them there: counting them again would be the zone's own evidence echoed back. Names carry it.
    if (ctx.networks === null || state.scope !== 'name') return;
    // Once a name has joined a network its own addresses are in it: count what was shared before.
    if (state.network >= 0) {
      out.network_addresses = state.networkHitsAtJoin;
      return;
    }
    ctx.networks.overlap(state.addresses, overlap);
    out.network_addresses = overlap.hits;
  },
  explain(f) {
    return `${plural(f.network_addresses, 'address', 'addresses')} shared with a flux network known before`;
  },
};
