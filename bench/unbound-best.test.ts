import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DnsperfResult } from './dns-run.js';
import { bestScreen, DNSPERF_LOADS, medianRun, UNBOUND_VARIANTS, unboundVariantConfig, type ScreenRun } from './unbound-best.js';

const run = (qps: number): DnsperfResult => ({ label: String(qps), qps, sent: 0, completed: 0, lost: 0, p50Ms: null, p99Ms: null, avgMs: null, reconnections: null, cpuUsPerQuery: null, runQueueWait: null });

describe('medianRun', () => {
  it('is the middle run by qps, the lower middle for an even count: a real run, not an average', () => {
    expect(medianRun([run(3), run(1), run(2)]).qps).toBe(2);
    expect(medianRun([run(4), run(1), run(3), run(2)]).qps).toBe(2);
    expect(() => medianRun([])).toThrow();
  });
});

describe('bestScreen', () => {
  it('picks the highest qps among the runs kept', () => {
    const runs: ScreenRun[] = [
      { server: 'unbound', variant: UNBOUND_VARIANTS[0]!, load: DNSPERF_LOADS[0]!, qps: 150_000 },
      { server: 'unbound', variant: UNBOUND_VARIANTS[1]!, load: DNSPERF_LOADS[1]!, qps: 210_000 },
      { server: 'fluxhound', variant: null, load: DNSPERF_LOADS[0]!, qps: 90_000 },
    ];
    expect(bestScreen(runs, (r) => r.server === 'unbound')?.qps).toBe(210_000);
    expect(bestScreen(runs, (r) => r.variant?.threads === 1)?.qps).toBe(150_000);
    expect(bestScreen(runs, () => false)).toBeNull();
  });
});

describe('unboundVariantConfig', () => {
  it.each(UNBOUND_VARIANTS.map((v) => [`${v.source}, ${v.threads} thread(s)`, v] as const))('%s is a config unbound-checkconf accepts, as described', (_, variant) => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-unbound-best-'));
    try {
      const text = unboundVariantConfig(dir, 5353, 3, variant, 5354, 'u.pid');
      expect(text).toContain(`num-threads: ${variant.threads}`);
      expect(text).toContain(`so-reuseport: ${variant.reuseport ? 'yes' : 'no'}`);
      expect(text.includes('local-data: "n2.bench.test.')).toBe(variant.source === 'local-data');
      expect(text.includes('forward-addr: 127.0.0.1@5354')).toBe(variant.source === 'warm cache');
      writeFileSync(join(dir, 'u.conf'), text);
      const check = spawnSync('unbound-checkconf', [join(dir, 'u.conf')], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin` } });
      expect(check.stderr + check.stdout).toMatch(/no errors/);
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
