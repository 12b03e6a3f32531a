/**
 * Flux service networks: domains that resolve into the same rotating
 * addresses are run by the same botnet. As FluxBuster does, the domains and
 * their addresses form a bipartite graph; its connected components are the
 * networks. Only domains detected as fast-flux join (so CDN and cloud
 * addresses never do), and every address of a network is remembered, so a
 * new domain resolving into one is recognised on first sight.
 *
 * Union-find over network ids; addresses map to a network id in one Map,
 * bounded by `maxAddresses` (the oldest are forgotten first).
 */
import { isoTime } from '../model/verdict.js';
import { linearCount, popcount } from './state.js';
import { AddressFilter } from './address-filter.js';
import { ADDRESS_STRIDE, K_ASN, K_COUNTRY, K_KEY, K_PROVIDER, type AddressKey, type AddressTable } from './address-table.js';

export interface FluxNetworkSummary {
  /** 'fn-1', 'fn-2', ... in order of discovery. */
  id: string;
  domains: number;
  /** The first domains that joined (at most 50). */
  sample_domains: string[];
  addresses: number;
  asns: number;
  countries: number;
  first_seen: string;
  last_seen: string;
}

const SAMPLE_DOMAINS = 50;
const SET_CAP = 4096;

class Network {
  domains = 0;
  sample: string[] = [];
  addresses = 0;
  asns = new Set<number>();
  countries = new Set<string>();
  constructor(
    public firstSeen: number,
    public lastSeen: number,
  ) {}

  absorb(other: Network): void {
    this.domains += other.domains;
    for (const d of other.sample) if (this.sample.length < SAMPLE_DOMAINS) this.sample.push(d);
    this.addresses += other.addresses;
    for (const a of other.asns) if (this.asns.size < SET_CAP) this.asns.add(a);
    for (const c of other.countries) this.countries.add(c);
    this.firstSeen = Math.min(this.firstSeen, other.firstSeen);
    this.lastSeen = Math.max(this.lastSeen, other.lastSeen);
  }
}

/** What overlap() found: shared addresses, the network of the first, and that address (to note a touch). */
export interface Overlap {
  hits: number;
  network: number;
  key: AddressKey;
}

export function newOverlap(): Overlap {
  return { hits: 0, network: -1, key: 0 };
}

/** A network's size, for coherence and reasons. */
export interface NetworkSize {
  addresses: number;
  asns: number;
  countries: number;
}

/** Versions of every FluxNetworks, unique across instances: a cached result names the one graph it came from. */
let versions = 0;

export class FluxNetworks {
  /**
   * Changes whenever the hits overlap() counts may change: an address
   * remembered or forgotten, or one becoming shared hosting. A count taken at
   * one version holds while it stays (the network overlap() names may change
   * meanwhile, when networks merge: a caller of it cannot cache by this).
   * Rejoins of rotating names with known addresses, the common case, keep it.
   */
  version = ++versions;
  private readonly byAddress = new Map<AddressKey, number>();
  /**
   * byAddress's IPv4 keys as a counting filter: overlap() asks about every
   * address of a domain at each rescore and most are in no network, so a
   * miss is one byte read instead of a Map lookup (that lookup was ~4% of a
   * pcap run).
   */
  private readonly present = new AddressFilter();
  /**
   * Network address → a 32-bit linear-counting sketch of the registered
   * domains that resolved to it sharing only it with the network, none of
   * them fast-flux on its own evidence: shared hosting, or an injector's
   * pick. Only addresses of networks have one (bounded with byAddress).
   */
  private readonly touches = new Map<AddressKey, number>();
  /** Estimated distinct registered domains at which an address counts as shared hosting. */
  private sharedHostDomains = Infinity;
  private readonly parent: number[] = [];
  private readonly networks: (Network | null)[] = [];
  private readonly maxAddresses: number;

  constructor(maxAddresses: number, sharedHostDomains = Infinity) {
    this.maxAddresses = maxAddresses;
    this.sharedHostDomains = sharedHostDomains;
  }

  /**
   * A registered domain (its hash) resolved to this network address and
   * shared nothing else with the network, while not fast-flux on its own
   * evidence. Enough unrelated ones make the address shared hosting, which
   * then carries no verdict.
   */
  noteTouch(key: AddressKey, registeredHash: number): void {
    if (!this.byAddress.has(key)) return;
    const bits = this.touches.get(key) ?? 0;
    const now = bits | (1 << (registeredHash & 31));
    if (now === bits) return;
    const wasShared = this.isSharedHost(key);
    this.touches.set(key, now);
    // The address no longer counts as a hit.
    if (this.isSharedHost(key) !== wasShared) this.version = ++versions;
  }

  /** Estimated unrelated registered domains that touched an address (0 when none). */
  touchesOf(key: AddressKey): number {
    const bits = this.touches.get(key);
    if (bits === undefined) return 0;
    return linearCount(32 - popcount(bits), 32);
  }

  /** Shared hosting: too many unrelated registered domains resolved to this address alone. */
  isSharedHost(key: AddressKey): boolean {
    return this.touches.size > 0 && this.touchesOf(key) >= this.sharedHostDomains;
  }

  /** Distinct addresses, ASNs and countries of a network (by any of its ids); zeros for -1. */
  sizeOf(id: number, out: NetworkSize): NetworkSize {
    const net = id < 0 ? null : this.networks[this.find(id)];
    out.addresses = net?.addresses ?? 0;
    out.asns = net?.asns.size ?? 0;
    out.countries = net?.countries.size ?? 0;
    return out;
  }

  get addressCount(): number {
    return this.byAddress.size;
  }

  /** The root id of a network id (path halving). */
  find(id: number): number {
    const parent = this.parent;
    while (parent[id] !== id) {
      parent[id] = parent[parent[id]!]!;
      id = parent[id]!;
    }
    return id;
  }

  /** Network of an address, or -1. */
  networkOf(key: AddressKey): number {
    const id = this.present.mayHold(key) ? this.byAddress.get(key) : undefined;
    return id === undefined ? -1 : this.find(id);
  }

  /**
   * A flux domain's addresses join the graph: its network is the union of
   * every network they already belong to (or a new one). Returns the root id.
   * `known` is the domain's network id from an earlier join (-1 if none), so
   * a domain that keeps rotating is counted once.
   */
  join(domain: string, table: AddressTable, firstSeen: number, lastSeen: number, known: number): number {
    let root = known >= 0 ? this.find(known) : -1;
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      if ((table[i + K_PROVIDER] as number) >= 0) continue;
      const key = table[i + K_KEY]!;
      const id = this.byAddress.get(key);
      // A shared host's address (many unrelated domains resolve to it alone) links no two networks.
      if (id !== undefined && !this.isSharedHost(key)) root = root < 0 ? this.find(id) : this.union(root, id);
    }
    if (root < 0) {
      root = this.parent.length;
      this.parent.push(root);
      this.networks.push(new Network(firstSeen, lastSeen));
    }
    const net = this.networks[root]!;
    if (known < 0) {
      net.domains++;
      if (net.sample.length < SAMPLE_DOMAINS) net.sample.push(domain);
    }
    net.firstSeen = Math.min(net.firstSeen, firstSeen);
    net.lastSeen = Math.max(net.lastSeen, lastSeen);
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      const key = table[i + K_KEY]!;
      // A CDN's or cloud's address in a flux answer is camouflage, not a bot.
      if ((table[i + K_PROVIDER] as number) >= 0 || this.byAddress.has(key)) continue;
      this.remember(key, root);
      net.addresses++;
      const asn = table[i + K_ASN] as number;
      if (asn !== 0 && net.asns.size < SET_CAP) net.asns.add(asn);
      const cc = table[i + K_COUNTRY] as string;
      if (cc !== '') net.countries.add(cc);
    }
    return root;
  }

  /**
   * How many addresses of table lie in known networks, and the network of the
   * first of them (-1 when none). Writes into out; allocates nothing.
   */
  overlap(table: AddressTable | null, out: Overlap): void {
    out.hits = 0;
    out.network = -1;
    if (table === null || this.byAddress.size === 0) return;
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      if ((table[i + K_PROVIDER] as number) >= 0) continue;
      const key = table[i + K_KEY]!;
      if (!this.present.mayHold(key)) continue;
      const id = this.byAddress.get(key);
      // Shared hosting is no evidence: every customer of the host resolves to it.
      if (id === undefined || this.isSharedHost(key)) continue;
      if (out.hits++ === 0) {
        out.network = this.find(id);
        out.key = key;
      }
    }
  }

  /** The root id of the network labelled 'fn-N' (the one it merged into, if it did); -1 when there is none. */
  idOf(label: string): number {
    const m = /^fn-([1-9]\d{0,9})$/.exec(label);
    if (m === null) return -1;
    const id = Number(m[1]) - 1;
    return id < this.parent.length ? this.find(id) : -1;
  }

  /** The first domains that joined a network (by its root id; at most 50). */
  sampleOf(root: number): readonly string[] {
    return this.networks[root]?.sample ?? [];
  }

  /**
   * Up to `limit` addresses the graph holds for a network (by its root id),
   * oldest remembered first. For the API's network view: one pass over the
   * remembered addresses (bounded by limits.maxNetworkAddresses).
   */
  addressesOf(root: number, limit: number): AddressKey[] {
    const out: AddressKey[] = [];
    for (const [key, id] of this.byAddress) {
      if (out.length >= limit) break;
      if (this.find(id) === root) out.push(key);
    }
    return out;
  }

  label(id: number): string {
    return `fn-${this.find(id) + 1}`;
  }

  summaries(): FluxNetworkSummary[] {
    const out: FluxNetworkSummary[] = [];
    this.networks.forEach((net, id) => {
      if (net === null || this.parent[id] !== id) return;
      out.push({
        id: `fn-${id + 1}`,
        domains: net.domains,
        sample_domains: net.sample.slice(),
        addresses: net.addresses,
        asns: net.asns.size,
        countries: net.countries.size,
        first_seen: isoTime(net.firstSeen),
        last_seen: isoTime(net.lastSeen),
      });
    });
    return out.sort((a, b) => b.domains - a.domains || b.addresses - a.addresses);
  }

  private union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    // The older network keeps its id, so ids stay stable as networks merge.
    if (rb < ra) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.networks[ra]!.absorb(this.networks[rb]!);
    this.networks[rb] = null;
    return ra;
  }

  private remember(key: AddressKey, id: number): void {
    // A new address (and maybe one forgotten for it): overlap's hits may change.
    this.version = ++versions;
    if (this.byAddress.size >= this.maxAddresses) {
      const oldest = this.byAddress.keys().next();
      if (!oldest.done) {
        this.byAddress.delete(oldest.value);
        this.present.remove(oldest.value);
        this.touches.delete(oldest.value);
      }
    }
    const size = this.byAddress.size;
    this.byAddress.set(key, id);
    if (this.byAddress.size > size) {
      this.present.add(key);
      if (this.present.needsRebuild()) this.present.rebuild(this.byAddress.keys());
    }
  }
}

