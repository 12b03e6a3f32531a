/**
 * The one rule turning a feed's text into an IntelEntry value (a name, an
 * address, a network, a URL's host), or the reason it is no such value.
 * Every parser (list, CSV, RPZ, STIX, MISP, MISP warninglists) uses it, so a
 * name or a network has one spelling whatever feed named it, and that
 * spelling is the one detection sees: names lower case, A-labels, escaped by
 * dns/name-text; IPv6 in RFC 5952 text; a v4-mapped address as its IPv4;
 * networks with host bits cleared, /32 and /128 as addresses.
 */
import { aLabels, escapeName } from '../dns/name-text.js';
import { formatIPv4, formatIPv6, isPlausibleName, parseIPv4, parseIPv6Into } from '../model/names.js';
import type { IntelKind } from './entry.js';

/** A value the parser keeps, or why it skips the record. */
export type IntelValue = { kind: IntelKind; value: string } | { reason: string };

/** Longer than any host name or URL worth reading (a name is at most 253 characters). */
export const MAX_TOKEN = 2048;

const groups = new Uint16Array(8);

/** A token that names a host, an address, a network or a URL (its host is taken): untyped feeds (list, CSV). */
export function intelValue(token: string): IntelValue {
  if (token.length === 0) return { reason: 'empty value' };
  if (token.length > MAX_TOKEN) return { reason: `value longer than ${MAX_TOKEN} characters` };
  const scheme = token.indexOf('://');
  if (scheme > 0) return urlHost(token, scheme + 3);
  if (token.indexOf('/') !== -1) return network(token);
  return hostValue(token);
}

/** A name or an address (no URL, no network). */
export function hostValue(token: string): IntelValue {
  const address = addressValue(token);
  if (address !== null) return address;
  return domainValue(token);
}

/** An address or a network, for a feed field typed as one (STIX ipv4-addr:value, MISP ip-dst). */
export function addressOrNetwork(token: string): IntelValue {
  if (token.length === 0) return { reason: 'empty value' };
  if (token.length > 64) return { reason: 'not an address (longer than 64 characters)' };
  if (token.indexOf('/') !== -1) return network(token);
  return addressValue(token) ?? { reason: 'not an address' };
}

/** Canonical address text, a v4-mapped IPv6 address as its IPv4; null when token is no address. */
export function addressValue(token: string): IntelValue | null {
  const v4 = parseIPv4(token);
  if (v4 >= 0) return { kind: 'address', value: formatIPv4(v4) };
  if (token.indexOf(':') === -1 || !parseIPv6Into(token, groups)) return null;
  const mapped = v4Mapped(groups);
  if (mapped >= 0) return { kind: 'address', value: formatIPv4(mapped) };
  return { kind: 'address', value: formatIPv6(groups) };
}

/**
 * A domain name: lower case, no trailing dot, a leading `*.` dropped (a
 * listed name covers its subdomains anyway), an internationalised name as its
 * A-labels (the name asked on the wire), escaped by the one name rule (a byte
 * a zone or log line could misread becomes \DDD). The root comes back as '.'
 * so the index can refuse and count it.
 */
export function domainValue(token: string): IntelValue {
  if (token.length === 0) return { reason: 'empty value' };
  if (token.length > MAX_TOKEN) return { reason: `value longer than ${MAX_TOKEN} characters` };
  let name = token;
  if (name === '.') return { kind: 'domain', value: '.' };
  if (name.startsWith('*.')) name = name.slice(2);
  if (name.length > 1 && name.charCodeAt(name.length - 1) === 46) name = name.slice(0, -1);
  // Checked before the IDN mapping too: a space, NUL or control byte means the text is not a name.
  if (!isPlausibleName(name)) return NOT_A_NAME;
  const ascii = aLabels(name);
  if (ascii !== name) {
    if (ascii === '') return { reason: 'not a domain name (a bad internationalised name)' };
    if (!isPlausibleName(ascii)) return NOT_A_NAME;
    name = ascii;
  }
  if (parseIPv4(name) >= 0 || (name.indexOf(':') !== -1 && parseIPv6Into(name, groups))) return { reason: 'an address given as a domain name' };
  if (numericLastLabel(name)) return { reason: 'neither an address nor a name (numeric last label)' };
  if (name.indexOf('*') !== -1) return { reason: 'wildcard inside a name (only a leading *. is read)' };
  return { kind: 'domain', value: escapeName(name.toLowerCase()) };
}

const NOT_A_NAME = { reason: 'not a domain name (empty label, space, control character or too long)' } as const;

function numericLastLabel(name: string): boolean {
  for (let i = name.length - 1; i >= 0; i--) {
    const c = name.charCodeAt(i);
    if (c === 46) return i < name.length - 1;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** 'address/bits' with host bits cleared; a full-length prefix is an address. */
export function network(token: string): IntelValue {
  const slash = token.indexOf('/');
  const bitsText = token.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) return { reason: 'bad prefix length' };
  const bits = Number(bitsText);
  const base = token.slice(0, slash);
  const v4 = parseIPv4(base);
  if (v4 >= 0) {
    if (bits > 32) return { reason: 'IPv4 prefix longer than 32' };
    if (bits === 32) return { kind: 'address', value: formatIPv4(v4) };
    return { kind: 'cidr', value: `${formatIPv4(maskV4(v4, bits))}/${bits}` };
  }
  if (base.indexOf(':') === -1 || !parseIPv6Into(base, groups)) return { reason: 'bad network address' };
  if (bits > 128) return { reason: 'IPv6 prefix longer than 128' };
  const mapped = v4Mapped(groups);
  if (mapped >= 0 && bits >= 96) return network(`${formatIPv4(mapped)}/${bits - 96}`);
  if (bits === 128) return { kind: 'address', value: formatIPv6(groups) };
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    groups[i] = keep === 0 ? 0 : groups[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  return { kind: 'cidr', value: `${formatIPv6(groups)}/${bits}` };
}

export function maskV4(ip: number, bits: number): number {
  return bits === 0 ? 0 : (ip & (-1 << (32 - bits))) >>> 0;
}

/** The IPv4 address of a v4-mapped IPv6 address (::ffff:a.b.c.d), or -1. */
export function v4Mapped(g: Uint16Array): number {
  if (g[0] !== 0 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0xffff) return -1;
  return g[6]! * 65536 + g[7]!;
}

/** The host of a URL: userinfo, port, path, query and fragment dropped; [v6] unbracketed. */
function urlHost(token: string, from: number): IntelValue {
  let end = token.length;
  for (let i = from; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) {
      end = i;
      break;
    }
  }
  let host = token.slice(from, end);
  const at = host.lastIndexOf('@');
  if (at !== -1) host = host.slice(at + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return { reason: 'URL with an unclosed [ in its host' };
    return addressValue(host.slice(1, close)) ?? { reason: 'URL with a bad IPv6 host' };
  }
  const colon = host.indexOf(':');
  if (colon !== -1) host = host.slice(0, colon);
  if (host.length === 0) return { reason: 'URL without a host' };
  return hostValue(host);
}
