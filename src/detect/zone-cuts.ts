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
  private counted = { delegations: 0, sets: 0 };

  constructor(readonly registered: string) {}

  /** NS names seen for the zone cut at `cut` (at or below the registered domain). */
  note(cut: string, nsNames: readonly string[]): void {
    let c: Cut | undefined;
    for (const x of this.cuts) if (x.name === cut) c = x;
    if (c === undefined) {
      if (this.cuts.length >= MAX_CUTS) {
        this.dropped++;
        this.version++;
        return;
      }
      c = { name: detach(cut), ns: [], hosts: [], nsEver: 0 };
      this.cuts.push(c);
      this.version++;
    }
    for (const ns of nsNames) {
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

  /** The closest cut enclosing `name` below the registered domain, when the domain delegates children; null otherwise. */
  zoneOf(name: string): string | null {
    if (this.delegations() === 0) return null;
    let best: string | null = null;
    for (const c of this.cuts) {
      if (c.name === this.registered || !isAtOrBelow(name, c.name)) continue;
      if (best === null || c.name.length > best.length) best = c.name;
    }
    return best;
  }

  private recount(): void {
    this.countedAt = this.version;
    let delegations = 0;
    const sets: string[] = [];
    for (const c of this.cuts) {
      const own = c.nsEver <= MAX_OWN_NS && c.ns.length > 0 && c.hosts.indexOf(this.registered) === -1 && !this.sharesHostWithOther(c);
      if (c.name !== this.registered && !own) continue;
      if (c.name !== this.registered) delegations++;
      if (c.name === this.registered && c.nsEver > MAX_OWN_NS) continue;
      const key = c.ns.slice().sort().join(' ');
      if (sets.indexOf(key) === -1) sets.push(key);
    }
    this.counted = { delegations, sets: sets.length };
  }

  /** c shares a DNS host with another cut whose NS set differs (subsets of one pool, not delegations). */
  private sharesHostWithOther(c: Cut): boolean {
    for (const o of this.cuts) {
      if (o === c) continue;
      let shared = false;
      for (const host of c.hosts) if (o.hosts.indexOf(host) !== -1) shared = true;
      if (shared && !sameSet(c, o)) return true;
    }
    return false;
  }
}

function sameSet(a: Cut, b: Cut): boolean {
  if (a.nsEver !== b.nsEver || a.ns.length !== b.ns.length) return false;
  for (const ns of a.ns) if (b.ns.indexOf(ns) === -1) return false;
  return true;
}
