/**
 * Early detection: addresses shared with a flux service network already
 * detected, and membership of a network of suspicious names. A shared
 * address is evidence, not a verdict: its points count in full only when the
 * network is coherent (many bot addresses in many ASNs and countries) and the
 * name shares several of its addresses (see score.ts, network_trust).
 */
import { newOverlap, type NetworkSize } from '../networks.js';
import { plural, type FeatureFamily } from './family.js';

const overlap = newOverlap();
const size: NetworkSize = { addresses: 0, asns: 0, countries: 0 };

export const fluxNetwork: FeatureFamily = {
  name: 'flux-network',
  weights: ['network_addresses', 'network_share', 'network_names'],
  measure(state, ctx, out) {
    // A registered domain's addresses are its names' addresses, and names that joined a network put
    // them there: counting them again would be the zone's own evidence echoed back. Names carry it.
    if (ctx.networks === null || state.scope !== 'name') return;
    // Once a name has joined a network its own addresses are in it: count what was shared before.
    let hits: number;
    let network: number;
    if (state.marks.network >= 0) {
      hits = state.marks.networkHitsAtJoin;
      network = state.marks.network;
    } else {
      ctx.networks.overlap(state.addresses, overlap);
      hits = overlap.hits;
      network = overlap.network;
    }
    out.network_addresses = hits;
    // Known CDN/cloud addresses never enter a network, so they are left out of the share too.
    const own = ctx.addresses.addresses - ctx.addresses.known;
    out.network_share = own > 0 ? Math.round(Math.min(1, hits / own) * 1000) / 1000 : 0;
    out.network_names = state.marks.suspiciousNames;
    if (network < 0) return;
    ctx.networks.sizeOf(network, size);
    out.network_id = ctx.networks.find(network) + 1;
    out.network_size = size.addresses;
    out.network_asns = size.asns;
    out.network_countries = size.countries;
    if (hits === 0) return;
    const n = ctx.config.networks;
    const coherent = size.addresses >= n.minAddresses && size.asns >= n.minAsns && size.countries >= n.minCountries;
    // One shared address counts in full too when the name's own answers already rotate over networks
    // (verdict.minAsnsForTiming ASNs, ip-diversity runs first): a bot's address corroborates them. Alone,
    // it is evidence, not a verdict: an injector's or a shared host's pick looks the same.
    const corroborated = hits >= n.minSharedAddresses || out.asns >= ctx.config.verdict.minAsnsForTiming;
    out.network_trust = coherent && corroborated ? 1 : n.weakEvidence;
  },
  explain(f) {
    const parts: string[] = [];
    // A promoted name whose addresses all left the network's memory since has no id left to name.
    const net = f.network_id > 0 ? `flux network fn-${f.network_id}` : 'a flux network';
    if (f.network_names > 0) {
      parts.push(`one of ${f.network_names} suspicious names sharing ${plural(f.network_size, 'address', 'addresses')} in ${plural(f.network_asns, 'ASN')}: ${net}`);
    }
    if (f.network_addresses > 0) {
      const all = f.network_share >= 1 && f.network_addresses > 1 ? ', all of its own' : '';
      const sizeText = `${plural(f.network_size, 'address', 'addresses')} in ${plural(f.network_asns, 'ASN')}, ${plural(f.network_countries, 'country', 'countries')}`;
      const weak = f.network_trust >= 1 ? '' : f.network_addresses === 1 ? ': one shared address is evidence, not a verdict' : ': evidence, not a verdict (the network is not coherent yet)';
      parts.push(`${plural(f.network_addresses, 'address', 'addresses')} shared with ${net} (${sizeText}${all})${weak}`);
    }
    return parts.join('; ');
  },
};
