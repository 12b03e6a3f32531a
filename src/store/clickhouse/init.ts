/**
 * `fluxhound cluster init`: the schema on every node. Without ZooKeeper there
 * is no ON CLUSTER, so each node is told the same idempotent DDL in turn;
 * then each node's remote_servers config must name as many shards under
 * cluster.name as nodes were given, else the Distributed tables would spread
 * rows over a cluster other than the one initialised.
 */
import { failureReason, connectCluster, redactedUrl, shardCount } from './connect.js';
import { quoteIdentifier, schemaStatements, type SchemaOptions } from './schema.js';

export interface InitOptions extends SchemaOptions {
  /** One URL per node (shard). */
  urls: string[];
}

export interface NodeInit {
  /** The URL without its password. */
  url: string;
  statements: number;
  /** Shards its remote_servers lists under the cluster name. */
  shards: number;
  /** Tables that existed before with another partitioning than the schema's now (CREATE ... IF NOT EXISTS kept them). */
  partitioning: PartitionDrift[];
}

export interface PartitionDrift {
  table: string;
  /** Its partition key on the node, and the schema's. */
  found: string;
  schema: string;
}

/** Thrown with one line when a node refuses or its cluster config disagrees. */
export class ClusterInitError extends Error {
  override readonly name = 'ClusterInitError';
}

export async function initCluster(options: InitOptions): Promise<NodeInit[]> {
  const statements = schemaStatements(options);
  const done: NodeInit[] = [];
  for (const url of options.urls) {
    const client = connectCluster({ url, database: null });
    const shown = redactedUrl(url);
    try {
      for (const query of statements) {
        try {
          await client.command({ query });
        } catch (err) {
          throw new ClusterInitError(`cluster init: ${shown}: ${failureReason(err)}`);
        }
      }
      const shards = await shardCount(client, options.cluster).catch((err: unknown) => {
        throw new ClusterInitError(`cluster init: ${shown}: ${failureReason(err)}`);
      });
      if (shards !== options.urls.length) {
        throw new ClusterInitError(
          `cluster init: ${shown}: remote_servers names ${shards} shard${shards === 1 ? '' : 's'} under '${options.cluster}', ` +
            `but ${options.urls.length} node${options.urls.length === 1 ? ' was' : 's were'} given (give every shard's URL, or fix remote_servers)`,
        );
      }
      const partitioning = partitionDrift(statements, await partitionKeys(client, options.database));
      done.push({ url: shown, statements: statements.length, shards, partitioning });
    } finally {
      await client.close();
    }
  }
  return done;
}

/** Partition keys of the database's tables on the node, as system.tables prints them. */
async function partitionKeys(client: ReturnType<typeof connectCluster>, database: string): Promise<Map<string, string>> {
  const result = await client.query({ query: `SELECT name, partition_key FROM system.tables WHERE database = '${quoteIdentifier(database)}'`, format: 'JSONEachRow' });
  return new Map((await result.json<{ name: string; partition_key: string }>()).map((t) => [t.name, t.partition_key]));
}

/**
 * The tables whose partition key differs from the one the schema's CREATE gives it: made by an older fluxhound
 * (verdicts_local by month before retention). Compared without white space, as ClickHouse reprints keys.
 */
export function partitionDrift(statements: readonly string[], found: ReadonlyMap<string, string>): PartitionDrift[] {
  const out: PartitionDrift[] = [];
  const bare = (text: string): string => text.replace(/\s+/g, '');
  for (const statement of statements) {
    const flat = statement.replace(/\s+/g, ' ');
    const table = /^CREATE TABLE IF NOT EXISTS \w+\.(\w+) \(/.exec(flat)?.[1];
    if (table === undefined) continue;
    const schema = / PARTITION BY (.+?) ORDER BY /.exec(flat)?.[1] ?? '';
    const key = found.get(table);
    if (key !== undefined && bare(key) !== bare(schema)) out.push({ table, found: key, schema });
  }
  return out;
}
