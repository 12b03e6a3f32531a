/**
 * One analyze() run over files with N worker partitions (dist's compiled
 * worker.js: requireBuilt first), every verdict reported, for tests that
 * compare worker runs with one thread: the verdict lines sorted, and the summary.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze, type AnalyzeSummary } from '../../src/analyze.js';
import { ndjsonSink } from '../../src/act/report/ndjson.js';
import { loadConfig } from '../../src/config/load.js';
import type { Enricher } from '../../src/enrich/enricher.js';
import type { Infra } from '../../src/enrich/infra/index.js';
import { ROOT } from './cli.js';
import { textOut } from './text-out.js';

export const WORKER = pathToFileURL(join(ROOT, 'dist', 'src', 'detect', 'parallel', 'worker.js'));

export async function analyzeInPartitions(files: string[], workers: number, enricher: Enricher, infra: Infra): Promise<{ lines: string[]; summary: AnalyzeSummary }> {
  const config = loadConfig(undefined, {});
  const { out, text } = textOut();
  const summary = await analyze({
    files,
    format: 'auto',
    config,
    enricher,
    infra,
    baseline: 'holz',
    all: true,
    sinks: [ndjsonSink(out)],
    workers: { count: workers, minBytes: 0, workerUrl: WORKER, recipe: { config, reference: true, intelSpecs: [], baseline: 'holz', reportBenign: true } },
  });
  return { lines: text().split('\n').filter(Boolean).sort(), summary };
}
