import { Recency } from './recency.js';

/**
 * Hosts of ours: the names each looked up through the monitored resolvers
 * (DNS bypass) and its fan-out window. Bounded by limits.maxHosts (the least
 * recently seen makes room, counted) and limits.maxLookupsPerHost per host
 * (the least recently looked-up name makes room).
 */

/** One name a host looked up: when, and a few of the addresses it answered with. */
export interface Lookup {
  first: number;
  last: number;
  /** At most LOOKUP_ADDRESSES answer addresses (a flow to one of them had its lookup, whatever the name). */
  addresses: string[];
}

export const LOOKUP_ADDRESSES = 8;

export class HostEntry {
  lookups: Map<string, Lookup> | null = null;
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
  evicted = 0;

  constructor(
    private readonly maxHosts: number,
    private readonly maxLookups: number,
    private readonly onEvict: (entry: HostEntry) => void,
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
      if (this.entries.size >= this.maxHosts) {
        const oldest = this.entries.shift();
        if (oldest !== undefined) {
          this.evicted++;
          this.onEvict(oldest);
        }
      }
      entry = new HostEntry(host);
      this.entries.add(host, entry);
    }
    return entry;
  }

  /** Note that host looked up name at ts (answer addresses given, at most LOOKUP_ADDRESSES kept). */
  noteLookup(host: string, name: string, ts: number, answers: readonly string[]): void {
    const entry = this.touch(host);
    let lookups = entry.lookups;
    if (lookups === null) lookups = entry.lookups = new Map();
    let lookup = lookups.get(name);
    if (lookup === undefined) {
      if (lookups.size >= this.maxLookups) {
        const oldest = lookups.keys().next();
        if (!oldest.done) lookups.delete(oldest.value);
      }
      lookup = { first: ts, last: ts, addresses: [] };
    } else {
      lookups.delete(name);
      if (ts < lookup.first) lookup.first = ts;
      if (ts > lookup.last) lookup.last = ts;
    }
    lookups.set(name, lookup);
    for (const a of answers) {
      if (lookup.addresses.length >= LOOKUP_ADDRESSES) break;
      if (!lookup.addresses.includes(a)) lookup.addresses.push(a);
    }
  }

  /**
   * Whether host looked up `domain` (or a name under it, or a name that
   * answered with `address`) at a time in [from, to]. A name's lookups are
   * kept as their first and last time, so a lookup is assumed between them:
   * this errs towards "looked up", never towards a false bypass.
   */
  lookedUp(host: string, domain: string, address: string, from: number, to: number): boolean {
    const lookups = this.entries.peek(host)?.lookups;
    if (lookups === undefined || lookups === null) return false;
    for (const [name, l] of lookups) {
      if (l.last < from || l.first > to) continue;
      if (name === domain || (name.endsWith(domain) && name.charCodeAt(name.length - domain.length - 1) === 46)) return true;
      if (l.addresses.includes(address)) return true;
    }
    return false;
  }
}
