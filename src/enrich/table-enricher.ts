/**
 * The one Enricher implementation: range tables for ASN and country, from
 * whichever backend filled them (bundled CSV, binary cache or MMDB).
 */
import type { AddressFacts, DataSource, Enricher } from './enricher.js';
import { parseIPv4, parseIPv6 } from '../model/names.js';
import { AsOrgs } from './asn/orgs.js';
import { emptyTable, findGroups, findV4 } from './ranges.js';
import type { RangeTable } from './ranges.js';

export interface AsnPart {
  v4: RangeTable;
  v6: RangeTable;
  orgs: AsOrgs;
  source: DataSource;
}

export interface CountryPart {
  v4: RangeTable;
  v6: RangeTable;
  /** codes[value]; codes[0] is ''. */
  codes: readonly string[];
  source: DataSource;
}

export class TableEnricher implements Enricher {
  readonly sources: readonly DataSource[];
  private readonly asn4: RangeTable;
  private readonly asn6: RangeTable;
  private readonly orgs: AsOrgs;
  private readonly country4: RangeTable;
  private readonly country6: RangeTable;
  private readonly codes: readonly string[];

  constructor(asn: AsnPart | null, country: CountryPart | null) {
    this.sources = [asn?.source, country?.source].filter((s): s is DataSource => s !== undefined);
    this.asn4 = asn?.v4 ?? emptyTable(1);
    this.asn6 = asn?.v6 ?? emptyTable(4);
    this.orgs = asn?.orgs ?? AsOrgs.empty;
    this.country4 = country?.v4 ?? emptyTable(1);
    this.country6 = country?.v6 ?? emptyTable(4);
    this.codes = country?.codes ?? [''];
  }

  asnV4(ip: number): number {
    return findV4(this.asn4, ip);
  }

  countryV4(ip: number): string {
    return this.codes[findV4(this.country4, ip)] ?? '';
  }

  asnV6(g: Uint16Array): number {
    return findGroups(this.asn4, this.asn6, g);
  }

  countryV6(g: Uint16Array): string {
    return this.codes[findGroups(this.country4, this.country6, g)] ?? '';
  }

  asOrg(asn: number): string {
    return this.orgs.name(asn);
  }

  lookup(address: string): AddressFacts | null {
    const v4 = parseIPv4(address);
    if (v4 >= 0) return this.facts(this.asnV4(v4), this.countryV4(v4));
    const v6 = address.indexOf(':') === -1 ? null : parseIPv6(address);
    if (v6 === null) return null;
    return this.facts(this.asnV6(v6), this.countryV6(v6));
  }

  private facts(asn: number, country: string): AddressFacts {
    return { asn, asOrg: this.orgs.name(asn), country };
  }
}

/** A table that knows nothing: for tests and runs that do not want the data loaded. */
export const nullEnricher: Enricher = new TableEnricher(null, null);
