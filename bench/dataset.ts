/**
 * The benchmark's input files, generated with the corpus generator into
 * bench/.data/ and reused while the seed, size and generator version match
 * (the spec is stored beside the log and compared).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_VERSION, generateCorpus } from '../src/corpus/generate.js';
import type { CorpusSpec, PopulationSpec } from '../src/corpus/spec.js';
import { defaultTraffic } from '../src/corpus/spec.js';
import { TextOutput } from '../src/corpus/writers/writer.js';
import { ZeekDnsWriter } from '../src/corpus/writers/zeek-dns.js';

export interface Dataset {
  path: string;
  records: number;
  bytes: number;
  /** Null when an existing file was reused. */
  generation: { seconds: number; linesPerSecond: number } | null;
}

const DAY = 86_400;

interface DatasetMeta {
  corpusVersion: number;
  spec: CorpusSpec;
  records: number;
  bytes: number;
}

/** `names` benign names split by share; CDN names take the rest. */
function benignMix(names: number, staticShare: number, roundRobinShare: number): Omit<PopulationSpec, 'flux'> {
  const benignStatic = Math.round(names * staticShare);
  const benignRoundRobin = Math.round(names * roundRobinShare);
  return { benignStatic, benignRoundRobin, cdn: names - benignStatic - benignRoundRobin };
}

/**
 * A web-like day: Zipf popularity over hundreds of thousands of names
 * (scaled down for small --records), CDNs, and a thin slice of flux.
 */
export function throughputSpec(seed: number, records: number): CorpusSpec {
  const names = Math.max(1000, Math.min(500_000, Math.round(records / 10)));
  return {
    seed,
    population: {
      ...benignMix(names, 0.76, 0.04),
      flux: { networks: 4, singleDomains: 30, doubleDomains: 20, poolSize: [200, 2000] },
    },
    traffic: { ...defaultTraffic(records, DAY), clients: 5000, fluxShare: 0.005 },
  };
}

/** With uniform popularity and 1.54 exchanges per name, 1 - e^-1.54 = 78.6% of the names are asked for. */
const MEMORY_LOOKUPS_PER_NAME = 1.54;
const MEMORY_SEEN_FRACTION = 1 - Math.exp(-MEMORY_LOOKUPS_PER_NAME);

/**
 * The memory scenario: about `distinctNames` names asked for, uniformly, so
 * most are seen once or twice: the long tail that fills a detector's
 * per-domain state.
 */
export function memorySpec(seed: number, distinctNames: number): CorpusSpec {
  const names = Math.round(distinctNames / MEMORY_SEEN_FRACTION);
  return {
    seed,
    population: {
      ...benignMix(names, 0.9, 0.02),
      flux: { networks: 2, singleDomains: 10, doubleDomains: 10, poolSize: [200, 2000] },
    },
    traffic: {
      ...defaultTraffic(Math.round(names * MEMORY_LOOKUPS_PER_NAME), DAY),
      clients: 5000,
      popularityExponent: 0,
      fluxShare: 0.001,
    },
  };
}

export async function ensureDataset(dir: string, name: string, spec: CorpusSpec): Promise<Dataset> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-s${spec.seed}-r${spec.traffic.records}.dns.log`);
  const metaPath = `${path}.json`;
  const reused = readMeta(metaPath);
  if (reused !== null && existsSync(path) && statSync(path).size === reused.bytes && sameSpec(reused, spec)) {
    return { path, records: reused.records, bytes: reused.bytes, generation: null };
  }
  const partial = `${path}.partial`;
  const started = process.hrtime.bigint();
  const writer = new ZeekDnsWriter(TextOutput.toFile(partial), { seed: spec.seed, authAddl: true });
  await generateCorpus(spec, [writer]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  renameSync(partial, path);
  const bytes = statSync(path).size;
  const meta: DatasetMeta = { corpusVersion: CORPUS_VERSION, spec, records: writer.records, bytes };
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  return { path, records: writer.records, bytes, generation: { seconds, linesPerSecond: writer.records / seconds } };
}

function readMeta(path: string): DatasetMeta | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DatasetMeta;
  } catch {
    return null;
  }
}

function sameSpec(meta: DatasetMeta, spec: CorpusSpec): boolean {
  return meta.corpusVersion === CORPUS_VERSION && JSON.stringify(meta.spec) === JSON.stringify(spec);
}
