/** How many addresses, networks, prefixes and countries a domain resolves into. */
import { atLeast, duration, plural, round, type FeatureFamily } from './family.js';

export const ipDiversity: FeatureFamily = {
  name: 'ip-diversity',
  weights: ['asns', 'countries', 'prefixes', 'ips', 'ips_per_hour'],
  measure(state, ctx, out) {
    const counts = ctx.addresses;
    out.ips = Math.max(state.addressesEver - state.knownEver, counts.addresses - counts.known);
    out.prefixes = counts.prefixes;
    out.asns = counts.asns;
    out.countries = counts.countries;
    out.ips_window = state.windowAddressesPeak;
    out.asns_window = state.windowAsnsPeak;
    out.countries_window = state.windowCountriesPeak;
    // Addresses beyond the first, per hour of activity (at least one window long).
    const span = Math.max(state.lastSeen - state.firstSeen, ctx.config.window);
    out.ips_per_hour = round((Math.max(0, out.ips - 1) * 3600) / span, 1);
  },
  explain(f, ctx) {
    const within = `${atLeast(ctx, 'ips_window')}${plural(f.ips_window, 'IP')} in ${plural(f.asns_window, 'ASN')} within ${duration(ctx.config.window)}`;
    return (
      `${atLeast(ctx, 'ips')}${plural(f.ips, 'IP')} in ${plural(f.asns, 'ASN')} across ${plural(f.countries, 'country', 'countries')}` +
      ` and ${plural(f.prefixes, 'prefix', 'prefixes')} (${within}, ${f.ips_per_hour} new IPs/h)`
    );
  },
};
