import { describe, expect, it } from 'vitest';
import { parseStats } from './fluxhound-run.js';
import { featureRatio, median, throughputRatio } from './summary.js';
import type { SideSummary } from './summary.js';

describe('median', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN for no runs', () => {
    expect(median([])).toBeNaN();
  });
});

describe('parseStats', () => {
  const good = { records: 10, skipped: 0, domainsTracked: 4, flagged: 1, elapsedMs: 12, maxRssBytes: 1e8, heapUsedAfterGcBytes: null };

  it('accepts the CLI contract, extra fields included', () => {
    expect(parseStats(JSON.stringify({ ...good, fastFlux: 1 }), 's.json').domainsTracked).toBe(4);
  });

  it.each([
    ['not JSON', '{', /s\.json: not JSON/],
    ['a missing field', JSON.stringify({ ...good, records: undefined }), /'records' is missing or not a number/],
    ['a bad heap figure', JSON.stringify({ ...good, heapUsedAfterGcBytes: 'big' }), /'heapUsedAfterGcBytes' must be a number or null/],
  ])('rejects %s, naming the file and field', (_what, text, message) => {
    expect(() => parseStats(text, 's.json')).toThrow(message);
  });
});

describe('throughputRatio', () => {
  const side = (recordsPerSecond: number, wallSeconds: number): SideSummary => ({
    label: '',
    runs: 1,
    seconds: 1,
    wallSeconds,
    cpuSeconds: Number.NaN,
    recordsPerSecond,
    megabytesPerSecond: 1,
    peakRssBytes: 1,
  });

  it('divides fluxhound records/s by the peer and wall times the other way round', () => {
    const ratio = throughputRatio(side(300, 2), side(200, 3), side(100, 5), 1.5);
    expect(ratio).toEqual({ target: 1.5, vsDefaultThreads: 1.5, vsOneThread: 3, wallVsDefaultThreads: 1.5 });
  });

  it('is null without both sides', () => {
    expect(throughputRatio(null, side(1, 1), undefined, 1.5)).toBeNull();
  });
});

describe('featureRatio', () => {
  const side = (recordsPerSecond: number, wallSeconds: number, cpuSeconds: number): SideSummary => ({
    label: '',
    runs: 3,
    seconds: 1,
    wallSeconds,
    cpuSeconds,
    recordsPerSecond,
    megabytesPerSecond: 1,
    peakRssBytes: 1,
  });

  it('puts analyze over the feature query in records/s, and the peer over analyze in wall and CPU seconds', () => {
    expect(featureRatio(side(150, 4, 6), side(100, 6, 3), 1, 1.5)).toEqual({ target: 1, goal: 1.5, ratio: 1.5, wallRatio: 1.5, cpuRatio: 0.5 });
  });

  it('is null when either side was not measured', () => {
    expect(featureRatio(null, side(1, 1, 1), 1, 1.5)).toBeNull();
    expect(featureRatio(side(1, 1, 1), null, 1, 1.5)).toBeNull();
  });
});
