/**
 * Golden test (as Zeek's packages do): the bundled example through the whole
 * pipeline, compared line by line with the checked-in verdicts. After an
 * intended change: UPDATE_GOLDEN=1 npm test, then review the diff.
 *
 * Twice: the DNS log alone, and with the example's conn.log (issue 16). Flows
 * only add: the same domains, a verdict without flows to its addresses is the
 * same line, one with flows gains `flows`, its feature and at most
 * weights.flow_evidence's points; the exposures and fan-out follow.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const GOLDEN = join(ROOT, 'test', 'golden', 'example.verdicts.ndjson');
const GOLDEN_FLOWS = join(ROOT, 'test', 'golden', 'example.flows.ndjson');
const DNS = join(ROOT, 'examples', 'example.dns.log');
const CONN = join(ROOT, 'examples', 'example.conn.log');

function run(files: string[], golden: string): string[] {
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', '--all', '--baseline', 'holz', '--quiet', ...files], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // Order of verdicts is the order domains are finalised; sort for a stable comparison.
  const got = r.stdout.split('\n').filter(Boolean).sort().join('\n') + '\n';
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, got);
  const want = readFileSync(golden, 'utf8');
  expect(got.split('\n')).toEqual(want.split('\n'));
  return got.split('\n').filter(Boolean);
}

interface Line {
  record?: string;
  domain?: string;
  scope?: string;
  score?: number;
  flows?: unknown;
}

describe('golden: examples/example.dns.log', () => {
  it('gives exactly the recorded verdicts', () => {
    run([DNS], GOLDEN);
  });

  it('with examples/example.conn.log: exactly the recorded verdicts and findings, flows only adding evidence', () => {
    const withFlows = run([DNS, CONN], GOLDEN_FLOWS);
    const dnsOnly = readFileSync(GOLDEN, 'utf8').split('\n').filter(Boolean);
    const verdicts = withFlows.filter((l) => !l.startsWith('{"record"'));
    expect(verdicts).toHaveLength(dnsOnly.length);
    // A name and its registered domain can share a domain text: the scope tells them apart.
    const key = (v: Line): string => `${v.domain} ${v.scope}`;
    const before = new Map(dnsOnly.map((l) => [key(JSON.parse(l) as Line), l]));
    let strengthened = 0;
    for (const line of verdicts) {
      const v = JSON.parse(line) as Line;
      const old = before.get(key(v));
      expect(old, key(v)).toBeDefined();
      if (v.flows === undefined) expect(line).toBe(old);
      else {
        strengthened++;
        const was = (JSON.parse(old!) as Line).score!;
        expect(v.score! - was).toBeGreaterThanOrEqual(0);
        expect(v.score! - was).toBeLessThanOrEqual(10);
      }
    }
    expect(strengthened).toBeGreaterThan(0);
    const records = withFlows.filter((l) => l.startsWith('{"record"')).map((l) => (JSON.parse(l) as Line).record);
    expect(records).toContain('exposure');
    expect(records).toContain('fan-out');
  });
});
