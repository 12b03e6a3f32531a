/**
 * The sortable keys the query log is indexed by, so that every filter of a
 * search is a range of one index:
 * - a name's labels reversed ('www.example.com' → 'com.example.www.'): the
 *   name and every name under it share that prefix, one range scan;
 * - a client address as 16 bytes (IPv4 as ::ffff:a.b.c.d, so both families
 *   sort in one order): an address is one key, a CIDR one range of keys.
 */
import { UsageError } from '../../model/errors.js';
import { canonicalName, parseIPv4, parseIPv6 } from '../../model/names.js';

/**
 * The labels of a name in presentation form, last first, each followed by a
 * dot. A dot escaped inside a label ('\.' or '\046') stays in its label.
 */
export function reversedName(name: string): string {
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 46 /* . */) {
      if (i > start) labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  if (start < name.length) labels.push(name.slice(start));
  let key = '';
  for (let i = labels.length - 1; i >= 0; i--) key += `${labels[i]}.`;
  return key;
}

/**
 * The range [low, high) of reversed keys of a name and every name under it
 * ('/' is the character after '.', so nothing outside the subtree falls in).
 * The root ('.' or '') is every name.
 */
export function subtreeRange(name: string): [string, string] {
  const key = reversedName(canonicalName(name.trim()));
  if (key === '') return ['', '\u{10FFFF}'];
  return [key, `${key.slice(0, -1)}/`];
}

/** 16 bytes of an IPv4 or IPv6 address (IPv4 mapped into ::ffff:0:0/96); null when the text is neither. */
export function addressKey(address: string): Buffer | null {
  let text = address;
  const pct = text.indexOf('%');
  if (pct !== -1) text = text.slice(0, pct);
  const key = Buffer.alloc(16);
  const v4 = parseIPv4(text);
  if (v4 >= 0) {
    key[10] = 0xff;
    key[11] = 0xff;
    key.writeUInt32BE(v4, 12);
    return key;
  }
  if (!text.includes(':')) return null;
  const groups = parseIPv6(text);
  if (groups === null) return null;
  for (let i = 0; i < 8; i++) key.writeUInt16BE(groups[i]!, i * 2);
  return key;
}

/** A client filter: one address (an exact key), or a CIDR (the inclusive range of its keys). */
export type ClientMatch = { exact: Buffer } | { low: Buffer; high: Buffer };

/** Parses '192.0.2.7', '2001:db8::/32', '10.0.0.0/8'; a UsageError for anything else. */
export function clientMatch(filter: string): ClientMatch {
  const text = filter.trim();
  const slash = text.indexOf('/');
  const host = slash === -1 ? text : text.slice(0, slash);
  const key = addressKey(host);
  const isV4 = parseIPv4(host) >= 0;
  const max = isV4 ? 32 : 128;
  const bitsText = slash === -1 ? null : text.slice(slash + 1);
  const bits = bitsText === null ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (key === null || bits < 0 || bits > max) throw new UsageError(`store: client filter ${JSON.stringify(filter.slice(0, 80))} is not an address or CIDR`);
  const prefix = isV4 ? 96 + bits : bits;
  if (prefix === 128) return { exact: key };
  const low = Buffer.from(key);
  const high = Buffer.from(key);
  for (let bit = prefix; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    low[byte] = low[byte]! & ~mask;
    high[byte] = high[byte]! | mask;
  }
  return { low, high };
}
