/**
 * Drawing answers from special-purpose space. The blocks are the rows of
 * src/model/special-purpose.ts (the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries, multicast, reserved space), the table detection
 * classifies answers by: a corpus block is named by its registry prefix, so
 * the non-routable class cannot draw from a block the detector does not know.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../model/names.js';
import { SPECIAL_PURPOSE_ROWS } from '../model/special-purpose.js';
import type { Prng } from './prng.js';

/** The given prefixes, each checked to be a non-routable row of the registry table (throws at load otherwise). */
export function registryBlocks(...cidrs: string[]): string[] {
  for (const cidr of cidrs) {
    if (!SPECIAL_PURPOSE_ROWS.some(([row, , routable]) => row === cidr && !routable)) {
      throw new Error(`corpus: special-purpose: ${cidr} is no non-routable row of the registry table`);
    }
  }
  return cidrs;
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
