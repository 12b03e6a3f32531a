/**
 * The corpus pipeline in one place: spec → population (names, behaviours,
 * labels) → traffic → writers. Everything random derives from `spec.seed`.
 */
import type { AddressSpaceFiles } from './address-space.js';
import { AddressSpace, defaultAddressSpaceFiles } from './address-space.js';
import { ALL_CORPUS_ASNS } from './asns.js';
import type { Population } from './population.js';
import { buildPopulation } from './population.js';
import { Prng } from './prng.js';
import type { CorpusSpec } from './spec.js';
import { validateSpec } from './spec.js';
import type { TrafficResult } from './traffic.js';
import { runTraffic } from './traffic.js';
import type { CorpusWriter } from './writers/writer.js';

/**
 * Bumped whenever the same spec would produce different bytes (the golden
 * test over examples/ fails then), so cached corpora such as the benchmark's
 * are regenerated rather than reused.
 */
export const CORPUS_VERSION = 1;

export interface CorpusResult {
  population: Population;
  traffic: TrafficResult;
}

export async function generateCorpus(
  spec: CorpusSpec,
  writers: readonly CorpusWriter[],
  files: AddressSpaceFiles = defaultAddressSpaceFiles(),
): Promise<CorpusResult> {
  validateSpec(spec);
  const rng = new Prng(spec.seed);
  const space = AddressSpace.load(ALL_CORPUS_ASNS, files);
  const population = buildPopulation(spec.population, space, rng.fork('population'));
  for (const writer of writers) writer.open(spec.traffic.start);
  const traffic = await runTraffic(population, spec.traffic, writers, rng.fork('traffic'));
  const end = spec.traffic.start + spec.traffic.durationSeconds;
  for (const writer of writers) await writer.close(end);
  return { population, traffic };
}
