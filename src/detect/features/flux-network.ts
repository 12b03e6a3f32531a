/** Early detection: addresses shared with a flux service network already detected. */
import { plural, type FeatureFamily } from './family.js';

const overlap = { hits: 0, network: -1 };

export const fluxNetwork: FeatureFamily = {
  name: 'flux-network',
  weights: ['network_addresses'],
  measure(state, ctx, out) {
    if (ctx.networks === null) return;
    ctx.networks.overlap(state.addresses, overlap);
    out.network_addresses = overlap.hits;
  },
  explain(f) {
    return `${plural(f.network_addresses, 'address', 'addresses')} shared with a known flux network`;
  },
};
