/** The one Infra implementation: range tables for addresses, a map for ASNs, suffix tables for names. */
import { parseIPv4, parseIPv6 } from '../../model/names.js';
import { emptyTable, findGroups, findV4, overlapsV4 } from '../ranges.js';
import type { RangeTable } from '../ranges.js';
import type { Infra, InfraCounts, InfraSource, ProviderClass } from './infra.js';
import { SuffixTable } from './suffix-table.js';

export interface InfraParts {
  sources: InfraSource[];
  counts: InfraCounts;
  providerNames: string[];
  providerClasses: ProviderClass[];
  /** Values are provider index + 1 (0 means none, as in every range table). */
  v4: RangeTable;
  v6: RangeTable;
  asns: Map<number, number>;
  cnames: SuffixTable;
  /** Values: on how many lists the domain is. */
  topSites: SuffixTable;
  dynamicDns: SuffixTable;
  /** Values index poolNames. */
  pools: SuffixTable;
  poolNames: string[];
  /** Single-tenant platforms: names, ASN → index, domain suffix → index. */
  platformNames: string[];
  platformAsns: Map<number, number>;
  platformDomains: SuffixTable;
}

export class TableInfra implements Infra {
  readonly sources: readonly InfraSource[];
  readonly counts: InfraCounts;
  private readonly parts: InfraParts;

  constructor(parts: InfraParts) {
    this.parts = parts;
    this.sources = parts.sources;
    this.counts = parts.counts;
  }

  providerOfV4(ip: number): number {
    return findV4(this.parts.v4, ip) - 1;
  }

  providerOfV6(g: Uint16Array): number {
    return findGroups(this.parts.v4, this.parts.v6, g) - 1;
  }

  overlapsV4(first: number, last: number): boolean {
    return overlapsV4(this.parts.v4, first, last);
  }

  providerOfAsn(asn: number): number {
    return this.parts.asns.get(asn) ?? -1;
  }

  cnameProvider(name: string): number {
    return this.parts.cnames.longest(name);
  }

  providerName(i: number): string {
    return this.parts.providerNames[i] ?? '';
  }

  providerClass(i: number): ProviderClass {
    const cls = this.parts.providerClasses[i];
    if (cls === undefined) throw new RangeError(`infra: no provider ${i}`);
    return cls;
  }

  isTopSite(registeredDomain: string): boolean {
    return this.parts.topSites.exact(registeredDomain) > 0;
  }

  topSiteLists(registeredDomain: string): number {
    const n = this.parts.topSites.exact(registeredDomain);
    return n > 0 ? n : 0;
  }

  isDynamicDns(name: string): boolean {
    return this.parts.dynamicDns.matches(name);
  }

  poolOf(name: string): string | null {
    const i = this.parts.pools.longest(name);
    return i === -1 ? null : this.parts.poolNames[i]!;
  }

  platformOfAsn(asn: number): number {
    return this.parts.platformAsns.get(asn) ?? -1;
  }

  platformOfName(name: string): number {
    return this.parts.platformDomains.longest(name);
  }

  platformName(i: number): string {
    return this.parts.platformNames[i] ?? '';
  }

  providerOfAddress(address: string): number {
    const v4 = parseIPv4(address);
    if (v4 >= 0) return this.providerOfV4(v4);
    const v6 = address.indexOf(':') === -1 ? null : parseIPv6(address);
    return v6 === null ? -1 : this.providerOfV6(v6);
  }
}

/** Knows nothing: every lookup answers "none". For tests and runs without the data. */
export const nullInfra: Infra = new TableInfra({
  sources: [],
  counts: { providers: 0, cidrsV4: 0, cidrsV6: 0, asns: 0, cnameSuffixes: 0, topSites: 0, dynamicDnsSuffixes: 0, poolSuffixes: 0, platforms: 0, platformAsns: 0, platformDomains: 0, loadMs: 0 },
  providerNames: [],
  providerClasses: [],
  v4: emptyTable(1),
  v6: emptyTable(4),
  asns: new Map(),
  cnames: SuffixTable.empty,
  topSites: SuffixTable.empty,
  dynamicDns: SuffixTable.empty,
  pools: SuffixTable.empty,
  poolNames: [],
  platformNames: [],
  platformAsns: new Map(),
  platformDomains: SuffixTable.empty,
});
