/**
 * The flux hosts flows are matched against: the own (not CDN/cloud)
 * addresses of every actionable verdict (suspicious or fast-flux, not
 * injected), each with the name it answered for, its flux network and the
 * time span in which a flow to it counts: from the name's first answer −
 * flows.lateness to the address's last answer + flows.lateness. DNS answers
 * for a flagged name seen after its verdict (serve's flag comes once, the
 * name keeps rotating) extend the span and add the new addresses.
 * Bounded by limits.maxAddresses; the least recently confirmed makes room.
 */
import type { Infra } from '../../enrich/infra/index.js';
import type { DnsObservation } from '../../model/observation.js';
import { isActionable, type Verdict } from '../../model/verdict.js';
import { classify, PUBLIC } from './endpoints.js';

export interface FluxHost {
  address: string;
  domain: string;
  network: string | null;
  /** Span in which a flow counts (epoch seconds), lateness included. */
  from: number;
  to: number;
}

interface FlaggedName {
  network: string | null;
  from: number;
}

export class FluxIndex {
  private readonly hosts = new Map<string, FluxHost>();
  /** Flagged names (a verdict's domain: a name or a registered domain) → what their new answers inherit. */
  private readonly names = new Map<string, FlaggedName>();
  evicted = 0;

  constructor(
    private readonly lateness: number,
    private readonly max: number,
    private readonly infra: Infra | null,
  ) {}

  get size(): number {
    return this.hosts.size;
  }

  /** The flux host at this address whose span overlaps [start, end]; null when none. */
  match(address: string, start: number, end: number): FluxHost | null {
    const host = this.hosts.get(address);
    return host !== undefined && end >= host.from && start <= host.to ? host : null;
  }

  get(address: string): FluxHost | undefined {
    return this.hosts.get(address);
  }

  /** Take an actionable verdict's addresses; returns those whose span is new or grew (pending flows to them may now join). */
  addVerdict(v: Verdict): FluxHost[] {
    if (!isActionable(v)) return [];
    const first = Date.parse(v.first_seen) / 1000;
    if (!Number.isFinite(first)) return [];
    const from = first - this.lateness;
    this.rememberName(v.domain, { network: v.network, from });
    const changed: FluxHost[] = [];
    for (const a of v.evidence.addresses) {
      if (a.known) continue;
      const last = Date.parse(a.last_seen) / 1000;
      if (!Number.isFinite(last)) continue;
      const host = this.put(a.address, v.domain, v.network, from, last + this.lateness);
      if (host !== null) changed.push(host);
    }
    return changed;
  }

  /** A DNS answer for a flagged name (or a name under a flagged registered domain): its addresses stay (or become) flux hosts. */
  addAnswer(o: DnsObservation): FluxHost[] {
    if (this.names.size === 0 || o.answers.length === 0) return [];
    const domain = this.flaggedDomainOf(o.qname);
    if (domain === null) return [];
    const name = this.names.get(domain)!;
    const changed: FluxHost[] = [];
    for (const rr of o.answers) {
      if ((rr.type !== 'A' && rr.type !== 'AAAA') || classify(rr.data, this.infra) !== PUBLIC) continue;
      const host = this.put(rr.data, domain, name.network, Math.min(name.from, o.firstSeen - this.lateness), o.ts + this.lateness);
      if (host !== null) changed.push(host);
    }
    return changed;
  }

  /** The flagged domain qname is or lies under; null when none. */
  flaggedDomainOf(qname: string): string | null {
    let name = qname;
    for (;;) {
      if (this.names.has(name)) return name;
      const dot = name.indexOf('.');
      if (dot < 0) return null;
      name = name.slice(dot + 1);
    }
  }

  private rememberName(domain: string, name: FlaggedName): void {
    const had = this.names.get(domain);
    if (had !== undefined) {
      had.network = name.network ?? had.network;
      had.from = Math.min(had.from, name.from);
      return;
    }
    if (this.names.size >= this.max) {
      const oldest = this.names.keys().next();
      if (!oldest.done) this.names.delete(oldest.value);
    }
    this.names.set(domain, name);
  }

  /** Insert or widen; null when nothing changed. */
  private put(address: string, domain: string, network: string | null, from: number, to: number): FluxHost | null {
    const had = this.hosts.get(address);
    if (had !== undefined) {
      this.hosts.delete(address);
      this.hosts.set(address, had);
      if (from >= had.from && to <= had.to && had.domain === domain) return null;
      had.from = Math.min(had.from, from);
      // The most recent name the address answered for is the one reported.
      if (to >= had.to) {
        had.domain = domain;
        had.network = network ?? had.network;
      }
      had.to = Math.max(had.to, to);
      return had;
    }
    if (this.hosts.size >= this.max) {
      const oldest = this.hosts.keys().next();
      if (!oldest.done) {
        this.hosts.delete(oldest.value);
        this.evicted++;
      }
    }
    const host: FluxHost = { address, domain, network, from, to };
    this.hosts.set(address, host);
    return host;
  }
}
