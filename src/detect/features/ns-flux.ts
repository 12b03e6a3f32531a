/** Double flux: the name servers themselves rotate across networks. */
import { distinctAsns, tableSize } from '../address-table.js';
import { atLeast, plural, type FeatureFamily } from './family.js';
import { newOverlap } from '../networks.js';

const overlap = newOverlap();

export const nsFlux: FeatureFamily = {
  name: 'ns-flux',
  weights: ['ns_names', 'ns_addresses', 'ns_asns', 'ns_network_addresses'],
  measure(state, ctx, out) {
    const d = state.delegation;
    if (d === null) return;
    // Counted again only when the table changed since the last rescore (absorb's mergeAddresses).
    if (d.nsCountedAsns < 0) d.nsCountedAsns = distinctAsns(d.nsAddresses);
    out.ns_names = d.nsNamesEver;
    out.ns_addresses = Math.max(d.nsAddressesEver, tableSize(d.nsAddresses));
    out.ns_asns = d.nsCountedAsns;
    if (ctx.networks !== null) {
      // Counted again only when the graph or the table changed since the last rescore.
      if (d.nsOverlapVersion !== ctx.networks.version) {
        ctx.networks.overlap(d.nsAddresses, overlap);
        d.nsOverlapHits = overlap.hits;
        d.nsOverlapVersion = ctx.networks.version;
      }
      out.ns_network_addresses = d.nsOverlapHits;
    }
  },
  explain(f, ctx) {
    const bots = f.ns_network_addresses > 0 ? `, ${f.ns_network_addresses} of them in a flux network` : '';
    return `${atLeast(ctx, 'ns_names')}${plural(f.ns_names, 'NS name')} on ${atLeast(ctx, 'ns_addresses')}${plural(f.ns_addresses, 'name-server address', 'name-server addresses')} in ${plural(f.ns_asns, 'ASN')}${bots}`;
  },
};
