/**
 * `fluxhound eval`: generate the labelled evaluation corpus, run the whole
 * pipeline on it (through a real decoder, or straight into the detector),
 * and score fluxhound and the Holz et al. baseline side by side.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, type AnalyzeWorkers } from '../analyze.js';
import type { Config } from '../config/schema.js';
import { EVAL_FORMATS, evalSpec, writeEvalCorpus, type EvalFormat } from '../corpus/eval.js';
import type { CorpusWriter } from '../corpus/writers/writer.js';
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
/** Every input the evaluation can run, in the order `--format all` prints them. */
export const EVAL_INPUTS: readonly EvalInput[] = ['zeek', 'eve', 'pdns', 'pcap', 'dnstap', 'direct'];

export interface EvalOptions {
  format: EvalInput;
  seed?: number;
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
  /** Keep the generated files here instead of a temporary folder. */
  keepDir?: string;
  /** Worker threads for the file formats read through analyze (detect/parallel); absent: one thread. */
  workers?: AnalyzeWorkers | null;
}

export interface EvalResult {
  format: EvalInput;
  seed: number;
  records: number;
  /** Wall time of this format alone: its share of the generation (writing every format of the run) and its reading, detection and scoring. */
  seconds: number;
  /** Generating the corpus and writing every format of the run in one pass (shared by the formats of one seed). */
  generateSeconds: number;
  /** Reading this format back, detecting and scoring (for `direct`, detection ran during the generation). */
  detectSeconds: number;
  fluxhound: Accuracy;
  /** The same labels against what the policy blocks (fluxhound only: Holz has no policy). */
  blocking: Blocking;
  holz: Accuracy;
}

export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const [result] = await runEvalFormats({ ...options, formats: [options.format] });
  return result!;
}

export interface EvalFormatsOptions extends Omit<EvalOptions, 'format'> {
  formats: readonly EvalInput[];
}

/** Scores collected from the verdicts of one run of the pipeline. */
class Scoring {
  readonly verdicts = new Map<string, Verdict>();
  readonly flagged: FlaggedDomains;
  private readonly actions: ReturnType<typeof rpzOptionsOf>['actions'];

  constructor(options: EvalFormatsOptions) {
    const { allowlist, actions } = rpzOptionsOf(options.config, options.infra);
    this.actions = actions;
    this.flagged = new FlaggedDomains({ isAllowed: (name) => allowlist.isAllowed(name) });
  }

  readonly keep = (v: Verdict): void => {
    if (v.verdict !== 'benign' && this.actions[v.verdict] !== 'log') this.flagged.upsert(v);
    if (v.scope !== 'name') return;
    const before = this.verdicts.get(v.domain);
    // A name evicted and seen again is reported twice: keep its strongest verdict.
    if (before === undefined || v.score > before.score) this.verdicts.set(v.domain, v);
  };

  result(format: EvalInput, seed: number, records: number, labels: LabelledName[], generateSeconds: number, detectSeconds: number): EvalResult {
    const calls = (of: (v: Verdict) => Call) => new Map([...this.verdicts].map(([name, v]) => [name, of(v)]));
    return {
      format,
      seed,
      records,
      seconds: generateSeconds + detectSeconds,
      generateSeconds,
      detectSeconds,
      fluxhound: accuracy(labels, calls(callOf), true),
      blocking: blocking(labels, (name) => this.flagged.match(name) !== null),
      holz: accuracy(labels, calls(holzCallOf), false),
    };
  }
}

/**
 * One seed, several inputs: the corpus is generated once, every file format
 * written in that one pass (and `direct` fed to a detector during it), then
 * each file is read back through its real decoder, one after the other.
 */
export async function runEvalFormats(options: EvalFormatsOptions): Promise<EvalResult[]> {
  const spec = evalSpec(options.seed);
  const files = options.formats.filter((f): f is EvalFormat => f !== 'direct');
  const direct = options.formats.includes('direct') ? new Scoring(options) : null;
  const dir = options.keepDir ?? mkdtempSync(join(tmpdir(), 'fluxhound-eval-'));
  if (options.keepDir !== undefined) mkdirSync(dir, { recursive: true });
  const results = new Map<EvalInput, EvalResult>();
  try {
    const started = process.hrtime.bigint();
    const extra: CorpusWriter[] = [];
    let detector: Detector | null = null;
    if (direct !== null) {
      detector = new Detector({ config: options.config, enricher: options.enricher, infra: options.infra, baseline: 'holz', onFinal: direct.keep, reportBenign: true });
      const d = detector;
      extra.push(new SinkWriter({ observe: (o) => d.observe(o), skip: () => {} }));
    }
    const result = files.length > 0 ? await writeEvalCorpus(dir, files, spec, extra) : await generateCorpus(spec, extra);
    detector?.flush();
    const generateSeconds = secondsSince(started);
    const labels = queriedNames(populationLabels(result.population, result.traffic));
    if (direct !== null) results.set('direct', direct.result('direct', spec.seed, result.traffic.records, labels, generateSeconds, 0));
    for (const format of files) {
      const began = process.hrtime.bigint();
      const scoring = new Scoring(options);
      const file = join(dir, EVAL_FORMATS[format]);
      const summary = await analyze({
        files: [file],
        format,
        config: options.config,
        enricher: options.enricher,
        infra: options.infra,
        baseline: 'holz',
        all: true,
        sinks: [{ name: 'eval', verdict: scoring.keep, close: async () => {} }],
        workers: options.workers ?? null,
      });
      // Each file is gone once read, so a run over every format holds one day's files at most once.
      if (options.keepDir === undefined) rmSync(file, { force: true });
      results.set(format, scoring.result(format, spec.seed, summary.records, labels, generateSeconds, secondsSince(began)));
    }
  } finally {
    if (options.keepDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return options.formats.map((f) => results.get(f)!);
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function queriedNames(rows: ReturnType<typeof populationLabels>): LabelledName[] {
  return rows.filter((r) => r.role === 'query').map((r) => ({ name: r.name, class: r.class, flux: r.flux }));
}
