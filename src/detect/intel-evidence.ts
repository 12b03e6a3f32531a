/**
 * Threat-intelligence evidence of one name: the answer addresses a feed lists
 * as flux infrastructure (an address, or inside a listed network), counted
 * once each when first seen, like addresses shared with a flux network; and
 * the feed entry listing the name itself or an ancestor. Kept in the state's
 * marks (only names with a hit pay for it) and bounded: the count is exact,
 * the listings behind it are capped at MAX_INTEL_LISTINGS, most specific
 * first.
 */
import type { IntelHit } from '../intel/index.js';
import type { IntelListing } from '../model/verdict.js';

/** Listings a verdict names for its addresses: enough to act on and to explain, few enough to stay small. */
export const MAX_INTEL_LISTINGS = 4;

export class IntelEvidence {
  /** Distinct answer addresses (never a known CDN's or cloud's) a feed listed, counted when first seen. */
  addresses = 0;
  /** The sum of their listings' confidences (0..100 each): the weighted feature intel_evidence is it / 100. */
  confidenceSum = 0;
  /** The listings behind `addresses`, most specific first (address, then longer prefix, then higher confidence). */
  readonly listings: IntelListing[] = [];
  /** For each listing, the answer address that matched it (its value, or an address inside its network). */
  readonly matched: string[] = [];
  /** The entry listing the name or its nearest listed ancestor; null when none. */
  domain: IntelListing | null = null;
  /** The name is allowlisted: intel never counts for it (checked once, at the first hit). */
  allowlisted = false;

  /** Count a newly seen listed address and keep its listing if it is among the most specific. */
  noteAddress(address: string, hit: IntelHit): void {
    this.addresses++;
    this.confidenceSum += hit.confidence;
    const rank = specificity(hit.value, hit.confidence);
    let at = this.listings.length;
    while (at > 0 && specificity(this.listings[at - 1]!.value, this.listings[at - 1]!.confidence) < rank) at--;
    if (at >= MAX_INTEL_LISTINGS) return;
    this.listings.splice(at, 0, listingOf(hit, hit.value.indexOf('/') === -1 ? 'address' : 'cidr'));
    this.matched.splice(at, 0, address);
    if (this.listings.length > MAX_INTEL_LISTINGS) {
      this.listings.length = MAX_INTEL_LISTINGS;
      this.matched.length = MAX_INTEL_LISTINGS;
    }
  }

  /** Every listing behind a verdict: the name's own first (the most specific), then its addresses'. */
  all(): IntelListing[] {
    const out: IntelListing[] = [];
    if (this.domain !== null) out.push({ ...this.domain });
    for (const l of this.listings) out.push({ ...l });
    return out;
  }
}

/** A copy of the index's reused hit, as the verdict carries it. */
export function listingOf(hit: IntelHit, kind: IntelListing['kind']): IntelListing {
  return { feed: hit.feed, ref: hit.ref, kind, value: hit.value, note: hit.note, confidence: hit.confidence, action: hit.action };
}

/** An address (129) before any network, a longer prefix before a shorter; confidence breaks ties. */
function specificity(value: string, confidence: number): number {
  const slash = value.indexOf('/');
  const bits = slash === -1 ? 129 : Number(value.slice(slash + 1));
  return bits * 1000 + confidence;
}

/** "203.0.113.7 (in 203.0.113.0/24) listed by intel feed partner-a (entry indicator--…, confidence 80) as flux infrastructure" */
export function addressReason(address: string, listing: IntelListing): string {
  const where = listing.kind === 'cidr' ? `${address} (in ${listing.value})` : listing.value;
  return `${where} listed by intel feed ${listing.feed} (entry ${listing.ref}, confidence ${listing.confidence}) as flux infrastructure`;
}
