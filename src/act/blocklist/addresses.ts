/**
 * The flux addresses behind blocking by address: answer addresses of the
 * verdicts whose action blocks, never a known CDN/cloud address or an
 * allowlisted one, each with when it was seen and for which domain. An
 * address goes quiet, and off the list, once its last sighting is older
 * than the expiry.
 */
import type { PolicyAction } from '../../config/schema.js';
import type { Infra } from '../../enrich/infra/index.js';
import { isRegistrableVerdict } from '../../detect/registered-domain.js';
import { isActionable, type Verdict } from '../../model/verdict.js';
import type { Allowlist } from '../rpz/allowlist.js';
import { canonicalAddress } from '../rpz/names.js';

export interface FluxAddress {
  /** Canonical text ('203.0.113.5', '2001:db8::1'). */
  address: string;
  family: 4 | 6;
  /** Seconds since the epoch: the first sighting of a flagged domain that showed the address. */
  firstSeen: number;
  /** Seconds since the epoch: the address's last sighting in an answer. */
  lastSeen: number;
  /** The flagged domain of the latest sighting (raw; escape before writing). */
  domain: string;
  /** The intel feed entry listing this very address in that verdict (Verdict.intel), raw; absent when none. */
  intel?: { feed: string; ref: string };
}

export interface FluxAddressOptions {
  /** Action per verdict label: addresses of `log` verdicts are not blocked. */
  actions: { 'fast-flux': PolicyAction; suspicious: PolicyAction };
  allowlist: Allowlist;
  infra: Infra | null;
  /** Seconds without a sighting after which an address leaves the list. */
  expiry: number;
  /** Addresses held at most; beyond it the longest quiet go first. Default 1,000,000. */
  maxAddresses?: number;
}

export interface FluxAddressStats {
  added: number;
  /** Known CDN/cloud (evidence flag or infra range), allowlisted, or not an address. */
  skipped: number;
  expired: number;
  /** Verdicts left out whole: their domain or registered domain is the root or a public suffix. */
  publicSuffixes: number;
  /** Dropped to stay under maxAddresses. */
  evicted: number;
}

export class FluxAddresses {
  private readonly byAddress = new Map<string, FluxAddress>();
  readonly stats: FluxAddressStats = { added: 0, skipped: 0, expired: 0, evicted: 0, publicSuffixes: 0 };
  private readonly max: number;

  constructor(private readonly options: FluxAddressOptions) {
    this.max = options.maxAddresses ?? 1_000_000;
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** Takes the addresses of one verdict; true when the list changed. */
  add(v: Verdict): boolean {
    if (!isActionable(v) || this.options.actions[v.verdict as 'fast-flux' | 'suspicious'] === 'log') return false;
    // The public-suffix rule of every action: a verdict for `org` or `github.io` blocks nothing.
    if (!isRegistrableVerdict(v)) {
      this.stats.publicSuffixes++;
      return false;
    }
    const { allowlist } = this.options;
    if (allowlist.isAllowed(v.domain) || allowlist.isAllowed(v.registered_domain)) return false;
    const first = seconds(v.first_seen);
    let changed = false;
    for (const a of v.evidence.addresses) {
      const address = a.known ? null : canonicalAddress(a.address);
      if (address === null || allowlist.isAllowedAddress(address) || (this.options.infra?.providerOfAddress(address) ?? -1) >= 0) {
        this.stats.skipped++;
        continue;
      }
      const last = seconds(a.last_seen);
      const entry = this.byAddress.get(address);
      const listing = v.intel === undefined ? undefined : v.intel.find((l) => l.kind === 'address' && l.value === address);
      if (entry === undefined) {
        const added: FluxAddress = { address, family: address.includes(':') ? 6 : 4, firstSeen: Math.min(first, last), lastSeen: last, domain: v.domain };
        if (listing !== undefined) added.intel = { feed: listing.feed, ref: listing.ref };
        this.byAddress.set(address, added);
        this.stats.added++;
        changed = true;
      } else {
        if (first < entry.firstSeen) entry.firstSeen = first;
        if (last >= entry.lastSeen) {
          changed ||= last > entry.lastSeen || entry.domain !== v.domain;
          entry.lastSeen = last;
          entry.domain = v.domain;
          if (listing !== undefined) entry.intel = { feed: listing.feed, ref: listing.ref };
        }
      }
    }
    if (this.byAddress.size > this.max) this.evict();
    return changed;
  }

  /** Drops addresses last seen more than `expiry` seconds before `now`; returns how many went. */
  expire(now: number): number {
    let gone = 0;
    for (const [key, entry] of this.byAddress) {
      if (now - entry.lastSeen > this.options.expiry) {
        this.byAddress.delete(key);
        gone++;
      }
    }
    this.stats.expired += gone;
    return gone;
  }

  /** The newest sighting held (data time for a finished run); null when empty. */
  newest(): number | null {
    let newest: number | null = null;
    for (const e of this.byAddress.values()) if (newest === null || e.lastSeen > newest) newest = e.lastSeen;
    return newest;
  }

  /** Addresses in a stable order: IPv4 first, then by text. */
  list(): FluxAddress[] {
    return [...this.byAddress.values()].sort((a, b) => a.family - b.family || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  clear(): void {
    this.byAddress.clear();
  }

  private evict(): void {
    const keep = Math.floor(this.max * 0.9);
    const oldest = [...this.byAddress.values()].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const e of oldest.slice(0, oldest.length - keep)) this.byAddress.delete(e.address);
    this.stats.evicted += oldest.length - keep;
  }
}

function seconds(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}
