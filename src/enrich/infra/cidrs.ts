/**
 * cdn-cloud-cidrs.txt → range tables (src/enrich/ranges.ts) whose value is
 * provider index + 1, so the ASN tables' binary search and bucket index serve
 * here too. The file's prefixes are disjoint and ascending (the refresh
 * script makes them so); anything else is refused rather than guessed at.
 */
import { parseIPv4, parseIPv6 } from '../../model/names.js';
import { compareV6, RangeBuilder } from '../ranges.js';
import type { RangeTable } from '../ranges.js';
import type { ProviderTable } from './providers.js';
import { fieldsOf, rowError } from './reference-file.js';
import type { ReferenceFile, ReferenceRow } from './reference-file.js';

export interface CidrTables {
  v4: RangeTable;
  v6: RangeTable;
  /** CIDR lines read per family (the tables merge adjacent ones of one provider). */
  linesV4: number;
  linesV6: number;
}

/**
 * Write a prefix's first and last address into bounds (bounds[0..w-1] and
 * bounds[w..2w-1], as RangeBuilder takes them) and return w: 1 for IPv4, 4
 * for IPv6; or say what is wrong. One buffer serves every line.
 */
export function cidrBounds(text: string, bounds: Uint32Array): 1 | 4 | string {
  const slash = text.indexOf('/');
  if (slash === -1) return 'no prefix length';
  const len = prefixLength(text, slash + 1);
  const addr = text.slice(0, slash);
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    if (len < 0 || len > 32) return `bad prefix length /${text.slice(slash + 1)}`;
    const host = len === 0 ? 0xffffffff : (2 ** (32 - len) - 1) >>> 0;
    if ((v4 & host) !== 0) return 'host bits set';
    bounds[0] = v4;
    bounds[1] = (v4 | host) >>> 0;
    return 1;
  }
  const g = addr.indexOf(':') === -1 ? null : parseIPv6(addr);
  if (g === null) return 'not an address';
  if (len < 0 || len > 128) return `bad prefix length /${text.slice(slash + 1)}`;
  for (let w = 0; w < 4; w++) {
    const word = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0;
    const netBits = Math.min(32, Math.max(0, len - 32 * w));
    const host = netBits === 0 ? 0xffffffff : (2 ** (32 - netBits) - 1) >>> 0;
    if ((word & host) !== 0) return 'host bits set';
    bounds[w] = word;
    bounds[4 + w] = (word | host) >>> 0;
  }
  return 4;
}

/** Decimal prefix length of 1-3 digits from text[at..]; -1 when it is not one. */
function prefixLength(text: string, at: number): number {
  const n = text.length - at;
  if (n < 1 || n > 3) return -1;
  let len = 0;
  for (let i = at; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    len = len * 10 + d;
  }
  return len;
}

export function loadCidrs(file: ReferenceFile, providers: ProviderTable): CidrTables {
  const name = file.source.name;
  const v4 = new RangeBuilder(1, file.rows.length);
  const v6 = new RangeBuilder(4, 1024);
  let lastV4 = -1;
  const lastV6 = new Uint32Array(4);
  let seenV6 = false;
  let linesV4 = 0;
  const b = new Uint32Array(8);
  for (const row of file.rows) {
    const [cidr, provider, cls] = fieldsOf(name, row, 3);
    const width = cidrBounds(cidr!, b);
    if (typeof width === 'string') throw rowError(name, row, `bad CIDR "${cidr}": ${width}`);
    const value = providers.intern(provider!, cls!, name, row) + 1;
    if (width === 1) {
      if (seenV6 || b[0]! <= lastV4) throw outOfOrder(name, row, cidr!);
      lastV4 = b[1]!;
      v4.add(b, value);
      linesV4++;
    } else {
      if (seenV6 && compareV6(lastV6, 0, b[0]!, b[1]!, b[2]!, b[3]!) >= 0) throw outOfOrder(name, row, cidr!);
      for (let w = 0; w < 4; w++) lastV6[w] = b[4 + w]!;
      seenV6 = true;
      v6.add(b, value);
    }
  }
  return { v4: v4.finish(), v6: v6.finish(), linesV4, linesV6: file.rows.length - linesV4 };
}

function outOfOrder(file: string, row: ReferenceRow, cidr: string): Error {
  return rowError(file, row, `${cidr} overlaps or precedes the line before (want disjoint prefixes, IPv4 then IPv6, ascending)`);
}
