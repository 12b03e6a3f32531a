/**
 * ZoneCuts: the zone cuts seen under one registered domain. An NS RRset's
 * owner is a zone cut (the authority NS owner, or the name of an NS query);
 * a shared registry (free subdomains, dynamic DNS, hosting platforms) has
 * many cuts below its registered domain, each customer's zone delegated to
 * its own few name servers. Those NS sets differ per child because they are
 * delegations, not because the parent's name servers rotate: the union of a
 * registered domain that delegates children is not scored as one zone (see
 * README.md, "Zone cuts").
 *
 * Bounded: at most MAX_CUTS cuts per registered domain, MAX_OWN_NS + 1 NS
 * names each; cuts beyond are not remembered, and the number of delegations
 * is then reported as a lower bound ("at least 64 delegated child zones").
 */
import { isAtOrBelow } from './digest.js';
import { registrableDomain } from './registered-domain.js';
import { detach } from './state.js';

/** Cuts remembered per registered domain. */
export const MAX_CUTS = 64;
/**
 * A delegation to its own name servers has a few of them (two to four);
 * a cut seen with more is rotating (or too big to tell) and is no customer
 * delegation.
 */
export const MAX_OWN_NS = 4;

interface Cut {
  name: string;
  ns: string[];
  /**
   * Per NS name, the DNS host it belongs to: the cut itself for a server in
   * its own zone (ns1.cust.provider.example), else the server name's
   * registered domain.
   */
  hosts: string[];
  /** Distinct NS names ever (ns keeps at most MAX_OWN_NS + 1). */
  nsEver: number;
}

export class ZoneCuts {
  private readonly cuts: Cut[] = [];
  /** Notes of cuts not remembered (over MAX_CUTS): when non-zero, delegations() is a lower bound. */
  dropped = 0;
  /** Bumped when a cut or an NS name is added, so the summary is recounted only then. */
  private version = 0;
  private countedAt = -1;
  /** depth: labels below the registered domain of the shallowest delegated child. */
  private counted = { delegations: 0, sets: 0, depth: 0 };

  constructor(readonly registered: string) {}

  /** NS names (the first `count` of nsNames) seen for the zone cut at `cut` (at or below the registered domain). */
  note(cut: string, nsNames: readonly string[], count = nsNames.length): void {
    let c: Cut | undefined;
    for (let i = 0; i < this.cuts.length; i++) if (this.cuts[i]!.name === cut) c = this.cuts[i];
    if (c === undefined) {
      if (this.cuts.length >= MAX_CUTS) {
        // A cut not remembered changes no count (delegations() is then a lower bound): no recount.
        this.dropped++;
        return;
      }
      c = { name: detach(cut), ns: [], hosts: [], nsEver: 0 };
      this.cuts.push(c);
      this.version++;
    }
    for (let i = 0; i < count; i++) {
      const ns = nsNames[i]!;
      if (c.ns.indexOf(ns) !== -1) continue;
      c.nsEver++;
      // Beyond MAX_OWN_NS + 1 names the cut is no delegation whatever comes: nothing to recount.
      if (c.ns.length <= MAX_OWN_NS) {
        c.ns.push(detach(ns));
        c.hosts.push(isAtOrBelow(ns, c.name) ? c.name : (registrableDomain(ns) ?? ns));
        this.version++;
      }
    }
  }

  /**
   * Child zones (cuts below the registered domain) delegated to their own
   * name servers: at most MAX_OWN_NS names, none of them the parent's (a
   * server under the registered domain but outside the child), and no DNS
   * host shared with a different NS set of another cut — customers of one
   * DNS host share its identical set, while different subsets of one host's
   * servers under one registered domain are a pool rotating (double flux
   * read from a log that names the query name as the owner).
   * Counted only when at least two different NS sets are seen among them and
   * the apex: one set shared by every name is one zone's, whatever the owner
   * names say (a log without owners names the query name). 0 otherwise.
   */
  delegations(): number {
    if (this.countedAt !== this.version) this.recount();
    return this.counted.sets >= 2 ? this.counted.delegations : 0;
  }

  /**
   * The closest cut enclosing `name` below the registered domain, when the
   * domain delegates children; null otherwise. A name under no cut seen is
   * taken to be in the zone at the depth every delegated child was seen at
   * (a shared registry delegates `customer.provider.example`, one label
   * below it): the name `www.c9.provider.example` whose responses never
   * carried an NS record is in `c9.provider.example`, not the provider's own
   * zone (the shallowest delegated child's depth, when they differ). A name at the apex, or above that depth, is the provider's own, and
   * so is a name seen with NS records of no cut below (`infer` false: its
   * responses named the provider's own name servers).
   */
  zoneOf(name: string, infer = true): string | null {
    if (this.delegations() === 0) return null;
    let best: string | null = null;
    for (const c of this.cuts) {
      if (c.name === this.registered || !isAtOrBelow(name, c.name)) continue;
      if (best === null || c.name.length > best.length) best = c.name;
    }
    return best ?? (infer ? this.inferredZone(name) : null);
  }

  /** The ancestor of `name` at the shallowest delegated child's depth below the registered domain; null when none. */
  private inferredZone(name: string): string | null {
    const depth = this.counted.depth;
    if (depth === 0 || !isAtOrBelow(name, this.registered) || name === this.registered) return null;
    const below = name.slice(0, name.length - this.registered.length - 1).split('.');
    if (below.length < depth) return null;
    return detach(`${below.slice(below.length - depth).join('.')}.${this.registered}`);
  }

  private recount(): void {
    this.countedAt = this.version;
    let delegations = 0;
    let depth = -1;
    const sets: string[] = [];
    for (const c of this.cuts) {
      const own = c.nsEver <= MAX_OWN_NS && c.ns.length > 0 && c.hosts.indexOf(this.registered) === -1 && !this.sharesHostWithOther(c);
      if (c.name !== this.registered && !own) continue;
      if (c.name !== this.registered) {
        delegations++;
        // The shallowest: a log that names the query name as the NS owner (Zeek) adds deeper cuts below the real ones.
        const d = labelsBelow(c.name, this.registered);
        if (depth === -1 || d < depth) depth = d;
      }
      if (c.name === this.registered && c.nsEver > MAX_OWN_NS) continue;
      const key = c.ns.slice().sort().join(' ');
      if (sets.indexOf(key) === -1) sets.push(key);
    }
    this.counted = { delegations, sets: sets.length, depth: Math.max(0, depth) };
  }

  /**
   * c and another cut name different servers of one DNS host: subsets of one
   * pool rotating, not delegations. Customers of one hosting company name
   * its same servers (ns1/ns2.host.example), whatever other company's servers
   * a customer adds, so only the servers under the shared host are compared.
   */
  private sharesHostWithOther(c: Cut): boolean {
    for (const o of this.cuts) {
      if (o === c) continue;
      for (const host of c.hosts) if (o.hosts.indexOf(host) !== -1 && !sameServersOf(c, o, host)) return true;
    }
    return false;
  }
}

/** a and b name the same servers under `host` (the pool subset test of sharesHostWithOther). */
function sameServersOf(a: Cut, b: Cut, host: string): boolean {
  let inA = 0;
  for (let i = 0; i < a.ns.length; i++) {
    if (a.hosts[i] !== host) continue;
    inA++;
    if (b.ns.indexOf(a.ns[i]!) === -1) return false;
  }
  let inB = 0;
  for (let i = 0; i < b.ns.length; i++) if (b.hosts[i] === host) inB++;
  // A cut that kept no more than MAX_OWN_NS + 1 names may have seen more: then it is a pool.
  return inA === inB && a.nsEver === a.ns.length && b.nsEver === b.ns.length;
}

/** How many labels `name` has below `registered` (a name at or below it). */
function labelsBelow(name: string, registered: string): number {
  let n = 0;
  for (let i = 0; i < name.length - registered.length; i++) if (name.charCodeAt(i) === 46) n++;
  return n;
}
