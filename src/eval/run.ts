/**
 * `fluxhound eval`: generate the labelled evaluation corpus, run the whole
 * pipeline on it (through a real decoder, or straight into the detector),
 * and score fluxhound and the Holz et al. baseline side by side.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../analyze.js';
import type { Config } from '../config/schema.js';
import { EVAL_FORMATS, evalSpec, writeEvalCorpus, type EvalFormat } from '../corpus/eval.js';
import { generateCorpus } from '../corpus/generate.js';
import { populationLabels } from '../corpus/population.js';
import { SinkWriter } from '../corpus/writers/sink-writer.js';
import { Detector } from '../detect/detector.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import type { Verdict } from '../model/verdict.js';
import { FlaggedDomains } from '../act/flagged.js';
import { rpzOptionsOf } from '../act/rpz/zone.js';
import { accuracy, blocking, callOf, holzCallOf, type Accuracy, type Blocking, type Call, type LabelledName } from './metrics.js';

export type EvalInput = EvalFormat | 'direct';

export interface EvalOptions {
  format: EvalInput;
  seed?: number;
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
  /** Keep the generated files here instead of a temporary folder. */
  keepDir?: string;
}

export interface EvalResult {
  format: EvalInput;
  seed: number;
  records: number;
  seconds: number;
  fluxhound: Accuracy;
  /** The same labels against what the policy blocks (fluxhound only: Holz has no policy). */
  blocking: Blocking;
  holz: Accuracy;
}

export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const spec = evalSpec(options.seed);
  const started = process.hrtime.bigint();
  const verdicts = new Map<string, Verdict>();
  const { allowlist, actions } = rpzOptionsOf(options.config, options.infra);
  const flagged = new FlaggedDomains({ isAllowed: (name) => allowlist.isAllowed(name) });
  const keep = (v: Verdict): void => {
    if (v.verdict !== 'benign' && actions[v.verdict] !== 'log') flagged.upsert(v);
    if (v.scope !== 'name') return;
    const before = verdicts.get(v.domain);
    // A name evicted and seen again is reported twice: keep its strongest verdict.
    if (before === undefined || v.score > before.score) verdicts.set(v.domain, v);
  };
  let labels: LabelledName[];
  let records: number;
  if (options.format === 'direct') {
    const detector = new Detector({ config: options.config, enricher: options.enricher, infra: options.infra, baseline: 'holz', onFinal: keep, reportBenign: true });
    const sink = { observe: (o: Parameters<Detector['observe']>[0]) => detector.observe(o), skip: () => {} };
    const result = await generateCorpus(spec, [new SinkWriter(sink)]);
    detector.flush();
    labels = queriedNames(populationLabels(result.population, result.traffic));
    records = result.traffic.records;
  } else {
    const dir = options.keepDir ?? mkdtempSync(join(tmpdir(), 'fluxhound-eval-'));
    if (options.keepDir !== undefined) mkdirSync(dir, { recursive: true });
    try {
      const result = await writeEvalCorpus(dir, [options.format], spec);
      labels = queriedNames(populationLabels(result.population, result.traffic));
      const summary = await analyze({
        files: [join(dir, EVAL_FORMATS[options.format])],
        format: options.format,
        config: options.config,
        enricher: options.enricher,
        infra: options.infra,
        baseline: 'holz',
        all: true,
        sinks: [{ name: 'eval', verdict: keep, close: async () => {} }],
      });
      records = summary.records;
    } finally {
      if (options.keepDir === undefined) rmSync(dir, { recursive: true, force: true });
    }
  }
  const calls = (of: (v: Verdict) => Call) => new Map([...verdicts].map(([name, v]) => [name, of(v)]));
  return {
    format: options.format,
    seed: spec.seed,
    records,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    fluxhound: accuracy(labels, calls(callOf), true),
    blocking: blocking(labels, (name) => flagged.match(name) !== null),
    holz: accuracy(labels, calls(holzCallOf), false),
  };
}

function queriedNames(rows: ReturnType<typeof populationLabels>): LabelledName[] {
  return rows.filter((r) => r.role === 'query').map((r) => ({ name: r.name, class: r.class, flux: r.flux }));
}
