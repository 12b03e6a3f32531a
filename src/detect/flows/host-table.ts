import type { LookupProof } from './answer-table.js';
import { Recency } from './recency.js';

/**
 * Hosts of ours: the names each looked up through the monitored resolvers
 * (DNS bypass) and its fan-out window. Bounded by limits.maxHosts (the least
 * recently seen makes room, counted) and limits.maxLookupsPerHost per host
 * (the least recently looked-up name makes room). What was forgotten is
 * remembered as a time (`forgottenUntil`: the newest lookup dropped), so a
 * question about a span the memory no longer covers is answered 'unknown'.
 * Which addresses a host received is kept per address (answer-table.ts).
 */

/** One name a host looked up: when. */
export interface Lookup {
  first: number;
  last: number;
  /** The name the addresses belonged to when a CNAME chain led elsewhere (an alias of a flagged name is a lookup of it); null when none. */
  target: string | null;
}

export class HostEntry {
  lookups: Map<string, Lookup> | null = null;
  /** Newest `last` of the lookups dropped from `lookups` (-Infinity: none). */
  forgottenUntil = -Infinity;
  /** Fan-out window: start (epoch s, -1 when none open), flows, distinct sketch, flux addresses seen. */
  windowStart = -1;
  windowFirst = Infinity;
  windowLast = -Infinity;
  windowFlows = 0;
  /** Distinct contacts: their hashes while few (exact), then a bitmap (most hosts never need one). */
  contacts: number[] | null = null;
  sketch: Uint32Array | null = null;
  /** Distinct flux addresses within the window (exact up to FLUX_CAP, then counted as a lower bound). */
  flux: Set<string> | null = null;
  /** The last window crossed the threshold: a continuing episode is not reported again. */
  inEpisode = false;
  /** When the last closed window ended: a window opening a whole window after it starts a new episode. */
  lastWindowEnd = -Infinity;

  constructor(readonly host: string) {}
}

export class HostTable {
  private readonly entries = new Recency<HostEntry>();
  /** Newest lookup time of the hosts dropped to make room (-Infinity: none). */
  private forgottenUntil = -Infinity;
  private lookupsHeld = 0;
  evicted = 0;

  constructor(
    private readonly maxHosts: number,
    private readonly maxLookups: number,
    private readonly onEvict: (entry: HostEntry) => void,
    /** Lookups over all hosts; past it the least recently seen hosts make room. */
    private readonly maxLookupsHeld: number = Infinity,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(host: string): HostEntry | undefined {
    return this.entries.peek(host);
  }

  /** The host's entry, created (evicting the least recently seen) or moved to most recent. */
  touch(host: string): HostEntry {
    let entry = this.entries.use(host);
    if (entry === undefined) {
      if (this.entries.size >= this.maxHosts) this.dropOldest();
      entry = new HostEntry(host);
      this.entries.add(host, entry);
    }
    return entry;
  }

  /** Names looked up, held over all hosts (limits.maxClientEntries). */
  get lookupCount(): number {
    return this.lookupsHeld;
  }

  /** Forget the least recently seen host (its fan-out window closed by onEvict, its lookups remembered as a time). */
  private dropOldest(): boolean {
    const oldest = this.entries.shift();
    if (oldest === undefined) return false;
    this.evicted++;
    if (oldest.lookups !== null) {
      this.lookupsHeld -= oldest.lookups.size;
      for (const l of oldest.lookups.values()) if (l.last > this.forgottenUntil) this.forgottenUntil = l.last;
    }
    if (oldest.forgottenUntil > this.forgottenUntil) this.forgottenUntil = oldest.forgottenUntil;
    this.onEvict(oldest);
    return true;
  }

  /** Note that host looked up name at ts (target: the name the CNAME chain led to, or null). */
  noteLookup(host: string, name: string, ts: number, target: string | null): void {
    const entry = this.touch(host);
    let lookups = entry.lookups;
    if (lookups === null) lookups = entry.lookups = new Map();
    let lookup = lookups.get(name);
    if (lookup === undefined) {
      if (lookups.size >= this.maxLookups) {
        const oldest = lookups.entries().next();
        if (!oldest.done) {
          lookups.delete(oldest.value[0]);
          this.lookupsHeld--;
          if (oldest.value[1].last > entry.forgottenUntil) entry.forgottenUntil = oldest.value[1].last;
        }
      }
      while (this.lookupsHeld >= this.maxLookupsHeld && this.entries.oldest() !== entry && this.dropOldest());
      if (this.lookupsHeld >= this.maxLookupsHeld) {
        // This host alone holds the budget: its lookup is forgotten as it comes.
        if (ts > entry.forgottenUntil) entry.forgottenUntil = ts;
        return;
      }
      this.lookupsHeld++;
      lookup = { first: ts, last: ts, target };
    } else {
      lookups.delete(name);
      if (ts < lookup.first) lookup.first = ts;
      if (ts > lookup.last) lookup.last = ts;
    }
    lookups.set(name, lookup);
    if (target !== null) lookup.target = target;
  }

  /**
   * Whether host looked up `domain` (or a name under it, or an alias whose
   * CNAME chain led to it) at a time in [from, to]: 'yes', 'no', or
   * 'unknown' when a lookup of that span may have been forgotten. A name's
   * lookups are kept as their first and last time, so a lookup is assumed
   * between them: this errs towards "looked up", never towards a false bypass.
   */
  lookedUp(host: string, domain: string, from: number, to: number): LookupProof {
    const entry = this.entries.peek(host);
    const lookups = entry?.lookups;
    if (lookups !== undefined && lookups !== null) {
      for (const [name, l] of lookups) {
        if (l.last < from || l.first > to) continue;
        if (isAtOrUnder(name, domain) || (l.target !== null && isAtOrUnder(l.target, domain))) return 'yes';
      }
    }
    if (entry !== undefined && entry.forgottenUntil >= from) return 'unknown';
    return this.forgottenUntil >= from ? 'unknown' : 'no';
  }
}

/** name is domain or a name under it. */
function isAtOrUnder(name: string, domain: string): boolean {
  return name === domain || (name.length > domain.length && name.endsWith(domain) && name.charCodeAt(name.length - domain.length - 1) === 46);
}
