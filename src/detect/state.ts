/**
 * FluxState: everything detection remembers about one domain (a queried name,
 * or all names under one registered domain), bounded by the configured caps.
 * Plain integer fields (V8 small integers, never boxed) and flat arrays
 * created at their exact size: a benign name costs a few hundred bytes.
 */
import type { VerdictScope } from '../model/verdict.js';
import type { AddressTable } from './address-table.js';

/** Name-server and CNAME evidence: most domains never have any, so it lives apart. */
export class Delegation {
  nsNames: string[] = [];
  nsNamesEver = 0;
  nsAddresses: AddressTable | null = null;
  nsAddressesEver = 0;
  cnameTargets: string[] = [];
  cnameTargetsEver = 0;
  /** Signature of the last delegation absorbed (ObservationDigest.delegationSignature). */
  lastSignature = 0;
  /** A CNAME target pointed into this known CDN or cloud (provider index); -1 never. */
  cnameProvider = -1;

  clone(): Delegation {
    const d = new Delegation();
    d.nsNames = this.nsNames.slice();
    d.nsNamesEver = this.nsNamesEver;
    d.nsAddresses = this.nsAddresses === null ? null : this.nsAddresses.slice();
    d.nsAddressesEver = this.nsAddressesEver;
    d.cnameTargets = this.cnameTargets.slice();
    d.cnameTargetsEver = this.cnameTargetsEver;
    d.lastSignature = this.lastSignature;
    d.cnameProvider = this.cnameProvider;
    return d;
  }
}

export class FluxState {
  readonly key: string;
  readonly registered: string;
  readonly scope: VerdictScope;
  /** Whole seconds (data time). */
  firstSeen: number;
  lastSeen: number;
  /** Lookups, weighted by the count of aggregated (passive DNS) tuples. */
  lookups = 0;
  /** Responses that carried addresses; also numbers answer sets for churn. */
  answers = 0;

  addresses: AddressTable | null = null;
  /** New addresses inserted over the run (re-inserting an evicted one counts again). */
  addressesEver = 0;
  /** Of those, addresses of known CDNs and clouds. */
  knownEver = 0;
  /** Size of the previous answer set, for churn. */
  previousAnswerSize = 0;
  /** Sum of per-answer churn in thousandths (an integer, so it is never boxed). */
  churnMilli = 0;
  churnCount = 0;

  /** Minimum TTL seen, -1 before any. */
  ttlMin = -1;
  ttlSamples = 0;
  ttlLowSamples = 0;

  windowAddressesPeak = 0;
  windowAsnsPeak = 0;
  windowCountriesPeak = 0;

  /** 64-bit linear-counting sketch of client addresses (two 32-bit halves). */
  clientBitsLow = 0;
  clientBitsHigh = 0;
  /** Distinct names under this registered domain (registered scope). */
  names = 0;

  delegation: Delegation | null = null;
  /** For a name: the aggregate of its registered domain, once one exists (saves a map lookup per record). */
  aggregate: FluxState | null = null;
  /** It was evicted: names (and name servers) still pointing at it must let go. */
  evicted = false;
  /** The flux network this (fast-flux) name joined; -1 if none. */
  network = -1;
  /** Addresses it shared with already-known networks when it joined (its own do not count). */
  networkHitsAtJoin = 0;
  /** Reputation bits (REPUTATION_*), looked up once; for a registered domain, those of any name under it. */
  reputation = 0;
  /** New addresses since the last scoring (scoring is throttled for domains with many addresses). */
  unscored = 0;
  /** Data time and lookups when the Holz baseline first flagged it (with --baseline holz); -1 if never. */
  holzAt = -1;
  holzLookups = -1;

  /** New evidence arrived since the last scoring. */
  dirty = false;
  /** Data time and lookup count when the domain first crossed a flag threshold; -1 if never. */
  flaggedAt = -1;
  flaggedLookups = -1;
  /** Highest label reached so far: 0 benign, 1 suspicious, 2 fast-flux. */
  flagLevel = 0;

  constructor(key: string, registered: string, scope: VerdictScope, seen: number) {
    this.key = key;
    this.registered = registered;
    this.scope = scope;
    this.firstSeen = seen;
    this.lastSeen = seen;
  }

  /**
   * A registered-domain aggregate that starts from this name's evidence: made
   * when a second name appears under the registered domain, so the common
   * case (one name per registered domain) keeps one state, not two.
   */
  toAggregate(): FluxState {
    const a = new FluxState(this.registered, this.registered, 'registered_domain', this.firstSeen);
    a.lastSeen = this.lastSeen;
    a.lookups = this.lookups;
    a.answers = this.answers;
    a.addresses = this.addresses === null ? null : this.addresses.slice();
    a.addressesEver = this.addressesEver;
    a.knownEver = this.knownEver;
    a.ttlMin = this.ttlMin;
    a.ttlSamples = this.ttlSamples;
    a.ttlLowSamples = this.ttlLowSamples;
    a.windowAddressesPeak = this.windowAddressesPeak;
    a.windowAsnsPeak = this.windowAsnsPeak;
    a.windowCountriesPeak = this.windowCountriesPeak;
    a.clientBitsLow = this.clientBitsLow;
    a.clientBitsHigh = this.clientBitsHigh;
    a.names = 1;
    a.reputation = this.reputation;
    a.delegation = this.delegation === null ? null : this.delegation.clone();
    a.dirty = true;
    return a;
  }
}

export const REPUTATION_POOL = 1;
export const REPUTATION_DYNAMIC_DNS = 2;
/** Bits 2..4: on how many top-site lists the registered domain is (0..7). */
export const REPUTATION_TOP_SHIFT = 2;

/** Estimated distinct clients from the 64-bit sketch (linear counting). */
export function estimateClients(state: FluxState): number {
  const zeros = 64 - popcount(state.clientBitsLow) - popcount(state.clientBitsHigh);
  if (zeros === 64) return 0;
  // All bits set: beyond what 64 bits can tell; report the sketch's ceiling.
  if (zeros === 0) return Math.round(64 * Math.log(64));
  return Math.round(-64 * Math.log(zeros / 64));
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** FNV-1a over the characters of a client address, for the client sketch. */
export function clientHash(client: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) h = Math.imul(h ^ client.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A flat copy of s that does not keep the decoder's chunk string alive: V8
 * makes substrings of 13+ characters slices of their parent, and a key that
 * lives for hours would otherwise pin a whole chunk.
 */
export function detach(s: string): string {
  // Concatenation then slice makes V8 flatten into a new string; measured the
  // cheapest copy that lets the parent go (about 0.1 µs).
  return s.length < 13 ? s : (' ' + s).slice(1);
}
