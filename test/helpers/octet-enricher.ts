/**
 * A deterministic stand-in for the offline IP data in detection unit tests:
 * the first octet of an IPv4 address is its ASN (×100), and octets map to a
 * rotating list of countries. The real data has its own tests in src/enrich.
 */
import type { Enricher } from '../../src/enrich/enricher.js';
import { parseIPv4, parseIPv6 } from '../../src/model/names.js';

const COUNTRIES = ['US', 'DE', 'FR', 'CN', 'BR', 'RU', 'IN', 'JP', 'GB', 'IT', 'ES', 'KR'];

export const octetEnricher: Enricher = {
  sources: [{ kind: 'asn', name: 'first-octet test data', date: null }],
  asnV4: (ip) => (ip >>> 24) * 100,
  countryV4: (ip) => COUNTRIES[(ip >>> 24) % COUNTRIES.length]!,
  asnV6: (g) => 60000 + g[1]!,
  countryV6: (g) => COUNTRIES[g[1]! % COUNTRIES.length]!,
  asOrg: (asn) => `AS${asn}`,
  lookup(address) {
    const v4 = parseIPv4(address);
    if (v4 >= 0) return { asn: this.asnV4(v4), asOrg: '', country: this.countryV4(v4) };
    const v6 = parseIPv6(address);
    return v6 === null ? null : { asn: this.asnV6(v6), asOrg: '', country: this.countryV6(v6) };
  },
};
