/**
 * Detector: the sliding state of every tracked domain. Observations go in;
 * verdicts come out twice: `onFlag` the moment a domain first crosses a flag
 * threshold (or rises from suspicious to fast-flux), and `onFinal` when a
 * domain is evicted or the run ends. Memory is bounded by limits.maxDomains
 * and the per-domain caps.
 */
import type { Config } from '../config/schema.js';
import type { Enricher } from '../enrich/enricher.js';
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import { absorb } from './absorb.js';
import { ObservationDigest } from './digest.js';
import { measure, toVerdict, type VerdictOptions } from './evaluate.js';
import { labelOf, levelOf } from './score.js';
import { registeredDomain } from './registered-domain.js';
import { detach, FluxState } from './state.js';

export interface DetectorOptions {
  config: Config;
  enricher: Enricher;
  /** Also compute the Holz et al. flux-score for each verdict. */
  baseline?: 'holz' | null;
  onFlag?: (verdict: Verdict) => void;
  onFinal?: (verdict: Verdict) => void;
}

export interface DetectorStats {
  observations: number;
  /** Observations that carried nothing detection uses (no addresses, NS or CNAME; PTR, MX, NXDOMAIN...). */
  ignored: number;
  namesTracked: number;
  registeredTracked: number;
  /** Domains finalised early because of limits.maxDomains or limits.idleTimeout. */
  evicted: number;
  flagEvents: number;
}

// Query types whose answers can show flux; others (PTR, MX, TXT, ...) are counted, not tracked.
const TRACKED_QTYPES = new Set(['A', 'AAAA', 'NS', 'CNAME', 'ANY', 'HTTPS', 'SVCB', '*']);

export class Detector {
  private readonly config: Config;
  private readonly names = new Map<string, FluxState>();
  /** Registered domain → its aggregate, or the state of its only name so far. */
  private readonly registered = new Map<string, FluxState>();
  private readonly digest: ObservationDigest;
  private readonly verdictOptions: VerdictOptions;
  private readonly onFlag: ((v: Verdict) => void) | undefined;
  private readonly onFinal: ((v: Verdict) => void) | undefined;
  private now = -Infinity;
  private lastSweep = -Infinity;
  private sinceCheck = 0;
  /** Registered-domain aggregates in `registered` (the other entries point at a lone name's own state). */
  private aggregates = 0;
  readonly stats: DetectorStats = {
    observations: 0,
    ignored: 0,
    namesTracked: 0,
    registeredTracked: 0,
    evicted: 0,
    flagEvents: 0,
  };

  constructor(options: DetectorOptions) {
    this.config = options.config;
    this.digest = new ObservationDigest(options.enricher);
    this.verdictOptions = {
      baseline: options.baseline ?? null,
      enrichment: options.enricher.sources.map((s) => `${s.kind}: ${s.name}${s.date === null ? '' : ` (${s.date})`}`),
    };
    this.onFlag = options.onFlag;
    this.onFinal = options.onFinal;
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
    if (nameState === undefined) {
      if (!TRACKED_QTYPES.has(obs.qtype)) {
        this.stats.ignored++;
        return;
      }
      const reg = registeredDomain(obs.qname);
      this.digest.read(obs, reg);
      if (this.digest.isEmpty()) {
        this.stats.ignored++;
        return;
      }
      const key = detach(obs.qname);
      nameState = new FluxState(key, reg === obs.qname ? key : detach(reg), 'name', Math.floor(obs.ts));
      this.names.set(key, nameState);
      this.stats.namesTracked++;
      aggregate = this.joinRegistered(nameState);
      if (this.tracked > this.config.limits.maxDomains) this.enforceLimits();
    } else {
      this.digest.read(obs, nameState.registered);
      aggregate = this.aggregateOf(nameState);
    }
    absorb(nameState, obs, this.digest, this.config);
    if (nameState.dirty) this.rescore(nameState);
    if (aggregate !== null) {
      absorb(aggregate, obs, this.digest, this.config);
      if (aggregate.dirty) this.rescore(aggregate);
    }
    if (++this.sinceCheck >= 4096) {
      this.sinceCheck = 0;
      this.enforceLimits();
    }
  }

  /** Finalise every tracked domain (end of input). */
  flush(): void {
    for (const state of this.names.values()) this.finalise(state);
    for (const state of this.registered.values()) if (state.scope === 'registered_domain') this.finalise(state);
    this.names.clear();
    this.registered.clear();
    this.aggregates = 0;
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
      entry.names++;
      return entry;
    }
    const aggregate = entry.toAggregate();
    aggregate.names = 2;
    this.registered.set(reg, aggregate);
    this.aggregates++;
    this.stats.registeredTracked++;
    return aggregate;
  }

  private aggregateOf(nameState: FluxState): FluxState | null {
    const entry = this.registered.get(nameState.registered);
    if (entry === undefined) {
      // The name outlived its registered-domain entry (evicted): it stands alone again.
      this.registered.set(nameState.registered, nameState);
      return null;
    }
    return entry.scope === 'registered_domain' ? entry : null;
  }

  private rescore(state: FluxState): void {
    state.dirty = false;
    // One address, NS name or CNAME target is not rotation: skip the work.
    const d = state.delegation;
    if (state.addressesEver < 2 && (d === null || (d.nsNamesEver < 2 && d.cnameTargetsEver < 2 && d.nsAddressesEver < 2))) return;
    const evaluation = measure(state, { config: this.config });
    const level = levelOf(labelOf(evaluation.scored.score, this.config));
    if (level <= state.flagLevel) return;
    if (state.flaggedAt < 0) {
      state.flaggedAt = state.lastSeen;
      state.flaggedLookups = state.lookups;
    }
    state.flagLevel = level;
    this.stats.flagEvents++;
    if (this.onFlag !== undefined) {
      this.onFlag(toVerdict(state, evaluation, this.config, this.verdictOptions));
    }
  }

  private finalise(state: FluxState): void {
    if (this.onFinal === undefined) return;
    const evaluation = measure(state, { config: this.config });
    this.onFinal(toVerdict(state, evaluation, this.config, this.verdictOptions));
  }

  /** Evict idle domains, then the least recently seen beyond limits.maxDomains. */
  private enforceLimits(): void {
    const { idleTimeout, maxDomains } = this.config.limits;
    const over = this.tracked > maxDomains;
    if (!over && this.now - this.lastSweep < idleTimeout / 4) return;
    // Shrink to 90% so a full table is not swept again on the very next new domain.
    this.lastSweep = this.now;
    const idleBefore = this.now - idleTimeout;
    this.evictFrom(this.names, idleBefore, Math.floor(maxDomains * 0.9) - this.aggregates);
    this.evictAggregates(idleBefore, Math.floor(maxDomains * 0.9) - this.names.size);
  }

  /**
   * Walk a map oldest-inserted first: idle states are finalised; while the map
   * is above `target`, states not seen within a window are too, and recently
   * seen ones move to the back (a second chance, as in CLOCK). If everything
   * is recent, the oldest go anyway: the cap is a promise.
   */
  private evictFrom(map: Map<string, FluxState>, idleBefore: number, target: number): void {
    const goal = Math.max(0, target);
    const recent = this.now - this.config.window;
    let budget = map.size;
    for (const [key, state] of map) {
      if (budget-- <= 0) break;
      const shrinking = map.size > goal;
      if (state.lastSeen < idleBefore || (shrinking && state.lastSeen < recent)) {
        this.evict(map, key, state);
      } else if (shrinking) {
        map.delete(key);
        map.set(key, state);
      }
    }
    for (const [key, state] of map) {
      if (map.size <= goal) break;
      this.evict(map, key, state);
    }
  }

  /** Aggregates go when idle, or oldest first while over target; lone-name entries go with their name. */
  private evictAggregates(idleBefore: number, target: number): void {
    const goal = Math.max(0, target);
    for (const [key, state] of this.registered) {
      if (state.scope !== 'registered_domain') continue;
      if (state.lastSeen < idleBefore || this.aggregates > goal) this.evict(this.registered, key, state);
    }
  }

  private evict(map: Map<string, FluxState>, key: string, state: FluxState): void {
    map.delete(key);
    this.stats.evicted++;
    if (state.scope === 'registered_domain') this.aggregates--;
    else if (this.registered.get(state.registered) === state) this.registered.delete(state.registered);
    this.finalise(state);
  }
}
