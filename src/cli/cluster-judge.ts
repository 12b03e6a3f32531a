/**
 * `fluxhound cluster judge --once`: one judge cycle over everything the
 * cluster holds (every row, not the last window), the verdicts written to
 * the verdict table and printed as `analyze` prints them. For batch use (a
 * day of logs written by `analyze --cluster`) and the evaluation proof;
 * intel feeds (intel.feeds, --intel) are read as the live judge reads them;
 * continuous judging is `fluxhound serve --cluster URL --judge ...`.
 */
import { hostname } from 'node:os';
import { Command } from 'commander';
import { ndjsonSink } from '../act/report/ndjson.js';
import { tableSink } from '../act/report/table.js';
import type { VerdictSink } from '../act/sink.js';
import { loadConfig } from '../config/load.js';
import { isRegistrable } from '../detect/registered-domain.js';
import { createEnricher } from '../enrich/index.js';
import { loadInfra } from '../enrich/infra/index.js';
import { withWarninglistFiles } from '../intel/warninglist/index.js';
import { fluxFeeds, intelFeedsOf, requireFeedPaths } from '../intel/feeds/spec.js';
import { ClusterJudge } from '../serve/cluster/judge.js';
import { connectCluster } from '../store/clickhouse/connect.js';
import { JUDGE_ROW_BUDGET } from '../serve/cluster/judge-service.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { collectIntel, INTEL_FLAG_HELP, loadAnalyzeIntel } from './intel.js';

interface JudgeFlags {
  cluster?: string;
  node?: string;
  config?: string;
  once?: boolean;
  json?: boolean;
  all?: boolean;
  baseline?: string;
  reference: boolean;
  write: boolean;
  rows?: string;
  intel?: string[];
}

/** The `judge` subcommand of `fluxhound cluster` (cluster.ts). */
export function clusterJudgeCommand(): Command {
  return new Command('judge')
    .description('Judge the candidates the cluster holds once: verdicts written to the verdict table and printed')
    .option('--cluster <url>', 'http(s)://HOST:PORT of one ClickHouse node (cluster.url)')
    .option('--node <name>', "this judge's name in the verdict rows (cluster.node; default the host name)")
    .option('-c, --config <file>', `detection config (YAML or JSON); every setting documented in ${exampleConfigPath()}`)
    .option('--once', 'one cycle over every row the cluster holds (required: continuous judging is serve --judge)')
    .option('--json', 'print NDJSON verdicts instead of a table')
    .option('--all', 'print benign verdicts too')
    .option('--baseline <name>', 'also compute a baseline score per verdict: holz')
    .option('--no-reference', 'ignore the reference lists in data/reference (CDNs, clouds, pools, dynamic DNS, top sites)')
    .option('--no-write', 'print the verdicts without writing them to the verdict table')
    .option('--rows <n>', `observations replayed at most (default ${JUDGE_ROW_BUDGET})`)
    .option('--intel <source>', INTEL_FLAG_HELP, collectIntel)
    .action(async (flags: JudgeFlags) => {
      await runJudge(flags);
    });
}

async function runJudge(flags: JudgeFlags): Promise<void> {
  if (flags.once !== true) throw new UsageError('cluster judge: give --once (continuous judging is fluxhound serve --cluster URL --judge always|lease)');
  if (flags.baseline !== undefined && flags.baseline !== 'holz') throw new UsageError(`cluster judge: --baseline takes holz, not '${flags.baseline}'`);
  const config = loadConfig(flags.config, {});
  const url = flags.cluster ?? config.cluster.url;
  if (url === null) throw new UsageError('cluster judge: give --cluster URL (or cluster.url)');
  const rowBudget = flags.rows === undefined ? JUDGE_ROW_BUDGET : Number(flags.rows);
  if (!Number.isInteger(rowBudget) || rowBudget < 1) throw new UsageError(`cluster judge: --rows takes a positive integer, not '${flags.rows}'`);
  const enricher = await createEnricher({});
  const feeds = intelFeedsOf(config.intel.feeds, flags.intel ?? []);
  requireFeedPaths(fluxFeeds(feeds), 'cluster judge');
  const infra = withWarninglistFiles(flags.reference ? loadInfra() : null, { ...config.intel, feeds }, { isRegistrable });
  // The feeds the live judge reads (serve's intel service): their names and addresses make candidates (candidates.ts).
  const intel = await loadAnalyzeIntel(config, feeds, infra, process.stderr);
  const client = connectCluster({ url, database: config.cluster.database, requestTimeoutMs: 600_000 });
  try {
    const judge = new ClusterJudge({
      client,
      database: config.cluster.database,
      node: flags.node ?? config.cluster.node ?? hostname(),
      config,
      enricher,
      infra,
      intel,
      baseline: flags.baseline === 'holz' ? 'holz' : null,
      rowBudget,
      write: flags.write,
    });
    const report = await judge.cycle({ all: true });
    const sinks: VerdictSink[] = [];
    if (flags.json) sinks.push(ndjsonSink(process.stdout));
    else {
      const tty = process.stdout.isTTY === true;
      sinks.push(tableSink(process.stdout, { top: 50, color: tty && process.env.NO_COLOR === undefined, width: tty ? process.stdout.columns : null, holz: flags.baseline === 'holz' }));
    }
    const verdicts = [...report.verdicts.values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    for (const v of verdicts) if (flags.all === true || v.verdict !== 'benign') for (const sink of sinks) sink.verdict(v);
    for (const sink of sinks) sink.networks?.(report.networks);
    for (const sink of sinks) await sink.close();
    const flagged = verdicts.filter((v) => v.verdict !== 'benign').length;
    process.stderr.write(
      `cluster judge: ${report.candidates} candidate domains, ${report.rows} observations replayed (${report.skipped} skipped, ${report.deferred} domains over --rows), ` +
        `${flagged} flagged, ${report.written} verdict rows written, ${report.networks.length} flux networks, ${report.seconds.toFixed(2)} s\n`,
    );
  } finally {
    await client.close();
  }
}
