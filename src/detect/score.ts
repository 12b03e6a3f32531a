/**
 * Scoring: each weighted feature adds points along a linear ramp; the sum,
 * capped at 100, is the score. Pure functions of Features and Config.
 */
import type { Config, Ramp, WeightName } from '../config/schema.js';
import type { Contribution, Features, FluxKind, VerdictLabel } from '../model/verdict.js';

/** 0 at or below low, 1 at or beyond high, linear between; reversed when low > high. */
export function ramp(x: number, r: Pick<Ramp, 'low' | 'high'>): number {
  const t = (x - r.low) / (r.high - r.low);
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

const TIMING: ReadonlySet<WeightName> = new Set<WeightName>(['ttl_min', 'churn']);
/**
 * Points a name owes to flux networks (and to feeds listing its addresses as
 * flux infrastructure) rather than to its own answers' rotation: they flag
 * it, but only names fast-flux on their own evidence put addresses into a
 * network, so a feed's listing cannot snowball onto unlisted addresses.
 */
const NETWORK: ReadonlySet<WeightName> = new Set<WeightName>(['network_addresses', 'network_share', 'network_names', 'intel_evidence']);
/** Of those, the ones scaled by how far the network evidence can be trusted (Features.network_trust). */
const SHARED: ReadonlySet<WeightName> = new Set<WeightName>(['network_addresses', 'network_share']);
const NAME_SERVER: ReadonlySet<WeightName> = new Set<WeightName>(['ns_names', 'ns_addresses', 'ns_asns', 'ns_network_addresses']);
/** Address diversity and timing: what a domain in one country's networks (features/geography.ts) gets at most geography.maxPoints from. */
const GEOGRAPHY_HELD: ReadonlySet<WeightName> = new Set<WeightName>(['asns', 'countries', 'prefixes', 'ips', 'ips_per_hour', 'ttl_min', 'churn']);

export interface Scored {
  score: number;
  /** Features that added points, strongest first. */
  contributions: Contribution[];
  /** Points from name-server features. */
  nsPoints: number;
}

/**
 * The score alone, allocating nothing: for re-scoring on every new piece of
 * evidence. Address-side points and reputation (negative) points are summed
 * and floored at 0; name-server points are added after, so reputation never
 * cancels evidence of NS flux.
 */
export function scoreOnly(f: Features, config: Config, own = false): number {
  let address = 0;
  let held = 0;
  let ns = 0;
  const w = weighingOf(config);
  const names = w.names;
  for (let i = 0; i < names.length; i++) {
    const points = pointsOf(f, names[i]!, w.ramps[i]!, w.kinds[i]!, config, own);
    const group = w.groups[i];
    if (group === NS_GROUP) ns += points;
    else if (group === HELD_GROUP) held += points;
    else address += points;
  }
  address += held - geographyExcess(f, held, config);
  return Math.min(100, Math.round(Math.max(0, address) + ns));
}

/** A score and the own score (see ownScore) of one feature record, from one pass (scoresInto). */
export interface Scores {
  score: number;
  own: number;
}

export function newScores(): Scores {
  return { score: 0, own: 0 };
}

/**
 * scoreOnly and ownScore of f in one pass over the weights, into out: a
 * re-score needs both, and each weight's feature is read and ramped once.
 * The sums are those of the two calls, term by term in the same order.
 */
export function scoresInto(f: Features, config: Config, out: Scores): Scores {
  let address = 0;
  let held = 0;
  let ns = 0;
  let ownAddress = 0;
  let ownHeld = 0;
  let ownNs = 0;
  const w = weighingOf(config);
  const names = w.names;
  const minAsns = config.verdict.minAsnsForTiming;
  for (let i = 0; i < names.length; i++) {
    const kind = w.kinds[i]!;
    const points = pointsOf(f, names[i]!, w.ramps[i]!, kind, config, false);
    // The own score leaves out what pointsOf's own rules leave out: points owed to networks, and timing without diversity.
    const own = (kind & OWED_TO_NETWORKS) !== 0 || ((kind & TIMED) !== 0 && f.asns < minAsns) ? 0 : points;
    const group = w.groups[i];
    if (group === NS_GROUP) {
      ns += points;
      ownNs += own;
    } else if (group === HELD_GROUP) {
      held += points;
      ownHeld += own;
    } else {
      address += points;
      ownAddress += own;
    }
  }
  address += held - geographyExcess(f, held, config);
  ownAddress += ownHeld - geographyExcess(f, ownHeld, config);
  out.score = Math.min(100, Math.round(Math.max(0, address) + ns));
  out.own = Math.min(100, Math.round(Math.max(0, ownAddress) + ownNs));
  return out;
}

/** Diversity and timing points beyond geography.maxPoints for a domain in one country's networks; 0 otherwise. */
function geographyExcess(f: Features, held: number, config: Config): number {
  return f.single_country_asns > 0 ? Math.max(0, held - config.geography.maxPoints) : 0;
}

/**
 * The score on the name's own evidence: without the points it owes to flux
 * networks. Only names fast-flux on their own evidence put addresses into a
 * network, so one shared (or injected) address cannot snowball.
 */
export function ownScore(f: Features, config: Config): number {
  return scoreOnly(f, config, true);
}

/**
 * Points one weighted feature adds (negative for reputation); 0 when
 * unmeasured or gated off. `own`: leave out the points owed to flux networks.
 */
export function featurePoints(f: Features, name: WeightName, config: Config, own = false): number {
  return pointsOf(f, name, config.weights[name], kindOf(name), config, own);
}

/** What a weight is besides its ramp (bits): which of the rules in pointsOf apply to it. */
const OWED_TO_NETWORKS = 1;
const TIMED = 2;
const TRUST_SCALED = 4;
const ADDRESS_GROUP = 0;
const HELD_GROUP = 1;
const NS_GROUP = 2;

function kindOf(name: WeightName): number {
  // Flow evidence is about live hosts, not rotation: it never makes a name fast-flux on its own evidence either.
  return (NETWORK.has(name) || name === 'flow_evidence' ? OWED_TO_NETWORKS : 0) | (TIMING.has(name) ? TIMED : 0) | (SHARED.has(name) ? TRUST_SCALED : 0);
}

function pointsOf(f: Features, name: WeightName, r: Ramp, kind: number, config: Config, own: boolean): number {
  const v = f[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) return 0;
  if (own && (kind & OWED_TO_NETWORKS) !== 0) return 0;
  // Timing features (TTL, churn) only count alongside network diversity, or
  // when the name resolves into a coherent flux network through several of its
  // addresses: a low TTL alone is dynamic DNS, a low TTL on bots is not.
  if ((kind & TIMED) !== 0 && f.asns < config.verdict.minAsnsForTiming && (own || !(f.network_trust >= 1))) return 0;
  const points = ramp(v, r) * r.points;
  // One shared address, or a network not yet coherent, is evidence, not a verdict.
  return (kind & TRUST_SCALED) !== 0 ? points * f.network_trust : points;
}

/**
 * The weights of one config in its order, each with its ramp object, its
 * kind and its group: scoreOnly runs on every re-score (twice, with the own
 * score), and looking the ramp up by name and the kind up in four sets for
 * each of ~40 weights was a third of its time. The ramp objects themselves
 * are kept, not their values, so a ramp changed in place still counts.
 */
interface Weighing {
  config: Config;
  weights: Config['weights'];
  names: WeightName[];
  ramps: Ramp[];
  kinds: Uint8Array;
  groups: Uint8Array;
}

let cachedWeighing: Weighing | null = null;
function weighingOf(config: Config): Weighing {
  if (cachedWeighing !== null && cachedWeighing.config === config && cachedWeighing.weights === config.weights) return cachedWeighing;
  const names = weightNames(config);
  const kinds = new Uint8Array(names.length);
  const groups = new Uint8Array(names.length);
  names.forEach((name, i) => {
    kinds[i] = kindOf(name);
    groups[i] = NAME_SERVER.has(name) ? NS_GROUP : GEOGRAPHY_HELD.has(name) ? HELD_GROUP : ADDRESS_GROUP;
  });
  cachedWeighing = { config, weights: config.weights, names, ramps: names.map((name) => config.weights[name]), kinds, groups };
  return cachedWeighing;
}

let cachedWeights: { config: Config; names: WeightName[] } | null = null;
function weightNames(config: Config): WeightName[] {
  if (cachedWeights === null || cachedWeights.config !== config) {
    cachedWeights = { config, names: Object.keys(config.weights) as WeightName[] };
  }
  return cachedWeights.names;
}

/** Points of the name-server features alone (what makes a flagged domain double flux). */
export function nsPointsOnly(f: Features, config: Config): number {
  let ns = 0;
  for (const name of NAME_SERVER) ns += featurePoints(f, name, config);
  return ns;
}

export function scoreFeatures(f: Features, config: Config): Scored {
  const contributions: Contribution[] = [];
  let nsPoints = 0;
  let held = 0;
  for (const name of weightNames(config)) {
    const points = featurePoints(f, name, config);
    if (points === 0) continue;
    contributions.push({ feature: name, points: Math.round(points * 10) / 10 });
    if (NAME_SERVER.has(name)) nsPoints += points;
    else if (GEOGRAPHY_HELD.has(name)) held += points;
  }
  // What the one-country rule held back, so that the contributions still add up to the score.
  const excess = geographyExcess(f, held, config);
  if (excess > 0) contributions.push({ feature: 'single_country_asns', points: -Math.round(excess * 10) / 10 });
  contributions.sort((a, b) => b.points - a.points);
  return { score: scoreOnly(f, config), contributions, nsPoints };
}


export function labelOf(score: number, config: Config): VerdictLabel {
  if (score >= config.verdict.fastFlux) return 'fast-flux';
  if (score >= config.verdict.suspicious) return 'suspicious';
  return 'benign';
}

/**
 * The label of a domain's state: fast-flux is held at suspicious when `held`
 * (a registered domain's union of busy names, see Detector), else the label
 * of the score.
 */
export function stateLabel(score: number, config: Config, held: boolean): VerdictLabel {
  const label = labelOf(score, config);
  return held && label === 'fast-flux' ? 'suspicious' : label;
}

/** A union of names each looked up at most verdict.zoneMaxLookupsPerName times on average: flux spread over throwaway names. */
export function isThrowawayUnion(names: number, lookups: number, config: Config): boolean {
  return names > 0 && lookups / names <= config.verdict.zoneMaxLookupsPerName;
}

/** Level for first-flag tracking: 0 benign, 1 suspicious, 2 fast-flux. */
export function levelOf(label: VerdictLabel): number {
  return label === 'fast-flux' ? 2 : label === 'suspicious' ? 1 : 0;
}

export function fluxKindOf(label: VerdictLabel, nsPoints: number, config: Config): FluxKind | null {
  if (label === 'benign') return null;
  return nsPoints >= config.verdict.doubleFluxPoints ? 'double' : 'single';
}
