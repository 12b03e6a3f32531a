/**
 * Worker threads (detect/parallel): the verdicts reported at end of input
 * (Detector.flush) come out in one thread's order, not partition by
 * partition. A generated Zeek log of names under many registered domains,
 * first seen interleaved across partitions, with every verdict reported
 * (benign too), so the whole name table and every registered-domain
 * aggregate is in the output, in one detector's slot and insertion order.
 * The workers are dist's compiled worker.js (requireBuilt).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { ndjsonSink } from '../src/act/report/ndjson.js';
import { loadConfig } from '../src/config/load.js';
import { createEnricher } from '../src/enrich/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { requireBuilt, ROOT } from './support/cli.js';
import { textOut } from './support/text-out.js';
import { HEADER } from './support/zeek-log.js';

const WORKER = pathToFileURL(join(ROOT, 'dist', 'src', 'detect', 'parallel', 'worker.js'));

let enricher: Enricher;
beforeAll(async () => {
  requireBuilt();
  enricher = await createEnricher({});
});

/**
 * `sites` registered domains, five names n<k>.site<j>.com each, seen in a
 * stride over the sites (so consecutive first sightings belong to different
 * partitions), each lookup answered by two of its site's seven addresses.
 */
function zeekLog(records: number, sites: number): string {
  const lines = [...HEADER];
  let ts = 1_743_638_400;
  for (let i = 0; i < records; i++) {
    ts += 1;
    const site = (i * 7919) % sites;
    const name = `n${Math.floor(i / sites) % 5}.site${site}.com`;
    // Each site's own addresses: no partition waits for another's (detect/parallel's foreign filter).
    const a = `10.${site >> 8}.${site & 255}.${i % 4}`;
    const b = `10.${site >> 8}.${site & 255}.${4 + (i % 3)}`;
    lines.push(
      [ts.toFixed(6), `C${i}`, `10.1.0.${i % 200}`, '1534', '10.0.0.53', '53', 'udp', String(i % 65536), '0.001', name, '1', 'C_INTERNET', '1', 'A', '0', 'NOERROR', 'F', 'F', 'T', 'T', '0', `${a},${b}`, '60.000000,60.000000', 'F', '-', '-'].join('\t'),
    );
  }
  return lines.join('\n') + '\n';
}

/** The verdict lines in output order (not sorted: the order is what is tested). */
async function run(file: string, workers: number): Promise<string[]> {
  const config = loadConfig(undefined, {});
  const { out, text } = textOut();
  await analyze({
    files: [file],
    format: 'zeek',
    config,
    enricher,
    infra: null,
    baseline: null,
    all: true,
    sinks: [ndjsonSink(out)],
    workers: { count: workers, minBytes: 0, workerUrl: WORKER, recipe: { config, reference: false, intelSpecs: [], baseline: null, reportBenign: true } },
  });
  return text().split('\n').filter(Boolean);
}

describe('end-of-input verdicts with worker threads', () => {
  it('come out in one thread\'s order with 3 partitions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-flush-order-'));
    const file = join(dir, 'dns.log');
    // 1,200 names: past 1,024 the name table grows from 2,048 slots to 4,096 (growth re-places every name).
    try {
      writeFileSync(file, zeekLog(2_400, 240));
      const one = await run(file, 1);
      // Every name (1,200) and registered domain (240) is reported at the end, once.
      expect(new Set(one.map((l) => JSON.parse(l).domain as string)).size).toBe(1_440);
      expect(one).toHaveLength(1_440);
      // Three partitions: consecutive first sightings land in different ones (two: the bench file, README).
      expect(await run(file, 3)).toEqual(one);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
