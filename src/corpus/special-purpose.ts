/**
 * Address blocks no public host answers from: the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and its updates: RFC 6598
 * shared address space, RFC 2544 benchmarking, RFC 5737/3849/9637
 * documentation), plus the multicast blocks (RFC 5771, RFC 4291). The
 * non-routable class draws its answers from these, so a detector that counts
 * them as address diversity shows it on the corpus.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../model/names.js';
import type { Prng } from './prng.js';

export interface SpecialBlock {
  /** CIDR as the registry writes it. */
  cidr: string;
  /** What the block is for, in the registry's words. */
  use: string;
}

export const SPECIAL_V4: readonly SpecialBlock[] = [
  { cidr: '0.0.0.0/8', use: 'this network' },
  { cidr: '10.0.0.0/8', use: 'private-use' },
  { cidr: '100.64.0.0/10', use: 'shared address space (carrier-grade NAT)' },
  { cidr: '127.0.0.0/8', use: 'loopback' },
  { cidr: '169.254.0.0/16', use: 'link local' },
  { cidr: '172.16.0.0/12', use: 'private-use' },
  { cidr: '192.0.0.0/24', use: 'IETF protocol assignments' },
  { cidr: '192.0.2.0/24', use: 'documentation (TEST-NET-1)' },
  { cidr: '192.168.0.0/16', use: 'private-use' },
  { cidr: '198.18.0.0/15', use: 'benchmarking' },
  { cidr: '198.51.100.0/24', use: 'documentation (TEST-NET-2)' },
  { cidr: '203.0.113.0/24', use: 'documentation (TEST-NET-3)' },
  { cidr: '224.0.0.0/4', use: 'multicast' },
  { cidr: '240.0.0.0/4', use: 'reserved' },
];

export const SPECIAL_V6: readonly SpecialBlock[] = [
  { cidr: '::1/128', use: 'loopback' },
  { cidr: '::/128', use: 'unspecified' },
  { cidr: '100::/64', use: 'discard-only' },
  { cidr: '2001::/32', use: 'TEREDO' },
  { cidr: '2001:db8::/32', use: 'documentation' },
  { cidr: '3fff::/20', use: 'documentation' },
  { cidr: 'fc00::/7', use: 'unique-local' },
  { cidr: 'fe80::/10', use: 'link-local unicast' },
  { cidr: 'ff00::/8', use: 'multicast' },
];

/** The special-purpose block named by `cidr` (must be one of the tables). */
export function specialBlock(cidr: string): SpecialBlock {
  const block = [...SPECIAL_V4, ...SPECIAL_V6].find((b) => b.cidr === cidr);
  if (block === undefined) throw new Error(`corpus: special-purpose: ${cidr} is not in the tables`);
  return block;
}

/** A random address inside an IPv4 or IPv6 block, in canonical text (RFC 5952 for IPv6). */
export function addressIn(cidr: string, rng: Prng): string {
  const [base, bitsText] = cidr.split('/') as [string, string];
  const bits = Number(bitsText);
  if (!base.includes(':')) {
    const size = 2 ** (32 - bits);
    const start = parseIPv4(base) >>> 0;
    return formatIPv4((start + Math.floor(rng.next() * size)) >>> 0);
  }
  const groups = parseIPv6(base);
  if (groups === null) throw new Error(`corpus: special-purpose: bad block ${cidr}`);
  const out = Uint16Array.from(groups);
  // Fill every bit after the prefix at random; the /128s stay what they are.
  for (let g = 0; g < 8; g++) {
    const fixed = Math.min(16, Math.max(0, bits - g * 16));
    if (fixed === 16) continue;
    const mask = fixed === 0 ? 0 : (0xffff << (16 - fixed)) & 0xffff;
    out[g] = ((out[g] as number) & mask) | (rng.u32() & ~mask & 0xffff);
  }
  return formatIPv6(out);
}
