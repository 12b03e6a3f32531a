/** `fluxhound eval`: accuracy of fluxhound and the Holz baseline on the labelled corpus; lead time against a feed. */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Enricher } from '../enrich/enricher.js';
import { createEnricher } from '../enrich/index.js';
import { loadInfra, type Infra } from '../enrich/infra/index.js';
import { runLeadTime } from '../eval/intel-run.js';
import { renderEval, renderFormats, renderLeadTime, renderSweep } from '../eval/report.js';
import { EVAL_INPUTS, runEvalFormats, type EvalInput, type EvalResult } from '../eval/run.js';
import { renderScale, runScaleEval } from '../eval/scale.js';
import { parseSeeds, sweepSummary } from '../eval/sweep.js';
import { formatNames } from '../sources/registry.js';
import { UsageError } from './errors.js';

interface EvalFlags {
  format?: string;
  seed?: string;
  seeds?: string;
  config?: string;
  json?: boolean;
  keep?: string;
  reference: boolean;
  intel?: string;
  input?: string[];
  scenario: 'published' | 'scale';
  names?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function evalCommand(): Command {
  return new Command('eval')
    .description('Generate the labelled evaluation corpus, detect, and score fluxhound against the Holz et al. baseline; or, with --intel, measure lead time against a feed')
    .option('-f, --format <name>', `corpus input: ${EVAL_INPUTS.join('|')}|all (direct = straight into the detector; default zeek); with --intel, the capture's format (${formatNames().join('|')}|auto, default auto)`)
    .option('--seed <n>', 'corpus seed (default: the published one)')
    .option('--seeds <list>', 'sweep these seeds (1-10,20250417) and print min/median/max of each headline figure per format')
    .option('-c, --config <file>', 'detection config (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .option('--keep <dir>', 'keep the generated corpus and labels in this folder')
    .option('--no-reference', 'ignore the reference lists in data/reference')
    .option('--intel <feed>', 'a feed of domains and listing times (CSV domain,listed_at; <time> <domain> lines; NDJSON): lead time on --input')
    .option('--input <capture>', 'with --intel: the capture to analyse (repeatable)', collect)
    .addOption(new Option('--scenario <name>', 'published: the labelled day; scale: a million popular names, direct only').choices(['published', 'scale']).default('published'))
    .option('--names <n>', 'scale scenario: benign names of the population (default 1000000)')
    .action(async (flags: EvalFlags) => {
      // Flags are checked before the enrichment data loads: a mistake costs nothing.
      if (flags.intel !== undefined || flags.input !== undefined) {
        if (flags.intel === undefined || flags.input === undefined) throw new UsageError('eval: --intel FEED and --input CAPTURE go together');
        if (flags.seed !== undefined || flags.seeds !== undefined || flags.keep !== undefined) throw new UsageError('eval: --intel measures a capture: --seed, --seeds and --keep do not apply');
        if (flags.scenario === 'scale' || flags.names !== undefined) throw new UsageError('eval: --intel measures a capture: --scenario and --names do not apply');
        const format = flags.format ?? 'auto';
        if (format !== 'auto' && !formatNames().includes(format)) throw new UsageError(`eval: --format ${format}: not an input format (${formatNames().join(', ')}, auto)`);
        const { config, enricher, infra } = await pipelineOf(flags);
        const result = await runLeadTime({ feed: flags.intel, inputs: flags.input, format, config, enricher, infra });
        process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : renderLeadTime(result));
        return;
      }
      if (flags.scenario === 'scale') {
        // Checked before anything loads, so misuse fails at once.
        const names = scaleNames(flags);
        const scale = await runScaleEval({ seed: seedOf(flags.seed), names, ...(await pipelineOf(flags)) });
        process.stdout.write(flags.json ? JSON.stringify(scale, null, 2) + '\n' : renderScale(scale));
        return;
      }
      if (flags.names !== undefined) throw new UsageError('eval: --names applies to --scenario scale only');
      const formats = formatsOf(flags.format ?? 'zeek');
      if (flags.seed !== undefined && flags.seeds !== undefined) throw new UsageError('eval: --seed or --seeds, not both');
      if (flags.seeds !== undefined && flags.keep !== undefined) throw new UsageError('eval: --keep keeps one corpus: use it with --seed, not --seeds');
      const seeds = flags.seeds === undefined ? null : parseSeeds(flags.seeds);
      const seed = seedOf(flags.seed);
      const options = { ...(await pipelineOf(flags)), keepDir: flags.keep };
      if (seeds !== null) {
        const started = process.hrtime.bigint();
        const runs: EvalResult[] = [];
        for (const s of seeds) {
          runs.push(...(await runEvalFormats({ ...options, formats, seed: s })));
          process.stderr.write(`fluxhound eval: seed ${s} done (${runs.length / formats.length} of ${seeds.length})\n`);
        }
        const summary = sweepSummary(runs);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        process.stdout.write(flags.json ? JSON.stringify({ seeds, formats, summary, runs }, null, 2) + '\n' : renderSweep(seeds, summary, formats, seconds));
        return;
      }
      const results = await runEvalFormats({ ...options, formats, seed });
      if (flags.json) process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
      else process.stdout.write(results.length === 1 ? renderEval(results[0]!) : renderFormats(results));
    });
}

async function pipelineOf(flags: EvalFlags): Promise<{ config: Config; enricher: Enricher; infra: Infra | null }> {
  const config = loadConfig(flags.config);
  const enricher = await createEnricher({});
  return { config, enricher, infra: flags.reference ? loadInfra() : null };
}

/** The scale scenario runs straight into the detector: a million names' files would be gigabytes. */
function scaleNames(flags: EvalFlags): number | undefined {
  if (flags.format !== undefined && flags.format !== 'direct') throw new UsageError('eval: --scenario scale runs with --format direct only');
  if (flags.keep !== undefined) throw new UsageError('eval: --scenario scale writes no files to --keep');
  if (flags.seeds !== undefined || flags.intel !== undefined || flags.input !== undefined) throw new UsageError('eval: --scenario scale takes --seed and --names, not --seeds or --intel');
  if (flags.names === undefined) return undefined;
  const names = Number(flags.names);
  if (!Number.isSafeInteger(names) || names < 1000) throw new UsageError(`eval: --names takes a whole number >= 1000, not '${flags.names}'`);
  return names;
}

function formatsOf(format: string): EvalInput[] {
  if (format === 'all') return [...EVAL_INPUTS];
  if (!(EVAL_INPUTS as readonly string[]).includes(format)) throw new UsageError(`eval: --format ${format}: one of ${EVAL_INPUTS.join(', ')}, all`);
  return [format as EvalInput];
}

function seedOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new UsageError(`eval: --seed takes a whole number, not '${text}'`);
  return seed;
}
