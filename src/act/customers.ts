/**
 * Customers: which customer a client address belongs to (config
 * `customers`), by the longest matching prefix, so that every query-log
 * entry, block and report is attributed to one. Built once from the config;
 * a lookup is a few Map probes, and answers are cached per client.
 */
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { parseIPv4, parseIPv6 } from '../model/names.js';

export type Customer = Config['customers'][number];

/** Clients whose customer is remembered; beyond it the cache starts again (a lookup is cheap either way). */
const CACHE_CLIENTS = 65_536;

export class CustomerMap {
  readonly customers: readonly Customer[];
  private readonly byId = new Map<string, Customer>();
  /** Prefix length → network key → customer; lengths longest first. */
  private readonly v4 = new Map<number, Map<number, Customer>>();
  private readonly v6 = new Map<number, Map<string, Customer>>();
  private readonly v4Lengths: number[];
  private readonly v6Lengths: number[];
  private readonly cache = new Map<string, Customer | null>();

  /** Throws a ConfigError naming the entry when a network is not a CIDR or two customers claim the same one. */
  constructor(customers: readonly Customer[]) {
    this.customers = customers;
    customers.forEach((c, i) => {
      this.byId.set(c.id, c);
      c.networks.forEach((cidr, j) => this.add(cidr, c, `config: customers[${i}].networks[${j}]`));
    });
    this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
    this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
  }

  get size(): number {
    return this.customers.length;
  }

  get(id: string): Customer | null {
    return this.byId.get(id) ?? null;
  }

  /** The customer whose network holds `client` (the longest prefix wins); null when none does. */
  customerOf(client: string): Customer | null {
    if (this.customers.length === 0) return null;
    const cached = this.cache.get(client);
    if (cached !== undefined) return cached;
    const found = this.lookup(client);
    if (this.cache.size >= CACHE_CLIENTS) this.cache.clear();
    this.cache.set(client, found);
    return found;
  }

  private lookup(client: string): Customer | null {
    const v4 = parseIPv4(mappedV4(client));
    if (v4 >= 0) {
      for (const bits of this.v4Lengths) {
        const hit = this.v4.get(bits)!.get(maskV4(v4, bits));
        if (hit !== undefined) return hit;
      }
      return null;
    }
    const groups = client.includes(':') ? parseIPv6(stripZone(client)) : null;
    if (groups === null) return null;
    for (const bits of this.v6Lengths) {
      const hit = this.v6.get(bits)!.get(keyV6(groups, bits));
      if (hit !== undefined) return hit;
    }
    return null;
  }

  private add(cidr: string, customer: Customer, where: string): void {
    const slash = cidr.indexOf('/');
    const host = slash === -1 ? cidr : cidr.slice(0, slash);
    const bitsText = slash === -1 ? null : cidr.slice(slash + 1);
    const v4 = parseIPv4(host);
    const groups = v4 >= 0 ? null : host.includes(':') ? parseIPv6(host) : null;
    const max = v4 >= 0 ? 32 : 128;
    const bits = bitsText === null ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if ((v4 < 0 && groups === null) || bits < 0 || bits > max) throw new ConfigError(`${where}: ${JSON.stringify(cidr.slice(0, 80))} is not an address or CIDR`);
    const claim = <K>(table: Map<number, Map<K, Customer>>, key: K): void => {
      let byKey = table.get(bits);
      if (byKey === undefined) table.set(bits, (byKey = new Map()));
      const other = byKey.get(key);
      if (other !== undefined && other.id !== customer.id) throw new ConfigError(`${where}: ${cidr} already belongs to customer ${other.id}`);
      byKey.set(key, customer);
    };
    if (v4 >= 0) claim(this.v4, maskV4(v4, bits));
    else claim(this.v6, keyV6(groups!, bits));
  }
}

function maskV4(address: number, bits: number): number {
  return bits === 0 ? 0 : address - (address % 2 ** (32 - bits));
}

function keyV6(groups: Uint16Array, bits: number): string {
  let key = '';
  let left = bits;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const take = Math.min(16, left);
    key += ((groups[i]! & ((0xffff << (16 - take)) & 0xffff)) >>> 0).toString(16) + ':';
  }
  return key;
}

/** '::ffff:192.0.2.1' (a v4 client on a dual-stack socket) → '192.0.2.1'. */
function mappedV4(client: string): string {
  return client.startsWith('::ffff:') && client.indexOf('.') > 0 ? client.slice(7) : client;
}

function stripZone(client: string): string {
  const pct = client.indexOf('%');
  return pct === -1 ? client : client.slice(0, pct);
}
