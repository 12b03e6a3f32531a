/**
 * Routed reading (src/detect/parallel/router.ts): the main thread reads a
 * Zeek dns.log once and hands each worker only its lines. On a file of
 * many batches with hostile lines, CRLF line ends, a non-ASCII and an
 * escaped name, an over-long line, a header that changes the columns half
 * way, name servers of one partition looked up under another's zones and
 * a last line without a newline, two partitions (three in batches of
 * 300 lines) give one thread's verdicts, counts and every skipped line with its position in
 * the original file. The workers are dist's compiled worker.js (requireBuilt).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzeSummary } from '../src/analyze.js';
import { loadConfig } from '../src/config/load.js';
import { createEnricher } from '../src/enrich/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { loadInfra, type Infra } from '../src/enrich/infra/index.js';
import { Prng } from '../src/corpus/prng.js';
import { PartitionedDetector } from '../src/detect/parallel/index.js';
import { partitionOf } from '../src/detect/partition.js';
import { readInputs } from '../src/sources/input.js';
import { sourceFormats } from '../src/sources/registry.js';
import type { SkippedRecord } from '../src/model/observation.js';
import { ZEEK_DNS_FIELDS, zeekHeader } from '../src/sources/zeek/header.js';
import { requireBuilt } from './support/cli.js';
import { analyzeInPartitions, WORKER } from './support/parallel-run.js';


let enricher: Enricher;
let infra: Infra;
beforeAll(async () => {
  requireBuilt();
  enricher = await createEnricher({});
  infra = loadInfra();
});

/** One dns.log line in Zeek 6's columns; `over` replaces columns by name. */
function line(ts: number, query: string, qtype: string, answers: string[], ttl: number, over: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    ts: ts.toFixed(6), uid: 'C1', 'id.orig_h': '10.0.0.7', 'id.orig_p': '5353', 'id.resp_h': '10.0.0.1', 'id.resp_p': '53', proto: 'udp',
    trans_id: '1', rtt: '0.01', query, qclass: '1', qclass_name: 'C_INTERNET', qtype: qtype === 'NS' ? '2' : '1', qtype_name: qtype,
    rcode: '0', rcode_name: 'NOERROR', AA: 'F', TC: 'F', RD: 'T', RA: 'T', Z: '0',
    answers: answers.length === 0 ? '-' : answers.join(','), TTLs: answers.length === 0 ? '-' : answers.map(() => `${ttl}.000000`).join(','), rejected: 'F',
    ...over,
  };
  return ZEEK_DNS_FIELDS.map((f) => values[f]!).join('\t');
}

/**
 * About 12,000 lines (three batches and more): fast-flux names rotating through a pool, stable names, NS
 * answers naming servers under another registered domain (then looked up themselves), and hostile lines.
 * (A name server of more than four zones would differ: each detector links at most four zones to a server,
 * so N partitions link up to 4N; a per-detector cap, as in README.md "Differences from one Detector".)
 */
function hostileLog(): string {
  const rng = new Prng(18);
  const ip = (): string => `${1 + rng.int(200)}.${rng.int(250)}.${rng.int(250)}.${1 + rng.int(250)}`;
  const out: string[] = [...zeekHeader()];
  let ts = 1_700_000_000;
  let reversed = false;
  const add = (text: string): void => void out.push(reversed && text.includes('\t') ? text.split('\t').reverse().join('\t') : text);
  for (let i = 0; i < 12_000; i++) {
    ts += 0.25;
    const k = i % 40;
    if (k < 12) add(line(ts, `cdn${i % 30}.flux${i % 7}.example`, 'A', [ip(), ip(), ip()], 60));
    else if (k < 30) add(line(ts, `www.site${i % 300}.com`, 'A', [`192.0.2.${i % 250}`], 3600));
    // One zone per name server: a server of more than 4 zones links only 4 of them per detector (its own cap, per partition).
    else if (k < 33) add(line(ts, `zone${i % 50}.org`, 'NS', [`ns1.dns-of-zone${i % 50}.net`, `ns2.dns-of-zone${i % 50}.net`], 86400));
    else if (k < 38) add(line(ts, `ns${1 + (i % 2)}.dns-of-zone${i % 50}.net`, 'A', [ip()], 300));
    else add(line(ts, `mail.site${i % 300}.com`, 'A', [ip()], 120));
    if (i === 100) add('garbage\tline');
    if (i === 2_000) add(line(ts, 'x.example', 'A', ['192.0.2.1'], 60, { ts: 'yesterday' }));
    if (i === 3_000) add(line(ts, 'bad name!.example', 'A', ['192.0.2.1'], 60));
    if (i === 4_000) add(line(ts, 'y.flux1.example', 'A', ['192.0.2.1', '192.0.2.2'], 60, { TTLs: '60.000000' }));
    if (i === 5_000) add(line(ts, 'bücher.example', 'A', ['192.0.2.3'], 60));
    if (i === 5_001) add(line(ts, '\\x41bc.flux2.example', 'A', ['192.0.2.4', '\\x31.2.3.4'], 60));
    if (i === 6_000) add('a'.repeat((1 << 20) + 10));
    if (i === 6_001) add('');
    if (i === 7_000) add(line(ts, 'z.flux3.example', 'A', ['192.0.2.5'], 60, { ts: '99999999999.000000' }));
    if (i === 8_000) {
      // A new header block with the columns in another order (logs concatenated after rotation).
      const fields = [...ZEEK_DNS_FIELDS].reverse();
      out.push('#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#fields\t${fields.join('\t')}`);
      reversed = true;
    }
  }
  // CRLF for the second half, and no newline after the last line.
  const half = Math.floor(out.length / 2);
  return out.slice(0, half).join('\n') + '\n' + out.slice(half).join('\r\n');
}

function analyzed(file: string, workers: number): Promise<{ lines: string[]; summary: AnalyzeSummary }> {
  return analyzeInPartitions([file], workers, enricher, infra);
}

describe('routed reading (the main thread hands each worker its lines)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-routed-'));
  const file = join(dir, 'hostile.dns.log');
  writeFileSync(file, hostileLog());

  it('gives one thread verdicts, counts and skipped lines at their original positions', async () => {
    const one = await analyzed(file, 1);
    expect(one.summary.workers).toBe(1);
    expect(one.lines.length).toBeGreaterThan(100);
    expect(one.summary.fastFlux + one.summary.suspicious).toBeGreaterThan(0);
    for (const n of [2]) {
      const many = await analyzed(file, n);
      expect(many.summary.workers, `${n} workers`).toBe(n);
      expect(many.lines, `${n} workers`).toEqual(one.lines);
      expect(many.summary.detector, `${n} workers`).toEqual(one.summary.detector);
      expect(many.summary.networks, `${n} workers`).toEqual(one.summary.networks);
      expect([many.summary.records, many.summary.skipped, many.summary.trackedAtEnd]).toEqual([one.summary.records, one.summary.skipped, one.summary.trackedAtEnd]);
      expect(many.summary.skippedSamples, `${n} workers`).toEqual(one.summary.skippedSamples);
      expect([...many.summary.skippedByReason], `${n} workers`).toEqual([...one.summary.skippedByReason]);
    }
  });

  it('routes in small batches to three partitions, server lookups across partitions, every skip in input order', async () => {
    // What one thread skips, in order, with positions.
    const expected: SkippedRecord[] = [];
    let records = 0;
    const [summary] = await readInputs([file], { format: 'auto', formats: sourceFormats, sink: { observe: () => void records++, skip: (s) => void expected.push(s) } });
    expect(expected.map((s) => s.reason)).toEqual([
      'expected 24 fields, got 2',
      expect.stringContaining('bad timestamp'),
      expect.stringContaining('bad query name'),
      'answers and TTLs differ in length (2 vs 1)',
      'line longer than 1 MiB',
      expect.stringContaining('time'),
    ]);
    // Some zones' name servers are another partition's names: their lookups are routed to the zone's partition too.
    expect(Array.from({ length: 50 }, (_, z) => partitionOf(`zone${z}.org`, 2) !== partitionOf(`ns1.dns-of-zone${z}.net`, 2)).filter(Boolean).length).toBeGreaterThan(10);

    const config = loadConfig(undefined, {});
    const detector = await PartitionedDetector.start({ recipe: { config, reference: true, intelSpecs: [], baseline: 'holz', reportBenign: true }, partitions: 3, batch: 300, workerUrl: WORKER });
    const skipped: SkippedRecord[] = [];
    try {
      const read = await detector.read([file], 'auto', { onSkip: (s) => skipped.push(s) });
      expect(read.routed).toBe(true);
      expect(read.records).toBe(records);
      expect(read.inputs).toEqual([{ ...summary, format: 'zeek' }]);
      await detector.flush();
    } finally {
      await detector.close();
    }
    expect(skipped).toEqual(expected);
    expect(skipped[0]!.position).toEqual({ file, line: 9 + 101 });
  });
});
