/**
 * Where the corpus's addresses are, by country: the ranges of
 * @ip-location-db/asn-country (the data the detector's enrichment reads)
 * joined to the corpus ASNs' ranges, so a builder can put an Azure endpoint
 * "in Brazil" or an NTP volunteer "in Germany" inside a real range of its AS
 * that the enricher places there too.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressSpace, V4Ranges } from './address-space.js';
import { appendRange, pickInRanges } from './address-space.js';
import type { Prng } from './prng.js';

/** Pieces smaller than a /24 are left out: too small to place a server cluster in. */
const MIN_PIECE = 256;

export function defaultCountryFile(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/asn-country/asn-country-ipv4-num.csv');
}

interface CountryTable {
  starts: Float64Array;
  ends: Float64Array;
  codes: string[];
}

export class Regions {
  /** Per ASN: country code → the AS's address pieces in that country. */
  private readonly byAsn = new Map<number, Map<string, V4Ranges>>();

  private constructor(
    private readonly space: AddressSpace,
    private readonly table: CountryTable,
  ) {}

  static load(space: AddressSpace, file: string = defaultCountryFile()): Regions {
    let perSpace = cache.get(space);
    if (perSpace === undefined) {
      perSpace = new Map();
      cache.set(space, perSpace);
    }
    let regions = perSpace.get(file);
    if (regions === undefined) {
      regions = new Regions(space, readCountries(file));
      perSpace.set(file, regions);
    }
    return regions;
  }

  /** ISO country code of an IPv4 address (32-bit integer); '' when the data has none. */
  countryOf(ip: number): string {
    const { starts, ends, codes } = this.table;
    const i = lastAtOrBelow(starts, ip);
    return i >= 0 && (ends[i] as number) >= ip ? (codes[i] as string) : '';
  }

  /** Countries where the AS has at least a /24, most addresses first. */
  countries(asn: number): string[] {
    const pieces = this.piecesOf(asn);
    const size = (r: V4Ranges): number => r.cumulative[r.cumulative.length - 1] as number;
    return [...pieces.entries()].sort((a, b) => size(b[1]) - size(a[1]) || (a[0] < b[0] ? -1 : 1)).map(([cc]) => cc);
  }

  hasCountry(asn: number, country: string): boolean {
    return this.piecesOf(asn).has(country);
  }

  /** A host address of the AS inside `country`, as a 32-bit integer. */
  pickV4(asn: number, country: string, rng: Prng): number {
    const pieces = this.piecesOf(asn).get(country);
    if (pieces === undefined) throw new Error(`corpus: regions: AS${asn} has no /24 in ${country}`);
    return pickInRanges(pieces, rng);
  }

  private piecesOf(asn: number): Map<string, V4Ranges> {
    let pieces = this.byAsn.get(asn);
    if (pieces === undefined) {
      pieces = new Map();
      for (const [start, end] of this.space.rangesV4(asn)) this.split(start, end, pieces);
      this.byAsn.set(asn, pieces);
    }
    return pieces;
  }

  /** Cut [start, end] at the country table's boundaries and file each piece under its country. */
  private split(start: number, end: number, into: Map<string, V4Ranges>): void {
    const { starts, ends, codes } = this.table;
    let i = Math.max(0, lastAtOrBelow(starts, start));
    let at = start;
    while (at <= end && i < starts.length) {
      const rowStart = starts[i] as number;
      const rowEnd = ends[i] as number;
      if (rowEnd < at) {
        i++;
        continue;
      }
      if (rowStart > end) break;
      const pieceStart = Math.max(at, rowStart);
      const pieceEnd = Math.min(end, rowEnd);
      if (pieceEnd - pieceStart + 1 >= MIN_PIECE) appendRange(into, codes[i] as string, pieceStart, pieceEnd);
      at = pieceEnd + 1;
      i++;
    }
  }
}

const cache = new WeakMap<AddressSpace, Map<string, Regions>>();

function readCountries(file: string): CountryTable {
  const lines = readFileSync(file, 'latin1').split('\n');
  const starts = new Float64Array(lines.length);
  const ends = new Float64Array(lines.length);
  const codes: string[] = [];
  for (const line of lines) {
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    if (c1 === -1 || c2 === -1) continue;
    starts[codes.length] = Number(line.slice(0, c1));
    ends[codes.length] = Number(line.slice(c1 + 1, c2));
    codes.push(line.slice(c2 + 1).trim());
  }
  return { starts: starts.subarray(0, codes.length), ends: ends.subarray(0, codes.length), codes };
}

/** Index of the last entry <= value in a sorted array; -1 when there is none. */
function lastAtOrBelow(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
