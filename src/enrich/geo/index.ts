/**
 * IP → country from the bundled @ip-location-db/asn-country package
 * (start,end,country rows). Countries are stored as small indexes into one
 * list of interned codes, so a lookup returns a shared string.
 */
import { loadBundled } from '../bundled.js';
import type { Bundled, BundledTables, TablePair } from '../bundled.js';
import { parseRangeCsv, parseV4V6 } from '../range-csv.js';
import type { RangeCsv } from '../range-csv.js';
import { CountryCodes } from './codes.js';

export { CountryCodes } from './codes.js';

export const COUNTRY_PACKAGE = '@ip-location-db/asn-country';
export const COUNTRY_FILES = ['asn-country-ipv4-num.csv', 'asn-country-ipv6-num.csv'] as const;

export interface CountryData extends BundledTables {
  /** codes[value] is the country of a range's value; codes[0] is ''. */
  codes: readonly string[];
}

export function parseCountryCsv(bytes: Buffer, file: string, width: 1 | 4, codes: CountryCodes): RangeCsv {
  return parseRangeCsv(bytes, file, width, 3, (b, row) => codes.intern(b, row.starts[2]!, row.ends[2]!));
}

export function parseCountryFiles(v4: Buffer, v6: Buffer): CountryData {
  const codes = new CountryCodes();
  const tables = parseV4V6(COUNTRY_FILES, v4, v6, (bytes, file, width) => parseCountryCsv(bytes, file, width, codes));
  return { ...tables, codes: codes.list() };
}

/** Load the bundled data, through the binary cache unless cacheDir is false. */
export function loadBundledCountry(cacheDir?: string | false): Bundled<CountryData> {
  return loadBundled<CountryData>({
    package: COUNTRY_PACKAGE,
    files: COUNTRY_FILES,
    cacheDir,
    parse: parseCountryFiles,
    extraToCache: (d) => ({ words: {}, strings: { codes: d.codes } }),
    extraFromCache: (c, tables) => {
      // A plain array: lookups index it on the hot path.
      const cached = c.strings['codes'];
      const codes = cached === undefined ? undefined : Array.from({ length: cached.length }, (_, i) => cached.at(i)!);
      if (!codes || codes[0] !== '' || !valuesBelow(tables, codes.length)) return null;
      return { ...tables, codes };
    },
  });
}

/** Every value must index the code list, or lookups would return undefined. */
function valuesBelow(t: TablePair, n: number): boolean {
  for (const v of t.v4.values) if (v >= n) return false;
  for (const v of t.v6.values) if (v >= n) return false;
  return true;
}
