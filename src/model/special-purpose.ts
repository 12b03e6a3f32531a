/**
 * Special-purpose address space: answers no public host can be reached at.
 * The table mirrors the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and its updates: RFC 6598, 7526, 8190, 9602, 9637, 9780), the
 * multicast blocks (RFC 5771, RFC 4291) and the IPv6 global unicast boundary
 * (RFC 4291: IANA assigns unicast space from 2000::/3 only). These are
 * standards facts, not a dataset: they change by RFC, and this file with them.
 *
 * A block the registry marks globally reachable inside a block it does not
 * (192.0.0.9/32 PCP anycast inside 192.0.0.0/24, 2001:3::/32 AMT inside
 * 2001::/23, ...) is listed as reachable; the most specific block wins.
 * 64:ff9b::/96 is reachable by the registry, but an AAAA there is a DNS64
 * resolver's translation of an A record the answers already carry: counting
 * it would count one host twice, so it is listed as not a host of its own.
 *
 * Lookups allocate nothing: IPv4 as a 32-bit number, IPv6 as eight groups
 * (or canonical text, parsed into one reused buffer).
 */
import { hexDigit, parseIPv6Into } from './names.js';

/** One row: the block as the registry writes it, what it is for, and whether answers in it are public hosts. */
type Row = readonly [cidr: string, use: string, routable: boolean];

export const SPECIAL_PURPOSE_ROWS: readonly Row[] = [
  // IPv4 Special-Purpose Address Registry, and multicast.
  ['0.0.0.0/8', 'this network', false],
  ['10.0.0.0/8', 'private-use', false],
  ['100.64.0.0/10', 'shared address space', false],
  ['127.0.0.0/8', 'loopback', false],
  ['169.254.0.0/16', 'link-local', false],
  ['172.16.0.0/12', 'private-use', false],
  ['192.0.0.0/24', 'IETF protocol assignments', false],
  ['192.0.0.9/32', 'PCP anycast', true],
  ['192.0.0.10/32', 'TURN anycast', true],
  ['192.0.2.0/24', 'documentation', false],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast', false],
  ['192.168.0.0/16', 'private-use', false],
  ['198.18.0.0/15', 'benchmarking', false],
  ['198.51.100.0/24', 'documentation', false],
  ['203.0.113.0/24', 'documentation', false],
  ['224.0.0.0/4', 'multicast', false],
  ['240.0.0.0/4', 'reserved', false],
  ['255.255.255.255/32', 'limited broadcast', false],
  // IPv6 Special-Purpose Address Registry, multicast, and everything outside global unicast.
  ['::/128', 'unspecified', false],
  ['::1/128', 'loopback', false],
  ['::ffff:0:0/96', 'IPv4-mapped', false],
  ['64:ff9b::/96', 'NAT64 translation', false],
  ['64:ff9b:1::/48', 'local-use NAT64 translation', false],
  ['100::/64', 'discard-only', false],
  ['100:0:0:1::/64', 'dummy prefix', false],
  ['2001::/23', 'IETF protocol assignments', false],
  ['2001:1::1/128', 'PCP anycast', true],
  ['2001:1::2/128', 'TURN anycast', true],
  ['2001:1::3/128', 'DNS-SD SRP anycast', true],
  ['2001:3::/32', 'AMT', true],
  ['2001:4:112::/48', 'AS112-v6', true],
  ['2001:20::/28', 'ORCHIDv2', true],
  ['2001:30::/28', 'drone remote ID', true],
  ['2001:db8::/32', 'documentation', false],
  ['3fff::/20', 'documentation', false],
  ['fc00::/7', 'unique-local', false],
  ['fe80::/10', 'link-local', false],
  ['ff00::/8', 'multicast', false],
  ['::/3', 'unallocated (outside 2000::/3)', false],
  ['4000::/2', 'unallocated (outside 2000::/3)', false],
  ['8000::/1', 'unallocated (outside 2000::/3)', false],
];

/** A non-routable block as a reason names it: "reserved 240.0.0.0/4". Indexed by the block numbers below. */
export const NON_ROUTABLE_BLOCKS: readonly string[] = [];

interface V4Block {
  base: number;
  mask: number;
  bits: number;
  /** Index in NON_ROUTABLE_BLOCKS, or -1 for a reachable block. */
  block: number;
}
interface V6Block {
  groups: Uint16Array;
  bits: number;
  block: number;
}

const v4Blocks: V4Block[] = [];
const v6Blocks: V6Block[] = [];
/** First octet / first group → 1 when some row covers part of it (else the address is routable at once). */
const v4Touched = new Uint8Array(256);
const v6Touched = new Uint8Array(65536);
/** For a first group only rows longer than /16 touch (2001:, 3fff:): second group → 1 when some row covers part of it. */
const v6Second = new Map<number, Uint8Array>();

for (const [cidr, use, routable] of SPECIAL_PURPOSE_ROWS) {
  const slash = cidr.indexOf('/');
  const base = cidr.slice(0, slash);
  const bits = Number(cidr.slice(slash + 1));
  let block = -1;
  if (!routable) {
    // Rows of one use and family share a number only when they say the same (the three unallocated ones).
    const label = use.startsWith('unallocated') ? use : `${use} ${cidr}`;
    block = NON_ROUTABLE_BLOCKS.indexOf(label);
    if (block === -1) block = (NON_ROUTABLE_BLOCKS as string[]).push(label) - 1;
  }
  if (base.includes(':')) {
    const groups = new Uint16Array(8);
    if (!parseIPv6Into(base, groups)) throw new Error(`model: special-purpose: bad block ${cidr}`);
    v6Blocks.push({ groups, bits, block });
    const span = bits >= 16 ? 1 : 1 << (16 - bits);
    for (let g = groups[0]!; g < groups[0]! + span; g++) v6Touched[g] = 1;
    if (bits > 16) {
      let second = v6Second.get(groups[0]!);
      if (second === undefined) v6Second.set(groups[0]!, (second = new Uint8Array(65536)));
      const span2 = bits >= 32 ? 1 : 1 << (32 - bits);
      for (let g = groups[1]!; g < groups[1]! + span2; g++) second[g] = 1;
    }
  } else {
    const parts = base.split('.').map(Number);
    const value = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    v4Blocks.push({ base: (value & mask) >>> 0, mask, bits, block });
    const span = bits >= 8 ? 1 : 1 << (8 - bits);
    for (let o = value >>> 24; o < (value >>> 24) + span; o++) v4Touched[o] = 1;
  }
}
// Most specific first, so a reachable block inside a non-routable one wins.
v4Blocks.sort((a, b) => b.bits - a.bits);
v6Blocks.sort((a, b) => b.bits - a.bits);
// A first group a /16 or shorter row covers needs the whole table; keep the second-group index only where none does.
for (const b of v6Blocks) {
  if (b.bits > 16) continue;
  const span = 1 << (16 - b.bits);
  for (let g = b.groups[0]!; g < b.groups[0]! + span; g++) v6Second.delete(g);
}

/**
 * Blocks fit one small integer of bits per domain (see nonRoutableBlocksOf): a V8 small integer
 * holds 30. A test keeps the table within it (a check here would stop every command at load).
 */
export const MAX_BLOCKS = 30;

/** The non-routable block of an IPv4 address (unsigned 32-bit), or -1 when it may be a public host. */
export function nonRoutableV4(ip: number): number {
  if (v4Touched[ip >>> 24] === 0) return -1;
  for (let i = 0; i < v4Blocks.length; i++) {
    const b = v4Blocks[i]!;
    if ((ip & b.mask) >>> 0 === b.base) return b.block;
  }
  return -1;
}

/** The non-routable block of an IPv6 address given as eight groups, or -1. */
export function nonRoutableV6(groups: Uint16Array): number {
  if (v6Touched[groups[0]!] === 0) return -1;
  for (let i = 0; i < v6Blocks.length; i++) {
    const b = v6Blocks[i]!;
    if (inV6Block(groups, b)) return b.block;
  }
  return -1;
}

const scratch = new Uint16Array(8);

/** The same for IPv6 text; -1 when it does not parse (it is then no address at all, not a special one). */
export function nonRoutableV6Text(text: string): number {
  // Most answers are decided by their first group alone (2a00:, 2606:, ...): read it from the text, parse nothing.
  let first = 0;
  let i = 0;
  for (; i < 4 && i < text.length; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) break;
    first = first * 16 + d;
  }
  if (i > 0 && text.charCodeAt(i) === 58) {
    if (v6Touched[first] === 0) return -1;
    // 2001:4860:..., 3fff:ffff:...: the second group decides most of them too.
    const second = v6Second.get(first);
    if (second !== undefined) {
      let value = 0;
      let j = i + 1;
      for (; j < i + 5 && j < text.length; j++) {
        const d = hexDigit(text.charCodeAt(j));
        if (d < 0) break;
        value = value * 16 + d;
      }
      if (j > i + 1 && text.charCodeAt(j) === 58 && second[value] === 0) return -1;
    }
  }
  return parseIPv6Into(text, scratch) ? nonRoutableV6(scratch) : -1;
}


function inV6Block(g: Uint16Array, b: V6Block): boolean {
  let left = b.bits;
  for (let k = 0; k < 8 && left > 0; k++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((g[k]! & mask) !== b.groups[k]!) return false;
  }
  return true;
}

/** The labels of the blocks whose bits are set (bit i = block i), in table order. */
export function describeBlocks(bits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < NON_ROUTABLE_BLOCKS.length; i++) if ((bits & (1 << i)) !== 0) out.push(NON_ROUTABLE_BLOCKS[i]!);
  return out;
}
