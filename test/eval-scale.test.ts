/**
 * `fluxhound eval --scenario scale` end to end on a reduced population: it
 * runs straight into the detector, scores every class, reports false
 * positives per million benign names and what the run cost; misuse is one
 * clear line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScaleResult } from '../src/eval/scale.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const evalCli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'eval', ...args], { encoding: 'utf8', timeout: 300_000 });

describe('fluxhound eval --scenario scale', () => {
  const r = evalCli('--scenario', 'scale', '--names', '5000', '--json');
  const result = JSON.parse(r.stdout) as ScaleResult;

  it('scores every benign class and the hidden flux, per million benign names', () => {
    expect(r.status).toBe(0);
    expect(result.records).toBeGreaterThanOrEqual(15_000);
    expect(result.peakRssMiB).toBeGreaterThan(0);
    const classes = result.fluxhound.benign.map((row) => row.class);
    for (const c of ['benign-static', 'cdn', 'benign-roundrobin', 'cloud-lb', 'dynamic-dns', 'shared-registry', 'top-site']) expect(classes).toContain(c);
    expect(result.fluxhound.positives).toBeGreaterThanOrEqual(5);
    expect(result.falsePositivesPerMillion).toBeCloseTo((result.fluxhound.falsePositives * 1e6) / result.fluxhound.negatives, 6);
    expect(result.blockedPerMillion).toBeCloseTo((result.blocking.falsePositives * 1e6) / result.fluxhound.negatives, 6);
  });

  it('refuses another format, --keep, and --names without the scale scenario', () => {
    for (const args of [
      ['--scenario', 'scale', '--format', 'zeek'],
      ['--scenario', 'scale', '--keep', '/tmp/x'],
      ['--names', '5000'],
      ['--scenario', 'scale', '--names', '10'],
    ]) {
      const bad = evalCli(...args);
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
