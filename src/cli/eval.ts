/** `fluxhound eval`: accuracy of fluxhound and the Holz baseline on the labelled corpus. */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { createEnricher } from '../enrich/index.js';
import { loadInfra } from '../enrich/infra/index.js';
import { renderEval } from '../eval/report.js';
import { runEval, type EvalInput } from '../eval/run.js';
import { renderScale, runScaleEval } from '../eval/scale.js';
import { UsageError } from './errors.js';

interface EvalFlags {
  format: EvalInput;
  seed?: string;
  config?: string;
  json?: boolean;
  keep?: string;
  reference: boolean;
  scenario: 'published' | 'scale';
  names?: string;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('Generate the labelled evaluation corpus, detect, and score fluxhound against the Holz et al. baseline')
    .addOption(
      new Option('-f, --format <name>', 'feed the corpus through this input format (direct = straight into the detector)')
        .choices(['zeek', 'eve', 'pdns', 'direct'])
        .default('zeek'),
    )
    .option('--seed <n>', 'corpus seed (default: the published one)')
    .option('-c, --config <file>', 'detection config (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .option('--keep <dir>', 'keep the generated corpus and labels in this folder')
    .option('--no-reference', 'ignore the reference lists in data/reference')
    .addOption(new Option('--scenario <name>', 'published: the labelled day; scale: a million popular names, direct only').choices(['published', 'scale']).default('published'))
    .option('--names <n>', 'scale scenario: benign names of the population (default 1000000)')
    .action(async (flags: EvalFlags, command: Command) => {
      let seed: number | undefined;
      if (flags.seed !== undefined) {
        seed = Number(flags.seed);
        if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`eval: --seed takes a whole number, not '${flags.seed}'`);
      }
      // Checked before anything loads, so misuse fails at once.
      const names = flags.scenario === 'scale' ? scaleNames(flags, command) : undefined;
      if (flags.scenario !== 'scale' && flags.names !== undefined) throw new UsageError('eval: --names applies to --scenario scale only');
      const config = loadConfig(flags.config);
      const enricher = await createEnricher({});
      const infra = flags.reference ? loadInfra() : null;
      if (flags.scenario === 'scale') {
        const scale = await runScaleEval({ seed, names, config, enricher, infra });
        process.stdout.write(flags.json ? JSON.stringify(scale, null, 2) + '\n' : renderScale(scale));
        return;
      }
      const result = await runEval({ format: flags.format, seed, config, enricher, infra, keepDir: flags.keep });
      process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : renderEval(result));
    });
}

/** The scale scenario runs straight into the detector: a million names' files would be gigabytes. */
function scaleNames(flags: EvalFlags, command: Command): number | undefined {
  if (command.getOptionValueSource('format') === 'cli' && flags.format !== 'direct') throw new UsageError('eval: --scenario scale runs with --format direct only');
  if (flags.keep !== undefined) throw new UsageError('eval: --scenario scale writes no files to --keep');
  if (flags.names === undefined) return undefined;
  const names = Number(flags.names);
  if (!Number.isSafeInteger(names) || names < 1000) throw new UsageError(`eval: --names takes a whole number >= 1000, not '${flags.names}'`);
  return names;
}
