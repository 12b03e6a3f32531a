/**
 * The one way a feed's domain or address text becomes an IntelEntry value,
 * shared by the STIX and MISP parsers so one name or network has one text
 * whichever feed brought it (and matches what detect sees: canonical names,
 * RFC 5952 IPv6).
 */
import { escapeName } from '../dns/name-text.js';
import { canonicalName, formatIPv4, formatIPv6, isPlausibleName, parseIPv4, parseIPv6 } from '../model/names.js';
import { cidrBounds } from '../enrich/infra/cidrs.js';
import type { IntelKind } from './entry.js';

export interface IndicatorValue { kind: IntelKind; value: string }

/** A domain name's entry value, or why it is none (the reason goes into a skip). */
export function domainValue(text: string): IndicatorValue | string {
  if (text.length === 0) return 'empty domain name';
  if (text.length > 1024) return 'domain name longer than 1024 characters';
  const name = canonicalName(text);
  // Checked before escaping: a space, NUL or control byte means the feed's text is not a name.
  if (!isPlausibleName(name) || name === '.') return 'not a domain name';
  if (parseIPv4(name) >= 0) return 'an address given as a domain name';
  return { kind: 'domain', value: escapeName(name) };
}

const BOUNDS = new Uint32Array(8);

/** An address or network's entry value (a /32 or /128 is an address), or why it is none. */
export function addressValue(text: string): IndicatorValue | string {
  if (text.length === 0 || text.length > 64) return 'not an address';
  const slash = text.indexOf('/');
  if (slash === -1) {
    const v4 = parseIPv4(text);
    if (v4 >= 0) return { kind: 'address', value: formatIPv4(v4) };
    const v6 = text.indexOf(':') === -1 ? null : parseIPv6(text);
    return v6 === null ? 'not an address' : { kind: 'address', value: formatIPv6(v6) };
  }
  const width = cidrBounds(text, BOUNDS);
  if (typeof width === 'string') return `not a network: ${width}`;
  const bits = Number(text.slice(slash + 1));
  const network = addressValue(text.slice(0, slash));
  if (typeof network === 'string') return network;
  if (bits === (width === 1 ? 32 : 128)) return network;
  return { kind: 'cidr', value: `${network.value}/${bits}` };
}
