import { describe, expect, it } from 'vitest';
import type { Accuracy } from './metrics.js';
import type { EvalInput, EvalResult } from './run.js';
import { MAX_SEEDS, parseSeeds, sweepSummary } from './sweep.js';

describe('parseSeeds', () => {
  it.each([
    ['1-3,20250417', [1, 2, 3, 20250417]],
    ['7', [7]],
    [' 5 , 2-3 ,5', [5, 2, 3]],
  ])('%j', (text, seeds) => expect(parseSeeds(text)).toEqual(seeds));

  it.each(['', 'a', '3-1', '1-', '-1', '1.5', `1-${MAX_SEEDS + 1}`])('refuses %j with a usage error', (text) => {
    expect(() => parseSeeds(text)).toThrow(/--seeds/);
  });
});

function run(format: EvalInput, seed: number, recall: number, ntpFalsePositives: number, median: number | null): EvalResult {
  const accuracy = (fp: number): Accuracy => ({
    positives: 10, negatives: 20, truePositives: 9, falsePositives: fp, precision: 1, recall, unobserved: 0, recallObserved: recall,
    doubleFluxCorrect: 1, doubleFluxCorrectNsSeen: 1, medianLookupsToFlag: median, medianMinutesToFlag: 0, p90LookupsToFlag: median,
    benign: [{ class: 'ntp-pool', names: 20, flagged: fp, suspicious: 0, injected: 0, rate: fp / 20 }], flux: [],
  });
  return {
    format, seed, records: 1, seconds: 1, generateSeconds: 1, detectSeconds: 0, fluxhound: accuracy(ntpFalsePositives),
    blocking: { positives: 10, blocked: 10, recall: 1, negatives: 20, falsePositives: 0, falsePositivesByClass: [] }, holz: accuracy(0),
  };
}

describe('sweepSummary', () => {
  const rows = sweepSummary([run('zeek', 1, 0.9, 0, 1), run('pcap', 1, 0.9, 0, 1), run('zeek', 2, 1, 2, null), run('pcap', 2, 0.8, 0, 2), run('zeek', 3, 0.95, 1, 3), run('pcap', 3, 0.9, 0, 1)]);
  const row = (metric: string) => rows.find((r) => r.metric === metric)!.byFormat;

  it('gives min, median and max per format over the seeds', () => {
    expect(row('recall')).toEqual({ zeek: { min: 0.9, median: 0.95, max: 1, runs: 3 }, pcap: { min: 0.8, median: 0.9, max: 0.9, runs: 3 } });
    expect(row('  false positives ntp-pool')).toEqual({ zeek: { min: 0, median: 1, max: 2, runs: 3 }, pcap: { min: 0, median: 0, max: 0, runs: 3 } });
  });

  it('leaves out runs without the figure', () => {
    expect(row('median lookups to first flag').zeek).toEqual({ min: 1, median: 1, max: 3, runs: 2 });
  });

  it('lists the headline figures in order', () => {
    expect(rows.map((r) => r.metric)).toEqual([
      'recall', 'recall over names seen resolving', 'false positives', '  false positives ntp-pool', 'benign names blocked by the policy',
      'double flux labelled double', '  over names whose NS records appeared', 'median lookups to first flag', 'p90 lookups to first flag',
    ]);
  });
});
