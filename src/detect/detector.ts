/**
 * Detector: the sliding state of every tracked domain. Observations go in;
 * verdicts come out twice: `onFlag` the moment a domain first crosses a flag
 * threshold (or rises from suspicious to fast-flux), and `onFinal` when a
 * domain is evicted or the run ends. Memory is bounded by limits.maxDomains
 * and the per-domain caps.
 */
import type { Config } from '../config/schema.js';
import type { Enricher } from '../enrich/enricher.js';
import { describeSources } from '../enrich/index.js';
import type { Infra } from '../enrich/infra/index.js';
import type { IntelHit } from '../intel/index.js';
import type { IntelView } from '../intel/view.js';
import type { DnsObservation } from '../model/observation.js';
import { isoTime, type IntelListing, type Verdict } from '../model/verdict.js';
import { absorb, absorbServerAddresses } from './absorb.js';
import { ObservationDigest } from './digest.js';
import { emptyFeatures, type MeasureContext } from './features/index.js';
import { measure, measureInto, toVerdict, type Evaluation, type VerdictOptions } from './evaluate.js';
import { isThrowawayUnion, labelOf, levelOf, newScores, nsPointsOnly, ownScore, scoresInto, stateLabel } from './score.js';
import { holzOfState } from './holz.js';
import { NameTable } from './name-table.js';
import { FluxNetworks, newOverlap } from './networks.js';
import { ADDRESS_STRIDE, K_ASN, K_COUNTRY, K_KEY, K_PROVIDER, type AddressKey, type AddressTable } from './address-table.js';
import { formatIPv4 } from '../model/names.js';
import { registrableDomain } from './registered-domain.js';
import { SuspiciousNetworks, type Candidate } from './suspicious-networks.js';
import { clientHash, detach, FluxState, NO_SCORE_MEMO, REPUTATION_DYNAMIC_DNS, REPUTATION_POOL, REPUTATION_TOP_SHIFT } from './state.js';
import { ZoneCuts } from './zone-cuts.js';
import type { FlowEvidenceSource } from './flows/analysis.js';
import { ownAddresses, withFlowEvidence } from './flows/evidence.js';
import { answersInjected, hasTamperingFinding } from './tampering.js';
import { IntelEvidence, listingOf } from './intel-evidence.js';
import { intelListingVerdict, listingReason } from './intel-verdict.js';

export interface DetectorOptions {
  config: Config;
  enricher: Enricher;
  /** Known CDNs, clouds, pools, dynamic DNS and top sites; null to go without. */
  infra?: Infra | null;
  /** Threat-intelligence feeds (src/intel): listed names and flux-infrastructure addresses; null or absent: none. */
  intel?: IntelView | null;
  /**
   * The allowlist (policy.allowlist, allowlistFiles; serve adds the operator's allow entries): intel never
   * flags a name it covers, neither by listing it nor by its listed addresses. Absent: nothing is allowlisted.
   */
  isAllowlisted?: ((name: string) => boolean) | null;
  /**
   * What flow data says about a domain's own addresses (detect/flows: the run's or daemon's FlowAnalysis):
   * features flow_evidence and flow_clients, Verdict.flows and a reason. Null or absent: no flows.
   */
  flows?: FlowEvidenceSource | null;
  /** Also compute the Holz et al. flux-score for each verdict. */
  baseline?: 'holz' | null;
  onFlag?: (verdict: Verdict) => void;
  onFinal?: (verdict: Verdict) => void;
  /**
   * A name joined a flux network (detect/parallel: the other partitions learn it at the next exchange).
   * The address table is a copy. Absent: nothing is told.
   */
  onNetworkJoin?: (join: NetworkJoin) => void;
  /** A name touched one network address alone (shared-hosting evidence; detect/parallel ships it like a join). */
  onNetworkTouch?: (key: AddressKey, registeredHash: number) => void;
  /** A name suspicious on its own evidence joined the candidate graph of suspicious names (detect/parallel ships it). */
  onSuspiciousJoin?: (join: SuspiciousJoin) => void;
  /**
   * Called before the detector reads or changes what it shares with other
   * partitions (flux networks, shared-host touches, suspicious candidates):
   * on rescoring and finalising a domain, about one observation in eight.
   * A partition (detect/parallel) catches up with the others there, not at
   * every observation.
   */
  beforeShared?: () => void;
  /**
   * With beforeShared: may a record another partition observes carry this
   * address (an answer address of one, as detect/parallel's reader notes
   * them)? A rescore whose domain holds no such address, and none already in
   * the flux-network graph, cannot read anything another partition's events
   * change (those only add the other partitions' answer addresses), so it
   * does not wait for them; flagging still does. Absent: every rescore calls
   * beforeShared.
   */
  foreignAddress?: (key: AddressKey) => boolean;
  /**
   * detect/parallel: the input index of the observation being applied, stamped on each state as it
   * enters a table (FluxState.born), and told per flush entry through onFlushEntry. Absent: the
   * detector's own observation count.
   */
  place?: () => number;
  /**
   * Called in flush() before each entry is finalised: its group (0 a name of the name table, in slot
   * order; 1 a registered domain's aggregate, in the map's insertion order; 2 a listed domain), its key
   * and where it entered its table. A partition hands these on so the main thread emits the end-of-input
   * verdicts in one detector's order.
   */
  onFlushEntry?: (group: FlushGroup, key: string, born: number) => void;
  /** Build final verdicts for benign domains too (default false: onFinal sees only flagged ones). */
  reportBenign?: boolean;
  /**
   * Tests: score every state the end-of-input check would take from its memo
   * (FluxState.scoreMemo) again, and throw when the two differ.
   */
  checkScoreMemo?: boolean;
}

/** A flush entry's table: names (slot order), registered-domain aggregates, listed domains (insertion order). */
export type FlushGroup = 0 | 1 | 2;

/** A name's addresses joining the flux-network graph, as detect/parallel ships it between partitions. */
export interface NetworkJoin {
  domain: string;
  addresses: AddressTable;
  firstSeen: number;
  lastSeen: number;
}

/** A suspicious name joining the candidate graph of suspicious names (addresses empty: it had none). */
export interface SuspiciousJoin {
  domain: string;
  registered: string;
  addresses: AddressTable;
}

/** One flux network as the API shows it: its domains, addresses (with AS and country) and which domain resolved to which address. */
export interface NetworkMembers {
  id: string;
  domains: string[];
  addresses: Array<{ address: string; asn: number | null; country: string | null }>;
  edges: Array<{ domain: string; address: string }>;
}

export interface DetectorStats {
  observations: number;
  /** Observations that carried nothing detection uses (no addresses, NS or CNAME; PTR, MX, NXDOMAIN...). */
  ignored: number;
  /** Of those, observations of the root or a public suffix (`org`, `co.uk`, `github.io`, `test`): never scored. */
  publicSuffixes: number;
  /** Of those, observations of names an allowlist feed (MISP warninglist) names: never scored. */
  knownNames: number;
  namesTracked: number;
  registeredTracked: number;
  /** Domains finalised early because of limits.maxDomains or limits.idleTimeout. */
  evicted: number;
  flagEvents: number;
  /** Flag crossings not reported because a verdict restored from the store had reported them before a restart. */
  restoredFlags: number;
  /** Candidate networks of suspicious names promoted to flux networks (networks.suspicious). */
  suspiciousNetworks: number;
  /** Domains an intel feed lists (the listed value: a name and everything under it) first looked up: listing verdicts raised. */
  intelListed: number;
  /** Lookups of an allowlisted name an intel feed lists (itself or an ancestor): never flagged. */
  intelAllowlisted: number;
}

/** Every count zero: a new detector's, and the sum a partitioned one starts from. */
export function emptyDetectorStats(): DetectorStats {
  return {
    observations: 0,
    ignored: 0,
    publicSuffixes: 0,
    knownNames: 0,
    namesTracked: 0,
    registeredTracked: 0,
    evicted: 0,
    flagEvents: 0,
    restoredFlags: 0,
    suspiciousNetworks: 0,
    intelListed: 0,
    intelAllowlisted: 0,
  };
}

/** A listed domain looked up (by itself or a name under it): its listing verdict, raised once and reported at the end. */
interface ListedDomain {
  listing: IntelListing;
  /** The first name looked up under it (the reason names it). */
  name: string;
  first: number;
  last: number;
  lookups: number;
  /** A name's own verdict carried the listing already (reported through onFinal): no second verdict. */
  reported: boolean;
  /** Where it entered listedDomains (DetectorOptions.place). */
  born: number;
}

/** The flag a verdict restored from the store had reported: level, and when and after how many lookups it was first flagged. */
interface RestoredFlag {
  level: number;
  flaggedAt: number;
  flaggedLookups: number;
}

// Query types whose answers can show flux; others (PTR, MX, TXT, ...) are counted, not tracked.
const TRACKED_QTYPES = new Set(['A', 'AAAA', 'NS', 'CNAME', 'ANY', 'HTTPS', 'SVCB', '*']);

export class Detector {
  private readonly config: Config;
  private readonly names = new NameTable<FluxState>();
  /** Clock hand over the name table's slots, for eviction beyond limits.maxDomains. */
  private hand = 0;
  /** Registered domain → its aggregate, or the state of its only name so far. */
  private readonly registered = new Map<string, FluxState>();
  private readonly digest: ObservationDigest;
  private readonly verdictOptions: VerdictOptions;
  private readonly onFlag: ((v: Verdict) => void) | undefined;
  private readonly onFinal: ((v: Verdict) => void) | undefined;
  private readonly onNetworkJoin: ((join: NetworkJoin) => void) | undefined;
  private readonly onNetworkTouch: ((key: AddressKey, registeredHash: number) => void) | undefined;
  private readonly onSuspiciousJoin: ((join: SuspiciousJoin) => void) | undefined;
  private readonly beforeShared: (() => void) | undefined;
  private readonly place: (() => number) | null;
  private readonly onFlushEntry: ((group: FlushGroup, key: string, born: number) => void) | undefined;
  private readonly foreignAddress: ((key: AddressKey) => boolean) | null;
  /** Names of other partitions adopted into the network graph → their network id (adoptNetworkJoin). */
  private readonly remoteMembers = new Map<string, number>();
  private readonly reportBenign: boolean;
  private readonly checkScoreMemo: boolean;
  /** Memos checkScoreMemo compared with a fresh score (tests read it: the check ran). */
  scoreMemoChecks = 0;
  private readonly holz: boolean;
  /** Reused by every re-score, so scoring on the hot path allocates nothing. */
  private readonly scratch = emptyFeatures();
  private readonly quickContext: MeasureContext;
  /** Flux service networks of the domains detected so far. */
  readonly networks: FluxNetworks;
  /** Candidate networks of names each only suspicious on its own evidence. */
  private readonly suspiciousNetworks: SuspiciousNetworks;
  private readonly infra: Infra | null;
  private readonly enricher: Enricher;
  private now = -Infinity;
  private lastSweep = -Infinity;
  private sinceCheck = 0;
  /**
   * Name server → the states of zones it serves (at most 4 each), so that a
   * lookup of the name server itself adds its addresses to those zones'
   * name-server evidence: resolvers look up NS names all the time, and
   * passive DNS keeps glue as separate tuples.
   */
  private readonly servedZones = new Map<string, FluxState[]>();
  /** Name servers servedZones has forgotten (its cap): a record of them noted before may be gone (Delegation.zonesNotedAt). */
  private servedZonesEpoch = 0;
  /** Registered domain → a name under it detected as fast-flux (for names with no addresses of their own). */
  private readonly fluxNames = new Map<string, string>();
  /** Domain → what a verdict restored from the store had reported (rememberFlag), until the domain's state is finalised. */
  private readonly restoredFlags = new Map<string, RestoredFlag>();
  /** Registered-domain aggregates in `registered` (the other entries point at a lone name's own state). */
  private aggregates = 0;
  private readonly intel: IntelView | null;
  private readonly flows: FlowEvidenceSource | null;
  private readonly isAllowlisted: ((name: string) => boolean) | null;
  /** Listed value → its listing verdict's facts; at most limits.maxDomains, oldest reported and dropped. */
  private readonly listedDomains = new Map<string, ListedDomain>();
  readonly stats: DetectorStats = emptyDetectorStats();

  constructor(options: DetectorOptions) {
    this.config = options.config;
    this.digest = new ObservationDigest(options.enricher, options.infra ?? null);
    this.networks = new FluxNetworks(options.config.limits.maxNetworkAddresses, options.config.networks.sharedHostDomains);
    this.suspiciousNetworks = new SuspiciousNetworks(options.config.networks.suspicious);
    this.infra = options.infra ?? null;
    this.enricher = options.enricher;
    this.quickContext = { config: this.config, detail: false, networks: this.networks, infra: this.infra };
    this.verdictOptions = {
      networks: this.networks,
      infra: this.infra,
      baseline: options.baseline ?? null,
      enrichment: describeSources([...options.enricher.sources, ...(options.infra?.sources ?? [])]),
    };
    this.onFlag = options.onFlag;
    this.onFinal = options.onFinal;
    this.onNetworkJoin = options.onNetworkJoin;
    this.onNetworkTouch = options.onNetworkTouch;
    this.onSuspiciousJoin = options.onSuspiciousJoin;
    this.beforeShared = options.beforeShared;
    this.place = options.place ?? null;
    this.onFlushEntry = options.onFlushEntry;
    this.foreignAddress = options.foreignAddress ?? null;
    this.reportBenign = options.reportBenign ?? false;
    this.checkScoreMemo = options.checkScoreMemo ?? false;
    this.holz = options.baseline === 'holz';
    this.intel = options.intel ?? null;
    this.flows = options.flows ?? null;
    this.isAllowlisted = options.isAllowlisted ?? null;
    this.digest.isAllowlisted = this.isAllowlisted;
  }

  /** Domains currently held in memory (names plus registered domains). */
  get tracked(): number {
    return this.names.size + this.aggregates;
  }

  observe(obs: DnsObservation): void {
    this.stats.observations++;
    if (obs.ts > this.now) this.now = obs.ts;
    let nameState = this.names.get(obs.qname);
    let aggregate: FluxState | null;
    // The feeds' index is read once per lookup (a reload swaps it whole); without feeds nothing below costs.
    const index = this.intel === null ? null : this.intel.current();
    this.digest.addresses.intel = index;
    // A public suffix or the root is never listed (refused at index build), so a match is a registrable name or under one.
    const listed = index !== null && index.domains > 0 ? this.noteListed(obs, index.matchDomain(obs.qname), nameState) : null;
    if (nameState === undefined) {
      if (!TRACKED_QTYPES.has(obs.qtype)) {
        this.stats.ignored++;
        return;
      }
      const reg = registrableDomain(obs.qname);
      // A public suffix or the root is never scored: flagging it would block every name under it.
      if (reg === null) {
        this.stats.ignored++;
        this.stats.publicSuffixes++;
        return;
      }
      // A name an allowlist feed (MISP warninglist) names is never scored either: the operator said it is legitimate.
      if (this.infra?.isKnownName?.(obs.qname, reg) === true) {
        this.stats.ignored++;
        this.stats.knownNames++;
        return;
      }
      this.digest.read(obs, reg);
      if (this.digest.isEmpty()) {
        this.stats.ignored++;
        return;
      }
      const key = detach(obs.qname);
      nameState = new FluxState(key, reg === obs.qname ? key : detach(reg), 'name', Math.floor(obs.ts));
      if (this.infra !== null) nameState.reputation = reputationOf(this.infra, key, nameState.registered);
      nameState.born = this.place === null ? this.stats.observations : this.place();
      this.names.set(key, nameState);
      this.stats.namesTracked++;
      if (listed !== null) attachListing(nameState, listed.listing);
      this.adoptRestoredFlag(nameState);
      aggregate = this.joinRegistered(nameState);
      if (this.tracked > this.config.limits.maxDomains) this.enforceLimits();
    } else {
      this.digest.read(obs, nameState.registered);
      aggregate = nameState.aggregate;
      if (aggregate !== null && aggregate.evicted) aggregate = nameState.aggregate = null;
    }
    const signatureBefore = nameState.delegation === null ? 0 : nameState.delegation.lastSignature;
    const addressesBefore = nameState.addressesEver;
    const signature = this.digest.delegationSignature;
    // Before scoring: a registered domain seen delegating children is not scored as one zone.
    if (signature !== 0 && signature !== signatureBefore && this.digest.nsCut !== '') this.noteCut(nameState, aggregate);
    absorb(nameState, obs, this.digest, this.config);
    if (nameState.dirty) this.rescore(nameState);
    if (aggregate !== null) {
      absorb(aggregate, obs, this.digest, this.config);
      if (aggregate.dirty) this.rescore(aggregate);
    }
    if (signature !== 0 && signature !== signatureBefore) this.noteServedZones(nameState, aggregate);
    if (nameState.addressesEver > addressesBefore && this.servedZones.size > 0) this.linkServerAddresses(nameState, obs.ts);
    if (++this.sinceCheck >= 4096) {
      this.sinceCheck = 0;
      this.enforceLimits();
    }
  }

  /**
   * A flagged verdict restored from the store after a restart: its flag event
   * went out before. When its domain is tracked again (the store replays its
   * recent tuples, a followed log is read again from its start), crossing the
   * same threshold again raises no new flag event (the `onFlag` a SIEM would
   * count twice, with different evidence); rising higher (suspicious, then
   * fast-flux) still does. Its first flag time and lookups carry over into
   * later verdicts. At most limits.maxDomains are remembered, oldest dropped;
   * once the domain's state is finalised (evicted), it is forgotten, so a
   * later episode is reported like that of any evicted domain.
   */
  rememberFlag(v: Verdict): void {
    const level = levelOf(v.verdict);
    if (level === 0) return;
    if (this.restoredFlags.size >= this.config.limits.maxDomains) {
      const oldest = this.restoredFlags.keys().next();
      if (!oldest.done) this.restoredFlags.delete(oldest.value);
    }
    const flaggedAt = v.first_flagged === null ? NaN : Math.floor(Date.parse(v.first_flagged) / 1000);
    // By domain alone, as FlaggedDomains holds them: a name and the union of its registered domain may share one.
    this.restoredFlags.set(v.domain, {
      level,
      flaggedAt: Number.isFinite(flaggedAt) ? flaggedAt : -1,
      flaggedLookups: v.lookups_to_flag ?? -1,
    });
  }

  /** A state made for a domain whose flag was restored from the store starts from that flag. */
  private adoptRestoredFlag(state: FluxState): void {
    if (this.restoredFlags.size === 0) return;
    const flag = this.restoredFlags.get(state.key);
    if (flag === undefined) return;
    const marks = state.mark();
    marks.restoredLevel = flag.level;
    marks.flaggedAt = flag.flaggedAt;
    marks.flaggedLookups = flag.flaggedLookups;
  }

  /** Finalise every tracked domain (end of input). */
  flush(): void {
    const told = this.onFlushEntry;
    for (const state of this.names.values()) {
      told?.(0, state.key, state.born);
      this.finalise(state);
    }
    for (const state of this.registered.values())
      if (state.scope === 'registered_domain') {
        told?.(1, state.key, state.born);
        this.finalise(state);
      }
    // After the names: a listed name whose own verdict carried its listing is not reported twice.
    for (const entry of this.listedDomains.values()) {
      told?.(2, entry.listing.value, entry.born);
      this.finaliseListed(entry);
    }
    this.names.clear();
    this.registered.clear();
    this.listedDomains.clear();
    this.aggregates = 0;
  }

  /**
   * A lookup of a name an intel feed lists (itself or an ancestor; `hit` is
   * the index's reused object, null when not listed): the first lookup under
   * a listed domain raises its listing verdict through onFlag; later ones
   * only count. Never for an allowlisted name. Copies the hit only when it is
   * new to the name. Returns the listed domain's entry, or null.
   */
  private noteListed(obs: DnsObservation, hit: IntelHit | null, state: FluxState | undefined): ListedDomain | null {
    if (hit === null) return null;
    const known = state === undefined ? undefined : state.marks.intel;
    if (known?.allowlisted === true) {
      this.stats.intelAllowlisted++;
      return null;
    }
    let entry = this.listedDomains.get(hit.value);
    // Most lookups of a listed name: its state already holds this very listing, and nothing is copied.
    if (entry === undefined || known === undefined || known === null || known.domain !== entry.listing || hit.ref !== entry.listing.ref || hit.feed !== entry.listing.feed) {
      if (this.isAllowlisted !== null && this.isAllowlisted(obs.qname)) {
        this.stats.intelAllowlisted++;
        if (state !== undefined) (state.mark().intel ??= new IntelEvidence()).allowlisted = true;
        return null;
      }
      if (entry === undefined) entry = this.addListed(obs, listingOf(hit, 'domain'));
      else if (hit.ref !== entry.listing.ref || hit.feed !== entry.listing.feed) entry.listing = listingOf(hit, 'domain');
      if (state !== undefined) attachListing(state, entry.listing);
    }
    if (obs.ts > entry.last) entry.last = Math.floor(obs.ts);
    entry.lookups += obs.count;
    return entry;
  }

  private addListed(obs: DnsObservation, listing: IntelListing): ListedDomain {
    if (this.listedDomains.size >= this.config.limits.maxDomains) {
      const oldest = this.listedDomains.values().next();
      if (!oldest.done) {
        this.listedDomains.delete(oldest.value.listing.value);
        this.finaliseListed(oldest.value);
      }
    }
    const at = Math.floor(obs.ts);
    const born = this.place === null ? this.stats.observations : this.place();
    const entry: ListedDomain = { listing, name: detach(obs.qname), first: at, last: at, lookups: 0, reported: false, born };
    this.listedDomains.set(listing.value, entry);
    this.stats.intelListed++;
    // A listing a verdict restored from the store had raised before a restart is not raised again.
    if ((this.restoredFlags.get(listing.value)?.level ?? 0) >= 2) {
      this.stats.restoredFlags++;
      return entry;
    }
    this.stats.flagEvents++;
    if (this.onFlag !== undefined) this.onFlag(intelListingVerdict(obs.qname, listing, at));
    return entry;
  }

  /** The listing verdict of a listed domain, with the lookups and times seen. */
  private listedVerdict(entry: ListedDomain): Verdict {
    const v = intelListingVerdict(entry.name, entry.listing, entry.first);
    v.last_seen = isoTime(entry.last);
    v.features.lookups = entry.lookups;
    return v;
  }

  private finaliseListed(entry: ListedDomain): void {
    if (entry.reported || this.onFinal === undefined) return;
    entry.reported = true;
    this.onFinal(this.listedVerdict(entry));
  }

  /**
   * Note a new name under its registered domain. The registered map holds the
   * first name's own state until a second name appears; only then is an
   * aggregate made (from the first name's evidence). Returns the aggregate, if any.
   */
  private joinRegistered(nameState: FluxState): FluxState | null {
    const reg = nameState.registered;
    const entry = this.registered.get(reg);
    if (entry === undefined) {
      this.registered.set(reg, nameState);
      return null;
    }
    if (entry.scope === 'registered_domain') {
      // Its names and reputation are features of the aggregate.
      entry.scoreMemo = NO_SCORE_MEMO;
      entry.names++;
      entry.reputation |= nameState.reputation;
      nameState.aggregate = entry;
      return entry;
    }
    const aggregate = entry.toAggregate(!answersInjected(entry));
    aggregate.names = 2;
    aggregate.reputation |= nameState.reputation;
    entry.aggregate = nameState.aggregate = aggregate;
    // It takes the lone entry's place in the map, so it iterates where that entry entered.
    aggregate.born = entry.born;
    this.adoptRestoredFlag(aggregate);
    this.registered.set(reg, aggregate);
    this.aggregates++;
    this.stats.registeredTracked++;
    return aggregate;
  }

  private rescore(state: FluxState): void {
    if (this.beforeShared !== undefined && !this.keepsToItself(state)) this.beforeShared();
    state.dirty = false;
    state.unscored = 0;
    if (this.holz && state.marks.holzAt < 0) this.holzCheck(state);
    const fast = this.config.verdict.fastFlux;
    // A name answered by an injector: its answers are not its own, so they are no evidence of flux (tampering.ts).
    if (answersInjected(state)) return;
    if (state.flagLevel === 2) {
      this.beforeShared?.();
      // A fast-flux name keeps rotating into new bots: they join its network too. A name flagged
      // through a network's addresses joins only once its own evidence makes it fast-flux.
      if (state.marks.network >= 0 || (state.scope === 'name' && this.ownScoreOf(state) >= fast)) this.joinNetwork(state);
      return;
    }
    const touches = this.touchesNetwork(state);
    if (!showsRotation(state) && !touches && !hasIntelEvidence(state)) return;
    let score = this.quickScore(state);
    const own = this.scores.own;
    if (state.scope === 'name') {
      // One network address and nothing else shared, on a name not fast-flux on its own: if many
      // unrelated registered domains do that, the address is shared hosting (or an injector's pick).
      if (touches && this.overlapScratch.hits === 1 && own < fast) {
        const hash = clientHash(state.registered);
        this.networks.noteTouch(this.overlapScratch.key, hash);
        this.onNetworkTouch?.(this.overlapScratch.key, hash);
      }
      // A known pool, dynamic-DNS host or top site is suspicious at most despite its reputation: never a bot network's member.
      if (own >= this.config.verdict.suspicious && own < fast && state.reputation === 0 && this.scratch.single_country_asns === 0) {
        // The candidate graph links through any member's addresses, not only this name's.
        this.beforeShared?.();
        if (this.joinSuspicious(state)) score = this.quickScore(state);
      }
    }
    const level = this.delegationsHeld(state) > 0 ? 0 : levelOf(stateLabel(score, this.config, this.isHeld(state)));
    if (level <= state.flagLevel) return;
    // A flag's verdict reads the whole graph (its network's size, members, labels).
    this.beforeShared?.();
    if (state.marks.flaggedAt < 0) {
      const marks = state.mark();
      marks.flaggedAt = state.lastSeen;
      marks.flaggedLookups = state.lookups;
    }
    state.flagLevel = level;
    if (level === 2) {
      // Only names fast-flux on their own evidence (or promoted with a network of suspicious names) define networks.
      if (own >= fast || state.marks.suspiciousNames > 0) this.joinNetwork(state);
      if (state.scope === 'name') this.noteFluxName(state);
    }
    if (level <= state.marks.restoredLevel) {
      this.stats.restoredFlags++;
      return;
    }
    // A listed name's listing verdict went out on its first lookup; only fast-flux on evidence says more.
    if (level < 2 && state.marks.intel?.domain?.value === state.key) return;
    this.stats.flagEvents++;
    if (this.onFlag !== undefined) this.onFlag(this.verdictOf(state, this.evaluate(state)));
  }

  /**
   * A rescore of state reads the shared graph only through its addresses,
   * its name servers' addresses and its zone's (quickScore: flux-network
   * and ns-flux features): when none of them is in the graph now, and none
   * is an address another partition's records carried, no event of another
   * partition can change what it reads (see DetectorOptions.foreignAddress).
   */
  private keepsToItself(state: FluxState): boolean {
    if (this.foreignAddress === null) return false;
    if (!this.tableKeepsToItself(state.addresses) || !this.tableKeepsToItself(state.delegation?.nsAddresses ?? null)) return false;
    if (state.scope !== 'name') return true;
    // zoneNsPoints: the registered domain's union, or the apex of a delegating registered domain (not followed here).
    if (this.delegatingCuts(state) !== null) return false;
    const zone = state.aggregate;
    return zone === null || zone.evicted || this.tableKeepsToItself(zone.delegation?.nsAddresses ?? null);
  }

  private tableKeepsToItself(table: AddressTable | null): boolean {
    if (table === null) return true;
    const foreign = this.foreignAddress!;
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      // Known CDN and cloud addresses never enter the graph (networks.ts).
      if ((table[i + K_PROVIDER] as number) >= 0) continue;
      const key = table[i + K_KEY]!;
      if (foreign(key) || this.networks.networkOf(key) >= 0) return false;
    }
    return true;
  }

  /** The NS names of this observation belong to the zone cut at digest.nsCut: note it under the registered domain. */
  private noteCut(nameState: FluxState, aggregate: FluxState | null): void {
    const holder = aggregate ?? (this.registered.get(nameState.registered) === nameState ? nameState : null);
    if (holder === null) return;
    const cuts = holder.cuts ?? (holder.cuts = new ZoneCuts(nameState.registered));
    cuts.note(this.digest.nsCut, this.digest.nsNames.names, this.digest.nsNames.size);
  }

  /**
   * The delegated zone a name sits in (ZoneCuts.zoneOf): inferred at the
   * children's depth only for a name whose responses never named a name
   * server (one that did was seen in the zone those name servers serve).
   */
  private zoneOfName(cuts: ZoneCuts, name: string): string | null {
    const st = this.names.get(name);
    return cuts.zoneOf(name, st === undefined || st.delegation === null || st.delegation.nsNamesEver === 0);
  }

  /** The zone cuts of state's registered domain when it delegates child zones to their own name servers; null otherwise. */
  private delegatingCuts(state: FluxState): ZoneCuts | null {
    const holder = state.scope === 'registered_domain' ? state : (state.aggregate ?? (state.cuts === null ? null : state));
    const cuts = holder === null || holder.evicted ? null : holder.cuts;
    return cuts !== null && cuts.delegations() > 0 ? cuts : null;
  }

  /**
   * A registered domain that delegates child zones to their own name
   * servers (a shared registry) is not one zone: the union of its names
   * adds up its customers' addresses and name servers. It is held at benign
   * (each zone and name is judged on its own) unless its own zone shows
   * flux: its apex name servers rotate, or a name of its own zone (not of a
   * delegated child) is fast-flux. The number of delegations; 0 when not held.
   */
  private delegationsHeld(state: FluxState): number {
    if (state.scope !== 'registered_domain') return 0;
    const cuts = this.delegatingCuts(state);
    if (cuts === null) return 0;
    const flux = this.fluxNames.get(state.key);
    if (flux !== undefined && this.zoneOfName(cuts, flux) === null) return 0;
    const apex = this.names.get(state.key);
    if (apex !== undefined && !apex.evicted && apex.delegation !== null && this.nsPointsOf(apex) >= this.config.verdict.doubleFluxPoints) return 0;
    return cuts.delegations();
  }

  private readonly nsScratch = emptyFeatures();
  private nsPointsOf(state: FluxState): number {
    return nsPointsOnly(measureInto(state, this.quickContext, this.nsScratch), this.config);
  }

  /**
   * Name-server points of the zone a name sits in, beyond its own: the
   * registered domain's union, or, under a registered domain that delegates
   * children, the state of the zone's apex name (the closest enclosing cut,
   * else the registered domain itself) — a child's NS set is its own, not
   * its parent's, and the parent's is not its children's.
   */
  private zoneNsPoints(state: FluxState): number {
    const cuts = state.scope === 'name' ? this.delegatingCuts(state) : null;
    if (cuts === null) {
      const zone = state.aggregate;
      return zone === null || zone.evicted || zone.delegation === null ? 0 : measure(zone, this.config, this.networks, this.infra).scored.nsPoints;
    }
    const apex = this.names.get(this.zoneOfName(cuts, state.key) ?? state.registered);
    return apex === undefined || apex === state || apex.evicted || apex.delegation === null ? 0 : this.nsPointsOf(apex);
  }

  /**
   * A name suspicious on its own evidence joins the candidate graph. When its
   * candidate is (or now grows into) a network of suspicious names, every
   * name of it is promoted. True when this name was promoted now.
   */
  private joinSuspicious(state: FluxState): boolean {
    const candidate = this.suspiciousNetworks.join(state.key, state.registered, state.addresses);
    this.onSuspiciousJoin?.({ domain: state.key, registered: state.registered, addresses: state.addresses === null ? [] : state.addresses.slice() });
    if (candidate === null || state.marks.suspiciousNames > 0) return false;
    if (!candidate.promoted && !this.suspiciousNetworks.isNetwork(candidate)) return false;
    if (!candidate.promoted) this.stats.suspiciousNetworks++;
    candidate.promoted = true;
    this.promote(candidate, state);
    return true;
  }

  /**
   * A name of another partition joined the candidate graph of suspicious
   * names (detect/parallel): the same join here, and when its candidate is a
   * network, this partition's members of it are promoted (as promote() does
   * in the partition of the name that joined; counted there).
   */
  adoptSuspiciousJoin(join: SuspiciousJoin): void {
    const candidate = this.suspiciousNetworks.join(join.domain, join.registered, join.addresses.length === 0 ? null : join.addresses);
    if (candidate === null) return;
    if (!candidate.promoted && !this.suspiciousNetworks.isNetwork(candidate)) return;
    candidate.promoted = true;
    const names = candidate.registered.size;
    const members: FluxState[] = [];
    for (const member of candidate.members) {
      const st = this.names.get(member);
      if (st === undefined || st.evicted || st.marks.suspiciousNames > 0) continue;
      st.mark().suspiciousNames = names;
      members.push(st);
    }
    for (const st of members) this.rescore(st);
  }

  /** Mark every name of a promoted candidate, then re-score the others (each raises onFlag once, as it turns fast-flux). */
  private promote(candidate: Candidate, current: FluxState): void {
    const names = candidate.registered.size;
    const members: FluxState[] = [];
    // The current name first: a candidate remembers at most 64 members, and a name joining past them is promoted too.
    if (current.marks.suspiciousNames === 0) current.mark().suspiciousNames = names;
    for (const member of candidate.members) {
      const st = member === current.key ? current : this.names.get(member);
      if (st === undefined || st.evicted || st.marks.suspiciousNames > 0) continue;
      st.mark().suspiciousNames = names;
      if (st !== current) members.push(st);
    }
    for (const st of members) this.rescore(st);
  }

  /** The score of a name on its own evidence (no flux-network points). */
  private ownScoreOf(state: FluxState): number {
    measureInto(state, this.quickContext, this.scratch);
    return ownScore(this.scratch, this.config);
  }

  private noteServedZones(nameState: FluxState, aggregate: FluxState | null): void {
    // Recorded before for these very name servers (see Delegation.zonesNotedAt): nothing would change.
    const d = nameState.delegation;
    if (d !== null && d.nsNamesBeyond === null && d.zonesNotedAt === d.nsNamesEver && d.zonesNotedWith === aggregate && d.zonesNotedEpoch === this.servedZonesEpoch) return;
    const nsNames = this.digest.nsNames;
    for (let i = 0; i < nsNames.size; i++) {
      const ns = nsNames.at(i);
      let zones = this.servedZones.get(ns);
      if (zones === undefined) {
        if (this.servedZones.size >= this.config.limits.maxDomains) {
          const oldest = this.servedZones.keys().next();
          if (!oldest.done) {
            this.servedZones.delete(oldest.value);
            this.servedZonesEpoch++;
          }
        }
        this.servedZones.set(detach(ns), (zones = []));
      }
      if (zones.length < 4 && zones.indexOf(nameState) === -1) zones.push(nameState);
      if (aggregate !== null && zones.length < 4 && zones.indexOf(aggregate) === -1) zones.push(aggregate);
    }
    if (d === null) return;
    d.zonesNotedAt = d.nsNamesEver;
    d.zonesNotedWith = aggregate;
    d.zonesNotedEpoch = this.servedZonesEpoch;
  }

  /** A name server was looked up and showed new addresses: they are its zones' name-server addresses. */
  private linkServerAddresses(server: FluxState, ts: number): void {
    const zones = this.servedZones.get(server.key);
    if (zones === undefined) return;
    for (const zone of zones) {
      if (zone.evicted) continue;
      absorbServerAddresses(zone, this.digest.addresses, Math.floor(ts), this.config);
      if (zone.dirty) this.rescore(zone);
    }
  }

  /** Names (not registered-domain unions) detected as fast-flux define the networks. */
  private joinNetwork(state: FluxState): void {
    if (state.scope !== 'name' || state.addresses === null) return;
    const marks = state.mark();
    if (marks.network < 0) {
      this.networks.overlap(state.addresses, this.overlapScratch);
      marks.networkHitsAtJoin = this.overlapScratch.hits;
    }
    marks.network = this.networks.join(state.key, state.addresses, state.firstSeen, state.lastSeen, marks.network);
    this.onNetworkJoin?.({ domain: state.key, addresses: state.addresses.slice(), firstSeen: state.firstSeen, lastSeen: state.lastSeen });
  }

  /**
   * A name of another partition joined a flux network (detect/parallel): its
   * addresses join this detector's graph too, so that a name of this
   * partition resolving into them is recognised at first sight. A name that
   * joins again (it keeps rotating) is counted once, as joinNetwork does.
   */
  adoptNetworkJoin(join: NetworkJoin): void {
    const known = this.remoteMembers.get(join.domain) ?? -1;
    if (known < 0 && this.remoteMembers.size >= this.config.limits.maxDomains) {
      const oldest = this.remoteMembers.keys().next();
      if (!oldest.done) this.remoteMembers.delete(oldest.value);
    }
    this.remoteMembers.set(join.domain, this.networks.join(join.domain, join.addresses, join.firstSeen, join.lastSeen, known));
  }

  /** Does a zone tracked here name `server` among its name servers? (a partition reading the whole input skips every other lookup cheaply) */
  servesZones(server: string): boolean {
    return this.servedZones.has(server);
  }

  /**
   * A lookup of a name of another partition that is a name server of zones
   * this partition tracks (detect/parallel routes it here): its addresses are
   * those zones' name-server addresses, as linkServerAddresses does for a
   * name server of the same partition. Nothing else is tracked of it.
   */
  observeServer(obs: DnsObservation): void {
    if (obs.ts > this.now) this.now = obs.ts;
    const zones = this.servedZones.get(obs.qname);
    if (zones === undefined) return;
    const reg = registrableDomain(obs.qname);
    if (reg === null) return;
    this.digest.addresses.intel = this.intel === null ? null : this.intel.current();
    this.digest.read(obs, reg);
    if (this.digest.isEmpty()) return;
    for (const zone of zones) {
      if (zone.evicted) continue;
      absorbServerAddresses(zone, this.digest.addresses, Math.floor(obs.ts), this.config);
      if (zone.dirty) this.rescore(zone);
    }
  }

  /** The baseline's first flag, tracked like ours so that latencies compare. */
  private holzCheck(state: FluxState): void {
    if (holzOfState(state).flagged) {
      const marks = state.mark();
      marks.holzAt = state.lastSeen;
      marks.holzLookups = state.lookups;
    }
  }

  private readonly overlapScratch = newOverlap();
  private touchesNetwork(state: FluxState): boolean {
    this.networks.overlap(state.addresses, this.overlapScratch);
    return this.overlapScratch.hits > 0;
  }

  private finalise(state: FluxState): void {
    this.beforeShared?.();
    if (this.restoredFlags.size > 0) this.restoredFlags.delete(state.key);
    if (this.onFinal === undefined) return;
    const sibling = this.fluxSiblingOf(state);
    // A domain that never showed rotation scores nothing; skip the verdict unless benign ones are wanted.
    // A name with injected or poisoned answers is reported whatever its label: the operator's DNS is tampered with.
    // Flagged on the way, a domain is nearly always reported: its evaluation carries the same score as a quick one.
    let evaluation: Evaluation | null = null;
    if (!this.reportBenign && sibling === null && !hasTamperingFinding(state)) {
      if (!showsRotation(state) && !this.touchesNetwork(state) && !hasIntelEvidence(state)) return;
      // The score alone first (no explanation, nothing allocated): most domains that rotate are benign CDN names.
      if (state.flagLevel === 0 && labelOf(this.finalScore(state), this.config) === 'benign') return;
      if (this.delegationsHeld(state) > 0) return;
      if (state.flagLevel > 0) {
        evaluation = this.evaluate(state);
        if (labelOf(evaluation.scored.score, this.config) === 'benign') return;
      }
    }
    evaluation ??= this.evaluate(state);
    const verdict = this.verdictOf(state, evaluation, sibling);
    // The name's own verdict carries its listing: the listed domain's entry is reported with it.
    const listing = verdict.intel?.[0];
    if (listing !== undefined && listing.kind === 'domain' && listing.value === verdict.domain) {
      const entry = this.listedDomains.get(listing.value);
      if (entry !== undefined) entry.reported = true;
    }
    this.onFinal(verdict);
  }

  /** quickScore's last own score (the same pass as its score): rescore needs both. */
  private readonly scores = newScores();

  /**
   * The score alone (no explanations, nothing allocated): what re-scoring and the end-of-input check need.
   * Its own score is left in `scores`.
   * With flows, a name whose flow points could change its label (and only such a name) asks for its flow evidence.
   */
  private quickScore(state: FluxState): number {
    const f = measureInto(state, this.quickContext, this.scratch);
    const score = scoresInto(f, this.config, this.scores).score;
    const flows = this.heardFlows();
    // Kept only while nothing it read came from the graph or from flows (see FluxState.scoreMemo and finalScore).
    state.scoreMemo = flows === null && f.network_addresses === 0 && f.ns_network_addresses === 0 && state.marks.network < 0 ? score : NO_SCORE_MEMO;
    if (flows === null || score === 0) return score;
    const most = this.config.weights.flow_evidence.points;
    if (most <= 0 || labelOf(score, this.config) === labelOf(Math.min(100, score + most), this.config)) return score;
    const evidence = flows.evidence(ownAddresses(state.addresses), state.lastSeen);
    if (evidence === null) return score;
    this.scratch.flow_evidence = evidence.addresses;
    this.scratch.flow_clients = evidence.clients;
    return scoresInto(this.scratch, this.config, this.scores).score;
  }

  /**
   * quickScore for the end-of-input check, taken from the state's memo when
   * it holds one: the state has not changed since (every change clears it)
   * and the memo read nothing from the flux-network graph nor from flows, so
   * while neither its addresses nor its name servers' addresses are in the
   * graph now, and no flow has come, a fresh score reads the same. Most
   * tracked domains are benign names last scored on their last lookup: on
   * the pcap bench 50k of the 72k checked at the end reuse their memo
   * (measuring them again was about 9% of the run's CPU).
   */
  private finalScore(state: FluxState): number {
    const memo = state.scoreMemo;
    if (memo === NO_SCORE_MEMO || this.touchesNetwork(state) || this.heardFlows() !== null) return this.quickScore(state);
    this.networks.overlap(state.delegation?.nsAddresses ?? null, this.overlapScratch);
    if (this.overlapScratch.hits > 0) return this.quickScore(state);
    if (this.checkScoreMemo) {
      this.scoreMemoChecks++;
      const fresh = this.quickScore(state);
      if (fresh !== memo) throw new Error(`detector: ${state.key}: score memo ${memo} differs from a fresh score ${fresh}`);
    }
    return memo;
  }

  /** Features, score and reasons for a verdict; with flows, what they say about the domain's own addresses. */
  private evaluate(state: FluxState): Evaluation {
    const evaluation = measure(state, this.config, this.networks, this.infra);
    const flows = this.heardFlows();
    if (flows === null) return evaluation;
    const evidence = flows.evidence(ownAddresses(state.addresses), state.lastSeen);
    return evidence === null ? evaluation : withFlowEvidence(evaluation, evidence, this.config);
  }

  /** The flow evidence source once it holds a flow; null before (or without one): no score owes anything to flows then. */
  private heardFlows(): FlowEvidenceSource | null {
    return this.flows !== null && this.flows.hasEvidence() ? this.flows : null;
  }

  /** Remember a fast-flux name under its registered domain (the first one; bounded like the other tables). */
  private noteFluxName(state: FluxState): void {
    if (this.fluxNames.has(state.registered)) return;
    if (this.fluxNames.size >= this.config.limits.maxDomains) {
      const oldest = this.fluxNames.keys().next();
      if (!oldest.done) this.fluxNames.delete(oldest.value);
    }
    this.fluxNames.set(state.registered, state.key);
  }

  /**
   * A registered domain's union of busy names (more than
   * verdict.zoneMaxLookupsPerName lookups per name on average) with no
   * fast-flux name under it: it only re-adds its names' own evidence (two
   * mirror redirectors of one project together span more networks than
   * either), so it is held at suspicious and each name is judged on its own.
   */
  private isHeld(state: FluxState): boolean {
    return state.scope === 'registered_domain' && !isThrowawayUnion(state.names, state.lookups, this.config) && !this.fluxNames.has(state.key);
  }

  /**
   * For a name that resolved to no address of its own (its lookups carried
   * only name servers, CNAMEs or no data): a fast-flux name under the same
   * registered domain, whose verdict it takes. It is blocked through that
   * registered domain anyway; the verdict says so. Null otherwise.
   */
  private fluxSiblingOf(state: FluxState): string | null {
    if (state.scope !== 'name' || state.addressesEver > 0 || state.flagLevel === 2) return null;
    const sibling = this.fluxNames.get(state.registered);
    if (sibling === undefined || sibling === state.key) return null;
    // Under a registered domain that delegates children, only a sibling of the same zone: another customer's flux is not this one's.
    const cuts = this.delegatingCuts(state);
    return cuts === null || this.zoneOfName(cuts, sibling) === this.zoneOfName(cuts, state.key) ? sibling : null;
  }

  /**
   * The verdict a tracked domain (a name, or a registered domain with
   * several names) would get now; null when it is not tracked. The daemon
   * refreshes its flagged set with it, so blocks follow the live evidence.
   */
  current(domain: string): Verdict | null {
    let state = this.names.get(domain);
    if (state === undefined) {
      const reg = this.registered.get(domain);
      if (reg === undefined || reg.scope !== 'registered_domain') {
        const entry = this.listedDomains.get(domain);
        return entry === undefined ? null : this.listedVerdict(entry);
      }
      state = reg;
    }
    if (state.evicted) return null;
    return this.verdictOf(state, this.evaluate(state));
  }

  /**
   * A flux network ('fn-3') for the API: its sample domains (at most 50),
   * up to `limit` of its addresses, and the edges from those domains still
   * tracked to the addresses they resolve to. Read-only; null when there is
   * no such network.
   */
  networkMembers(label: string, limit: number): NetworkMembers | null {
    const root = this.networks.idOf(label);
    if (root < 0) return null;
    const facts = new Map<AddressKey, { address: string; asn: number | null; country: string | null }>();
    const edges: NetworkMembers['edges'] = [];
    const domains = [...this.networks.sampleOf(root)];
    for (const domain of domains) {
      const table = this.names.get(domain)?.addresses ?? null;
      if (table === null) continue;
      for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
        const key = table[i + K_KEY]!;
        if (this.networks.networkOf(key) !== root) continue;
        const address = typeof key === 'number' ? formatIPv4(key >>> 0) : key;
        edges.push({ domain, address });
        if (!facts.has(key) && facts.size < limit) {
          const asn = table[i + K_ASN] as number;
          const country = table[i + K_COUNTRY] as string;
          facts.set(key, { address, asn: asn > 0 ? asn : null, country: country === '' ? null : country });
        }
      }
    }
    for (const key of this.networks.addressesOf(root, limit)) {
      if (facts.size >= limit) break;
      if (facts.has(key)) continue;
      const address = typeof key === 'number' ? formatIPv4(key >>> 0) : key;
      const found = this.enricher.lookup(address);
      facts.set(key, { address, asn: found !== null && found.asn > 0 ? found.asn : null, country: found !== null && found.country !== '' ? found.country : null });
    }
    return { id: this.networks.label(root), domains, addresses: [...facts.values()], edges };
  }

  private verdictOf(state: FluxState, evaluation: Evaluation, fluxSibling = this.fluxSiblingOf(state)): Verdict {
    const cuts = state.scope === 'name' ? this.delegatingCuts(state) : null;
    const verdict = toVerdict(state, evaluation, this.config, this.verdictOptions, {
      nsPoints: this.zoneNsPoints(state),
      fluxSibling,
      held: this.isHeld(state),
      delegations: this.delegationsHeld(state),
      injected: answersInjected(state),
      delegationsAtLeast: (state.cuts?.dropped ?? 0) > 0,
      zone: cuts === null ? null : this.zoneOfName(cuts, state.key),
    });
    const listing = state.marks.intel?.domain ?? null;
    return listing === null ? verdict : this.withListing(state, verdict, listing);
  }

  /**
   * The verdict of a name an intel feed lists (itself or an ancestor). Fast-flux
   * on its evidence: that verdict, with the listing first in `intel` and its
   * reason last (detection explains more than a listing). Otherwise the listed
   * name itself gets the listing verdict (its listed addresses still named in
   * `intel`), and a name under it keeps its own label, the listing named when
   * it is flagged (the listed domain's verdict covers it anyway).
   */
  private withListing(state: FluxState, verdict: Verdict, listing: IntelListing): Verdict {
    if (verdict.verdict === 'fast-flux' || (state.key !== listing.value && verdict.verdict !== 'benign')) {
      verdict.intel = [{ ...listing }, ...(verdict.intel ?? [])];
      verdict.reasons.push(listingReason(listing, state.key));
      return verdict;
    }
    if (state.key !== listing.value) return verdict;
    const entry = this.listedDomains.get(listing.value);
    const listed = entry === undefined ? intelListingVerdict(state.key, listing, state.firstSeen) : this.listedVerdict(entry);
    if (verdict.intel !== undefined) listed.intel!.push(...verdict.intel);
    return listed;
  }

  /** Evict idle domains, then the least recently seen beyond limits.maxDomains. */
  private enforceLimits(): void {
    const { idleTimeout, maxDomains } = this.config.limits;
    const idleDue = this.now - this.lastSweep >= idleTimeout / 4;
    if (!idleDue && this.tracked <= maxDomains) return;
    const idleBefore = this.now - idleTimeout;
    if (idleDue) {
      this.lastSweep = this.now;
      this.sweepIdleNames(idleBefore);
      this.evictAggregates(idleBefore, Infinity);
    }
    // Shrink to 90% so a full table is not swept again on the very next new domain.
    const goal = Math.floor(maxDomains * 0.9);
    if (this.tracked > maxDomains) {
      this.shrinkNames(goal);
      this.evictAggregates(idleBefore, goal - this.names.size);
    }
  }

  private sweepIdleNames(idleBefore: number): void {
    for (let slot = 0; slot < this.names.capacity; slot++) {
      const state = this.names.valueAt(slot);
      if (state !== undefined && state.lastSeen < idleBefore) {
        this.evictName(slot, state);
        slot--; // removal may shift a later entry into this slot
      }
    }
  }

  /**
   * CLOCK over the name table: the hand passes names seen within the last
   * window (their second chance) and evicts the others, until the goal is
   * met. After a full turn without enough evictions (a burst of new names),
   * it evicts whatever it meets: the cap is a promise.
   */
  private shrinkNames(goal: number): void {
    const recent = this.now - this.config.window;
    const mask = this.names.capacity - 1;
    let passed = 0;
    while (this.names.size > 0 && this.names.size + this.aggregates > goal) {
      const state = this.names.valueAt(this.hand);
      if (state !== undefined && (state.lastSeen < recent || passed > mask)) {
        this.evictName(this.hand, state);
        continue;
      }
      this.hand = (this.hand + 1) & mask;
      passed++;
    }
  }

  /** Aggregates go when idle, or oldest first while over target; lone-name entries go with their name. */
  private evictAggregates(idleBefore: number, target: number): void {
    const goal = Math.max(0, target);
    for (const [key, state] of this.registered) {
      if (state.scope !== 'registered_domain') continue;
      if (state.lastSeen < idleBefore || this.aggregates > goal) {
        this.registered.delete(key);
        this.aggregates--;
        state.evicted = true;
        this.stats.evicted++;
        this.finalise(state);
      }
    }
  }

  private evictName(slot: number, state: FluxState): void {
    this.names.removeAt(slot);
    state.evicted = true;
    this.stats.evicted++;
    if (this.registered.get(state.registered) === state) this.registered.delete(state.registered);
    this.finalise(state);
  }
}

/**
 * One address, NS name or CNAME target is not rotation: such a domain cannot
 * be flux, and scoring it is skipped (with the default weights it scores 0).
 */
function showsRotation(state: FluxState): boolean {
  if (state.addressesEver >= 2) return true;
  const d = state.delegation;
  return d !== null && (d.nsNamesEver >= 2 || d.cnameTargetsEver >= 2 || d.nsAddressesEver >= 2);
}

/** The name has answer addresses a feed lists as flux infrastructure (intel_evidence). */
function hasIntelEvidence(state: FluxState): boolean {
  const intel = state.marks.intel;
  return intel !== null && intel.addresses > 0;
}

/** Mark a name's state with the listing of it (or of an ancestor): its verdicts name it. */
function attachListing(state: FluxState, listing: IntelListing): void {
  (state.mark().intel ??= new IntelEvidence()).domain = listing;
}

/** Reputation bits of a name: in a known volunteer/mirror pool, under a dynamic-DNS provider, top-site lists. */
function reputationOf(infra: Infra, name: string, registered: string): number {
  return (
    (infra.poolOf(name) !== null ? REPUTATION_POOL : 0) |
    (infra.isDynamicDns(name) ? REPUTATION_DYNAMIC_DNS : 0) |
    (Math.min(7, infra.topSiteLists(registered)) << REPUTATION_TOP_SHIFT)
  );
}
