/**
 * `fluxhound cluster init --cluster URL [--node-url URL ...]`: creates
 * fluxhound's database, tables and materialized views on every node of a
 * ClickHouse cluster (there is no ON CLUSTER without ZooKeeper, so each node
 * is told the same idempotent DDL) and checks that each node's
 * remote_servers names as many shards under cluster.name as nodes were
 * given. Run it once when setting a cluster up, and again after adding a
 * shard; sensors refuse to start (exit 2) until it has run.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { parseClusterUrl } from '../store/clickhouse/connect.js';
import { ClusterInitError, initCluster } from '../store/clickhouse/init.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { clusterJudgeCommand } from './cluster-judge.js';
import { clusterPruneCommand } from './cluster-prune.js';

interface InitFlags {
  cluster?: string;
  nodeUrl?: string[];
  config?: string;
}

export function clusterCommand(): Command {
  const command = new Command('cluster').description('Set up a ClickHouse cluster for fluxhound (see fluxhound cluster init --help)');
  command
    .command('init')
    .description("Create fluxhound's tables on every node of a ClickHouse cluster and check its remote_servers shards")
    .option('--cluster <url>', 'http(s)://[USER:PASSWORD@]HOST:8123 of one node (config: cluster.url)')
    .option('--node-url <url>', "every other node's URL (repeat: one per shard)", (value: string, previous: string[] = []) => [...previous, value])
    .option('-c, --config <file>', `config (cluster.database, cluster.name, cluster.bucket); see ${exampleConfigPath()}`)
    .action(async (flags: InitFlags) => {
      const config = loadConfig(flags.config, {});
      const first = flags.cluster ?? config.cluster.url;
      if (first === null) throw new UsageError('cluster init: give --cluster URL (or cluster.url in the config)');
      const urls = [...new Set([first, ...(flags.nodeUrl ?? [])])];
      for (const url of urls) parseClusterUrl(url);
      const { database, name, bucket } = config.cluster;
      try {
        const nodes = await initCluster({ urls, database, cluster: name, bucketSeconds: bucket });
        for (const node of nodes) {
          process.stdout.write(`${node.url}: ${node.statements} statements, cluster '${name}' has ${node.shards} shards\n`);
          // Existing tables keep their partitioning: retention works with it, coarser (src/store/clickhouse/README.md says how to move).
          for (const d of node.partitioning) {
            process.stdout.write(`${node.url}: ${d.table} keeps its partitioning ${d.found || '(none)'} (the schema now has ${d.schema || '(none)'}); retention drops what it can of it\n`);
          }
        }
      } catch (err) {
        if (err instanceof ClusterInitError) throw new UsageError(err.message);
        throw err;
      }
    });
  command.addCommand(clusterJudgeCommand());
  command.addCommand(clusterPruneCommand());
  return command;
}
