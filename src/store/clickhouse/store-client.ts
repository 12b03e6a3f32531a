/**
 * The store's connection to a cluster: one HTTP client for reads and inserts
 * through the Distributed tables (any node will do), and one per node for
 * what ClickHouse does only on local tables (the schema, sweeps by
 * ALTER ... DELETE, sizes). Inserts are synchronous to every shard
 * (insert_distributed_sync), so a write that returned is readable at once.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { deleteLocalRows } from './mutations.js';
import { quoteIdentifier, schemaStatements } from './schema.js';

export interface ClickHouseStoreOptions {
  /** http(s)://HOST:PORT of the node the store reads and inserts through (cluster.url). */
  url: string;
  database: string;
  /** The remote_servers cluster (cluster.name). */
  cluster: string;
  /** Every node's HTTP URL, for the schema and sweeps; default [url] (a one-node cluster). */
  nodes?: readonly string[];
  /** This node's name in the rows it writes (cluster.node). Default 'fluxhound'. */
  node?: string;
  /** Run the DDL (IF NOT EXISTS) on every node at open. Default false: `fluxhound cluster init` made it. */
  createSchema?: boolean;
  /** Seconds per aggregate bucket, for the DDL (cluster.bucket). Default 300. */
  bucketSeconds?: number;
  requestTimeoutMs?: number;
}

export class StoreClient {
  readonly db: string;
  readonly main: ClickHouseClient;
  readonly nodes: ClickHouseClient[];

  constructor(readonly options: ClickHouseStoreOptions) {
    this.db = quoteIdentifier(options.database);
    this.main = client(options.url, options.requestTimeoutMs);
    this.nodes = (options.nodes ?? [options.url]).map((url) => client(url, options.requestTimeoutMs));
  }

  async createSchema(): Promise<void> {
    const statements = schemaStatements({ database: this.options.database, cluster: this.options.cluster, bucketSeconds: this.options.bucketSeconds ?? 300 });
    for (const node of this.nodes) for (const query of statements) await node.command({ query });
  }

  async rows<T>(query: string, on: ClickHouseClient = this.main): Promise<T[]> {
    const result = await on.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async insert(table: string, values: readonly object[]): Promise<void> {
    if (values.length === 0) return;
    await this.main.insert({ table: `${this.db}.${table}`, values: values as object[], format: 'JSONEachRow' });
  }

  /**
   * ALTER TABLE local DELETE WHERE `where` on every node, each waited for
   * (mutations.ts): the rows are gone when this returns. Returns the rows
   * `count` found first, summed over nodes.
   */
  async deleteLocal(table: string, where: string, count: string): Promise<number> {
    let deleted = 0;
    for (const node of this.nodes) deleted += await deleteLocalRows(node, this.db, table, where, count);
    return deleted;
  }

  async close(): Promise<void> {
    await Promise.all([this.main.close(), ...this.nodes.map((n) => n.close())]);
  }
}

function client(url: string, requestTimeoutMs = 30_000): ClickHouseClient {
  return createClient({
    url,
    request_timeout: requestTimeoutMs,
    application: 'fluxhound-store',
    clickhouse_settings: { insert_distributed_sync: 1 },
    // A failed request rejects to its caller, which reports it (one line); the client does not print it too.
    log: { level: ClickHouseLogLevel.OFF },
  });
}
