/**
 * Where an admin command (`report`, `allow`, `deny`) reads and writes: a
 * cluster (--cluster, else cluster.url of the config unless --store names a
 * file) — the fleet's query log, stats, verdict history and lists, as every
 * `serve --cluster` node reads them — or the SQLite store file.
 */
import type { Config } from '../config/schema.js';
import { redactedUrl } from '../store/clickhouse/connect.js';
import { ClickHouseStore } from '../store/clickhouse/clickhouse-store.js';
import { asyncStore, type AsyncStore } from '../store/store.js';
import { UsageError } from './errors.js';
import { openStore, type StoreFlags } from './store-path.js';

export interface StoreOrClusterFlags extends StoreFlags {
  cluster?: string;
}

export async function openStoreOrCluster(command: string, flags: StoreOrClusterFlags, config: Config): Promise<AsyncStore> {
  if (flags.cluster !== undefined && flags.store !== undefined) throw new UsageError(`${command}: give --store PATH or --cluster URL, not both`);
  const url = flags.cluster ?? (flags.store === undefined ? config.cluster.url : null);
  if (url === null) return asyncStore(openStore(command, { store: flags.store ?? config.serve.store.path ?? undefined, config: flags.config }).store);
  try {
    return await ClickHouseStore.open({ url, database: config.cluster.database, cluster: config.cluster.name, node: config.cluster.node ?? 'cli' });
  } catch (err) {
    throw new UsageError(`${command}: cannot read the cluster at ${redactedUrl(url)}: ${(err as Error).message.split('\n')[0]}`);
  }
}
