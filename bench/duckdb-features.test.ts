/**
 * The per-name feature query is a fair yardstick only if it computes what
 * fluxhound computes: on a small generated log, every name's distinct
 * addresses, prefixes, ASNs, countries, minimum and median TTL from the SQL
 * equal the features in fluxhound's verdicts (`analyze --all --no-reference`,
 * so no CDN or cloud address is set aside; with --workers auto when the
 * build has it, as the bench runs it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireBuilt, ROOT } from '../test/support/cli.js';
import { ensureDataset, throughputSpec } from './dataset.js';
import { computeFeatures, ensureRangesDatabase, type NameFeatures } from './duckdb-features.js';
import { workersArgs } from './fluxhound-run.js';

interface NameVerdict {
  domain: string;
  scope: string;
  features: { ips: number; prefixes: number; asns: number; countries: number; ttl_min: number | null; ttl_median: number | null; non_routable: number };
}

/** fluxhound keeps at most this many addresses per name (limits.maxAddressesPerDomain); prefixes etc. count those. */
const MAX_ADDRESSES = 64;

/** The built CLI with every name's verdict on stdout (more than test/support/cli.ts's fluxhound() buffers). */
function analyzeAll(file: string): Promise<string> {
  const args = [CLI, 'analyze', '--json', '--all', '--no-reference', '--no-progress', '--quiet', ...workersArgs(ROOT), file];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`fluxhound analyze failed: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

let dir: string;
let sql: Map<string, NameFeatures>;
let verdicts: NameVerdict[];

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-duckdb-features-'));
  const log = await ensureDataset(dir, 'features', throughputSpec(3, 4000));
  const ranges = await ensureRangesDatabase(dir);
  ({ rows: sql } = await computeFeatures(log.path, ranges, null));
  const stdout = await analyzeAll(log.path);
  verdicts = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as NameVerdict & { record?: string })
    .filter((v) => v.record === undefined && v.scope === 'name');
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('DuckDB per-name feature query', () => {
  it('gives every name the features fluxhound measured', () => {
    let compared = 0;
    let spread = 0;
    let manyAddresses = 0;
    for (const v of verdicts) {
      const f = v.features;
      // Special-purpose answers are no address to fluxhound; past the cap it keeps the newest only.
      if (f.ips === 0 || f.non_routable > 0 || f.ips >= MAX_ADDRESSES) continue;
      expect({ name: v.domain, ...sql.get(v.domain) }).toEqual({
        name: v.domain,
        ips: f.ips,
        prefixes: f.prefixes,
        asns: f.asns,
        countries: f.countries,
        ttlMin: f.ttl_min,
        ttlMedian: f.ttl_median,
      });
      compared++;
      if (f.asns >= 3) spread++;
      if (f.ips >= 10) manyAddresses++;
    }
    // Flux names spread over networks and CDN names with many addresses are among those compared.
    expect(spread).toBeGreaterThanOrEqual(5);
    expect(manyAddresses).toBeGreaterThanOrEqual(5);
    expect(compared).toBeGreaterThan(300);
  });

  it('finds no name with addresses that fluxhound did not report', () => {
    const reported = new Set(verdicts.filter((v) => v.features.ips > 0 || v.features.non_routable > 0).map((v) => v.domain));
    expect([...sql.keys()].filter((name) => !reported.has(name))).toEqual([]);
  });

  it('parses both address families, :: included, and leaves CNAME targets out', async () => {
    const log = join(dir, 'families.dns.log');
    const header = [
      '#separator \\x09',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected',
    ];
    const row = (ts: number, query: string, answers: string, ttls: string) =>
      `${ts}\tC1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\t0.001\t${query}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t${answers}\t${ttls}\tF`;
    writeFileSync(
      log,
      [
        ...header,
        // 2001:4860::8888 is Google's (AS15169, US in the country table); 1.1.1.1 Cloudflare's (AS13335, AU there).
        row(1, 'www.example.test', 'edge.example.test,1.1.1.1,2001:4860::8888', '300.000000,60.000000,120.000000'),
        row(2, 'www.example.test', '1.1.1.1,2001:4860:0:0:0:0:0:8888', '30.000000,90.000000'),
        '#close\t2025-04-03-00-00-00',
      ].join('\n') + '\n',
    );
    const { rows } = await computeFeatures(log, await ensureRangesDatabase(dir), 1);
    // Two addresses (the :: form and the full form are one; the CNAME target is none); latest TTLs 30 and 90.
    expect(rows.get('www.example.test')).toEqual({ ips: 2, prefixes: 2, asns: 2, countries: 2, ttlMin: 30, ttlMedian: 60 });
    expect(rows.size).toBe(1);
  });
});
