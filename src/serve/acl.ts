/**
 * Who may talk to a listener: the forwarder's clients (--allow; it must not
 * be an open resolver) and the RPZ server's secondaries (--rpz-allow).
 * CIDRs for IPv4 and IPv6, matched by Node's BlockList; IPv4-mapped IPv6
 * peers match IPv4 rules. Decisions are cached per address (bounded) so the
 * forwarder's hot path does not parse addresses.
 */
import { BlockList, isIP } from 'node:net';

const CACHE_LIMIT = 65_536;

export class ClientAcl {
  private readonly list = new BlockList();
  private readonly decided = new Map<string, boolean>();

  /** Throws `FLAG: 'cidr' is not an IPv4 or IPv6 CIDR` for a bad entry; a bare address is a /32 or /128. */
  constructor(
    readonly cidrs: readonly string[],
    flag = '--allow',
  ) {
    for (const cidr of cidrs) this.add(cidr, flag);
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
    let text = address.replace(/%.*$/, '');
    if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) text = text.slice(7);
    const kind = isIP(text);
    return kind !== 0 && this.list.check(text, kind === 6 ? 'ipv6' : 'ipv4');
  }

  private add(cidr: string, flag: string): void {
    const slash = cidr.indexOf('/');
    const host = slash < 0 ? cidr : cidr.slice(0, slash);
    const kind = isIP(host);
    const bitsText = slash < 0 ? null : cidr.slice(slash + 1);
    const max = kind === 4 ? 32 : 128;
    const bits = bitsText === null ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if (kind === 0 || bits < 0 || bits > max) throw new Error(`${flag}: '${cidr}' is not an IPv4 or IPv6 CIDR`);
    this.list.addSubnet(host, bits, kind === 6 ? 'ipv6' : 'ipv4');
  }
}
