/**
 * Lead time: how long before (or after) a threat-intelligence feed listed a
 * domain fluxhound flagged it. Pure functions of the flagged names (with the
 * data time each was first flagged) and the feed's listings.
 *
 * The matching rule: a flagged name and a listed domain match when they have
 * the same registered domain, under the public suffix list with its private
 * section (the rule the detector and the RPZ feed use, detect/registered-domain.ts).
 * So `www.evil.ru` flagged matches `evil.ru` listed and `cdn.evil.ru` listed,
 * while `a.duckdns.org` flagged does not match `b.duckdns.org` listed: each
 * customer of a shared registry is its own registered domain. A name with no
 * registered domain (a public suffix) is its own key. The unit reported is
 * the registered domain: its earliest flag against its earliest listing.
 */
import { registrableDomain } from '../detect/registered-domain.js';
import { quantile } from './metrics.js';

export interface FlaggedName {
  name: string;
  /** Data time of the first flag, seconds since the epoch. */
  firstFlagged: number;
}

export interface LeadRow {
  /** The registered domain both name. */
  domain: string;
  /** The name flagged first under it, and the name the feed listed first. */
  flaggedName: string;
  listedName: string;
  flaggedAt: number;
  listedAt: number;
  /** listedAt − flaggedAt: positive when fluxhound was first. */
  leadSeconds: number;
}

export interface LeadTimeReport {
  rows: LeadRow[];
  summary: {
    /** Registered domains the feed lists. */
    listed: number;
    /** Of those, seen in the capture (any verdict). */
    listedSeen: number;
    flagged: number;
    inBoth: number;
    flaggedBeforeListing: number;
    medianLeadSeconds: number | null;
    p90LeadSeconds: number | null;
    /** Listed registered domains fluxhound never flagged; of them, those the capture held. */
    listedNeverFlagged: number;
    listedSeenNeverFlagged: string[];
    /** Flagged registered domains the feed does not list. */
    flaggedNotListed: string[];
  };
}

/** The key a name is matched by: its registered domain, or the name itself when it has none. */
export function matchKey(name: string): string {
  return registrableDomain(name) ?? name;
}

/** Earliest (time, name) per key. */
function earliestByKey(entries: Iterable<readonly [string, number]>): Map<string, { name: string; at: number }> {
  const out = new Map<string, { name: string; at: number }>();
  for (const [name, at] of entries) {
    const key = matchKey(name);
    const before = out.get(key);
    if (before === undefined || at < before.at || (at === before.at && name < before.name)) out.set(key, { name, at });
  }
  return out;
}

/**
 * Lead times of the flagged names against the listings (domain → listing
 * time). `seen` holds the keys (matchKey) of every name the capture held, to
 * tell a listed domain the capture never asked for from one fluxhound missed.
 */
export function leadTimes(flagged: readonly FlaggedName[], listings: ReadonlyMap<string, number>, seen: ReadonlySet<string>): LeadTimeReport {
  const flags = earliestByKey(flagged.map((f) => [f.name, f.firstFlagged] as const));
  const listed = earliestByKey(listings);
  const rows: LeadRow[] = [];
  const flaggedNotListed: string[] = [];
  for (const [domain, flag] of flags) {
    const listing = listed.get(domain);
    if (listing === undefined) {
      flaggedNotListed.push(domain);
      continue;
    }
    rows.push({ domain, flaggedName: flag.name, listedName: listing.name, flaggedAt: flag.at, listedAt: listing.at, leadSeconds: listing.at - flag.at });
  }
  rows.sort((a, b) => b.leadSeconds - a.leadSeconds || (a.domain < b.domain ? -1 : 1));
  const leads = rows.map((r) => r.leadSeconds);
  const listedSeenNeverFlagged = [...listed.keys()].filter((k) => !flags.has(k) && seen.has(k)).sort();
  return {
    rows,
    summary: {
      listed: listed.size,
      listedSeen: [...listed.keys()].filter((k) => seen.has(k)).length,
      flagged: flags.size,
      inBoth: rows.length,
      flaggedBeforeListing: rows.filter((r) => r.leadSeconds > 0).length,
      medianLeadSeconds: quantile(leads, 0.5),
      p90LeadSeconds: quantile(leads, 0.9),
      listedNeverFlagged: [...listed.keys()].filter((k) => !flags.has(k)).length,
      listedSeenNeverFlagged,
      flaggedNotListed: flaggedNotListed.sort(),
    },
  };
}
