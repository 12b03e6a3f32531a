/**
 * One way to talk to a cluster node: `@clickhouse/client` over HTTP with the
 * settings every fluxhound request needs. Inserts into Distributed tables
 * are synchronous (insert_distributed_sync=1), so a shard that is down fails
 * the insert at once and the batch is spooled and retried, instead of
 * ClickHouse queueing it in its own unbounded directory. The URL may carry
 * user:password; it is never printed with them (`redactedUrl`).
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from './schema.js';
import { parseClusterUrl } from './url.js';

export { parseClusterUrl, redactedUrl } from './url.js';

export interface ConnectOptions {
  /** http(s)://[USER:PASSWORD@]HOST:PORT (cluster.url, --cluster, --node-url). */
  url: string;
  /** Database of fluxhound's tables (cluster.database); null = the server's default (for `cluster init`, before it exists). */
  database: string | null;
  /** Milliseconds an HTTP request may take, insert included. Default 30000. */
  requestTimeoutMs?: number;
}

/** The tables a sensor writes to and the judge reads: `cluster init` creates them, sensors check them at start. */
export const REQUIRED_TABLES = ['observations', 'observations_local', 'name_windows', 'domain_windows', 'verdicts', 'networks', 'judge_lease'] as const;

/** A client for one node. Throws UsageError for a URL that is no http(s) URL. */
export function connectCluster(options: ConnectOptions): ClickHouseClient {
  const url = parseClusterUrl(options.url);
  return createClient({
    url,
    ...(options.database === null ? {} : { database: quoteIdentifier(options.database) }),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // One connection per writer is enough (inserts are serial); a second for queries alongside.
    max_open_connections: 2,
    application: 'fluxhound',
    // A down shard fails the insert (ClickHouse refuses in milliseconds), not queued by ClickHouse on its own disk.
    clickhouse_settings: { insert_distributed_sync: 1 },
    // Failures are counted and logged by the writer once per state change, not per request by the client.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** Which of REQUIRED_TABLES `database` lacks on this node (all of them when the database is missing). */
export async function missingTables(client: ClickHouseClient, database: string): Promise<string[]> {
  // No query parameters: 18.16 predates them; the name is a checked identifier.
  const result = await client.query({
    query: `SELECT name FROM system.tables WHERE database = '${quoteIdentifier(database)}'`,
    format: 'JSONEachRow',
  });
  const present = new Set((await result.json<{ name: string }>()).map((row) => row.name));
  return REQUIRED_TABLES.filter((table) => !present.has(table));
}

/**
 * `table.column` names of `wanted` the node lacks (a table made by an older `cluster init`: CREATE IF NOT
 * EXISTS never changes a table that exists). Every one when the table is missing.
 */
export async function missingColumns(client: ClickHouseClient, database: string, wanted: Record<string, readonly string[]>): Promise<string[]> {
  const result = await client.query({
    query: `SELECT table, name FROM system.columns WHERE database = '${quoteIdentifier(database)}'`,
    format: 'JSONEachRow',
  });
  const present = new Set((await result.json<{ table: string; name: string }>()).map((row) => `${row.table}.${row.name}`));
  return Object.entries(wanted).flatMap(([table, columns]) => columns.map((c) => `${table}.${c}`).filter((c) => !present.has(c)));
}

/** Shards the node's remote_servers config lists for `cluster` (0 when it names no such cluster). */
export async function shardCount(client: ClickHouseClient, cluster: string): Promise<number> {
  const result = await client.query({
    query: `SELECT uniqExact(shard_num) AS shards FROM system.clusters WHERE cluster = '${quoteIdentifier(cluster)}'`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ shards: string | number }>();
  return Number(row?.shards ?? 0);
}

/** One line for a failed request: ClickHouse's first line, without the stack. */
export function failureReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0] ?? message;
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}
