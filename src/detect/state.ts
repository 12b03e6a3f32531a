/**
 * FluxState: everything detection remembers about one domain (a queried name,
 * or all names under one registered domain), bounded by the configured caps.
 * Plain fields and flat arrays only: a benign name costs a few hundred bytes.
 */
import type { VerdictScope } from '../model/verdict.js';
import type { AddressTable } from './address-table.js';

export class FluxState {
  readonly key: string;
  readonly registered: string;
  readonly scope: VerdictScope;
  /** Seconds (data time). */
  firstSeen: number;
  lastSeen: number;
  /** Lookups, weighted by the count of aggregated (passive DNS) tuples. */
  lookups = 0;
  /** Responses that carried addresses; also numbers answer sets for churn. */
  answers = 0;

  addresses: AddressTable | null = null;
  /** New addresses inserted over the run (re-inserting an evicted one counts again). */
  addressesEver = 0;
  /** Size of the previous answer set, for churn. */
  previousAnswerSize = 0;
  churnSum = 0;
  churnCount = 0;

  /** Minimum TTL seen, -1 before any. */
  ttlMin = -1;
  ttlSamples = 0;
  ttlLowSamples = 0;

  windowAddressesPeak = 0;
  windowAsnsPeak = 0;
  windowCountriesPeak = 0;

  nsNames: string[] | null = null;
  nsNamesEver = 0;
  nsAddresses: AddressTable | null = null;
  nsAddressesEver = 0;
  cnameTargets: string[] | null = null;
  cnameTargetsEver = 0;
  clients: string[] | null = null;
  /** Distinct names under this registered domain (registered scope). */
  names = 0;

  /** New evidence arrived since the last scoring. */
  dirty = false;
  /** Data time and lookup count when the domain first crossed a flag threshold; -1 if never. */
  flaggedAt = -1;
  flaggedLookups = -1;
  /** Highest label reached so far: 0 benign, 1 suspicious, 2 fast-flux. */
  flagLevel = 0;

  constructor(key: string, registered: string, scope: VerdictScope, ts: number) {
    this.key = key;
    this.registered = registered;
    this.scope = scope;
    this.firstSeen = ts;
    this.lastSeen = ts;
  }
}

/** Add name to a capped distinct list; returns the list and whether the name was new. */
export function rememberName(list: string[] | null, name: string, cap: number): { list: string[]; added: boolean } {
  if (list === null) return { list: [detach(name)], added: true };
  if (list.indexOf(name) !== -1) return { list, added: false };
  // Full: keep the first ones; the "ever" counter keeps counting.
  if (list.length < cap) list.push(detach(name));
  return { list, added: true };
}

/**
 * A copy of s that does not keep the decoder's chunk string alive: V8 makes
 * substrings of 13+ characters slices of their parent, and a key that lives
 * for hours would otherwise pin a 64 KiB chunk.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
