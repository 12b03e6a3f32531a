/**
 * The accuracy evaluation corpus: one simulated day with every benign class,
 * look-alikes included, and single- and double-flux domains on several flux
 * networks whose popularity varies (some are asked only a few times, during
 * a campaign of a few hours).
 */
import { join } from 'node:path';
import { generateCorpus } from './generate.js';
import type { CorpusResult } from './generate.js';
import { populationLabels } from './population.js';
import type { CorpusSpec } from './spec.js';
import { DEFAULT_START } from './spec.js';
import { DnstapWriter } from './writers/dnstap.js';
import { EveDnsWriter } from './writers/eve-dns.js';
import { writeLabelsCsv } from './writers/labels-csv.js';
import { PcapWriter } from './writers/pcap.js';
import { PdnsCofWriter } from './writers/pdns-cof.js';
import type { CorpusWriter } from './writers/writer.js';
import { TextOutput } from './writers/writer.js';
import { ZeekDnsWriter } from './writers/zeek-dns.js';

export const EVAL_SEED = 20250417;
const HOUR = 3600;

export function evalSpec(seed = EVAL_SEED): CorpusSpec {
  return {
    seed,
    population: {
      benignStatic: 600,
      benignRoundRobin: 200,
      cdn: 300,
      flux: {
        networks: 6,
        singleDomains: 120,
        doubleDomains: 80,
        poolSize: [300, 2000],
        asnsPerNetwork: [8, 25],
        addressTtls: [0, 0, 30, 60, 60, 120, 150, 180, 300],
        nsTtls: [0, 60, 120, 300, 600],
      },
      lookalikes: {
        cdnAkamaiIsp: 200,
        cloudLb: 200,
        googleMultiA: 120,
        ntpPool: 140,
        mirrorNetwork: 110,
        dynamicDns: 300,
        topSite: 300,
        injected: 300,
        platform: 100,
        nationalCdn: 150,
        nonRoutable: 100,
      },
      // Two slow-flux networks of 30-80 bots, ~40 names each asked 3-8 times over the day.
      slowFlux: {
        networks: 2,
        domainsPerNetwork: [6, 8],
        namesPerDomain: [2, 3],
        poolSize: [30, 80],
        asnsPerNetwork: [5, 8],
        lookups: [3, 8],
      },
      // Three providers (one of each kind) with ~25 delegated children each, and 2 double-flux children.
      sharedRegistry: { providers: 3, childrenPerProvider: [20, 30], lookups: [2, 6], fluxChildren: 2 },
    },
    traffic: {
      start: DEFAULT_START,
      durationSeconds: 24 * HOUR,
      records: 450_000,
      clients: 2000,
      // Top sites first, then a long tail in which every benign name is still asked a few dozen times a day.
      popularityExponent: 0.9,
      fluxShare: 0.03,
      aaaaShare: 0.25,
      authorityShare: 0.3,
      fluxPopularityExponent: 1.2,
      fluxActiveSeconds: [2 * HOUR, 24 * HOUR],
    },
  };
}

/** The file formats the evaluation corpus can be written in, with the file name each gets. */
export const EVAL_FORMATS = {
  zeek: 'eval.dns.log',
  eve: 'eval.eve.json',
  pdns: 'eval.pdns.json',
  pcap: 'eval.pcap',
  dnstap: 'eval.fstrm',
} as const;

export type EvalFormat = keyof typeof EVAL_FORMATS;
export const EVAL_LABELS = 'eval.labels.csv';

/** A writer of `format` into `dir`. */
export function evalWriter(format: EvalFormat, dir: string, seed: number): CorpusWriter {
  const output = TextOutput.toFile(join(dir, EVAL_FORMATS[format]));
  if (format === 'zeek') return new ZeekDnsWriter(output, { seed, authAddl: true });
  if (format === 'eve') return new EveDnsWriter(output, { seed });
  if (format === 'pcap') return new PcapWriter(output, { seed });
  if (format === 'dnstap') return new DnstapWriter(output, { seed });
  return new PdnsCofWriter(output);
}

/**
 * Write the corpus in each of `formats` (one generation pass) and its labels
 * into `dir`: the names asked for, and with `role` the names seen only inside
 * answers. `also` are more writers fed in the same pass (a detector's sink).
 */
export async function writeEvalCorpus(dir: string, formats: readonly EvalFormat[], spec: CorpusSpec = evalSpec(), also: readonly CorpusWriter[] = []): Promise<CorpusResult> {
  const result = await generateCorpus(spec, [...formats.map((f) => evalWriter(f, dir, spec.seed)), ...also]);
  await writeLabelsCsv(populationLabels(result.population, result.traffic), TextOutput.toFile(join(dir, EVAL_LABELS)), { role: true });
  return result;
}
