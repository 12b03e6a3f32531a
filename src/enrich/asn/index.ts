/**
 * IP → ASN and AS organisation from the bundled @ip-location-db/asn package
 * (start,end,asn,org rows; IPv6 bounds as 128-bit decimals).
 */
import { loadBundled } from '../bundled.js';
import type { Bundled, BundledTables } from '../bundled.js';
import { fieldText, parseUint32 } from '../csv.js';
import { parseRangeCsv, parseV4V6 } from '../range-csv.js';
import type { RangeCsv } from '../range-csv.js';
import { AsOrgCollector, AsOrgs } from './orgs.js';

export { AsOrgs } from './orgs.js';

export const ASN_PACKAGE = '@ip-location-db/asn';
export const ASN_FILES = ['asn-ipv4-num.csv', 'asn-ipv6-num.csv'] as const;

export interface AsnData extends BundledTables {
  orgs: AsOrgs;
}

/** Parse one asn CSV file; names of ASNs seen for the first time go into orgs. */
export function parseAsnCsv(bytes: Buffer, file: string, width: 1 | 4, orgs: AsOrgCollector): RangeCsv {
  return parseRangeCsv(bytes, file, width, 4, (b, row) => {
    const asn = parseUint32(b, row.starts[2]!, row.ends[2]!);
    if (asn <= 0) return -1; // AS0 means "not routed": the same as no row
    if (row.count >= 4 && !orgs.has(asn)) orgs.add(asn, fieldText(b, row, 3));
    return asn;
  });
}

export function parseAsnFiles(v4: Buffer, v6: Buffer): AsnData {
  const orgs = new AsOrgCollector();
  const tables = parseV4V6(ASN_FILES, v4, v6, (bytes, file, width) => parseAsnCsv(bytes, file, width, orgs));
  return { ...tables, orgs: orgs.finish() };
}

/** Load the bundled data, through the binary cache unless cacheDir is false. */
export function loadBundledAsn(cacheDir?: string | false): Bundled<AsnData> {
  return loadBundled<AsnData>({
    package: ASN_PACKAGE,
    files: ASN_FILES,
    cacheDir,
    parse: parseAsnFiles,
    extraToCache: (d) => ({ words: { asns: d.orgs.asns }, strings: { names: d.orgs.names } }),
    extraFromCache: (c, tables) => {
      const asns = c.words['asns'];
      const names = c.strings['names'];
      if (!asns || !names || asns.length !== names.length) return null;
      return { ...tables, orgs: new AsOrgs(asns, names) };
    },
  });
}
