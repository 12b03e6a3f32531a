/**
 * A capped table of the addresses a domain resolved to, kept in one flat
 * array (stride ADDRESS_STRIDE) so a benign domain with one address costs a
 * few dozen bytes rather than a Map and four objects. When the table is full
 * the least recently seen address makes room, so the table always describes
 * the most recent addresses.
 *
 * Slot layout: key, lastSeen (integer seconds), asn, country, lastAnswer,
 * ttl, provider (index of the known CDN/cloud it belongs to, -1 if none).
 * Keys are IPv4 as a signed 32-bit integer (stays a V8 small integer) or
 * IPv6 as canonical text.
 */
import { formatIPv4 } from '../model/names.js';
import { isoTime, type EvidenceAddress } from '../model/verdict.js';
import type { DepartedAddresses } from './departed.js';

export const ADDRESS_STRIDE = 7;
export const K_KEY = 0;
export const K_LAST_SEEN = 1;
export const K_ASN = 2;
export const K_COUNTRY = 3;
export const K_LAST_ANSWER = 4;
export const K_TTL = 5;
export const K_PROVIDER = 6;

export type AddressKey = number | string;
export type AddressTable = Array<AddressKey>;

export function tableSize(table: AddressTable | null): number {
  return table === null ? 0 : table.length / ADDRESS_STRIDE;
}

/** The table holds `cap` addresses: the next new one pushes the least recently seen out. */
export function isFull(table: AddressTable | null, cap: number): boolean {
  return table !== null && table.length >= cap * ADDRESS_STRIDE;
}

/** Index of the slot holding key, or -1. */
export function findAddress(table: AddressTable, key: AddressKey): number {
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    if (table[i] === key) return i;
  }
  return -1;
}

/**
 * Insert a new address and return the table holding it: the same array, or,
 * while the table is small, a copy one slot larger (V8 would otherwise grow
 * a 6-element array to 25 elements for the second address, and most domains
 * never have more than a few). When the table holds `cap` addresses already,
 * the least recently seen one is overwritten, and noted in `departed` (so
 * that it is not counted as new when it returns).
 */
export function insertAddress(
  table: AddressTable,
  cap: number,
  entry: AddressEntry,
  lastSeen: number,
  lastAnswer: number,
  departed: DepartedAddresses | null = null,
): AddressTable {
  if (table.length < EXACT_UP_TO * ADDRESS_STRIDE && table.length < cap * ADDRESS_STRIDE) {
    const slot = newSlot;
    slot[K_KEY] = entry.key;
    slot[K_LAST_SEEN] = lastSeen;
    slot[K_ASN] = entry.asn;
    slot[K_COUNTRY] = entry.country;
    slot[K_LAST_ANSWER] = lastAnswer;
    slot[K_TTL] = entry.ttl;
    slot[K_PROVIDER] = entry.provider;
    return table.concat(slot);
  }
  let at = table.length;
  if (at >= cap * ADDRESS_STRIDE) {
    at = 0;
    let oldest = table[K_LAST_SEEN] as number;
    for (let i = ADDRESS_STRIDE; i < table.length; i += ADDRESS_STRIDE) {
      const seen = table[i + K_LAST_SEEN] as number;
      if (seen < oldest) {
        oldest = seen;
        at = i;
      }
    }
    departed?.add(table[at + K_KEY]!, oldest);
  }
  table[at + K_KEY] = entry.key;
  table[at + K_LAST_SEEN] = lastSeen;
  table[at + K_ASN] = entry.asn;
  table[at + K_COUNTRY] = entry.country;
  table[at + K_LAST_ANSWER] = lastAnswer;
  table[at + K_TTL] = entry.ttl;
  table[at + K_PROVIDER] = entry.provider;
  return table;
}

/** What is stored about one new address (a reused scratch object on the hot path). */
export interface AddressEntry {
  key: AddressKey;
  asn: number;
  country: string;
  /** Seconds; -1 unknown. */
  ttl: number;
  /** Known CDN/cloud provider index; -1 none. */
  provider: number;
}

/** Tables of up to this many addresses are kept at their exact size. */
const EXACT_UP_TO = 8;

/**
 * The slot insertAddress appends to a small table (scratch, copied out by
 * concat). Concatenating one array is ~75 ns where seven separate values
 * took ~200 (concat asks each argument whether it spreads), and the copy
 * comes out packed rather than holey.
 */
const newSlot: AddressKey[] = [0, 0, 0, '', 0, 0, 0];

export function newCounts(): TableCounts {
  return { addresses: 0, known: 0, prefixes: 0, asns: 0, countries: 0 };
}

// Scratch space for distinct counts: reused so counting allocates nothing. Filled up to a
// count, never truncated: an array set to length 0 drops its backing store, and the next
// push allocated a new one at every count (two per new address of a domain).
const scratchNumbers: number[] = [];
const scratchStrings: string[] = [];

export interface TableCounts {
  addresses: number;
  /** Addresses in known CDN/cloud ranges or ASNs; they are left out of the counts below. */
  known: number;
  /** Distinct /16 (IPv4) and /48 (IPv6) prefixes. */
  prefixes: number;
  /** Distinct known ASNs (0 = unknown is not counted). */
  asns: number;
  /** Distinct known countries. */
  countries: number;
}

/**
 * Count addresses, prefixes, ASNs and countries among slots seen at or after
 * `since`; addresses of known CDNs and clouds are counted in `known` only,
 * unless `includeKnown` (the Holz baseline has no such knowledge).
 */
export function countTable(table: AddressTable | null, since: number, out: TableCounts, includeKnown = false): TableCounts {
  out.addresses = 0;
  out.known = 0;
  out.prefixes = 0;
  out.asns = 0;
  out.countries = 0;
  if (table === null) return out;
  let numbers = 0;
  let prefixEnd = 0;
  // scratchNumbers holds prefixes then ASNs, one after the other.
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    if ((table[i + K_LAST_SEEN] as number) < since) continue;
    out.addresses++;
    // A CDN's or cloud's own addresses say nothing about who controls the name's hosts.
    if ((table[i + K_PROVIDER] as number) >= 0) {
      out.known++;
      if (!includeKnown) continue;
    }
    const p = prefixOf(table[i + K_KEY]!);
    if (!containsFrom(scratchNumbers, 0, numbers, p)) scratchNumbers[numbers++] = p;
  }
  out.prefixes = numbers;
  prefixEnd = numbers;
  let strings = 0;
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    if ((table[i + K_LAST_SEEN] as number) < since || (!includeKnown && (table[i + K_PROVIDER] as number) >= 0)) continue;
    const asn = table[i + K_ASN] as number;
    if (asn !== 0 && !containsFrom(scratchNumbers, prefixEnd, numbers, asn)) scratchNumbers[numbers++] = asn;
    const cc = table[i + K_COUNTRY] as string;
    if (cc !== '' && !containsString(scratchStrings, strings, cc)) scratchStrings[strings++] = cc;
  }
  out.asns = numbers - prefixEnd;
  out.countries = strings;
  return out;
}

/**
 * Distinct known ASNs (0 = unknown is not counted) of every slot outside
 * known CDNs and clouds: countTable's `asns` alone, for ns-flux, which
 * recounts a delegation's name-server table whenever an address enters it
 * (a rotating one, at most rescores) and wants no prefixes or countries.
 */
export function distinctAsns(table: AddressTable | null): number {
  if (table === null) return 0;
  let asns = 0;
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    if ((table[i + K_PROVIDER] as number) >= 0) continue;
    const asn = table[i + K_ASN] as number;
    if (asn !== 0 && !containsFrom(scratchNumbers, 0, asns, asn)) scratchNumbers[asns++] = asn;
  }
  return asns;
}

function containsFrom(values: number[], from: number, to: number, v: number): boolean {
  for (let i = from; i < to; i++) if (values[i] === v) return true;
  return false;
}

function containsString(values: string[], to: number, v: string): boolean {
  for (let i = 0; i < to; i++) if (values[i] === v) return true;
  return false;
}

/**
 * /16 of an IPv4 key (non-negative), /48 of an IPv6 key (negative, so the two
 * families never collide).
 */
export function prefixOf(key: AddressKey): number {
  if (typeof key === 'number') return (key >>> 16) & 0xffff;
  return -1 - ipv6Prefix48(key);
}

function ipv6Prefix48(text: string): number {
  // Canonical text: the first three groups precede the third ':' unless '::' comes earlier.
  let value = 0;
  let group = 0;
  let groups = 0;
  for (let i = 0; i < text.length && groups < 3; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) {
      value = value * 65536 + group;
      group = 0;
      groups++;
      if (i + 1 < text.length && text.charCodeAt(i + 1) === 58) break; // '::' zero-fills the rest
    } else {
      group = group * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
    }
  }
  while (groups < 3) {
    value *= 65536;
    groups++;
  }
  return value;
}

/** TTLs of all slots (negative = unknown, left out), for the median. */
export function tableTtls(table: AddressTable | null): number[] {
  const ttls: number[] = [];
  if (table === null) return ttls;
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    const ttl = table[i + K_TTL] as number;
    if (ttl >= 0) ttls.push(ttl);
  }
  return ttls;
}

/** The table as evidence for a verdict, most recently seen first. */
export function evidenceOf(table: AddressTable | null): EvidenceAddress[] {
  if (table === null) return [];
  const out: EvidenceAddress[] = [];
  for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
    const key = table[i + K_KEY] as AddressKey;
    const asn = table[i + K_ASN] as number;
    out.push({
      address: typeof key === 'number' ? formatIPv4(key >>> 0) : key,
      last_seen: isoTime(table[i + K_LAST_SEEN] as number),
      asn: asn > 0 ? asn : null,
      known: (table[i + K_PROVIDER] as number) >= 0,
    });
  }
  return out.sort((a, b) => (a.last_seen < b.last_seen ? 1 : a.last_seen > b.last_seen ? -1 : 0));
}
