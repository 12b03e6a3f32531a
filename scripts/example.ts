/** The bundled example corpus: small, a few hours, every class present. */
import { join } from 'node:path';
import { generateCorpus } from '../src/corpus/generate.js';
import type { CorpusResult } from '../src/corpus/generate.js';
import { populationLabels } from '../src/corpus/population.js';
import type { CorpusSpec } from '../src/corpus/spec.js';
import { DEFAULT_START } from '../src/corpus/spec.js';
import { writeLabelsCsv } from '../src/corpus/writers/labels-csv.js';
import { TextOutput } from '../src/corpus/writers/writer.js';
import { ZeekDnsWriter } from '../src/corpus/writers/zeek-dns.js';

export const EXAMPLE_SEED = 20250403;

export function exampleSpec(seed = EXAMPLE_SEED): CorpusSpec {
  return {
    seed,
    population: {
      benignStatic: 60,
      benignRoundRobin: 15,
      cdn: 25,
      flux: { networks: 2, singleDomains: 6, doubleDomains: 4, poolSize: [200, 1200] },
    },
    traffic: {
      start: DEFAULT_START,
      durationSeconds: 4 * 3600,
      records: 3000,
      clients: 40,
      // Flatter than the web so every benign name shows up in 3,000 lines.
      popularityExponent: 0.7,
      // Far more flux than a real network sees, so each flux name has evidence in a small file.
      fluxShare: 0.2,
      aaaaShare: 0.25,
      authorityShare: 0.3,
    },
  };
}

export const EXAMPLE_LOG = 'example.dns.log';
export const EXAMPLE_LABELS = 'example.labels.csv';

/** Write the example log and its labels into `dir`. */
export async function writeExample(dir: string, spec: CorpusSpec = exampleSpec()): Promise<CorpusResult> {
  const zeek = new ZeekDnsWriter(TextOutput.toFile(join(dir, EXAMPLE_LOG)), { seed: spec.seed, authAddl: true });
  const result = await generateCorpus(spec, [zeek]);
  await writeLabelsCsv(populationLabels(result.population), TextOutput.toFile(join(dir, EXAMPLE_LABELS)));
  return result;
}
