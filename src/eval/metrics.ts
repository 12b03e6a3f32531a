/**
 * Accuracy of a detector on a labelled corpus: precision, recall,
 * false-positive rate per benign class, double-flux labelling, detection
 * latency. Pure functions of labels and verdicts.
 */
import type { Verdict } from '../model/verdict.js';

export interface LabelledName {
  name: string;
  /** 'benign-static', 'ntp-pool', 'flux-single', ... */
  class: string;
  flux: 'single' | 'double' | null;
}

/** What a detector said about one name, reduced to what is scored. */
export interface Call {
  /** Called fast-flux (the blocking verdict). */
  flagged: boolean;
  /** Called suspicious (reported, not blocked). */
  suspicious: boolean;
  flux: 'single' | 'double' | null;
  lookupsToFlag: number | null;
  /** Seconds from the first answer to the first flag. */
  secondsToFlag: number | null;
  /** The verdict carried an injection finding (`tampering.kind === 'injected'`). */
  injected: boolean;
  /** The input showed the name's zone's name servers (NS records of the name, or its verdict is double flux through its zone). */
  nsSeen: boolean;
}

export interface ClassRow {
  class: string;
  names: number;
  flagged: number;
  suspicious: number;
  /** Names whose verdict reported injected answers (a tampering finding, not a flux verdict). */
  injected: number;
  /** flagged / names */
  rate: number;
}

export interface Accuracy {
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
  /**
   * Flux names the detector never heard of: every lookup of them carried
   * nothing it uses (an AAAA query of an IPv4-only botnet answered with no
   * data, say). No DNS-data detector can flag them; they stay in `recall`.
   */
  unobserved: number;
  /** Recall over the flux names the input showed resolving (positives − unobserved). */
  recallObserved: number;
  /** Share of double-flux names called fast-flux and labelled double; null when the detector cannot say. */
  doubleFluxCorrect: number | null;
  /**
   * The same over the double-flux names whose zone's NS records the input
   * showed at all: a name looked up a few times whose responses never carried
   * an NS record cannot be told double from the DNS data. Null as above, or when none.
   */
  doubleFluxCorrectNsSeen: number | null;
  medianLookupsToFlag: number | null;
  medianMinutesToFlag: number | null;
  p90LookupsToFlag: number | null;
  benign: ClassRow[];
  flux: ClassRow[];
}

export function callOf(v: Verdict): Call {
  const first = v.first_flagged === null ? null : Date.parse(v.first_flagged);
  return {
    flagged: v.verdict === 'fast-flux',
    suspicious: v.verdict === 'suspicious',
    flux: v.flux,
    lookupsToFlag: v.lookups_to_flag,
    secondsToFlag: first === null ? null : (first - Date.parse(v.first_seen)) / 1000,
    injected: v.tampering?.kind === 'injected',
    nsSeen: v.features.ns_names > 0 || v.flux === 'double',
  };
}

export function holzCallOf(v: Verdict): Call {
  const h = v.holz;
  const first = h?.first_flagged ?? null;
  return {
    flagged: h?.flagged === true,
    suspicious: false,
    flux: null,
    lookupsToFlag: h?.lookups_to_flag ?? null,
    secondsToFlag: first === null ? null : (Date.parse(first) - Date.parse(v.first_seen)) / 1000,
    injected: false,
    nsSeen: false,
  };
}

const NOT_FLAGGED: Call = { flagged: false, suspicious: false, flux: null, lookupsToFlag: null, secondsToFlag: null, injected: false, nsSeen: false };

/** Score calls against labels; a labelled name without a call was not flagged. */
export function accuracy(labels: readonly LabelledName[], calls: ReadonlyMap<string, Call>, labelsFlux: boolean): Accuracy {
  const byClass = new Map<string, ClassRow>();
  let tp = 0;
  let fp = 0;
  let positives = 0;
  let negatives = 0;
  let doubles = 0;
  let doublesRight = 0;
  let doublesSeen = 0;
  let doublesSeenRight = 0;
  let unobserved = 0;
  const lookups: number[] = [];
  const minutes: number[] = [];
  for (const label of labels) {
    const heard = calls.get(label.name);
    const call = heard ?? NOT_FLAGGED;
    let row = byClass.get(label.class);
    if (row === undefined) byClass.set(label.class, (row = { class: label.class, names: 0, flagged: 0, suspicious: 0, injected: 0, rate: 0 }));
    row.names++;
    if (call.injected) row.injected++;
    if (call.flagged) row.flagged++;
    else if (call.suspicious) row.suspicious++;
    if (label.flux === null) {
      negatives++;
      if (call.flagged) fp++;
      continue;
    }
    positives++;
    if (heard === undefined) unobserved++;
    if (label.flux === 'double') {
      doubles++;
      if (call.flagged && call.flux === 'double') doublesRight++;
      if (call.nsSeen) {
        doublesSeen++;
        if (call.flagged && call.flux === 'double') doublesSeenRight++;
      }
    }
    if (!call.flagged) continue;
    tp++;
    if (call.lookupsToFlag !== null) lookups.push(call.lookupsToFlag);
    if (call.secondsToFlag !== null) minutes.push(call.secondsToFlag / 60);
  }
  const rows = [...byClass.values()].map((r) => ({ ...r, rate: r.names === 0 ? 0 : r.flagged / r.names }));
  rows.sort((a, b) => (a.class < b.class ? -1 : 1));
  const fluxClasses = new Set(labels.filter((l) => l.flux !== null).map((l) => l.class));
  return {
    positives,
    negatives,
    truePositives: tp,
    falsePositives: fp,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: positives === 0 ? 0 : tp / positives,
    unobserved,
    recallObserved: positives - unobserved === 0 ? 0 : tp / (positives - unobserved),
    doubleFluxCorrect: labelsFlux && doubles > 0 ? doublesRight / doubles : null,
    doubleFluxCorrectNsSeen: labelsFlux && doublesSeen > 0 ? doublesSeenRight / doublesSeen : null,
    medianLookupsToFlag: quantile(lookups, 0.5),
    medianMinutesToFlag: quantile(minutes, 0.5),
    p90LookupsToFlag: quantile(lookups, 0.9),
    benign: rows.filter((r) => !fluxClasses.has(r.class)),
    flux: rows.filter((r) => fluxClasses.has(r.class)),
  };
}

/** Nearest-rank quantile; null for no values. */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * What a resolver enforcing fluxhound's policy would block: a labelled name
 * counts when the flagged set (every verdict whose action blocks, names and
 * registered domains, less the allowlist) matches it, as the RPZ triggers
 * `name` and `*.name` and `serve --dns` do. A flagged name blocks its whole
 * registered domain, so a flux name whose own lookups carried no data is
 * blocked through its siblings; benign names are counted the same way.
 */
export interface Blocking {
  positives: number;
  /** Flux names blocked. */
  blocked: number;
  recall: number;
  negatives: number;
  /** Benign names blocked. */
  falsePositives: number;
  /** Benign names blocked, per class (classes with none left out). */
  falsePositivesByClass: { class: string; names: number }[];
}

export function blocking(labels: readonly LabelledName[], isBlocked: (name: string) => boolean): Blocking {
  let positives = 0;
  let blocked = 0;
  let negatives = 0;
  let falsePositives = 0;
  const byClass = new Map<string, number>();
  for (const label of labels) {
    const hit = isBlocked(label.name);
    if (label.flux !== null) {
      positives++;
      if (hit) blocked++;
    } else {
      negatives++;
      if (!hit) continue;
      falsePositives++;
      byClass.set(label.class, (byClass.get(label.class) ?? 0) + 1);
    }
  }
  return {
    positives,
    blocked,
    recall: positives === 0 ? 0 : blocked / positives,
    negatives,
    falsePositives,
    falsePositivesByClass: [...byClass].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([c, names]) => ({ class: c, names })),
  };
}
