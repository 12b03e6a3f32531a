/**
 * The bundled ASN and country range tables (@ip-location-db/asn and
 * asn-country, the `-num` CSVs fluxhound and the DuckDB feature query load)
 * as the plain-JS floor (plain-js-features.ts) reads them: sorted typed
 * arrays searched by binary search, nothing else. The CSVs are parsed once,
 * untimed, into a binary file beside the bench data, as DuckDB's range tables
 * are loaded once into its database file (duckdb-features.ts); the timed run
 * only reads that file.
 *
 * The lookup is the SQL's ASOF join, not fluxhound's table: the last range
 * starting at or below the address, kept when it also ends at or above it.
 * The two differ only where ranges overlap (one pair in the ASN IPv4 file),
 * and the floor must give DuckDB's rows exactly.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundledPackage } from '../src/enrich/bundled.js';

/** Bump when the file layout changes, so an old file is rebuilt. */
const RANGES_VERSION = 1;
/** 'flr1': a file of ours, in this byte order. */
const MAGIC = 0x666c7231;
/**
 * The SQL maps IPv4 into ::ffff:0:0/96 and keeps both families in one table;
 * two tables here answer alike only while no IPv6 range starts below 2^48.
 */
const MAPPED_END = 1n << 48n;

/** One family of one table, sorted by first address; `width` words per bound (1: IPv4, 4: IPv6, big-endian words). */
export interface RangeArrays {
  width: 1 | 4;
  first: Uint32Array;
  last: Uint32Array;
  /** An ASN, or a country's index in the order first met (only distinctness matters). */
  value: Uint32Array;
}

export interface FloorRanges {
  asnV4: RangeArrays;
  asnV6: RangeArrays;
  countryV4: RangeArrays;
  countryV6: RangeArrays;
}

const TABLES = ['asnV4', 'asnV6', 'countryV4', 'countryV6'] as const;

export function floorRangesPath(dir: string): string {
  const asn = bundledPackage('@ip-location-db/asn');
  const country = bundledPackage('@ip-location-db/asn-country');
  return join(dir, `floor-ranges-v${RANGES_VERSION}-asn${asn.version}-country${country.version}.bin`);
}

/** The binary file of the four tables, built from the bundled CSVs when missing. */
export function ensureFloorRanges(dir: string): string {
  const path = floorRangesPath(dir);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const asn = bundledPackage('@ip-location-db/asn').dir;
  const country = bundledPackage('@ip-location-db/asn-country').dir;
  const codes = new Map<string, number>();
  const countryValue = (text: string): number => {
    let id = codes.get(text);
    if (id === undefined) codes.set(text, (id = codes.size));
    return id;
  };
  const tables: FloorRanges = {
    asnV4: parseCsv(join(asn, 'asn-ipv4-num.csv'), 1, Number),
    asnV6: parseCsv(join(asn, 'asn-ipv6-num.csv'), 4, Number),
    countryV4: parseCsv(join(country, 'asn-country-ipv4-num.csv'), 1, countryValue),
    countryV6: parseCsv(join(country, 'asn-country-ipv6-num.csv'), 4, countryValue),
  };
  const header = Uint32Array.of(MAGIC, ...TABLES.map((t) => tables[t].value.length));
  const parts: Uint32Array[] = [header];
  for (const t of TABLES) parts.push(tables[t].first, tables[t].last, tables[t].value);
  const partial = `${path}.partial`;
  writeFileSync(partial, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
  renameSync(partial, path);
  return path;
}

/** A table's rows from its CSV (first,last,value,...), in file order, which the check below requires to be ascending. */
function parseCsv(file: string, width: 1 | 4, valueOf: (text: string) => number): RangeArrays {
  const lines = readFileSync(file, 'latin1').split('\n');
  const first = new Uint32Array(lines.length * width);
  const last = new Uint32Array(lines.length * width);
  const value = new Uint32Array(lines.length);
  let rows = 0;
  let previous = -1n;
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const [a, b, v] = line.split(',', 3);
    if (a === undefined || b === undefined || v === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b) || v === '') {
      throw new Error(`bench: floor ranges: ${file}:${i + 1}: expected first,last,value`);
    }
    const start = BigInt(a);
    // A binary search needs ascending starts; the SQL sorts, the packages ship them sorted.
    if (start <= previous) throw new Error(`bench: floor ranges: ${file}:${i + 1}: ranges out of order`);
    if (width === 4 && start < MAPPED_END) {
      throw new Error(`bench: floor ranges: ${file}:${i + 1}: an IPv6 range in IPv4-mapped space`);
    }
    previous = start;
    putWords(first, rows * width, start, width);
    putWords(last, rows * width, BigInt(b), width);
    value[rows++] = valueOf(v);
  }
  return { width, first: first.slice(0, rows * width), last: last.slice(0, rows * width), value: value.slice(0, rows) };
}

function putWords(to: Uint32Array, at: number, n: bigint, width: 1 | 4): void {
  for (let i = 0; i < width; i++) to[at + i] = Number((n >> BigInt(32 * (width - 1 - i))) & 0xffffffffn);
}

/** The four tables from the file ensureFloorRanges wrote. */
export function loadFloorRanges(path: string): FloorRanges {
  const bytes = readFileSync(path);
  // A Uint32Array view needs a 4-byte aligned offset; a pooled small read may not have one.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
  if (words[0] !== MAGIC) throw new Error(`bench: floor ranges: ${path}: not a range file of this version`);
  let at = 1 + TABLES.length;
  const take = (n: number): Uint32Array => {
    if (at + n > words.length) throw new Error(`bench: floor ranges: ${path}: truncated`);
    const part = words.subarray(at, at + n);
    at += n;
    return part;
  };
  const out: Partial<FloorRanges> = {};
  for (const [i, t] of TABLES.entries()) {
    const rows = words[1 + i]!;
    const width = t.endsWith('V4') ? 1 : 4;
    out[t] = { width, first: take(rows * width), last: take(rows * width), value: take(rows) };
  }
  return out as FloorRanges;
}

/** The value of the range holding an IPv4 address (unsigned 32-bit), or -1 when none. */
export function lookupV4(t: RangeArrays, ip: number): number {
  const first = t.first;
  let lo = 0;
  let hi = t.value.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (first[mid]! <= ip) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && t.last[hi]! >= ip ? t.value[hi]! : -1;
}

/** The value of the range holding the IPv6 address w0:w1:w2:w3 (32-bit words, big-endian), or -1 when none. */
export function lookupV6(t: RangeArrays, w0: number, w1: number, w2: number, w3: number): number {
  let lo = 0;
  let hi = t.value.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(t.first, mid * 4, w0, w1, w2, w3) <= 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && compare(t.last, hi * 4, w0, w1, w2, w3) >= 0 ? t.value[hi]! : -1;
}

/** Sign of words[at..at+3] - w0:w1:w2:w3, word by word, unsigned. */
function compare(words: Uint32Array, at: number, w0: number, w1: number, w2: number, w3: number): number {
  if (words[at] !== w0) return words[at]! < w0 ? -1 : 1;
  if (words[at + 1] !== w1) return words[at + 1]! < w1 ? -1 : 1;
  if (words[at + 2] !== w2) return words[at + 2]! < w2 ? -1 : 1;
  const a = words[at + 3]!;
  return a === w3 ? 0 : a < w3 ? -1 : 1;
}
