/**
 * Warninglists extend the reference lists (enrich/infra): their networks
 * answer providerOfV4/V6/providerOfAddress like a CDN's or cloud's ranges
 * (so detection keeps them out of flux networks and scores, intel refuses
 * them as known infrastructure, no blocklist or feed output lists them), and
 * their names answer isKnownName (never scored by detection, never an intel
 * trigger). The base Infra answers first; everything else is delegated.
 */
import { parseIPv4, parseIPv6Into } from '../../model/names.js';
import type { Infra, InfraCounts, InfraSource, ProviderClass } from '../../enrich/infra/index.js';
import { nullInfra } from '../../enrich/infra/index.js';
import { SuffixTable } from '../../enrich/infra/suffix-table.js';
import { PrefixTableBuilder, type PrefixTable } from '../prefix-tables.js';
import { v4Mapped } from '../values.js';
import { SUBDOMAINS, type Warninglist } from './parse.js';

/** One configured warninglist feed: its name in config (intel.feeds[].name) and what was read. */
export interface WarninglistFeed {
  name: string;
  list: Warninglist;
}

export interface WarninglistRules {
  /** The one public-suffix rule (detect/registered-domain isRegistrable), passed down: intel sits below detect. */
  isRegistrable(name: string): boolean;
}

/** Why a listed value is not used: counted per feed. */
export const WARNINGLIST_REFUSALS = ['public-suffix', 'dynamic-dns', 'too-broad', 'duplicate'] as const;
export type WarninglistRefusal = (typeof WARNINGLIST_REFUSALS)[number];

export interface WarninglistCounts {
  feed: string;
  names: number;
  networks: number;
  skipped: number;
  refused: Record<WarninglistRefusal, number>;
}

/** Networks wider than this are refused, as intel refuses them: one entry must not make a whole region known. */
const MIN_BITS_V4 = 8;
const MIN_BITS_V6 = 16;

/**
 * The base reference lists extended with the feeds' lists. A name listed
 * with subdomains covers names under it only within its registrant: a listed
 * `amazonaws.com` does not cover `x.compute.amazonaws.com` (whose registered
 * domain, by the public-suffix list, is itself). A name that is a public
 * suffix, or a dynamic-DNS provider's (customers' names: flux hides there),
 * is refused when listed with its subdomains; a network wider than /8 or /16
 * is refused.
 */
export function extendInfra(base: Infra | null, feeds: readonly WarninglistFeed[], rules: WarninglistRules): WarninglistInfra {
  return new WarninglistInfra(base ?? nullInfra, feeds, rules);
}

const words = new Uint32Array(4);
const groups = new Uint16Array(8);

export class WarninglistInfra implements Infra {
  readonly sources: readonly InfraSource[];
  readonly counts: InfraCounts;
  readonly warninglists: readonly WarninglistCounts[];
  private readonly exact: SuffixTable;
  /** Values: the listed name's length, compared with the looked-up name's registered domain. */
  private readonly subdomains: SuffixTable;
  private readonly v4: PrefixTable;
  private readonly v6: PrefixTable;
  /** Feed index of each placed network. */
  private readonly feedOf: number[] = [];
  private readonly firstProvider: number;

  constructor(
    private readonly base: Infra,
    private readonly feeds: readonly WarninglistFeed[],
    rules: WarninglistRules,
  ) {
    this.firstProvider = base.counts.providers;
    let names = 0;
    for (const f of feeds) names += f.list.entries.length;
    this.exact = new SuffixTable(names);
    this.subdomains = new SuffixTable(names);
    const v4 = new PrefixTableBuilder(1);
    const v6 = new PrefixTableBuilder(4);
    const counts: WarninglistCounts[] = [];
    feeds.forEach((feed, k) => {
      const c: WarninglistCounts = { feed: feed.name, names: 0, networks: 0, skipped: feed.list.skipped.length, refused: { 'public-suffix': 0, 'dynamic-dns': 0, 'too-broad': 0, duplicate: 0 } };
      counts.push(c);
      for (const e of feed.list.entries) {
        if (e.kind === 'domain') {
          const refusal = this.nameRefusal(e.value, e.note === SUBDOMAINS, rules);
          if (refusal !== null) c.refused[refusal]++;
          else if (e.note === SUBDOMAINS ? this.subdomains.set(e.value, e.value.length) : this.exact.set(e.value, k)) c.names++;
          else c.refused.duplicate++;
          continue;
        }
        const refused = this.placeNetwork(e.value, k, v4, v6);
        if (refused !== null) c.refused[refused]++;
        else c.networks++;
      }
    });
    const builtV4 = v4.build();
    const builtV6 = v6.build();
    this.v4 = builtV4.table;
    this.v6 = builtV6.table;
    for (const entry of [...builtV4.duplicates, ...builtV6.duplicates]) {
      const c = counts[this.feedOf[entry]!]!;
      c.networks--;
      c.refused.duplicate++;
    }
    this.warninglists = counts;
    this.sources = [
      ...base.sources,
      ...feeds.map((f): InfraSource => ({ kind: 'infra', name: f.name, date: null, upstream: [`misp-warninglist: ${f.list.name}${f.list.version === null ? '' : ` v${f.list.version}`}`] })),
    ];
    this.counts = { ...base.counts, providers: base.counts.providers + feeds.length };
  }

  private nameRefusal(name: string, subdomains: boolean, rules: WarninglistRules): WarninglistRefusal | null {
    if (!rules.isRegistrable(name)) return 'public-suffix';
    if (subdomains && this.base.isDynamicDns(name)) return 'dynamic-dns';
    return null;
  }

  private placeNetwork(value: string, feed: number, v4: PrefixTableBuilder, v6: PrefixTableBuilder): WarninglistRefusal | null {
    const slash = value.indexOf('/');
    const address = slash === -1 ? value : value.slice(0, slash);
    const ip = parseIPv4(address);
    const entry = this.feedOf.length;
    if (ip >= 0) {
      const bits = slash === -1 ? 32 : Number(value.slice(slash + 1));
      if (bits < MIN_BITS_V4) return 'too-broad';
      words[0] = ip;
      v4.add(words, bits, entry);
    } else {
      if (!parseIPv6Into(address, groups)) return 'too-broad';
      const bits = slash === -1 ? 128 : Number(value.slice(slash + 1));
      if (bits < MIN_BITS_V6) return 'too-broad';
      for (let w = 0; w < 4; w++) words[w] = groups[2 * w]! * 65536 + groups[2 * w + 1]!;
      v6.add(words, bits, entry);
    }
    this.feedOf.push(feed);
    return null;
  }

  /** The name is listed, or (listed with its subdomains) under a listed name of its own registrant. */
  isKnownName(name: string, registered: string): boolean {
    if (this.exact.size > 0 && this.exact.exact(name) >= 0) return true;
    return this.subdomains.size > 0 && this.subdomains.longest(name) >= registered.length;
  }

  providerOfV4(ip: number): number {
    const p = this.base.providerOfV4(ip);
    if (p >= 0) return p;
    return this.providerOf(this.v4.lookupV4(ip));
  }

  /** The reference ranges only: the warninglists' own networks are checked by first and last address (warninglist/rules). */
  overlapsV4(first: number, last: number): boolean {
    return this.base.overlapsV4?.(first, last) === true;
  }

  providerOfV6(g: Uint16Array): number {
    const p = this.base.providerOfV6(g);
    if (p >= 0) return p;
    const mapped = v4Mapped(g);
    if (mapped >= 0) return this.providerOf(this.v4.lookupV4(mapped));
    return this.providerOf(this.v6.lookupV6(g[0]! * 65536 + g[1]!, g[2]! * 65536 + g[3]!, g[4]! * 65536 + g[5]!, g[6]! * 65536 + g[7]!));
  }

  private providerOf(entry: number): number {
    return entry < 0 ? -1 : this.firstProvider + this.feedOf[entry]!;
  }

  providerOfAddress(address: string): number {
    const ip = parseIPv4(address);
    if (ip >= 0) return this.providerOfV4(ip);
    return address.indexOf(':') !== -1 && parseIPv6Into(address, groups) ? this.providerOfV6(groups) : -1;
  }

  providerName(i: number): string {
    return i >= this.firstProvider && i < this.firstProvider + this.feeds.length ? `warninglist ${this.feeds[i - this.firstProvider]!.name}` : this.base.providerName(i);
  }

  /**
   * 'cloud' for a warninglist's network: the weaker claim (an address someone
   * publishes as theirs, which a customer may still rent), as a list's type
   * says nothing of who chooses its addresses.
   */
  providerClass(i: number): ProviderClass {
    return i >= this.firstProvider && i < this.firstProvider + this.feeds.length ? 'cloud' : this.base.providerClass(i);
  }

  providerOfAsn(asn: number): number {
    return this.base.providerOfAsn(asn);
  }

  cnameProvider(name: string): number {
    return this.base.cnameProvider(name);
  }

  isTopSite(registeredDomain: string): boolean {
    return this.base.isTopSite(registeredDomain);
  }

  topSiteLists(registeredDomain: string): number {
    return this.base.topSiteLists(registeredDomain);
  }

  isDynamicDns(name: string): boolean {
    return this.base.isDynamicDns(name);
  }

  poolOf(name: string): string | null {
    return this.base.poolOf(name);
  }

  platformOfAsn(asn: number): number {
    return this.base.platformOfAsn(asn);
  }

  platformOfName(name: string): number {
    return this.base.platformOfName(name);
  }

  platformName(i: number): string {
    return this.base.platformName(i);
  }
}
