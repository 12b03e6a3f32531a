/** Double flux: the name servers themselves rotate across networks. */
import { countTable, type TableCounts } from '../address-table.js';
import { plural, type FeatureFamily } from './family.js';

const counts: TableCounts = { addresses: 0, prefixes: 0, asns: 0, countries: 0 };

export const nsFlux: FeatureFamily = {
  name: 'ns-flux',
  weights: ['ns_names', 'ns_addresses', 'ns_asns'],
  measure(state, _ctx, out) {
    const d = state.delegation;
    if (d === null) return;
    countTable(d.nsAddresses, -Infinity, counts);
    out.ns_names = d.nsNamesEver;
    out.ns_addresses = Math.max(d.nsAddressesEver, counts.addresses);
    out.ns_asns = counts.asns;
  },
  explain(f) {
    return `${plural(f.ns_names, 'NS name')} on ${plural(f.ns_addresses, 'name-server address', 'name-server addresses')} in ${plural(f.ns_asns, 'ASN')}`;
  },
};
