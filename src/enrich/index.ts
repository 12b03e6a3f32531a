/**
 * Offline IP enrichment: ASN, AS organisation and country for any address.
 * By default from the ip-location-db packages that install with fluxhound;
 * the user's own MaxMind files replace either part when given.
 */
import { loadBundledAsn } from './asn/index.js';
import type { Enricher } from './enricher.js';
import { loadBundledCountry } from './geo/index.js';
import { TableEnricher } from './table-enricher.js';
import type { AsnPart, CountryPart } from './table-enricher.js';

export type { AddressFacts, DataSource, Enricher } from './enricher.js';
export { nullEnricher } from './table-enricher.js';

export interface EnricherOptions {
  /** A GeoLite2-ASN (or GeoIP2-ISP) .mmdb to use instead of the bundled ASN data. */
  asnMmdb?: string;
  /** A GeoLite2-Country or -City .mmdb to use instead of the bundled country data. */
  countryMmdb?: string;
  /**
   * Where the compiled bundled tables are cached; false turns the cache off.
   * Default: $XDG_CACHE_HOME/fluxhound, else node_modules/.cache/fluxhound.
   */
  cacheDir?: string | false;
}

export async function createEnricher(options: EnricherOptions = {}): Promise<Enricher> {
  const [asn, country] = await Promise.all([asnPart(options), countryPart(options)]);
  return new TableEnricher(asn, country);
}

async function asnPart(options: EnricherOptions): Promise<AsnPart> {
  // mmdb.ts and the maxmind package load only when a file is given: most runs use the bundled data.
  if (options.asnMmdb !== undefined) return (await import('./mmdb.js')).loadAsnMmdb(options.asnMmdb);
  const b = loadBundledAsn(options.cacheDir);
  return { ...b.value, source: { kind: 'asn', name: `${b.name} ${b.version}`, date: b.date } };
}

async function countryPart(options: EnricherOptions): Promise<CountryPart> {
  if (options.countryMmdb !== undefined) return (await import('./mmdb.js')).loadCountryMmdb(options.countryMmdb);
  const b = loadBundledCountry(options.cacheDir);
  return { ...b.value, source: { kind: 'country', name: `${b.name} ${b.version}`, date: b.date } };
}

/** One line per data set behind a verdict's facts: 'asn: @ip-location-db/asn 2.3.2026061719 (2026-06-17)'. */
export function describeSources(sources: readonly { kind: string; name: string; date: string | null }[]): string[] {
  return sources.map((s) => `${s.kind}: ${s.name}${s.date === null ? '' : ` (${s.date})`}`);
}
