/** From state to Verdict: measure every family, score, label and explain. */
import type { Config } from '../config/schema.js';
import type { Features, Verdict } from '../model/verdict.js';
import { isoTime } from '../model/verdict.js';
import { emptyFeatures, featureFamilies, type MeasureContext } from './features/index.js';
import { holzScore } from './holz.js';
import { fluxKindOf, labelOf, scoreFeatures, type Scored } from './score.js';
import type { FluxState } from './state.js';

export interface Evaluation {
  features: Features;
  scored: Scored;
}

/** Features and score with every detail, for a verdict. */
export function measure(state: FluxState, config: Config): Evaluation {
  const features = measureInto(state, { config, detail: true }, emptyFeatures());
  return { features, scored: scoreFeatures(features, config) };
}

/** Write state's features into out (a reused record on the hot path). */
export function measureInto(state: FluxState, ctx: MeasureContext, out: Features): Features {
  for (const family of featureFamilies) family.measure(state, ctx, out);
  return out;
}

export interface VerdictOptions {
  baseline: 'holz' | null;
  enrichment: string[];
}

export function toVerdict(state: FluxState, evaluation: Evaluation, config: Config, options: VerdictOptions): Verdict {
  const { features, scored } = evaluation;
  const label = labelOf(scored.score, config);
  const verdict: Verdict = {
    domain: state.key,
    registered_domain: state.registered,
    scope: state.scope,
    verdict: label,
    flux: fluxKindOf(label, scored.nsPoints, config),
    score: scored.score,
    reasons: explain(evaluation, { config, detail: true }),
    features,
    contributions: scored.contributions,
    first_seen: isoTime(state.firstSeen),
    last_seen: isoTime(state.lastSeen),
    first_flagged: state.flaggedAt < 0 ? null : isoTime(state.flaggedAt),
    lookups_to_flag: state.flaggedLookups < 0 ? null : state.flaggedLookups,
    enrichment: options.enrichment,
  };
  if (options.baseline === 'holz') verdict.holz = holzScore(features.ips, features.asns);
  return verdict;
}

/** One sentence per family that added points, strongest family first. */
export function explain(evaluation: Evaluation, ctx: MeasureContext): string[] {
  const byFamily: { points: number; text: string }[] = [];
  for (const family of featureFamilies) {
    let points = 0;
    for (const c of evaluation.scored.contributions) {
      if ((family.weights as readonly string[]).includes(c.feature)) points += c.points;
    }
    if (points > 0) byFamily.push({ points, text: family.explain(evaluation.features, ctx) });
  }
  byFamily.sort((a, b) => b.points - a.points);
  return byFamily.map((r) => r.text);
}
