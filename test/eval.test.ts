/**
 * The accuracy evaluation end to end, on the published seed, straight into
 * the detector: every benign class stays clean, every flux class is found,
 * and fluxhound beats the Holz et al. baseline. The bounds are the floor the
 * detector must not fall below, not tuned figures (README has the table).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../src/eval/run.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

describe('fluxhound eval', () => {
  const r = spawnSync(process.execPath, [CLI, 'eval', '--format', 'direct', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const result = JSON.parse(r.stdout) as EvalResult;

  it('runs and reports both detectors', () => {
    expect(r.status).toBe(0);
    // 450,000 by popularity, and the scheduled lookups of slow flux and shared registries.
    expect(result.records).toBeGreaterThanOrEqual(450_000);
    expect(result.records).toBeLessThan(452_000);
    expect(result.fluxhound.negatives).toBeGreaterThanOrEqual(2000);
  });

  it.each(result.fluxhound.benign.map((row) => [row.class, row]))('flags no %s name as fast-flux', (_c, row) => {
    expect(row.names).toBeGreaterThanOrEqual(100);
    expect(row.flagged).toBe(0);
  });

  it.each(result.fluxhound.flux.map((row) => [row.class, row]))('finds %s names', (_c, row) => {
    expect(row.rate).toBeGreaterThanOrEqual(0.95);
  });

  it('reports injection for the names a middlebox answers for, and for no platform name', () => {
    const row = (c: string) => result.fluxhound.benign.find((b) => b.class === c);
    expect(row('injected')?.names).toBeGreaterThanOrEqual(100);
    expect(row('injected')!.injected / row('injected')!.names).toBeGreaterThanOrEqual(0.95);
    expect(row('platform')?.injected).toBe(0);
  });

  it('labels double flux, detects within a few lookups, and beats the baseline', () => {
    const f = result.fluxhound;
    expect(f.doubleFluxCorrect).toBeGreaterThanOrEqual(0.9);
    expect(f.medianLookupsToFlag).toBeLessThanOrEqual(3);
    expect(f.precision).toBeGreaterThan(result.holz.precision);
    expect(f.recall).toBeGreaterThan(result.holz.recall);
    expect(f.falsePositives).toBeLessThan(result.holz.falsePositives);
    expect(result.holz.doubleFluxCorrect).toBeNull();
  });
});
