/**
 * Names and addresses as RPZ owner names. A name is written in the one name
 * text of src/dns (its README, "The name text"): the text the detector got
 * the name in is read as presentation text and written back in the one
 * escaping rule, never escaped a second time, so BIND and Unbound read the
 * owner back to the name's own wire bytes. That rule leaves nothing in a
 * name that can end a field, start a comment or a $-directive.
 */
import { nameText, type NameText } from '../../dns/name-writer.js';
import { formatIPv4, formatIPv6, longestZeroRun, parseIPv4, parseIPv6 } from '../../model/names.js';

import { MAX_LABEL, MAX_NAME_WIRE } from '../../dns/constants.js';

/** The longest name on the wire, octets (RFC 1035 §2.3.4). */
export const MAX_WIRE = MAX_NAME_WIRE;
export { wireLength } from '../../dns/name-writer.js';

/** A name's one text (no trailing dot), its wire length as an absolute name, and its labels. */
export type PresentedName = NameText;

/**
 * `name` (presentation text, as every source and the reader give names) in
 * the one name text, or null when it cannot be a DNS name: an empty label, a
 * label over 63 octets, over 255 octets on the wire, a broken escape. One
 * trailing dot is ignored; ASCII upper case is folded.
 */
export function presentName(name: string): PresentedName | null {
  let n = name;
  if (n.length > 1 && n.charCodeAt(n.length - 1) === 46) n = n.slice(0, -1);
  if (n.length === 0 || n === '.') return null;
  // Fast path: plain LDH names (almost all) are their own text.
  let labelLen = 0;
  let labels = 1;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return null;
      labelLen = 0;
      labels++;
    } else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95) {
      if (++labelLen > MAX_LABEL) return null;
    } else {
      return nameText(n);
    }
  }
  if (labelLen === 0) return null;
  const wire = n.length + 2;
  return wire > MAX_WIRE ? null : { text: n, wire, labels };
}

/**
 * The labels of an RPZ address trigger for `address`/`bits` (default /32 or
 * /128), or null for text that is not an address or a bad prefix length:
 * '32.4.3.2.1' for 1.2.3.4, '24.0.2.0.192' for 192.0.2.0/24 and
 * '128.1.zz.db8.2001' for 2001:db8::1 (groups reversed, the longest run of
 * zero groups as 'zz'). IPv4-mapped IPv6 is written as IPv4. Host bits are cleared.
 */
export function addressTrigger(address: string, bits?: number): string | null {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return v4Trigger(v4, bits ?? 32);
  if (address.indexOf(':') === -1) return null;
  const g = parseIPv6(address);
  if (g === null) return null;
  if (bits === undefined && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return v4Trigger(((g[6]! << 16) | g[7]!) >>> 0, 32);
  }
  const prefix = bits ?? 128;
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > 128) return null;
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, prefix - i * 16));
    g[i] = g[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  const run = longestZeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run < 0 ? 1 : run & 15;
  const labels = [String(prefix)];
  for (let i = 7; i >= 0; i--) {
    if (bestStart >= 0 && i === bestStart + bestLen - 1) {
      labels.push('zz');
      i = bestStart;
      continue;
    }
    labels.push(g[i]!.toString(16));
  }
  return labels.join('.');
}

function v4Trigger(v4: number, bits: number): string | null {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) return null;
  const net = v4 - (v4 % 2 ** (32 - bits));
  const [a, b, c, d] = formatIPv4(net).split('.');
  return `${bits}.${d}.${c}.${b}.${a}`;
}

/**
 * The canonical text of an address ('1.2.3.4', '2001:db8::1'), null when it
 * is not one; IPv4-mapped IPv6 becomes IPv4. Used to key addresses.
 */
export function canonicalAddress(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return formatIPv4(v4);
  if (address.indexOf(':') === -1) return null;
  const g = parseIPv6(address);
  if (g === null) return null;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return formatIPv4(((g[6]! << 16) | g[7]!) >>> 0);
  }
  return formatIPv6(g);
}
