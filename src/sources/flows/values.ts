/**
 * Checks on the values flow logs carry, shared by every flow parser so they
 * reject the same things in the same words.
 */
import { parseIPv4 } from '../../model/names.js';
import { canonicalIPv6 } from '../records.js';
import { shown } from '../values.js';

/** RFC 5952 / dotted-quad text of an address, or null. IPv4 is returned as given (already canonical when it parses). */
export function flowAddress(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (parseIPv4(value) >= 0) return value;
  return value.indexOf(':') === -1 ? null : canonicalIPv6(value);
}

/** A port 0..65535 from a number or decimal text, or -1. */
export function flowPort(value: unknown): number {
  const n = typeof value === 'string' ? decimal(value) : typeof value === 'number' ? value : -1;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : -1;
}

/** A byte or packet count (non-negative safe integer) from a number or decimal text, or -1. */
export function flowCount(value: unknown): number {
  const n = typeof value === 'string' ? decimal(value) : typeof value === 'number' ? value : -1;
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Plain decimal digits only: no sign, exponent, hex or spaces ('1e3', '-1', '0x10' are not counts). */
function decimal(text: string): number {
  if (text.length === 0 || text.length > 20) return -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Number(text);
}

const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['icmp', 1], ['igmp', 2], ['tcp', 6], ['udp', 17], ['gre', 47], ['esp', 50], ['ah', 51],
  ['icmpv6', 58], ['ipv6-icmp', 58], ['icmp6', 58], ['sctp', 132],
]);

/** IANA protocol number from a name (any case) or a number 0..255, or -1. */
export function flowProto(value: unknown): number {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 255 ? value : -1;
  if (typeof value !== 'string') return -1;
  const known = PROTOCOLS.get(value.trim().toLowerCase());
  if (known !== undefined) return known;
  const n = decimal(value.trim());
  return n >= 0 && n <= 255 ? n : -1;
}

/** ICMP and ICMPv6 carry type*256+code in srcPort (FLOW-CONTRACT.md). */
export function isIcmp(proto: number): boolean {
  return proto === 1 || proto === 58;
}

/** The reason for a bad value, in the words every source uses: "bad src_ip 'x'". */
export function bad(field: string, value: unknown): string {
  return `bad ${field} ${shown(value)}`;
}
