/**
 * Defect 15 of issue 12: distinct-address counts inflated in long runs. The
 * bundled example repeated over 40 days (the same addresses each day,
 * timestamps shifted by one day per repeat) reported 3,728 IPs for a name
 * whose input holds 98: addresses pushed out of the 64-slot table were
 * counted again when they came back. Runs the built CLI (npm test builds
 * first) with --no-reference, so no address is left out as known CDN/cloud
 * and `ips` is every distinct address of the name.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'example.dns.log');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-distinct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAYS = 40;

interface Printed {
  domain: string;
  scope: string;
  features: { ips: number; ips_window: number; asns_window: number; countries_window: number; ns_addresses: number };
  reasons: string[];
  lower_bounds?: string[];
}

/** The example's records, repeated `days` times, each repeat one day later. */
function repeated(days: number): string {
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
  const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const records = lines.filter((l) => l.length > 0 && !l.startsWith('#'));
  const out = [...header];
  for (let day = 0; day < days; day++) {
    for (const record of records) {
      const tab = record.indexOf('\t');
      out.push((Number(record.slice(0, tab)) + day * 86400).toFixed(6) + record.slice(tab));
    }
  }
  return out.join('\n') + '\n';
}

/** Distinct answer addresses per query name, over the A and AAAA lookups of the example. */
function distinctAddresses(): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const line of readFileSync(EXAMPLE, 'utf8').split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const f = line.split('\t');
    if (f[13] !== 'A' && f[13] !== 'AAAA') continue;
    const name = f[9]!.toLowerCase().replace(/\.$/, '');
    let set = byName.get(name);
    if (set === undefined) byName.set(name, (set = new Set()));
    for (const a of f[21]!.split(',')) if (isIP(a) !== 0) set.add(a);
  }
  return byName;
}

function analyze(file: string, extra: string[] = []): Map<string, Printed> {
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', '--all', '--no-reference', ...extra, file], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    timeout: 120_000,
    maxBuffer: 1 << 28,
  });
  expect(r.status, r.stderr).toBe(0);
  const verdicts = new Map<string, Printed>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const v = JSON.parse(line) as Printed;
    verdicts.set(`${v.scope} ${v.domain}`, v);
  }
  return verdicts;
}

describe('distinct counts over a long run (issue 12, defect 15)', () => {
  it('the example repeated over 40 days reports exactly the distinct addresses the input holds', () => {
    const file = join(dir, 'forty-days.dns.log');
    writeFileSync(file, repeated(DAYS));
    const verdicts = analyze(file);
    const truth = distinctAddresses();
    const overflowing = [...truth].filter(([, set]) => set.size > 64);
    // The run exercises the table's limit: some names hold more addresses than its 64 slots.
    expect(overflowing.length).toBeGreaterThan(0);
    let compared = 0;
    for (const v of verdicts.values()) {
      if (v.scope !== 'name') continue;
      const held = truth.get(v.domain);
      if (held === undefined) continue;
      expect(v.features.ips, v.domain).toBe(held.size);
      expect(v.lower_bounds ?? [], v.domain).not.toContain('ips');
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    for (const [name, set] of overflowing) {
      const v = verdicts.get(`name ${name}`)!;
      expect(v.features.ips, name).toBe(set.size);
      expect(v.reasons.join(' ')).not.toMatch(/at least \d+ IPs in/);
    }
  }, 180_000);

  it('every count, windows and registered domains included, equals a run whose table forgets nothing', () => {
    const file = join(dir, 'forty-days.dns.log');
    writeFileSync(file, repeated(DAYS));
    const config = join(dir, 'roomy.json');
    writeFileSync(config, JSON.stringify({ limits: { maxAddressesPerDomain: 4096 } }));
    const capped = analyze(file);
    const roomy = analyze(file, ['-c', config]);
    expect(capped.size).toBe(roomy.size);
    for (const [key, exact] of roomy) {
      const v = capped.get(key)!;
      expect(v.features.ips, key).toBe(exact.features.ips);
      expect(v.features.ns_addresses, key).toBe(exact.features.ns_addresses);
      expect(exact.lower_bounds, key).toBeUndefined();
      // A window peak is exact unless the verdict says it is a lower bound.
      for (const w of ['ips_window', 'asns_window', 'countries_window'] as const) {
        if (v.lower_bounds?.includes(w)) expect(v.features[w], `${key} ${w}`).toBeLessThanOrEqual(exact.features[w]);
        else expect(v.features[w], `${key} ${w}`).toBe(exact.features[w]);
      }
    }
  }, 180_000);
});
