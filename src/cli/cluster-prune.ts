/**
 * `fluxhound cluster prune [--days N] [--dry-run]`: retention over every
 * node of the cluster once (the judge holding the lease does the same every
 * cluster.pruneMs): day partitions older than N days dropped, old passive
 * DNS and domains deleted, flux network ids no current verdict names and old
 * judge lease claims pruned. Prints what went, per node and table.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { ClusterPruner, PruneRefused } from '../serve/cluster/prune.js';
import { parseClusterUrl, redactedUrl } from '../store/clickhouse/connect.js';
import type { PruneReport } from '../store/clickhouse/retention.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';

interface PruneFlags {
  cluster?: string;
  nodeUrl?: string[];
  config?: string;
  days?: string;
  dryRun?: boolean;
}

/** The `prune` subcommand of `fluxhound cluster` (cluster.ts). */
export function clusterPruneCommand(): Command {
  return new Command('prune')
    .description('Drop what the cluster holds beyond its retention, on every node, once (the lease holder does it every cluster.pruneMs)')
    .option('--cluster <url>', 'http(s)://[USER:PASSWORD@]HOST:8123 of one node (config: cluster.url)')
    .option('--node-url <url>', "every other node's URL (repeat: one per shard; config: cluster.nodes)", (value: string, previous: string[] = []) => [...previous, value])
    .option('--days <n>', 'days kept (config: cluster.retentionDays, default 30)')
    .option('--dry-run', 'print what would go, delete nothing')
    .option('-c, --config <file>', `config (cluster.*); see ${exampleConfigPath()}`)
    .action(async (flags: PruneFlags) => {
      await runPrune(flags);
    });
}

async function runPrune(flags: PruneFlags): Promise<void> {
  const config = loadConfig(flags.config, {});
  const first = flags.cluster ?? config.cluster.url;
  if (first === null) throw new UsageError('cluster prune: give --cluster URL (or cluster.url in the config)');
  const urls = [first, ...(flags.nodeUrl ?? config.cluster.nodes)];
  for (const url of urls) parseClusterUrl(url);
  const days = flags.days === undefined ? config.cluster.retentionDays : Number(flags.days);
  if (days === null) throw new UsageError('cluster prune: retention is off (cluster.retentionDays: null); give --days N');
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`cluster prune: --days takes a whole number of days from 1, not '${flags.days}'`);
  const pruner = new ClusterPruner({ urls, database: config.cluster.database, cluster: config.cluster.name, retentionDays: days, leaseMs: config.cluster.leaseMs });
  try {
    const report = await pruner.prune(Date.now(), flags.dryRun === true);
    for (const line of pruneLines(report, pruner.urls.map(redactedUrl), flags.dryRun === true)) process.stdout.write(`${line}\n`);
  } catch (err) {
    if (err instanceof PruneRefused) throw new UsageError(err.message);
    throw err;
  } finally {
    await pruner.close();
  }
}

/** One line per node and table that lost rows, then the networks, lease claims and a total. */
export function pruneLines(report: PruneReport, nodes: readonly string[], dryRun: boolean): string[] {
  const verb = dryRun ? 'would drop' : 'dropped';
  const lines: string[] = [];
  const byTable = new Map<string, { partitions: number; rows: number }>();
  for (const p of report.partitions) {
    const key = `${nodes[p.node] ?? p.node}\t${p.table}`;
    const t = byTable.get(key) ?? { partitions: 0, rows: 0 };
    t.partitions++;
    t.rows += p.rows;
    byTable.set(key, t);
  }
  for (const [key, t] of byTable) {
    const [node, table] = key.split('\t');
    lines.push(`${node}: ${table}: ${verb} ${t.partitions} partition${t.partitions === 1 ? '' : 's'} (${t.rows.toLocaleString('en-US')} rows)`);
  }
  for (const d of report.deleted) lines.push(`${nodes[d.node] ?? d.node}: ${d.table}: ${dryRun ? 'would delete' : 'deleted'} ${d.rows.toLocaleString('en-US')} rows`);
  const rows = report.partitions.reduce((n, p) => n + p.rows, 0) + report.deleted.reduce((n, d) => n + d.rows, 0);
  lines.push(
    `cluster prune: before ${new Date(report.cutoffMs).toISOString()}: ${verb} ${report.partitions.length} partitions, ${rows.toLocaleString('en-US')} rows in all; ` +
      `${report.networks} flux network ids, ${report.leaseRows} lease claims; ${report.seconds.toFixed(2)} s` +
      (report.kept.length > 0 ? `; kept whole: ${report.kept.join(', ')}` : ''),
  );
  return lines;
}
