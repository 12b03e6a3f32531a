/**
 * The client ACL: who may use the forwarder (it must not be an open
 * resolver). CIDRs for IPv4 and IPv6; IPv4-mapped IPv6 clients match IPv4
 * rules. Decisions are cached per address (bounded) so the hot path does
 * not parse addresses.
 */
import { isIP } from 'node:net';
import { parseIPv4, parseIPv6 } from '../../model/names.js';

interface Rule4 {
  network: number;
  mask: number;
}
interface Rule6 {
  groups: Uint16Array;
  bits: number;
}

const CACHE_LIMIT = 65_536;

export class ClientAcl {
  private readonly v4: Rule4[] = [];
  private readonly v6: Rule6[] = [];
  private readonly decided = new Map<string, boolean>();

  /** Throws `--allow: reason` for a bad CIDR. */
  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) this.add(cidr);
  }

  allows(address: string): boolean {
    const known = this.decided.get(address);
    if (known !== undefined) return known;
    const ok = this.match(address);
    if (this.decided.size >= CACHE_LIMIT) this.decided.clear();
    this.decided.set(address, ok);
    return ok;
  }

  private match(address: string): boolean {
    let text = address;
    if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) text = text.slice(7);
    const kind = isIP(text);
    if (kind === 4) {
      const ip = parseIPv4(text);
      return this.v4.some((r) => ((ip & r.mask) >>> 0) === r.network);
    }
    if (kind === 6) {
      const groups = parseIPv6(text.replace(/%.*$/, ''));
      return groups !== null && this.v6.some((r) => prefixEquals(groups, r.groups, r.bits));
    }
    return false;
  }

  private add(cidr: string): void {
    const slash = cidr.indexOf('/');
    const host = slash < 0 ? cidr : cidr.slice(0, slash);
    const kind = isIP(host);
    const bitsText = slash < 0 ? null : cidr.slice(slash + 1);
    const max = kind === 4 ? 32 : 128;
    const bits = bitsText === null ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if (kind === 0 || bits < 0 || bits > max) throw new Error(`--allow: '${cidr}' is not an IPv4 or IPv6 CIDR`);
    if (kind === 4) {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      this.v4.push({ network: (parseIPv4(host) & mask) >>> 0, mask });
    } else {
      this.v6.push({ groups: parseIPv6(host)!, bits });
    }
  }
}

function prefixEquals(a: Uint16Array, b: Uint16Array, bits: number): boolean {
  for (let g = 0; g < 8 && bits > 0; g++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((a[g]! & mask) !== (b[g]! & mask)) return false;
  }
  return true;
}
