/**
 * FluxState: everything detection remembers about one domain (a queried name,
 * or all names under one registered domain), bounded by the configured caps.
 * Plain integer fields (V8 small integers, never boxed) and flat arrays
 * created at their exact size: a benign name costs a few hundred bytes.
 */
import type { VerdictScope } from '../model/verdict.js';
import type { AddressTable } from './address-table.js';
import { DepartedAddresses } from './departed.js';
import type { ZoneCuts } from './zone-cuts.js';
import type { TamperingSigns } from './tampering.js';
import type { IntelEvidence } from './intel-evidence.js';

/** The shared empty lists of a Delegation: never pushed to (addName replaces them). */
const NO_NAMES: string[] = [];
const NO_HASHES: number[] = [];

/** One-slot arrays addName and addHash concatenate (concat of an array is ~40% faster than of a bare value). */
const ONE_NAME: string[] = [''];
const ONE_HASH: number[] = [0];

/**
 * names with name added. Up to 8 names the list is copied one longer (concat
 * makes arrays of exactly their length; push would grow a short one to 17+
 * slots), which also replaces NO_NAMES; beyond that it grows in place.
 */
export function addName(names: string[], name: string): string[] {
  const longer = appendExact(names, name, ONE_NAME);
  ONE_NAME[0] = ''; // the scratch keeps no name alive
  return longer;
}

/** addName for a list's hashes (NO_HASHES), with a scratch of its own so that the hashes stay unboxed numbers. */
export function addHash(hashes: number[], hash: number): number[] {
  return appendExact(hashes, hash, ONE_HASH);
}

function appendExact<T>(list: T[], value: T, one: T[]): T[] {
  if (list.length >= 8) {
    list.push(value);
    return list;
  }
  one[0] = value;
  return list.concat(one);
}

/**
 * Where name is in names, whose hashName values are hashes (index for
 * index); -1 when it is not. The hashes sit in one dense array, so a miss
 * reads no name: comparing the names themselves (a heap object each, a
 * cache miss each) was 1.7% of a pcap run's CPU.
 */
export function indexOfName(names: readonly string[], hashes: readonly number[], name: string, hash: number): number {
  for (let i = 0; i < hashes.length; i++) if (hashes[i] === hash && names[i] === name) return i;
  return -1;
}

/** Name-server and CNAME evidence: most domains never have any, so it lives apart. */
export class Delegation {
  /** NO_NAMES until the first name: most delegations keep one set of name servers and no CNAME. */
  nsNames: string[] = NO_NAMES;
  /** hashName of nsNames[i] (indexOfName). */
  nsNameHashes: number[] = NO_HASHES;
  nsNamesEver = 0;
  nsAddresses: AddressTable | null = null;
  /** Distinct name-server addresses over the run (exact while the state's nsDeparted is not full). */
  nsAddressesEver = 0;
  cnameTargets: string[] = NO_NAMES;
  /** hashName of cnameTargets[i] (indexOfName). */
  cnameTargetHashes: number[] = NO_HASHES;
  cnameTargetsEver = 0;
  /** Hashes of the NS names and CNAME targets counted beyond the kept lists (null until a list is full). */
  nsNamesBeyond: Set<number> | null = null;
  cnameTargetsBeyond: Set<number> | null = null;
  /** A name arrived past MAX_NAMES_BEYOND: its count is a lower bound from then on. */
  nsNamesInexact = false;
  cnameTargetsInexact = false;
  /** Signature of the last delegation absorbed (ObservationDigest.delegationSignature). */
  lastSignature = 0;
  /** A CNAME target pointed into this known CDN or cloud (provider index); -1 never. */
  cnameProvider = -1;
  /**
   * nsAddresses' overlap with the flux networks (ns-flux), valid while the
   * graph stays at this FluxNetworks.version; -1 when the table changed since
   * (an address inserted). Recounting it at every rescore was ~5% of a pcap run.
   */
  nsOverlapVersion = -1;
  nsOverlapHits = 0;
  /**
   * nsAddresses' distinct ASNs (distinctAsns, for ns-flux), -1 when the table
   * changed since they were counted: like the overlap, they change only when
   * an address is inserted, and counting them (quadratic in the table) at
   * every rescore was ~4% of a pcap run. The table's size needs no count.
   */
  nsCountedAsns = -1;
  /**
   * What the detector's noteServedZones last recorded for this name's name
   * servers: nsNamesEver then (-1 never), the registered domain's aggregate
   * then, and the detector's served-zone epoch (bumped when it forgets a
   * name server). While all three hold and every NS name is in nsNames, each
   * name server of a lookup was recorded before: glue that rotates changes
   * the signature at every lookup, and recording again was ~4% of a pcap run.
   */
  zonesNotedAt = -1;
  zonesNotedWith: FluxState | null = null;
  zonesNotedEpoch = 0;

  clone(): Delegation {
    const d = new Delegation();
    d.nsNames = this.nsNames.length === 0 ? NO_NAMES : this.nsNames.slice();
    d.nsNameHashes = this.nsNameHashes.length === 0 ? NO_HASHES : this.nsNameHashes.slice();
    d.nsNamesEver = this.nsNamesEver;
    d.nsAddresses = this.nsAddresses === null ? null : this.nsAddresses.slice();
    d.nsAddressesEver = this.nsAddressesEver;
    d.cnameTargets = this.cnameTargets.length === 0 ? NO_NAMES : this.cnameTargets.slice();
    d.cnameTargetHashes = this.cnameTargetHashes.length === 0 ? NO_HASHES : this.cnameTargetHashes.slice();
    d.cnameTargetsEver = this.cnameTargetsEver;
    d.nsNamesBeyond = this.nsNamesBeyond === null ? null : new Set(this.nsNamesBeyond);
    d.cnameTargetsBeyond = this.cnameTargetsBeyond === null ? null : new Set(this.cnameTargetsBeyond);
    d.nsNamesInexact = this.nsNamesInexact;
    d.cnameTargetsInexact = this.cnameTargetsInexact;
    d.lastSignature = this.lastSignature;
    d.cnameProvider = this.cnameProvider;
    return d;
  }
}

/**
 * What only flagged domains (and the Holz baseline's), domains whose address
 * table overflowed, and domains answered with non-routable addresses carry:
 * kept apart so that the many benign domains do not pay eight fields for it.
 */
class FlagMarks {
  /** Data time when the domain first crossed a flag threshold; -1 if never. */
  flaggedAt = -1;
  /** Lookups when the domain first crossed a flag threshold; -1 if never. */
  flaggedLookups = -1;
  /** Data time and lookups when the Holz baseline first flagged it (with --baseline holz); -1 if never. */
  holzAt = -1;
  holzLookups = -1;
  /** The flux network this (fast-flux) name joined; -1 if none. */
  network = -1;
  /** Addresses it shared with already-known networks when it joined (its own do not count). */
  networkHitsAtJoin = 0;
  /** Suspicious names (distinct registered domains) of the network of suspicious names it was promoted with; 0 if none. */
  suspiciousNames = 0;
  /**
   * The flag level (1 suspicious, 2 fast-flux) a verdict restored from the
   * store had already reported before a restart: crossings up to it raise no
   * new flag event. 0 when nothing was restored.
   */
  restoredLevel = 0;
  /**
   * Addresses that left the full address table; null until it first
   * overflows (most domains never do), so distinct counts stay exact
   * whatever the table keeps.
   */
  departed: DepartedAddresses | null = null;
  /** The same for the name-server addresses (Delegation.nsAddresses). */
  nsDeparted: DepartedAddresses | null = null;
  /** Lookups that were fluxhound's own active probes (DnsObservation.origin 'probe'): only suspicious names are probed. */
  probes = 0;
  /**
   * Answer records in special-purpose space (private, reserved, multicast,
   * ...; src/model/special-purpose.ts), weighted like lookups, and the bits
   * of their blocks: never stored as addresses, only reported.
   */
  nonRoutable = 0;
  nonRoutableBlocks = 0;
  /** Signs of injected or poisoned answers (tampering.ts); null until the first (most domains never have one). */
  tampering: TamperingSigns | null = null;
  /** Threat-intelligence hits of a name (intel-evidence.ts); null until the first (most names never have one). */
  intel: IntelEvidence | null = null;
}

/** FluxState.scoreMemo when there is none (scores are 0 to 100). */
export const NO_SCORE_MEMO = -1;

/** The marks of every domain never flagged: read, never written (FluxState.mark() replaces it first). */
const NO_MARKS: Readonly<FlagMarks> = Object.freeze(new FlagMarks());

// FluxState.bits: flags packed into one small integer.
const BIT_EVICTED = 1;
const BIT_DIRTY = 2;
const BIT_REGISTERED_SCOPE = 4;
const FLAG_LEVEL_SHIFT = 3;
const FLAG_LEVEL_MASK = 3 << FLAG_LEVEL_SHIFT;
// The most addresses in one answer, capped at 255 (slow flux answers one or two): bits 8..15, leaving 5..7 for other flags.
const ANSWER_SIZE_SHIFT = 8;
const ANSWER_SIZE_MASK = 255 << ANSWER_SIZE_SHIFT;
const BIT_TTL_MOVED = 32;
// FluxState.windowPeaks: the distinct ASNs and countries peaks, 13 bits each (both are ≤ limits.maxAddressesPerDomain ≤ 4096).
const PEAK_BITS = 13;
const PEAK_MASK = (1 << PEAK_BITS) - 1;

export class FluxState {
  readonly key: string;
  readonly registered: string;
  /** Whole seconds (data time). */
  firstSeen: number;
  lastSeen: number;
  /**
   * Where this state entered the detector's table (the input index under
   * detect/parallel, the detector's observation count otherwise): a
   * partition's flush hands it on so the main thread can rebuild one
   * detector's end-of-input order (detect/parallel/flush-order.ts).
   */
  born = 0;
  /** Lookups, weighted by the count of aggregated (passive DNS) tuples. */
  lookups = 0;
  /** Responses that carried addresses; also numbers answer sets for churn. */
  answers = 0;

  addresses: AddressTable | null = null;
  /** Distinct addresses over the run: exact, a lower bound once `departed` is full. */
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
  /** windowAsnsPeak and windowCountriesPeak, packed (see the accessors). */
  private windowPeaks = 0;
  /** The same peaks within one day (24 h): the long horizon of slow flux. */
  dayAddressesPeak = 0;
  private dayPeaks = 0;
  /** Answers that carried an address never seen before (slow flux: nearly all of them). */
  answersNew = 0;

  /** 64-bit linear-counting sketch of client addresses (two 32-bit halves). */
  clientBitsLow = 0;
  clientBitsHigh = 0;
  /** Distinct names under this registered domain (registered scope). */
  names = 0;

  delegation: Delegation | null = null;
  /** The zone cuts seen under this registered domain (held by its entry in the detector: the aggregate, or its lone name); null until an NS owner is seen. */
  cuts: ZoneCuts | null = null;
  /** For a name: the aggregate of its registered domain, once one exists (saves a map lookup per record). */
  aggregate: FluxState | null = null;
  /** Reputation bits (REPUTATION_*), looked up once; for a registered domain, those of any name under it. */
  reputation = 0;
  /** New addresses since the last scoring (scoring is throttled for domains with many addresses). */
  unscored = 0;
  /**
   * The detector's last quick score of this state, or NO_SCORE_MEMO: kept
   * only when that score read nothing from the flux-network graph (no
   * address and no name-server address in it, no network joined) and the
   * flow analysis had no flow (FlowEvidenceSource.hasEvidence). Every change of the state clears it (absorb, a name-server
   * lookup, a mark, a new name under the registered domain), so the
   * end-of-input check reuses it while the state and its overlap with the
   * graph (still none) are as they were (Detector.finalise).
   */
  scoreMemo = NO_SCORE_MEMO;
  /** evicted, dirty, scope and flagLevel (see the accessors). */
  private bits = 0;
  /** Flag times and network membership; the shared NO_MARKS until the domain is flagged or joins a network. */
  private flagMarks: FlagMarks = NO_MARKS;

  // A benign domain is a few hundred bytes: every field is 8, so the rarely
  // set ones live in `marks` (written through mark()) and the small flags
  // share `bits`, behind accessors that keep the plain field interface.

  get scope(): VerdictScope {
    return (this.bits & BIT_REGISTERED_SCOPE) !== 0 ? 'registered_domain' : 'name';
  }

  /** It was evicted: names (and name servers) still pointing at it must let go. */
  get evicted(): boolean {
    return (this.bits & BIT_EVICTED) !== 0;
  }
  set evicted(value: boolean) {
    this.bits = value ? this.bits | BIT_EVICTED : this.bits & ~BIT_EVICTED;
  }

  /** New evidence arrived since the last scoring. */
  get dirty(): boolean {
    return (this.bits & BIT_DIRTY) !== 0;
  }
  set dirty(value: boolean) {
    this.bits = value ? this.bits | BIT_DIRTY : this.bits & ~BIT_DIRTY;
  }

  /** Highest label reached so far: 0 benign, 1 suspicious, 2 fast-flux. */
  get flagLevel(): number {
    return (this.bits & FLAG_LEVEL_MASK) >> FLAG_LEVEL_SHIFT;
  }
  set flagLevel(level: number) {
    this.bits = (this.bits & ~FLAG_LEVEL_MASK) | ((level & 3) << FLAG_LEVEL_SHIFT);
  }

  /** Most addresses (not CDN/cloud) in any one answer. */
  get answerSizeMax(): number {
    return (this.bits & ANSWER_SIZE_MASK) >> ANSWER_SIZE_SHIFT;
  }
  set answerSizeMax(size: number) {
    this.bits = (this.bits & ~ANSWER_SIZE_MASK) | (Math.min(size, 255) << ANSWER_SIZE_SHIFT);
  }

  get dayAsnsPeak(): number {
    return this.dayPeaks & PEAK_MASK;
  }
  set dayAsnsPeak(value: number) {
    this.dayPeaks = (this.dayPeaks & ~PEAK_MASK) | Math.min(value, PEAK_MASK);
  }

  get dayCountriesPeak(): number {
    return this.dayPeaks >>> PEAK_BITS;
  }
  set dayCountriesPeak(value: number) {
    this.dayPeaks = (this.dayPeaks & PEAK_MASK) | (Math.min(value, PEAK_MASK) << PEAK_BITS);
  }

  /** Two successive answers carried different TTLs: a cache counts down (or answers vary); see tampering.ts. */
  get ttlMoved(): boolean {
    return (this.bits & BIT_TTL_MOVED) !== 0;
  }
  set ttlMoved(value: boolean) {
    this.bits = value ? this.bits | BIT_TTL_MOVED : this.bits & ~BIT_TTL_MOVED;
  }

  get windowAsnsPeak(): number {
    return this.windowPeaks & PEAK_MASK;
  }
  set windowAsnsPeak(value: number) {
    this.windowPeaks = (this.windowPeaks & ~PEAK_MASK) | Math.min(value, PEAK_MASK);
  }

  get windowCountriesPeak(): number {
    return this.windowPeaks >>> PEAK_BITS;
  }
  set windowCountriesPeak(value: number) {
    this.windowPeaks = (this.windowPeaks & PEAK_MASK) | (Math.min(value, PEAK_MASK) << PEAK_BITS);
  }

  /** Flag times and network membership, to read (NO_MARKS's -1s while never flagged). */
  get marks(): Readonly<FlagMarks> {
    return this.flagMarks;
  }

  /** Addresses that left the full address table (in the marks); null until it first overflows. */
  get departed(): DepartedAddresses | null {
    return this.flagMarks.departed;
  }

  /** The departed addresses, made when the address table first overflows. */
  startDeparted(): DepartedAddresses {
    const marks = this.mark();
    return marks.departed ?? (marks.departed = new DepartedAddresses());
  }

  /** Name-server addresses that left the full delegation.nsAddresses table (in the marks); null until it first overflows. */
  get nsDeparted(): DepartedAddresses | null {
    return this.flagMarks.nsDeparted;
  }

  /** The departed name-server addresses, made when that table first overflows. */
  startNsDeparted(): DepartedAddresses {
    const marks = this.mark();
    return marks.nsDeparted ?? (marks.nsDeparted = new DepartedAddresses());
  }

  /** The marks to write: made on the first write, so never-flagged domains share NO_MARKS. */
  mark(): FlagMarks {
    // Marks are evidence the score reads (network, suspicious names, intel, non-routable answers).
    this.scoreMemo = NO_SCORE_MEMO;
    return this.flagMarks !== NO_MARKS ? this.flagMarks : (this.flagMarks = new FlagMarks());
  }

  constructor(key: string, registered: string, scope: VerdictScope, seen: number) {
    this.key = key;
    this.registered = registered;
    if (scope === 'registered_domain') this.bits = BIT_REGISTERED_SCOPE;
    this.firstSeen = seen;
    this.lastSeen = seen;
  }

  /**
   * A registered-domain aggregate that starts from this name's evidence: made
   * when a second name appears under the registered domain, so the common
   * case (one name per registered domain) keeps one state, not two.
   */
  toAggregate(answersOwn = true): FluxState {
    const a = new FluxState(this.registered, this.registered, 'registered_domain', this.firstSeen);
    a.lastSeen = this.lastSeen;
    a.lookups = this.lookups;
    if (this.marks.probes > 0) a.mark().probes = this.marks.probes;
    a.clientBitsLow = this.clientBitsLow;
    a.clientBitsHigh = this.clientBitsHigh;
    a.names = 1;
    a.reputation = this.reputation;
    a.delegation = this.delegation === null ? null : this.delegation.clone();
    a.cuts = this.cuts;
    this.cuts = null;
    a.dirty = true;
    // A name an injector answers (tampering.ts): its answers are not its domain's, so the union starts without them.
    if (!answersOwn) return a;
    a.answers = this.answers;
    a.addresses = this.addresses === null ? null : this.addresses.slice();
    if (this.departed !== null) a.mark().departed = new DepartedAddresses(this.departed);
    if (this.nsDeparted !== null) a.mark().nsDeparted = new DepartedAddresses(this.nsDeparted);
    if (this.marks.nonRoutable > 0) {
      a.mark().nonRoutable = this.marks.nonRoutable;
      a.mark().nonRoutableBlocks = this.marks.nonRoutableBlocks;
    }
    a.addressesEver = this.addressesEver;
    a.knownEver = this.knownEver;
    a.ttlMin = this.ttlMin;
    a.ttlSamples = this.ttlSamples;
    a.ttlLowSamples = this.ttlLowSamples;
    a.windowAddressesPeak = this.windowAddressesPeak;
    a.windowAsnsPeak = this.windowAsnsPeak;
    a.windowCountriesPeak = this.windowCountriesPeak;
    a.dayAddressesPeak = this.dayAddressesPeak;
    a.dayPeaks = this.dayPeaks;
    a.answersNew = this.answersNew;
    a.answerSizeMax = this.answerSizeMax;
    return a;
  }
}

export const REPUTATION_POOL = 1;
export const REPUTATION_DYNAMIC_DNS = 2;
/** Bits 2..4: on how many top-site lists the registered domain is (0..7). */
export const REPUTATION_TOP_SHIFT = 2;

/** Estimated distinct clients from the 64-bit sketch. */
export function estimateClients(state: FluxState): number {
  return linearCount(64 - popcount(state.clientBitsLow) - popcount(state.clientBitsHigh), 64);
}

/**
 * Linear counting: how many distinct items, hashed into a `width`-bit sketch,
 * leave `zeros` bits clear (rounded; 0 for an empty sketch). With every bit
 * set the count is beyond what the sketch can tell: its ceiling, width·ln width.
 */
export function linearCount(zeros: number, width: number): number {
  if (zeros === width) return 0;
  if (zeros === 0) return Math.round(width * Math.log(width));
  return Math.round(-width * Math.log(zeros / width));
}

export function popcount(x: number): number {
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
  if (s.length < 13) return s;
  // Two pieces joined make a cons string; reading a character flattens it into
  // a new sequential string, and the garbage collector then drops the cons
  // wrapper, so what stays is the copy alone (44 bytes for a 24-character name;
  // slicing a concatenation, as this did before, kept a 32-byte slice header too).
  const copy = s.slice(0, 1) + s.slice(1);
  copy.charCodeAt(0);
  return copy;
}
