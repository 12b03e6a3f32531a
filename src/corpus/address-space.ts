/**
 * Real announced address ranges per ASN, read from @ip-location-db/asn, and
 * seeded picks of addresses inside them.
 *
 * Only the rows of the requested ASNs are kept (a few thousand of ~400k), and
 * the parsed result is cached per file and ASN set because tests and the
 * benchmark build several corpora in one process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatIPv4, formatIPv6, parseIPv4 } from '../model/names.js';
import type { Prng } from './prng.js';

export interface V4Ranges {
  starts: number[];
  /** Running total of range sizes, so a pick is uniform over the AS's addresses. */
  cumulative: number[];
}

/** Every loaded IPv4 range sorted by start, to answer "which of the corpus ASNs holds this address". */
interface V4Index {
  starts: number[];
  ends: number[];
  asns: number[];
}

interface V6Ranges {
  starts: bigint[];
  sizes: bigint[];
}

export interface AddressSpaceFiles {
  ipv4Csv: string;
  ipv6Csv: string;
}

export function defaultAddressSpaceFiles(): AddressSpaceFiles {
  const require = createRequire(import.meta.url);
  return {
    ipv4Csv: require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'),
    ipv6Csv: require.resolve('@ip-location-db/asn/asn-ipv6-num.csv'),
  };
}

export class AddressSpace {
  private constructor(
    private readonly v4: ReadonlyMap<number, V4Ranges>,
    private readonly v6: ReadonlyMap<number, V6Ranges>,
    private readonly index: V4Index,
  ) {}

  static load(asns: readonly number[], files: AddressSpaceFiles = defaultAddressSpaceFiles()): AddressSpace {
    const key = `${files.ipv4Csv}|${files.ipv6Csv}|${[...asns].sort((a, b) => a - b).join(',')}`;
    let space = cache.get(key);
    if (space === undefined) {
      const wanted = new Set(asns);
      const index: V4Index = { starts: [], ends: [], asns: [] };
      space = new AddressSpace(readV4(files.ipv4Csv, wanted, index), readV6(files.ipv6Csv, wanted), index);
      cache.set(key, space);
    }
    return space;
  }

  /** ASNs of the request that have IPv4 ranges in the data. */
  knownV4(asns: readonly number[]): number[] {
    return asns.filter((asn) => this.v4.has(asn));
  }

  /** The loaded ASN whose ranges hold an IPv4 address (given as text); 0 when none does. */
  asnOfV4(address: string): number {
    const ip = parseIPv4(address);
    const { starts, ends, asns } = this.index;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] as number) > ip) hi = mid - 1;
      else if ((ends[mid] as number) < ip) lo = mid + 1;
      else return asns[mid] as number;
    }
    return 0;
  }

  hasV6(asn: number): boolean {
    return this.v6.has(asn);
  }

  /** A host address (last octet 1..254) in one of the AS's IPv4 ranges, as a 32-bit integer. */
  pickV4(asn: number, rng: Prng): number {
    const r = this.v4.get(asn);
    if (r === undefined) throw new Error(`corpus: address-space: AS${asn} has no IPv4 ranges`);
    return pickInRanges(r, rng);
  }

  /** The AS's IPv4 ranges as [start, end] pairs, in address order; empty when it has none. */
  rangesV4(asn: number): [number, number][] {
    const r = this.v4.get(asn);
    if (r === undefined) return [];
    return r.starts.map((start, i) => {
      const before = i === 0 ? 0 : (r.cumulative[i - 1] as number);
      return [start, start + (r.cumulative[i] as number) - before - 1];
    });
  }

  pickV4Text(asn: number, rng: Prng): string {
    return formatIPv4(this.pickV4(asn, rng));
  }

  /** An IPv6 address in one of the AS's ranges, in RFC 5952 text. */
  pickV6Text(asn: number, rng: Prng): string {
    const r = this.v6.get(asn);
    if (r === undefined) throw new Error(`corpus: address-space: AS${asn} has no IPv6 ranges`);
    const i = rng.int(r.starts.length);
    const random = (BigInt(rng.u32()) << 96n) | (BigInt(rng.u32()) << 64n) | (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
    let value = (r.starts[i] as bigint) + (random % (r.sizes[i] as bigint));
    const groups = new Uint16Array(8);
    for (let g = 7; g >= 0; g--) {
      groups[g] = Number(value & 0xffffn);
      value >>= 16n;
    }
    if (groups[7] === 0) groups[7] = 1; // the subnet-router anycast address is no host
    return formatIPv6(groups);
  }
}

const cache = new Map<string, AddressSpace>();

/** Add [start, end] (after every range already there) to the ranges filed under `key`. */
export function appendRange<K>(ranges: Map<K, V4Ranges>, key: K, start: number, end: number): void {
  let r = ranges.get(key);
  if (r === undefined) {
    r = { starts: [], cumulative: [] };
    ranges.set(key, r);
  }
  const before = r.cumulative.length === 0 ? 0 : (r.cumulative[r.cumulative.length - 1] as number);
  r.starts.push(start);
  r.cumulative.push(before + (end - start + 1));
}

/** A host address (last octet 1..254), uniform over the addresses of `r`. */
export function pickInRanges(r: V4Ranges, rng: Prng): number {
  const total = r.cumulative[r.cumulative.length - 1] as number;
  for (;;) {
    const target = Math.floor(rng.next() * total);
    const i = firstAbove(r.cumulative, target);
    const before = i === 0 ? 0 : (r.cumulative[i - 1] as number);
    const ip = (r.starts[i] as number) + (target - before);
    const last = ip & 255;
    if (last !== 0 && last !== 255) return ip;
  }
}

function firstAbove(cumulative: readonly number[], target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Calls `row(start, end, asn)` for each CSV line whose ASN is wanted; the org column is ignored. */
function scanCsv(file: string, wanted: ReadonlySet<number>, row: (start: string, end: string, asn: number) => void): void {
  const text = readFileSync(file, 'latin1');
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    const c1 = text.indexOf(',', pos);
    const c2 = c1 === -1 ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 === -1 ? -1 : text.indexOf(',', c2 + 1);
    if (c3 !== -1 && c3 < eol) {
      const asn = Number(text.slice(c2 + 1, c3));
      if (wanted.has(asn)) row(text.slice(pos, c1), text.slice(c1 + 1, c2), asn);
    }
    pos = eol + 1;
  }
}

/** Reads the wanted rows; the CSV is sorted by start, so `index` comes out sorted too. */
function readV4(file: string, wanted: ReadonlySet<number>, index: V4Index): Map<number, V4Ranges> {
  const byAsn = new Map<number, V4Ranges>();
  scanCsv(file, wanted, (startText, endText, asn) => {
    const start = Number(startText);
    const end = Number(endText);
    appendRange(byAsn, asn, start, end);
    index.starts.push(start);
    index.ends.push(end);
    index.asns.push(asn);
  });
  return byAsn;
}

function readV6(file: string, wanted: ReadonlySet<number>): Map<number, V6Ranges> {
  const byAsn = new Map<number, V6Ranges>();
  scanCsv(file, wanted, (startText, endText, asn) => {
    const start = BigInt(startText);
    const size = BigInt(endText) - start + 1n;
    let r = byAsn.get(asn);
    if (r === undefined) {
      r = { starts: [], sizes: [] };
      byAsn.set(asn, r);
    }
    r.starts.push(start);
    r.sizes.push(size);
  });
  return byAsn;
}
