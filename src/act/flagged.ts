/**
 * FlaggedDomains: the live set of flagged domains every action reads. The
 * detector's onFlag adds to it; the RPZ builder and server, the forwarder's
 * policy, the IP blocklist and the block page read from it. Each change
 * bumps `serial` (the RPZ SOA serial follows it) and tells the listeners.
 *
 * A flagged name blocks itself, its registered domain and every name under
 * that registered domain, as the RPZ triggers `name` and `*.name` do; a name
 * whose verdict names a delegated `zone` below its registered domain (a
 * customer of a shared registry) blocks that zone and every name under it
 * instead (blockedZoneOf), not the provider and its other customers.
 * Allowlisted names (isAllowed) never enter, and neither does the root or a
 * public suffix (`org`, `co.uk`, `github.io`, `test`; the one rule of
 * detect/registered-domain.ts): a verdict naming one, as its domain or its
 * registered domain, would block every name under it. Whatever produced it
 * (a detector, a store written by an older version, a hostile feed), it is
 * refused here, where every action reads.
 *
 * A threat-intelligence feed's listing (detect/intel-verdict, put here by
 * the forwarder on the listed name's lookup, or by the detector) is an
 * ordinary entry: it expires like a detection, and the forwarder keeps at
 * most a bounded number of its own (serve/dns/intel.ts).
 *
 * A verdict of the operator's deny list (`listed`, a policy entry built by
 * src/serve/lists/) blocks its name and everything under it the same way.
 * It holds its domain: a detector verdict for the same name does not
 * replace it (the operator's rule is what blocks it), and it never expires
 * (no activity is kept for it); the lists service removes it when the
 * entry goes.
 */
import { blockedZoneOf, isRegistrableVerdict } from '../detect/registered-domain.js';
import { isActionable, type Verdict } from '../model/verdict.js';

export interface FlaggedDomainsOptions {
  /** True for names that must never be blocked (allowlist, CDN/cloud names); checked on entry. */
  isAllowed?: (name: string) => boolean;
  /** The serial to start from (a restart continues from the stored one). Default 1. */
  serial?: number;
}

export class FlaggedDomains {
  /** Trigger name (flagged name, or the zone it blocks: its registered domain or delegated zone) → the verdict behind it. */
  private readonly triggers = new Map<string, Verdict>();
  /** Flagged domain → its latest verdict. */
  private readonly verdicts = new Map<string, Verdict>();
  /** Blocked zone → its flagged domains, so a removal re-points the zone's trigger without a scan. */
  private readonly flaggedUnder = new Map<string, Set<string>>();
  private readonly listeners = new Set<(serial: number) => void>();
  /** Flagged domain → the last time (data seconds) it was looked up or flagged. */
  private readonly active = new Map<string, number>();
  /** Data time: the newest lookup or verdict seen (seconds since the epoch); -Infinity before any. */
  clock = -Infinity;
  private readonly isAllowed: (name: string) => boolean;
  /** Bumped on every change; never goes down. */
  serial: number;
  /** Verdicts refused because their domain or registered domain is the root or a public suffix. */
  readonly refused = { publicSuffixes: 0 };

  constructor(options: FlaggedDomainsOptions = {}) {
    this.isAllowed = options.isAllowed ?? (() => false);
    this.serial = options.serial ?? 1;
  }

  get size(): number {
    return this.verdicts.size;
  }

  /** Adds or updates a flagged verdict; benign verdicts, public suffixes and allowlisted names are ignored. True when the set changed. */
  upsert(v: Verdict): boolean {
    if (!isActionable(v)) return false;
    if (!isRegistrableVerdict(v)) {
      this.refused.publicSuffixes++;
      return false;
    }
    const zone = blockedZoneOf(v);
    if (this.isAllowed(v.domain) || this.isAllowed(zone) || this.isAllowed(v.registered_domain)) return false;
    const before = this.verdicts.get(v.domain);
    // A deny entry holds its name until the operator removes it.
    if (before?.listed !== undefined && v.listed === undefined) return false;
    // The zone it blocks may have changed (a registry's delegations seen since): let go of the old one first.
    if (before !== undefined && blockedZoneOf(before) !== zone) this.release(before);
    this.verdicts.set(v.domain, v);
    let under = this.flaggedUnder.get(zone);
    if (under === undefined) this.flaggedUnder.set(zone, (under = new Set()));
    under.add(v.domain);
    if (v.listed === undefined) {
      const seen = Date.parse(v.last_seen) / 1000;
      if (seen > (this.active.get(v.domain) ?? -Infinity)) this.active.set(v.domain, seen);
      if (seen > this.clock) this.clock = seen;
    } else {
      // Wall-clock time of an entry is no data time: it neither moves the clock nor makes the entry expire.
      this.active.delete(v.domain);
    }
    this.triggers.set(v.domain, v);
    if (!this.triggers.has(zone) || this.triggers.get(zone)?.domain === v.domain) this.triggers.set(zone, v);
    if (before !== undefined && before.verdict === v.verdict && before.flux === v.flux && blockedZoneOf(before) === zone && before.listed === v.listed && sameAddresses(before, v)) return false;
    this.changed();
    return true;
  }

  /**
   * A lookup of `qname` at `ts` (data seconds): keeps the flagged domain
   * that blocks it active, so a domain still fluxing never expires.
   */
  touch(qname: string, ts: number): void {
    if (ts > this.clock) this.clock = ts;
    if (this.verdicts.size === 0) return;
    const v = this.match(qname);
    if (v !== null && v.listed === undefined && ts > (this.active.get(v.domain) ?? -Infinity)) this.active.set(v.domain, ts);
  }

  /** When a flagged domain was last looked up or flagged (data seconds); null when it is not flagged, or a deny entry (never expires). */
  lastActive(domain: string): number | null {
    return this.verdicts.has(domain) ? (this.active.get(domain) ?? null) : null;
  }

  /** Removes a domain (expiry, allowlist reload). True when it was there. */
  remove(domain: string): boolean {
    const v = this.verdicts.get(domain);
    if (v === undefined) return false;
    this.verdicts.delete(domain);
    this.active.delete(domain);
    this.release(v);
    this.changed();
    return true;
  }

  /** Drop v's triggers; another flagged name of the same zone keeps the zone blocked. */
  private release(v: Verdict): void {
    const zone = blockedZoneOf(v);
    for (const key of [v.domain, zone]) {
      if (this.triggers.get(key)?.domain === v.domain) this.triggers.delete(key);
    }
    const under = this.flaggedUnder.get(zone);
    under?.delete(v.domain);
    if (under !== undefined && under.size === 0) this.flaggedUnder.delete(zone);
    else if (under !== undefined && !this.triggers.has(zone)) {
      const other = this.verdicts.get(under.values().next().value as string);
      if (other !== undefined) this.triggers.set(zone, other);
    }
    // A name flagged on its own keeps its own trigger when the zone's was another's.
    if (this.verdicts.has(v.domain) && !this.triggers.has(v.domain)) this.triggers.set(v.domain, this.verdicts.get(v.domain)!);
  }

  /** Drops every entry the new predicate allows (after an allowlist reload). Returns how many went. */
  reapply(isAllowed: (name: string) => boolean): number {
    let removed = 0;
    for (const v of [...this.verdicts.values()]) {
      if (isAllowed(v.domain) || isAllowed(blockedZoneOf(v)) || isAllowed(v.registered_domain)) removed += this.remove(v.domain) ? 1 : 0;
    }
    return removed;
  }

  /** The verdict that blocks `qname` (lower-case, no trailing dot): itself or any ancestor trigger; null when none. */
  match(qname: string): Verdict | null {
    let name = qname;
    for (;;) {
      const v = this.triggers.get(name);
      if (v !== undefined) return v;
      const dot = name.indexOf('.');
      if (dot < 0) return null;
      name = name.slice(dot + 1);
    }
  }

  /** The latest verdict of every flagged domain. */
  entries(): IterableIterator<Verdict> {
    return this.verdicts.values();
  }

  /**
   * The policy around the set changed without a flagged domain changing (an
   * operator's allow entry the RPZ writes as PASSTHRU): bump the serial so
   * every zone is rebuilt and transferred.
   */
  policyChanged(): void {
    this.changed();
  }

  /** The flagged verdict of one domain (its own, not an ancestor's); null when it is not flagged. */
  get(domain: string): Verdict | null {
    return this.verdicts.get(domain) ?? null;
  }

  /** Called with the new serial after each change; returns an unsubscribe function. */
  onChange(listener: (serial: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.serial++;
    for (const listener of this.listeners) listener(this.serial);
  }
}

/** Whether two verdicts of a domain name the same answer and name-server addresses (an IP blocklist or rpz-ip zone would not change). */
function sameAddresses(a: Verdict, b: Verdict): boolean {
  const x = a.evidence;
  const y = b.evidence;
  if (x === undefined || y === undefined) return x === y;
  if (x.addresses.length !== y.addresses.length || x.ns_addresses.length !== y.ns_addresses.length) return false;
  const seen = new Set(x.addresses.map((e) => e.address));
  for (const e of x.ns_addresses) seen.add(`ns:${e.address}`);
  for (const e of y.addresses) if (!seen.has(e.address)) return false;
  for (const e of y.ns_addresses) if (!seen.has(`ns:${e.address}`)) return false;
  return true;
}
