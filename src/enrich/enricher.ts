/**
 * Facts about addresses, offline: which network (ASN, AS organisation) and
 * which country an answer points into. Detection calls the numeric methods on
 * its hot path, once per new address per domain; they must not allocate.
 */

/** Where a fact came from, so each verdict can say which data it used. */
export interface DataSource {
  /** What kind of fact: 'asn' or 'country'. */
  kind: 'asn' | 'country';
  /** Human-readable name and version, e.g. '@ip-location-db/asn 2.3.2026061719'. */
  name: string;
  /** Date of the data, YYYY-MM-DD, when known. */
  date: string | null;
}

export interface AddressFacts {
  /** Autonomous system number; 0 when unknown. */
  asn: number;
  /** AS organisation; '' when unknown. */
  asOrg: string;
  /** ISO 3166-1 alpha-2 country code, upper-case; '' when unknown. */
  country: string;
}

export interface Enricher {
  readonly sources: readonly DataSource[];
  /** ASN of an IPv4 address given as an unsigned 32-bit integer; 0 when unknown. */
  asnV4(ip: number): number;
  /** Country of an IPv4 address; '' when unknown. Returns interned strings. */
  countryV4(ip: number): string;
  /** ASN of an IPv6 address given as eight 16-bit groups; 0 when unknown. */
  asnV6(groups: Uint16Array): number;
  countryV6(groups: Uint16Array): string;
  /** Organisation name of an AS; '' when unknown. */
  asOrg(asn: number): string;
  /** Convenience for tools and tests: any address text; null when it is not an address. */
  lookup(address: string): AddressFacts | null;
}
