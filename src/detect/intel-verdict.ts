/**
 * The verdict a threat-intelligence feed's listing of a name puts in the
 * flagged set: a listing, not a detection. Like the operator's deny entry
 * (serve/lists denyVerdict) it is 'fast-flux' with flux null and no
 * features or evidence, so the forwarder, the RPZ and the block page act on
 * it on the one path flagged names take; unlike it, the score is the feed's
 * confidence and the feed's action decides (a 'log' feed's listing is
 * answered and recorded, never blocked: Policy reads Verdict.intel).
 * The one reason names the feed and its entry: it reaches the block page.
 */
import { isoTime, type IntelListing, type Verdict } from '../model/verdict.js';
import { emptyFeatures } from './features/index.js';
import { registrableDomain } from './registered-domain.js';

/** listing.kind must be 'domain'; name is the name looked up (the listed value or a name under it); at: seconds. */
export function intelListingVerdict(name: string, listing: IntelListing, at: number): Verdict {
  const registered = registrableDomain(listing.value) ?? listing.value;
  const time = isoTime(at);
  return {
    domain: listing.value,
    registered_domain: registered,
    scope: 'name',
    verdict: 'fast-flux',
    flux: null,
    score: listing.confidence,
    reasons: [listingReason(listing, name)],
    features: emptyFeatures(),
    contributions: [],
    first_seen: time,
    last_seen: time,
    first_flagged: time,
    lookups_to_flag: 1,
    // The listing covers the listed name and everything under it, not its registered domain.
    zone: registered === listing.value ? null : listing.value,
    network: null,
    enrichment: [],
    evidence: { addresses: [], name_servers: [], ns_addresses: [] },
    intel: [{ ...listing }],
  };
}

/** True for a verdict made by intelListingVerdict (a feed's listing, not a detection). */
export function isIntelListing(v: Verdict): boolean {
  return v.intel !== undefined && v.intel.length > 0 && v.intel[0]!.kind === 'domain' && v.contributions.length === 0 && v.listed === undefined;
}

/** "listed by intel feed X (entry REF) as flux infrastructure: NOTE": names the feed and entry, never who fed it further. */
export function listingReason(listing: IntelListing, name: string): string {
  const what = listing.kind === 'domain' ? (name === listing.value ? listing.value : `${listing.value} (above ${name})`) : listing.value;
  const note = listing.note === '' ? '' : `: ${listing.note.slice(0, 200)}`;
  return `${what} listed by intel feed ${listing.feed} (entry ${listing.ref}, confidence ${listing.confidence})${note}`;
}
