/** From state to Verdict: measure every family, score, label and explain. */
import type { Config } from '../config/schema.js';
import type { FlowEvidence } from '../model/flow.js';
import type { Features, Verdict } from '../model/verdict.js';
import type { Infra } from '../enrich/infra/index.js';
import { newOverlap, type FluxNetworks } from './networks.js';
import { isoTime } from '../model/verdict.js';
import { countTable, evidenceOf, newCounts } from './address-table.js';
import type { MeasureInput } from './features/family.js';
import { emptyFeatures, featureFamilies, resetFeatures, type MeasureContext } from './features/index.js';
import { holzOfState } from './holz.js';
import { fluxKindOf, labelOf, scoreFeatures, stateLabel, type Scored } from './score.js';
import type { FluxState } from './state.js';
import { tamperingFinding } from './tampering.js';

export interface Evaluation {
  features: Features;
  scored: Scored;
  /** Features whose value is a lower bound (empty when all are exact). */
  lowerBounds: readonly (keyof Features)[];
  /** The families' notes (what was left out of the evidence or held back), for the reasons. */
  notes: string[];
  /** What flow data said about the name's addresses (detect/flows/evidence.ts); absent without. */
  flows?: FlowEvidence;
}

/** Features and score with every detail, for a verdict. */
export function measure(state: FluxState, config: Config, networks: FluxNetworks | null, infra: Infra | null): Evaluation {
  const ctx: MeasureContext = { config, detail: true, networks, infra };
  const features = measureInto(state, ctx, emptyFeatures());
  const notes: string[] = [];
  for (const family of featureFamilies) {
    const note = family.note?.(state, features, ctx) ?? null;
    if (note !== null) notes.push(note);
  }
  return { features, scored: scoreFeatures(features, config), lowerBounds: lowerBoundsOf(state), notes };
}

const EXACT: readonly (keyof Features)[] = [];

/**
 * The counts of state that are lower bounds: distinct addresses once its
 * departed fingerprints are full, the window peaks once a window was counted
 * with a departed address inside it (see departed.ts).
 */
export function lowerBoundsOf(state: FluxState): readonly (keyof Features)[] {
  const departed = state.departed;
  const nsFull = state.nsDeparted?.full === true;
  const d = state.delegation;
  const namesInexact = d !== null && (d.nsNamesInexact || d.cnameTargetsInexact);
  if ((departed === null || (!departed.full && !departed.windowInexact)) && !nsFull && !namesInexact) return EXACT;
  const bounds: (keyof Features)[] = [];
  if (departed?.full === true) bounds.push('ips', 'ips_per_hour');
  // Listed addresses are counted when novel, as the distinct addresses are: a lower bound with them.
  if (departed?.full === true && (state.marks.intel?.addresses ?? 0) > 0) bounds.push('intel_addresses', 'intel_evidence');
  if (departed?.windowInexact === true) bounds.push('ips_window', 'asns_window', 'countries_window');
  if (nsFull) bounds.push('ns_addresses');
  if (d?.nsNamesInexact === true) bounds.push('ns_names');
  if (d?.cnameTargetsInexact === true) bounds.push('cname_targets');
  return bounds;
}

/** Write state's features into out (a reused record on the hot path). */
export function measureInto(state: FluxState, ctx: MeasureContext, out: Features): Features {
  // Families write only what applies to the state; the rest must not linger from the last one.
  resetFeatures(out);
  const input = scratchInput;
  input.config = ctx.config;
  input.detail = ctx.detail;
  input.networks = ctx.networks;
  input.infra = ctx.infra;
  countTable(state.addresses, -Infinity, input.addresses);
  for (const family of featureFamilies) family.measure(state, input, out);
  return out;
}

// One reused input, so re-scoring on the hot path allocates nothing (families never re-enter measureInto).
const scratchInput: MeasureInput = { config: undefined as unknown as Config, detail: false, networks: null, infra: null, addresses: newCounts() };


export interface VerdictOptions {
  baseline: 'holz' | null;
  enrichment: string[];
  networks: FluxNetworks | null;
  infra: Infra | null;
}

/** What the detector knows of a domain's registered domain as a whole, for its verdict. */
export interface ZoneFacts {
  /**
   * Name-server points of the registered domain as a whole. The NS set
   * belongs to the zone, so NS flux seen under sibling names makes this name
   * double flux too, even when its own answers carried no authority section.
   */
  nsPoints: number;
  /**
   * For a name with no address of its own: a fast-flux name under the same
   * registered domain; the name is fast-flux with it (the registered domain
   * is blocked as a whole). Null otherwise.
   */
  fluxSibling: string | null;
  /** A registered domain's union of busy names with no fast-flux name under it: held at suspicious. */
  held: boolean;
  /**
   * A registered domain's union that delegates this many child zones to
   * their own name servers (a shared registry) and shows no flux of its own
   * zone: held at benign. 0 otherwise.
   */
  delegations: number;
  /** More cuts were seen than ZoneCuts keeps: `delegations` is a lower bound. */
  delegationsAtLeast: boolean;
  /** The name is answered by an injector (tampering.ts): never flux on those answers. */
  injected?: boolean;
  /** The delegated child zone (below the registered domain) a name sits in; null when it is the registered domain's own zone. */
  zone: string | null;
}

const NO_ZONE_FACTS: ZoneFacts = { nsPoints: 0, fluxSibling: null, held: false, delegations: 0, delegationsAtLeast: false, zone: null };

export function toVerdict(state: FluxState, evaluation: Evaluation, config: Config, options: VerdictOptions, zone: ZoneFacts = NO_ZONE_FACTS): Verdict {
  const { features, scored } = evaluation;
  const { nsPoints: zoneNsPoints, fluxSibling, held, delegations } = zone;
  const scoredLabel = delegations > 0 || zone.injected === true ? 'benign' : stateLabel(scored.score, config, held);
  const label = fluxSibling === null ? scoredLabel : 'fast-flux';
  const nsPoints = Math.max(scored.nsPoints, zoneNsPoints);
  const verdict: Verdict = {
    domain: state.key,
    registered_domain: state.registered,
    scope: state.scope,
    verdict: label,
    flux: fluxKindOf(label, nsPoints, config),
    score: scored.score,
    reasons: explain(evaluation, { config, detail: true, networks: options.networks, infra: options.infra, lowerBounds: evaluation.lowerBounds, intel: state.marks.intel, flows: evaluation.flows ?? null }, zoneNsPoints > scored.nsPoints ? (zone.zone ?? state.registered) : null),
    features,
    contributions: scored.contributions,
    first_seen: isoTime(state.firstSeen),
    last_seen: isoTime(state.lastSeen),
    first_flagged: state.marks.flaggedAt < 0 ? null : isoTime(state.marks.flaggedAt),
    lookups_to_flag: state.marks.flaggedLookups < 0 ? null : state.marks.flaggedLookups,
    enrichment: options.enrichment,
    network: networkOf(state, options.networks),
    evidence: {
      addresses: evidenceOf(state.addresses),
      name_servers: state.delegation === null ? [] : state.delegation.nsNames.slice(),
      ns_addresses: evidenceOf(state.delegation?.nsAddresses ?? null),
    },
  };
  if (zone.zone !== null) verdict.zone = zone.zone;
  if (evaluation.flows !== undefined) verdict.flows = { ...evaluation.flows };
  // The feed entries behind intel_evidence (the detector puts a listing of the name itself first).
  const intel = state.marks.intel;
  if (intel !== null && intel.addresses > 0) verdict.intel = intel.listings.map((l) => ({ ...l }));
  if (delegations > 0) {
    verdict.reasons.push(
      `${zone.delegationsAtLeast ? 'at least ' : ''}${delegations} delegated child zones with their own name servers: delegations, not name-server flux (the union of their names is not scored; each zone is judged on its own)`,
    );
  }
  if (fluxSibling !== null && scoredLabel !== 'fast-flux') {
    verdict.reasons.unshift(`no address of its own, and ${fluxSibling} under the same registered domain is fast-flux (the domain is blocked as a whole)`);
  } else if (held && label !== labelOf(scored.score, config)) {
    const perName = state.lookups / state.names;
    verdict.reasons.push(
      `held at suspicious: its ${state.names} names were looked up ${perName.toFixed(1)} times each on average and none is fast-flux, so each is judged on its own (a union of throwaway names would be fast-flux)`,
    );
  }
  if (state.marks.probes > 0) markProbes(verdict, state.marks.probes);
  const tampering = tamperingFinding(state, options.infra);
  if (tampering !== undefined) verdict.tampering = tampering;
  if (evaluation.lowerBounds.length > 0) verdict.lower_bounds = evaluation.lowerBounds.slice();
  if (options.baseline === 'holz') {
    verdict.holz = {
      ...holzOfState(state),
      first_flagged: state.marks.holzAt < 0 ? null : isoTime(state.marks.holzAt),
      lookups_to_flag: state.marks.holzLookups < 0 ? null : state.marks.holzLookups,
    };
  }
  return verdict;
}

/** A verdict says which of its evidence fluxhound fetched itself (serve.confirm's probes). */
function markProbes(verdict: Verdict, probes: number): void {
  verdict.probes = probes;
  const share = `${probes} of its ${verdict.features.lookups} lookups ${probes === 1 ? 'was' : 'were'} fluxhound's own`;
  const counted = `${probes} active probe${probes === 1 ? '' : 's'}`;
  verdict.reasons.push(verdict.verdict === 'fast-flux' ? `confirmed by ${counted} (${share})` : `re-resolved by ${counted} (${share})`);
}

const overlap = newOverlap();

function networkOf(state: FluxState, networks: FluxNetworks | null): string | null {
  if (networks === null) return null;
  if (state.marks.network >= 0) return networks.label(state.marks.network);
  networks.overlap(state.addresses, overlap);
  return overlap.network >= 0 ? networks.label(overlap.network) : null;
}

/** One sentence per family that added points, strongest first; then those that lowered the score. */
export function explain(evaluation: Evaluation, ctx: MeasureContext, zoneWithNsFlux: string | null = null): string[] {
  const byFamily: { points: number; text: string }[] = [];
  for (const family of featureFamilies) {
    let points = 0;
    for (const c of evaluation.scored.contributions) {
      if ((family.weights as readonly string[]).includes(c.feature)) points += c.points;
    }
    if (points !== 0) byFamily.push({ points, text: family.explain(evaluation.features, ctx) });
  }
  byFamily.sort((a, b) => b.points - a.points);
  const reasons = byFamily.map((r) => r.text);
  reasons.push(...evaluation.notes);
  if (zoneWithNsFlux !== null) reasons.push(`the name servers of ${zoneWithNsFlux} rotate (seen under other names of the zone)`);
  return reasons;
}
