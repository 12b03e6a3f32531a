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
  private readonly registered = new Map<string, FluxState>();
  private readonly digest: ObservationDigest;
  private readonly verdictOptions: VerdictOptions;
  private readonly onFlag: ((v: Verdict) => void) | undefined;
  private readonly onFinal: ((v: Verdict) => void) | undefined;
  private now = -Infinity;
  private lastSweep = -Infinity;
  private sinceCheck = 0;
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
    return this.names.size + this.registered.size;
  }

  observe(obs: DnsObservation): void {
    this.stats.observations++;
    if (obs.ts > this.now) this.now = obs.ts;
    let nameState = this.names.get(obs.qname);
    let regState: FluxState | undefined;
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
      nameState = new FluxState(key, reg === obs.qname ? key : detach(reg), 'name', obs.ts);
      this.names.set(key, nameState);
      this.stats.namesTracked++;
      regState = this.registeredState(nameState.registered, obs.ts);
      regState.names++;
      if (this.tracked > this.config.limits.maxDomains) this.enforceLimits();
    } else {
      this.digest.read(obs, nameState.registered);
      regState = this.registeredState(nameState.registered, obs.ts);
    }
    absorb(nameState, obs, this.digest, this.config);
    absorb(regState, obs, this.digest, this.config);
    if (nameState.dirty) this.rescore(nameState);
    if (regState.dirty) this.rescore(regState);
    if (++this.sinceCheck >= 4096) {
      this.sinceCheck = 0;
      this.enforceLimits();
    }
  }

  /** Finalise every tracked domain (end of input). */
  flush(): void {
    for (const state of this.names.values()) this.finalise(state);
    for (const state of this.registered.values()) this.finalise(state);
    this.names.clear();
    this.registered.clear();
  }

  private registeredState(registered: string, ts: number): FluxState {
    let state = this.registered.get(registered);
    if (state === undefined) {
      state = new FluxState(registered, registered, 'registered_domain', ts);
      this.registered.set(registered, state);
      this.stats.registeredTracked++;
    }
    return state;
  }

  private rescore(state: FluxState): void {
    state.dirty = false;
    // One address, NS name or CNAME target is not rotation: skip the work.
    if (state.addressesEver < 2 && state.nsNamesEver < 2 && state.cnameTargetsEver < 2 && state.nsAddressesEver < 2) return;
    const evaluation = measure(state, { config: this.config });
    const level = levelOf(labelOf(evaluation.scored.score, this.config));
    if (level <= state.flagLevel) return;
    if (state.flaggedAt < 0) {
      state.flaggedAt = state.lastSeen;
      state.flaggedLookups = state.lookups;
    }
    state.flagLevel = level;
    this.stats.flagEvents++;
    if (this.onFlag !== undefined && this.shouldReport(state)) {
      this.onFlag(toVerdict(state, evaluation, this.config, this.verdictOptions));
    }
  }

  /** Registered-domain verdicts add something only when several names share it. */
  private shouldReport(state: FluxState): boolean {
    return state.scope === 'name' || state.names >= 2;
  }

  private finalise(state: FluxState): void {
    if (this.onFinal === undefined || !this.shouldReport(state)) return;
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
    this.evictFrom(this.names, idleBefore, Math.floor(maxDomains * 0.9) - this.registered.size);
    this.evictFrom(this.registered, idleBefore, Math.floor(maxDomains * 0.9) - this.names.size);
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

  private evict(map: Map<string, FluxState>, key: string, state: FluxState): void {
    map.delete(key);
    this.stats.evicted++;
    this.finalise(state);
  }
}
