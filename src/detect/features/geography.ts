/**
 * Geolocation consistency. Answers spread over several ASNs that all lie in
 * one country are a national multi-carrier CDN's shape (a content network
 * placing its edges in the country's big carriers), not flux's: flux spreads
 * over many countries and residential networks. Such a domain's address
 * diversity and timing count at most `geography.maxPoints` (score.ts), so
 * they alone make it at most suspicious; name-server flux and a known flux
 * network still count in full. The shape ends where a CDN's does: more than
 * `maxAsns` networks, or `maxIps` addresses or more, is a flux pool confined
 * to one country, and scores as any.
 *
 * Reads the counts of ip-diversity, which is listed before it.
 */
import { ADDRESS_STRIDE, K_COUNTRY, K_PROVIDER, type AddressTable } from '../address-table.js';
import { plural, type FeatureFamily } from './family.js';

export const geography: FeatureFamily = {
  name: 'geography',
  weights: [],
  measure(_state, ctx, out) {
    const g = ctx.config.geography;
    // One country over the retained answers, and never two within one window.
    const oneCountry = out.countries === 1 && out.countries_window <= 1;
    out.single_country_asns = oneCountry && out.asns >= g.minAsns && out.asns <= g.maxAsns && out.ips < g.maxIps ? out.asns : 0;
  },
  explain(f) {
    return `answers from ${plural(f.single_country_asns, 'ASN')}, all in one country`;
  },
  note(state, f, ctx) {
    if (f.single_country_asns === 0) return null;
    return (
      `answers from ${plural(f.single_country_asns, 'ASN')}, all in one country (${countryOf(state.addresses)}): consistent geography, ` +
      `a national CDN's shape (address diversity and timing count at most ${ctx.config.geography.maxPoints} points)`
    );
  },
};

/** The country of the first retained address that has one (not a known CDN/cloud's). */
function countryOf(table: AddressTable | null): string {
  if (table === null) return '?';
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    const cc = table[i + K_COUNTRY] as string;
    if (cc !== '' && (table[i + K_PROVIDER] as number) < 0) return cc;
  }
  return '?';
}
