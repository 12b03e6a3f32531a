/**
 * `fluxhound cluster init`: the schema on every node. Without ZooKeeper there
 * is no ON CLUSTER, so each node is told the same idempotent DDL in turn;
 * then each node's remote_servers config must name as many shards under
 * cluster.name as nodes were given, else the Distributed tables would spread
 * rows over a cluster other than the one initialised.
 */
import { failureReason, connectCluster, redactedUrl, shardCount } from './connect.js';
import { schemaStatements, type SchemaOptions } from './schema.js';

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
      done.push({ url: shown, statements: statements.length, shards });
    } finally {
      await client.close();
    }
  }
  return done;
}
