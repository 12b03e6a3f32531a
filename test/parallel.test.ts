/**
 * Worker threads (detect/parallel) end to end: the bundled example through
 * analyze() with one thread and with 2, 3 and 4 partitions gives the same
 * verdict lines (the golden file's), the same counts and the same flux
 * networks; a bad record is skipped and counted with its position; a
 * worker that cannot start leaves no thread behind; --workers is checked.
 * The workers are dist's compiled worker.js (requireBuilt).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzeSummary } from '../src/analyze.js';
import { loadConfig } from '../src/config/load.js';
import { createEnricher } from '../src/enrich/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { loadInfra, type Infra } from '../src/enrich/infra/index.js';
import { PartitionedDetector } from '../src/detect/parallel/index.js';
import { runEval } from '../src/eval/run.js';
import { fluxhound, requireBuilt, ROOT } from './support/cli.js';
import { analyzeInPartitions, WORKER } from './support/parallel-run.js';
import { writeCapture } from '../bench/pcap-capture.js';

const DNS = join(ROOT, 'examples', 'example.dns.log');
const GOLDEN = join(ROOT, 'test', 'golden', 'example.verdicts.ndjson');

let enricher: Enricher;
let infra: Infra;
beforeAll(async () => {
  requireBuilt();
  enricher = await createEnricher({});
  infra = loadInfra();
});

function run(files: string[], workers: number): Promise<{ lines: string[]; summary: AnalyzeSummary }> {
  return analyzeInPartitions(files, workers, enricher, infra);
}

describe('analyze with worker threads', () => {
  it('gives the golden verdicts, counts and networks with 1, 2, 3 and 4 partitions', async () => {
    const golden = readFileSync(GOLDEN, 'utf8').split('\n').filter(Boolean);
    const one = await run([DNS], 1);
    expect(one.summary.workers).toBe(1);
    expect(one.lines).toEqual(golden);
    for (const n of [2, 3, 4]) {
      const many = await run([DNS], n);
      expect(many.summary.workers, `${n} workers`).toBe(n);
      expect(many.lines, `${n} workers`).toEqual(golden);
      expect(many.summary.detector, `${n} workers`).toEqual(one.summary.detector);
      expect(many.summary.networks, `${n} workers`).toEqual(one.summary.networks);
      expect(many.summary.records).toBe(one.summary.records);
      expect(many.summary.trackedAtEnd).toBe(one.summary.trackedAtEnd);
    }
  }, 120_000);

  it('skips and counts a bad record with its position, as one thread does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-par-'));
    const lines = readFileSync(DNS, 'utf8').split('\n');
    const at = lines.findIndex((l) => !l.startsWith('#')) + 5;
    lines.splice(at, 0, 'not\ta\tzeek\trecord');
    const file = join(dir, 'bad.dns.log');
    writeFileSync(file, lines.join('\n'));
    const one = await run([file], 1);
    const two = await run([file], 2);
    expect(two.summary.workers).toBe(2);
    expect(one.summary.skipped).toBe(1);
    expect(two.summary.skipped).toBe(1);
    expect(two.summary.skippedSamples).toEqual(one.summary.skippedSamples);
    expect(two.summary.skippedSamples[0]!.position.line).toBe(at + 1);
    expect(two.lines).toEqual(one.lines);
  }, 120_000);

  it('skips in input order records bad before and after their query name, whatever partition decodes them', async () => {
    // Workers reading the input decode only their own names: a record bad after its query name (here: no
    // query type) is reported by its partition, one bad before it by partition 0; the samples stay in input order.
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-par-'));
    const lines = readFileSync(DNS, 'utf8').split('\n');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const data = lines.flatMap((l, i) => (l.startsWith('#') || l === '' ? [] : [i]));
    const noType = (line: string): string =>
      line
        .split('\t')
        .map((v, c) => (fields[c] === 'qtype' || fields[c] === 'qtype_name' ? '-' : v))
        .join('\t');
    // Later positions first, so the earlier ones keep their line numbers.
    for (const k of [40, 30, 20, 10, 3]) lines.splice(data[k]!, 0, k % 20 === 0 ? 'not\ta\tzeek\trecord' : noType(lines[data[k]! + 7]!));
    const file = join(dir, 'bad2.dns.log');
    writeFileSync(file, lines.join('\n'));
    const one = await run([file], 1);
    expect(one.summary.skipped).toBe(5);
    for (const n of [2, 3]) {
      const many = await run([file], n);
      expect(many.summary.workers).toBe(n);
      expect(many.summary.skippedSamples).toEqual(one.summary.skippedSamples);
      expect(many.summary.records).toBe(one.summary.records);
      expect(many.summary.conflictingResponses).toBe(one.summary.conflictingResponses);
      expect(many.lines).toEqual(one.lines);
    }
  }, 120_000);

  it('partitions a capture without flow export traffic (scanned first) and gives one thread\'s verdicts and counts', async () => {
    // The bench's generated capture (flux-like answer sets, referrals with glue, TCP, NXDOMAIN), small.
    const capture = join(mkdtempSync(join(tmpdir(), 'fluxhound-parallel-pcap-')), 'dns.pcap');
    writeCapture(capture, { responses: 5_000, seed: 3 });
    const one = await run([capture], 1);
    const two = await run([capture], 2);
    expect(two.summary.workers).toBe(2);
    expect(two.summary.workersNote).toBeNull();
    expect(one.summary.records).toBe(5_000);
    expect(two.lines).toEqual(one.lines);
    expect(two.summary.detector).toEqual(one.summary.detector);
    expect([two.summary.records, two.summary.skipped, two.summary.conflictingResponses]).toEqual([one.summary.records, one.summary.skipped, one.summary.conflictingResponses]);
  }, 120_000);

  it('stays on one thread for a conn.log beside the DNS (flows), and says why', async () => {
    const r = await run([DNS, join(ROOT, 'examples', 'example.conn.log')], 2);
    expect(r.summary.workers).toBe(1);
    expect(r.summary.workersNote).toMatch(/may hold flows/);
  }, 60_000);
});

describe('the evaluation corpus with worker threads', () => {
  it('gives the same accuracy and blocking table (zeek) with 1 and 2 partitions', async () => {
    const config = loadConfig(undefined, {});
    const recipe = { config, reference: true, intelSpecs: [], baseline: 'holz' as const, reportBenign: true };
    const one = await runEval({ format: 'zeek', config, enricher, infra });
    const two = await runEval({ format: 'zeek', config, enricher, infra, workers: { count: 2, minBytes: 0, workerUrl: WORKER, recipe } });
    expect(one.records).toBeGreaterThan(1000);
    expect(two.fluxhound).toEqual(one.fluxhound);
    expect(two.blocking).toEqual(one.blocking);
    expect(two.holz).toEqual(one.holz);
  }, 300_000);
});

describe('PartitionedDetector', () => {
  it('rejects and stops its workers when one cannot load its tables', async () => {
    const config = loadConfig(undefined, {});
    await expect(
      PartitionedDetector.start({
        partitions: 2,
        workerUrl: WORKER,
        recipe: { config, asnMmdb: '/nonexistent/asn.mmdb', reference: false, intelSpecs: [], baseline: null, reportBenign: false },
      }),
    ).rejects.toThrow(/worker \d/);
  }, 60_000);
});

describe('fluxhound analyze --workers', () => {
  it('stays on one thread for a small input and says why in --stats-json', async () => {
    const stats = join(mkdtempSync(join(tmpdir(), 'fluxhound-par-')), 'stats.json');
    const r = await fluxhound(['analyze', '--json', '--quiet', '--workers', '2', '--stats-json', stats, DNS]);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(stats, 'utf8')) as { workers: number; workersNote: string | null };
    expect(s.workers).toBe(1);
    expect(s.workersNote).toMatch(/input under 32 MiB/);
  });

  it('is a usage error (exit 2, one line) when not auto or 1..64', async () => {
    const r = await fluxhound(['analyze', '--workers', 'many', '--quiet', DNS]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--workers/);
  });
});
