/**
 * Turning presentation-form record data into ResourceRecords the same way for
 * every source: addresses checked (IPv6 put in RFC 5952 form so equal
 * addresses compare equal), names canonicalised and checked.
 */
import type { ResourceRecord } from '../model/observation.js';
import { canonicalName, formatIPv6, isPlausibleName, parseIPv4, parseIPv6 } from '../model/names.js';

/** Types whose whole data is one domain name. */
const NAME_TYPES: ReadonlySet<string> = new Set(['CNAME', 'NS', 'PTR', 'DNAME']);
/** Types whose data ends with a domain name after numbers (MX preference, SRV priority weight port). */
const TRAILING_NAME_TYPES: ReadonlySet<string> = new Set(['MX', 'SRV']);

/** The canonical form of a name, or null when it is not a plausible DNS name. */
export function plausibleName(name: string): string | null {
  const canonical = canonicalName(name);
  return isPlausibleName(canonical) ? canonical : null;
}

/**
 * Recent IPv6 texts and their RFC 5952 form: the same CDN and resolver
 * addresses come back all day, and parse + format costs far more than a
 * lookup. Emptied when full, which keeps it bounded without LRU bookkeeping.
 */
const ipv6Forms = new Map<string, string | null>();
const IPV6_CACHE_SIZE = 4096;

/** RFC 5952 text of an IPv6 address, or null when it is not one. */
export function canonicalIPv6(text: string): string | null {
  const known = ipv6Forms.get(text);
  if (known !== undefined) return known;
  const groups = parseIPv6(text);
  const canonical = groups === null ? null : formatIPv6(groups);
  if (ipv6Forms.size >= IPV6_CACHE_SIZE) ipv6Forms.clear();
  // Keyed by a flat copy: a slice would keep the whole chunk text alive in the cache.
  ipv6Forms.set(flatCopy(text), canonical);
  return canonical;
}

/** A string that does not share storage with a larger one. */
function flatCopy(text: string): string {
  return (' ' + text).slice(1);
}

/**
 * The data of a record of `type` in fluxhound's form, or null when it does not
 * fit the type (an A record whose data is not an IPv4 address, a CNAME whose
 * target is not a name). MX and SRV keep only their target name, because
 * Zeek and Suricata log only that and sources must agree.
 */
export function recordData(type: string, data: string): string | null {
  if (type === 'A') return parseIPv4(data) >= 0 ? data : null;
  if (type === 'AAAA') return canonicalIPv6(data);
  if (NAME_TYPES.has(type)) return plausibleName(data);
  if (TRAILING_NAME_TYPES.has(type)) return plausibleName(data.slice(data.lastIndexOf(' ') + 1));
  return data;
}

/** A record with checked owner and data; null when either is unusable (the caller drops it). */
export function resourceRecord(owner: string, type: string, data: string, ttl: number | null): ResourceRecord | null {
  const name = plausibleName(owner);
  if (name === null) return null;
  const value = recordData(type, data);
  if (value === null) return null;
  return { name, type, data: value, ttl };
}
