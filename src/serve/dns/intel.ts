/**
 * The forwarder's side of threat intelligence (src/intel): what a query for
 * a name a feed lists gets, and which upstream answers point into listed
 * infrastructure and so wait for the detector before they are sent.
 *
 * A listed name (IntelIndex.matchDomain, after the flagged set missed)
 * becomes the feed's listing verdict (detect/intel-verdict) in the flagged
 * set, so the RPZ, the block page, the API and the blocklists see it on the
 * one path flagged names take; the forwarder answers it by the feed's
 * action. The set stays bounded: the listing verdicts this forwarder put
 * there are remembered in a ring of `maxListings`; when it is full the
 * oldest leaves the flagged set (unless something else replaced it since),
 * and comes back on its next lookup. Expiry (policy.expiry) removes them
 * like any other verdict.
 *
 * Hot path: nothing here runs while no feed is loaded (the caller reads
 * ServeContext.intel once per query and skips when it is null). The address
 * scan reads the answer's A and AAAA records in place: no allocation.
 */
import { intelListingVerdict, isIntelListing } from '../../detect/intel-verdict.js';
import type { FlaggedDomains } from '../../act/flagged.js';
import type { Infra } from '../../enrich/infra/index.js';
import type { IntelHit, IntelIndex } from '../../intel/index.js';
import type { IntelListing, Verdict } from '../../model/verdict.js';
import { skipName, TYPE_A, TYPE_AAAA } from './wire.js';

/** Listing verdicts one forwarder keeps in the flagged set (the oldest leaves first). */
export const DEFAULT_MAX_LISTINGS = 65_536;

/** Feeds with a label of their own in the per-feed counters; more are counted under "other" (bounded label set). */
const MAX_FEED_LABELS = 64;

export interface ForwarderIntelStats {
  /** Listing verdicts put in the flagged set. */
  listings: number;
  /** Listing verdicts taken out again to keep the set within maxListings. */
  evicted: number;
  /** Upstream answers holding a listed address, held for the detector. */
  held: number;
  /** Held answers sent unchecked because the detector did not see them within the deadline. */
  holdTimeouts: number;
  /** Answers holding a listed address sent unchecked because the detector queue was full. */
  holdFailOpen: number;
  /** Feed → queries answered by policy because of it (a listing, or the detector's evidence of it). */
  blocked: Map<string, number>;
  /** Feed → queries for names it lists answered normally (action log) and recorded. */
  logged: Map<string, number>;
}

export class ForwarderIntel {
  readonly stats: ForwarderIntelStats = { listings: 0, evicted: 0, held: 0, holdTimeouts: 0, holdFailOpen: 0, blocked: new Map(), logged: new Map() };
  /** Ring of the domains of the listing verdicts put in the flagged set, oldest at `head`. */
  private readonly ring: (string | undefined)[];
  private head = 0;
  private count = 0;
  /** The groups of one AAAA record, refilled by each (matchIPv6 reads them at once). */
  private readonly groups = new Uint16Array(8);

  /**
   * `flag` puts a listing verdict where verdicts go (ServeContext.flag: the
   * daemon's listeners, the flagged set, the NDJSON out); true when the
   * flagged set changed. Default: the flagged set alone.
   */
  constructor(
    private readonly flagged: FlaggedDomains,
    readonly maxListings: number = DEFAULT_MAX_LISTINGS,
    private readonly flag: (v: Verdict) => boolean = (v) => flagged.upsert(v),
  ) {
    this.ring = new Array<string | undefined>(Math.max(1, maxListings));
  }

  /**
   * The listing verdict for `qname` when a feed lists it (or an ancestor);
   * null when none does. Put in the flagged set unless `isAllowed(qname)`
   * (the allowlist wins; the caller answers an allowlisted name normally).
   * `nowMs`: wall clock, for the feed's expiry and the verdict's times.
   */
  listing(index: IntelIndex, qname: string, nowMs: number, isAllowed: (name: string) => boolean): Verdict | null {
    const hit = index.matchDomain(qname, nowMs);
    if (hit === null) return null;
    const verdict = intelListingVerdict(qname, listingOf(hit, 'domain'), nowMs / 1000);
    if (!isAllowed(qname) && this.flagged.get(verdict.domain) === null && this.flag(verdict)) this.remember(verdict.domain);
    return verdict;
  }

  /** A listing verdict entered the flagged set: the oldest one this forwarder put there leaves when the ring is full. */
  private remember(domain: string): void {
    this.stats.listings++;
    const capacity = this.ring.length;
    if (this.count === capacity) {
      const oldest = this.ring[this.head]!;
      this.head = (this.head + 1) % capacity;
      this.count--;
      const v = this.flagged.get(oldest);
      // Only our own listing goes: a detector's verdict or a deny entry that replaced it stays.
      if (v !== null && isIntelListing(v) && this.flagged.remove(oldest)) this.stats.evicted++;
    }
    this.ring[(this.head + this.count) % capacity] = domain;
    this.count++;
  }

  /**
   * The first A or AAAA record in the answer section of `answer` (a response
   * whose question ends at `questionEnd`) that a feed lists, as the index's
   * refilled hit; null when none does or the records do not parse.
   *
   * An address `infra` knows as a CDN's or cloud's (reference ranges and
   * warninglists: the detector's digest test by range) is no hit: the
   * detector never counts it, so holding it would only delay every answer
   * of that platform under a feed's wide listing (a hostile 104.0.0.0/8
   * holds all of Cloudflare) and fill the detector queue. Asked only after
   * the index matched, so an unlisted answer pays nothing for it.
   */
  listedAddress(index: IntelIndex, answer: Uint8Array, questionEnd: number, nowMs: number, infra: Infra | null = null): IntelHit | null {
    const length = answer.length;
    if (length < 12) return null;
    const count = (answer[6]! << 8) | answer[7]!;
    let p = questionEnd;
    for (let i = 0; i < count; i++) {
      p = skipName(answer, p, length);
      if (p < 0 || p + 10 > length) return null;
      const type = (answer[p]! << 8) | answer[p + 1]!;
      const klass = (answer[p + 2]! << 8) | answer[p + 3]!;
      const rdLength = (answer[p + 8]! << 8) | answer[p + 9]!;
      const data = p + 10;
      if (data + rdLength > length) return null;
      if (klass === 1 && type === TYPE_A && rdLength === 4) {
        const ip = ((answer[data]! << 24) | (answer[data + 1]! << 16) | (answer[data + 2]! << 8) | answer[data + 3]!) >>> 0;
        const hit = index.matchIPv4(ip, nowMs);
        if (hit !== null && (infra === null || infra.providerOfV4(ip) < 0)) return hit;
      } else if (klass === 1 && type === TYPE_AAAA && rdLength === 16) {
        const g = this.groups;
        for (let k = 0; k < 8; k++) g[k] = (answer[data + 2 * k]! << 8) | answer[data + 2 * k + 1]!;
        const hit = index.matchIPv6(g, nowMs);
        if (hit !== null && (infra === null || infra.providerOfV6(g) < 0)) return hit;
      }
      p = data + rdLength;
    }
    return null;
  }

  /** A query answered by policy: counted for the feed behind the verdict, when a feed is. */
  countBlocked(v: Verdict): void {
    const feed = v.intel?.[0]?.feed;
    if (feed !== undefined) bump(this.stats.blocked, feed);
  }

  /** A query for a name a log feed lists, answered normally. */
  countLogged(v: Verdict): void {
    if (isIntelListing(v)) bump(this.stats.logged, v.intel![0]!.feed);
  }
}

/** The IntelListing of a hit (a copy: the index refills its hit on the next lookup). */
export function listingOf(hit: IntelHit, kind: IntelListing['kind']): IntelListing {
  return { feed: hit.feed, ref: hit.ref, kind, value: hit.value, note: hit.note, confidence: hit.confidence, action: hit.action };
}

function bump(counts: Map<string, number>, feed: string): void {
  const key = counts.has(feed) || counts.size < MAX_FEED_LABELS ? feed : 'other';
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
