/**
 * Retention over a whole cluster (store/clickhouse/retention.ts) from one
 * process: a client per node, and the check that the nodes given are every
 * shard the cluster has — a node left out would keep its old rows while the
 * others' went, and the aggregates and verdicts read through the
 * Distributed tables would disagree with themselves. Used by the judge
 * service (the lease holder, every cluster.pruneMs) and
 * `fluxhound cluster prune`.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { connectCluster, failureReason, redactedUrl, shardCount } from '../../store/clickhouse/connect.js';
import { pruneCluster, type PruneReport } from '../../store/clickhouse/retention.js';

export interface ClusterPrunerOptions {
  /** Every shard's HTTP URL (duplicates, spelt alike, count once). */
  urls: readonly string[];
  database: string;
  /** remote_servers cluster name (cluster.name): its shard count must equal the URLs'. */
  cluster: string;
  retentionDays: number;
  leaseMs: number;
}

/** A refusal before anything was deleted: nodes missing, or one that does not answer. One line. */
export class PruneRefused extends Error {
  override readonly name = 'PruneRefused';
}

export class ClusterPruner {
  readonly urls: string[];
  private readonly clients: ClickHouseClient[];

  constructor(private readonly options: ClusterPrunerOptions) {
    this.urls = [...new Set(options.urls.map((u) => new URL(u).toString()))];
    // Mutations wait up to 60 s each; a partition list or drop is quick.
    this.clients = this.urls.map((url) => connectCluster({ url, database: options.database, requestTimeoutMs: 120_000 }));
  }

  /** Checks every shard is given, then prunes every node. */
  async prune(now: number, dryRun = false): Promise<PruneReport> {
    const first = this.clients[0];
    if (first === undefined) throw new PruneRefused('cluster prune: no node URL');
    const shards = await shardCount(first, this.options.cluster).catch((err: unknown) => {
      throw new PruneRefused(`cluster prune: ${redactedUrl(this.urls[0]!)}: ${failureReason(err)}`);
    });
    if (shards !== this.clients.length) {
      throw new PruneRefused(
        `cluster prune: remote_servers names ${shards} shard${shards === 1 ? '' : 's'} under '${this.options.cluster}', but ${this.clients.length} node URL${this.clients.length === 1 ? ' was' : 's were'} given ` +
          '(give every shard: --node-url, or cluster.nodes)',
      );
    }
    return pruneCluster({ nodes: this.clients, database: this.options.database, retentionDays: this.options.retentionDays, leaseMs: this.options.leaseMs, now, dryRun });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
