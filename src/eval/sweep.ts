/**
 * Many seeds, many formats: the headline figures of each run, and their
 * minimum, median and maximum across seeds for each format. Pure functions
 * of EvalResults (and the `--seeds` list), tested with tables.
 */
import { UsageError } from '../model/errors.js';
import { quantile } from './metrics.js';
import type { EvalInput, EvalResult } from './run.js';

/** At most this many seeds in one sweep: each costs a day's corpus and a run per format. */
export const MAX_SEEDS = 1000;

/**
 * `1-10,20250417` → [1, 2, ..., 10, 20250417]: whole numbers and inclusive
 * ranges, comma separated, in the order given, duplicates dropped.
 */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^\s*(\d{1,15})\s*(?:-\s*(\d{1,15})\s*)?$/.exec(item);
    if (m === null) throw new UsageError(`eval: --seeds takes whole numbers and ranges like 1-10,20250417, not '${item.trim()}'`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`eval: --seeds range '${item.trim()}' runs backwards`);
    if (to - from + 1 + seeds.length > MAX_SEEDS) throw new UsageError(`eval: --seeds lists more than ${MAX_SEEDS} seeds`);
    for (let s = from; s <= to; s++) {
      if (seen.has(s)) continue;
      seen.add(s);
      seeds.push(s);
    }
  }
  return seeds;
}

/** One headline figure of a run; null when the run has none (no flux name flagged, say). */
export interface Headline {
  metric: string;
  value: number | null;
}

/** The figures the targets speak of, for one run, in the order printed. */
export function headlines(r: EvalResult): Headline[] {
  const f = r.fluxhound;
  return [
    { metric: 'recall', value: f.recall },
    { metric: 'recall over names seen resolving', value: f.recallObserved },
    { metric: 'false positives', value: f.falsePositives },
    ...f.benign.map((row) => ({ metric: `  false positives ${row.class}`, value: row.flagged })),
    { metric: 'benign names blocked by the policy', value: r.blocking.falsePositives },
    { metric: 'double flux labelled double', value: f.doubleFluxCorrect },
    { metric: '  over names whose NS records appeared', value: f.doubleFluxCorrectNsSeen },
    { metric: 'median lookups to first flag', value: f.medianLookupsToFlag },
    { metric: 'p90 lookups to first flag', value: f.p90LookupsToFlag },
  ];
}

export interface Spread {
  min: number | null;
  median: number | null;
  max: number | null;
  /** Runs that had the figure. */
  runs: number;
}

export interface SweepRow {
  metric: string;
  byFormat: Partial<Record<EvalInput, Spread>>;
}

/** Minimum, median and maximum of each headline figure over the runs of each format. */
export function sweepSummary(results: readonly EvalResult[]): SweepRow[] {
  const rows = new Map<string, Map<EvalInput, number[]>>();
  const formats: EvalInput[] = [];
  for (const r of results) {
    if (!formats.includes(r.format)) formats.push(r.format);
    for (const h of headlines(r)) {
      let row = rows.get(h.metric);
      if (row === undefined) rows.set(h.metric, (row = new Map()));
      let values = row.get(r.format);
      if (values === undefined) row.set(r.format, (values = []));
      if (h.value !== null) values.push(h.value);
    }
  }
  return [...rows].map(([metric, row]) => ({
    metric,
    byFormat: Object.fromEntries(
      formats.map((format) => {
        const values = row.get(format) ?? [];
        return [format, { min: values.length === 0 ? null : Math.min(...values), median: quantile(values, 0.5), max: values.length === 0 ? null : Math.max(...values), runs: values.length }];
      }),
    ),
  }));
}
