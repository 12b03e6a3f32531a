/**
 * Exposure: which clients got the real answer for a name shortly before it
 * was flagged. Blocking protects the clients that ask after the flag; the
 * ones that asked before may already have reached the flux network, and
 * their customer should check those devices.
 *
 * The tracker remembers, per registered domain, the last few distinct
 * clients whose lookup of a name under it was answered with records (an
 * observation with answers, NOERROR; never fluxhound's own probes), with the
 * name, type and time. Bounded: at most `maxDomains` registered domains,
 * least recently asked evicted first (a Map kept in use order), and at most
 * `perDomain` clients each (the oldest gives way). When a domain is flagged,
 * `exposed()` hands back the clients that asked for a name in the zone the
 * verdict blocks within `window` seconds before the flag, and forgets them,
 * so a later flag of the same domain (suspicious, then fast-flux) does not
 * report them twice.
 */
import { blockedZoneOf, registrableDomain } from '../../detect/registered-domain.js';
import type { DnsObservation } from '../../model/observation.js';
import type { Verdict } from '../../model/verdict.js';

export interface Asked {
  client: string;
  /** The customer the client named over encrypted DNS (DnsObservation.customer); null: its address decides. */
  customer: string | null;
  name: string;
  qtype: string;
  /** Seconds (the observation's time). */
  ts: number;
}

export interface ExposureStats {
  /** Registered domains evicted to keep the bound. */
  evictions: number;
  /** Clients reported exposed. */
  exposed: number;
}

function atOrBelow(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

export class ExposureTracker {
  readonly stats: ExposureStats = { evictions: 0, exposed: 0 };
  private readonly domains = new Map<string, Asked[]>();

  constructor(
    private readonly maxDomains = 100_000,
    private readonly perDomain = 8,
  ) {}

  /** Registered domains remembered now. */
  get size(): number {
    return this.domains.size;
  }

  /** One live observation: remembered when a client got records back. */
  observe(o: DnsObservation): void {
    if (o.client === null || o.origin === 'probe' || o.answers.length === 0 || (o.rcode !== null && o.rcode !== 'NOERROR')) return;
    const registered = registrableDomain(o.qname);
    if (registered === null) return;
    let asked = this.domains.get(registered);
    if (asked === undefined) {
      if (this.domains.size >= this.maxDomains) {
        // The least recently asked domain: the first in the Map's order.
        const oldest = this.domains.keys().next().value as string;
        this.domains.delete(oldest);
        this.stats.evictions++;
      }
      asked = [];
    } else this.domains.delete(registered);
    this.domains.set(registered, asked);
    // One address may stand for several customers (NAT, named over DoH or DoT): each is its own exposure.
    const customer = o.customer ?? null;
    const same = asked.findIndex((a) => a.client === o.client && a.customer === customer);
    if (same >= 0) asked.splice(same, 1);
    else if (asked.length >= this.perDomain) asked.shift();
    asked.push({ client: o.client, customer, name: o.qname, qtype: o.qtype, ts: o.ts });
  }

  /**
   * The clients that asked for a name in the zone `v` blocks within
   * `window` seconds up to `at` (the flag's time: a verdict's last_seen has
   * whole seconds, so the second it names counts whole), and no longer
   * remembered.
   */
  exposed(v: Verdict, at: number, window: number): Asked[] {
    const asked = this.domains.get(v.registered_domain);
    if (asked === undefined) return [];
    const zone = blockedZoneOf(v);
    const found: Asked[] = [];
    const kept: Asked[] = [];
    for (const a of asked) {
      if (atOrBelow(a.name, zone) && a.ts < at + 1 && a.ts >= at - window) found.push(a);
      else kept.push(a);
    }
    if (kept.length === 0) this.domains.delete(v.registered_domain);
    else this.domains.set(v.registered_domain, kept);
    this.stats.exposed += found.length;
    return found;
  }
}
