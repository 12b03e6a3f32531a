/**
 * The floor is a floor only if it does exactly DuckDB's work: on a small
 * generated log and on a log of odd answers, every name's six features from
 * the plain-JS program equal the SQL's rows (duckdb-features.ts), on one
 * thread and split over real worker threads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, ROOT } from '../test/support/cli.js';
import { ensureDataset, throughputSpec } from './dataset.js';
import { computeFeatures, ensureRangesDatabase, type NameFeatures } from './duckdb-features.js';
import { floorFeatures, floorFeaturesThreads, floorRows } from './plain-js-features.js';
import { ensureFloorRanges, loadFloorRanges } from './plain-js-ranges.js';

const BUILT = join(ROOT, 'dist', 'bench', 'plain-js-features.js');

let dir: string;
let generated: string;
let duckdbRanges: string;
let floorRanges: string;
let sql: Map<string, NameFeatures>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-plain-js-features-'));
  generated = (await ensureDataset(dir, 'features', throughputSpec(3, 4000))).path;
  duckdbRanges = await ensureRangesDatabase(dir);
  floorRanges = ensureFloorRanges(dir);
  ({ rows: sql } = await computeFeatures(generated, duckdbRanges, 1));
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const HEADER = [
  '#separator \\x09',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected',
];
const row = (ts: string, query: string, answers: string, ttls: string) =>
  `${ts}\tC1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\t0.001\t${query}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t${answers}\t${ttls}\tF`;

/** Answers and TTLs as real logs and careless producers write them; every line one the SQL reads. */
const ODD = [
  // 2001:4860::8888 is Google's (AS15169, US); 1.1.1.1 Cloudflare's (AS13335, AU in the country table).
  row('1743638400.000001', 'dual.test', 'edge.example.test,1.1.1.1,2001:4860::8888', '300.000000,60.000000,120.000000'),
  row('1743638400.000002', 'dual.test', '1.1.1.1,2001:4860:0:0:0:0:0:8888', '30.000000,90.000000'),
  // The hex form of an IPv4-mapped address is that IPv4 address.
  row('1743638400.000003', 'mapped.test', '::ffff:101:101', '10.000000'),
  row('1743638400.000004', 'mapped.test', '1.1.1.1,010.001.001.001', '20.000000,40.000000'),
  // A TTL missing or '-' is NULL: no minimum, no latest.
  row('1743638400.000005', 'short-ttls.test', '9.9.9.9,8.8.8.8', '50.000000'),
  row('1743638400.000006', 'dash-ttl.test', '9.9.9.9', '-'),
  row('-', 'no-time.test', '5.5.5.5', '7.000000'),
  // Text that looks like an address and is not one: the SQL's NULL, dropped.
  row('1743638400.000007', 'bad.test', '256.1.1.1,::ffff:1.2.3.4,12345::1,4.4.4.4', '1.000000,2.000000,3.000000,5.000000'),
  row('1743638400.000008', 'unanswered.test', '-', '-'),
  row('1743638400.000009', 'cname-only.test', 'a.example.test,b.example.test', '60.000000,60.000000'),
  // Documentation space: three addresses, two /48s, no ASN, no country.
  row('1743638400.000010', 'v6-prefix.test', '2001:db8:1::1,2001:db8:1:ffff::1,2001:DB8:2::1', '1.000000,2.000000,3.000000'),
  // Latest TTLs 10, 20, 40, 100 after a change: median between two, interpolated.
  row('1743638400.000011', 'median.test', '8.8.4.4,8.8.8.8,1.0.0.1,9.9.9.9', '10.000000,20.000000,40.000000,5.000000'),
  row('1743638400.000012', 'median.test', '9.9.9.9', '100.000000'),
];

describe('plain-JS floor for the per-name features', () => {
  it('gives DuckDB\'s rows exactly on a generated log', () => {
    const part = floorFeatures(generated, loadFloorRanges(floorRanges));
    expect(floorRows(part)).toEqual(sql);
    expect(part.records).toBe(4000);
    expect(part.skippedLines).toBe(0);
    const rows = [...sql.values()];
    // Names spread over networks, with many addresses, with a median between two TTLs are among them.
    expect(sql.size).toBeGreaterThan(300);
    expect(rows.filter((r) => r.asns >= 3).length).toBeGreaterThanOrEqual(5);
    expect(rows.filter((r) => r.ips >= 10).length).toBeGreaterThanOrEqual(5);
  });

  it('reads odd answers and TTLs as the SQL does', async () => {
    const log = join(dir, 'odd.dns.log');
    writeFileSync(log, `${[...HEADER, ...ODD, '#close\t2025-04-03-00-00-00'].join('\n')}\n`);
    const { rows: sql } = await computeFeatures(log, duckdbRanges, 1);
    const part = floorFeatures(log, loadFloorRanges(floorRanges));
    const floor = floorRows(part);
    expect(floor).toEqual(sql);
    expect(part.badAddresses).toBe(3);
    expect(Object.fromEntries(floor)).toEqual({
      'dual.test': { ips: 2, prefixes: 2, asns: 2, countries: 2, ttlMin: 30, ttlMedian: 60 },
      'mapped.test': { ips: 2, prefixes: 2, asns: 1, countries: 1, ttlMin: 10, ttlMedian: 30 },
      'short-ttls.test': { ips: 2, prefixes: 2, asns: 2, countries: 1, ttlMin: 50, ttlMedian: 50 },
      'dash-ttl.test': { ips: 1, prefixes: 1, asns: 1, countries: 1, ttlMin: null, ttlMedian: null },
      'no-time.test': { ips: 1, prefixes: 1, asns: 1, countries: 1, ttlMin: 7, ttlMedian: null },
      'bad.test': { ips: 1, prefixes: 1, asns: 1, countries: 1, ttlMin: 5, ttlMedian: 5 },
      'v6-prefix.test': { ips: 3, prefixes: 2, asns: 0, countries: 0, ttlMin: 1, ttlMedian: 2 },
      'median.test': { ips: 4, prefixes: 3, asns: 3, countries: 2, ttlMin: 5, ttlMedian: 30 },
    });
  });

  it('skips and counts a line too short to hold the TTLs', () => {
    const log = join(dir, 'short.dns.log');
    writeFileSync(log, `${[...HEADER, row('1743638400.5', 'kept.test', '1.1.1.1', '60.000000'), '1743638401.5\tC2\t10.0.0.1'].join('\n')}\n`);
    const part = floorFeatures(log, loadFloorRanges(floorRanges));
    expect({ records: part.records, skipped: part.skippedLines, names: part.names }).toEqual({ records: 2, skipped: 1, names: ['kept.test'] });
  });

  it('gives the same rows on worker threads, the names split by hash', async () => {
    requireBuilt();
    const one = floorRows(floorFeatures(generated, loadFloorRanges(floorRanges)));
    const part = await floorFeaturesThreads(generated, floorRanges, 2, pathToFileURL(BUILT));
    expect(part.names.length).toBe(new Set(part.names).size); // each name in one partition only
    expect(floorRows(part)).toEqual(one);
  });

  it('runs as the bench runs it: one JSON line from its own process, three partitions', async () => {
    requireBuilt();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [BUILT, generated, floorRanges, '--threads', '3'], { encoding: 'utf8', timeout: 60_000 }, (err, out, stderr) =>
        err === null ? resolve(out) : reject(new Error(`${err.message} ${stderr}`)),
      );
    });
    const result = JSON.parse(stdout) as { threads: number; names: number; records: number; elapsedMs: number };
    expect({ threads: result.threads, names: result.names, records: result.records }).toEqual({ threads: 3, names: sql.size, records: 4000 });
    expect(result.elapsedMs).toBeGreaterThan(0);
  });
});
