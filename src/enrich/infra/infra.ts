/**
 * Facts about infrastructure that legitimately looks like fast flux: is an
 * address or AS a CDN's or a cloud's, does a CNAME point into one, is a name a
 * volunteer pool, a dynamic-DNS host or a popular site. Detection calls these
 * on its hot path; none of them allocates.
 */

/**
 * cdn: the operator's own edge (CDN, reverse proxy/WAF, its own services): no
 * customer chooses the address. cloud: addresses any customer, an attacker
 * too, can rent; weaker evidence of legitimacy.
 */
export type ProviderClass = 'cdn' | 'cloud';

/** One loaded data file, so each verdict can say which data it used. */
export interface InfraSource {
  kind: 'infra';
  /** The data file, e.g. 'cdn-cloud-cidrs.txt'. */
  name: string;
  /** Date of the upstream snapshot (the file's `# date:`), YYYY-MM-DD. */
  date: string | null;
  /** The file's `# source:` lines: repository:path@commit and the list's own version. */
  upstream: readonly string[];
}

/** How much was loaded, and how long it took: for the caller's metrics. */
export interface InfraCounts {
  providers: number;
  cidrsV4: number;
  cidrsV6: number;
  asns: number;
  cnameSuffixes: number;
  topSites: number;
  dynamicDnsSuffixes: number;
  poolSuffixes: number;
  /** Single-tenant platforms, their ASNs and the domains they serve (platform-networks.txt). */
  platforms: number;
  platformAsns: number;
  platformDomains: number;
  loadMs: number;
}

export interface Infra {
  readonly sources: readonly InfraSource[];
  readonly counts: InfraCounts;
  /** Provider of an IPv4 address (unsigned 32-bit); -1 when none. */
  providerOfV4(ip: number): number;
  /** Provider of an IPv6 address given as eight 16-bit groups (::ffff:a.b.c.d looks up a.b.c.d); -1 when none. */
  providerOfV6(groups: Uint16Array): number;
  /**
   * Any CDN/cloud IPv4 range overlaps first..last (unsigned 32-bit, inclusive): an intel feed's wide network
   * holding a provider's range is refused. Absent: not known (only the first and last address are checked).
   */
  overlapsV4?(first: number, last: number): boolean;
  /** Provider whose AS this is; -1 when none. Coarser than the address answer: ask that first. */
  providerOfAsn(asn: number): number;
  /** Provider of the longest CDN/cloud suffix a name (a CNAME target) equals or ends with after a dot; -1 when none. */
  cnameProvider(name: string): number;
  /** Name of provider i ('akamai', 'cloudfront', ...); '' for an index no lookup returns. */
  providerName(i: number): string;
  /** Class of provider i; throws RangeError for an index no lookup returns. */
  providerClass(i: number): ProviderClass;
  /** A registered domain (as tldts gives it) on at least one top-site list. */
  isTopSite(registeredDomain: string): boolean;
  /**
   * On how many top-site lists (0..5) the registered domain is. The lists
   * ship alphabetical, so this agreement is the only rank there is.
   */
  topSiteLists(registeredDomain: string): number;
  /** The name is, or is under, a dynamic-DNS provider's suffix (home users: low TTL, one address). */
  isDynamicDns(name: string): boolean;
  /** The volunteer/mirror pool the name belongs to ('ntp-pool', 'debian-mirrors', ...); null when none. */
  poolOf(name: string): string | null;
  /**
   * Single-tenant platform whose network this AS is (one that serves only the
   * operator's own services: Meta, X, Dropbox, ...); -1 when none. Multi-tenant
   * clouds and CDNs are never platforms.
   */
  platformOfAsn(asn: number): number;
  /** Platform whose domains the name equals or is under (longest match); -1 when none. */
  platformOfName(name: string): number;
  /** Name of platform i ('meta', 'x', ...); '' for an index no lookup returns. */
  platformName(i: number): string;
  /**
   * A name an allowlist feed (a MISP warninglist, src/intel/warninglist) names as
   * legitimate: detection never scores it, intel never makes it a trigger.
   * `registered` is the name's registered domain. Absent: none.
   */
  isKnownName?(name: string, registered: string): boolean;
  /** Convenience for tools and tests: provider of any address text; -1 when none or not an address. */
  providerOfAddress(address: string): number;
}
