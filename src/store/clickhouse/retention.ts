/**
 * Retention in the cluster (cluster.retentionDays): what `fluxhound cluster
 * prune` and the judge holding the lease (every cluster.pruneMs) delete.
 * ClickHouse 18.16 has no table TTL (19.6+), and without ZooKeeper no ON
 * CLUSTER, so this runs on every node's local tables in turn:
 *
 * 1. Partitions. Every MergeTree table of the database partitioned by time
 *    (a Date column, toYYYYMMDD(...), toYYYYMM(...) or intDiv(col, 86400):
 *    observations, the per-window aggregates, verdicts, the query log, and
 *    any such table added later) loses the partitions whose whole time
 *    range ends at or before the cutoff (now - retentionDays):
 *    ALTER TABLE ... DROP PARTITION ID. Whole parts are unlinked: no rows
 *    are rewritten, and a partition holding one newer row is kept whole.
 * 2. Tables with no time partition (the store's folded passive DNS and
 *    domains, and on clusters created before issue 18's retention the
 *    stats and flow findings): a mutation deleting what was last seen
 *    before the cutoff, one per table and node.
 * 3. Flux networks no current verdict references and the judge has not
 *    written for NETWORK_IDLE_MS (the judge rewrites every network it still
 *    finds more often than that; network ids are renumbered by every
 *    cycle's replay, so ids of networks gone otherwise linger for ever).
 * 4. Judge lease claims older than any lease read looks at.
 *
 * Day bounds of Date, toYYYYMMDD and toYYYYMM partitions are computed by
 * the server in its own time zone (as it computed the partition); epoch-day
 * ones are UTC days. Keep servers in UTC for the two to agree to the hour.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { deleteAggregatedKeys, deleteLocalRows } from './mutations.js';
import { quoteIdentifier } from './schema.js';
import { sqlNumber, sqlString } from './sql-text.js';

/** How a partition key divides time: one server-time-zone day, one month, or one UTC day (epoch days). */
export type PartitionKind = 'day' | 'month' | 'epoch-day';

/** A network id is pruned only when unwritten this long (and unreferenced): the judge rewrites live ones every 12 h. */
export const NETWORK_IDLE_MS = 86_400_000;
/** Judge lease claims kept at least this long (reads look 2 × leaseMs back; the rest is history for the operator). */
export const LEASE_HISTORY_MS = 3_600_000;

/**
 * The kind of a partition key as system.tables.partition_key prints it; null when it is not by time (or names a
 * time zone: its days would not be the server's, and this would misjudge their bounds).
 */
export function partitionKindOf(key: string, columnType: (column: string) => string | undefined): PartitionKind | null {
  const k = key.trim();
  if (k === '' || k.includes("'")) return null;
  if (/^toYYYYMMDD\(.+\)$/.test(k)) return 'day';
  if (/^toYYYYMM\(.+\)$/.test(k)) return 'month';
  if (/^intDiv\(\s*[A-Za-z_][A-Za-z0-9_]*\s*,\s*86400\s*\)$/.test(k)) return 'epoch-day';
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && columnType(k) === 'Date') return 'day';
  return null;
}

const DATE_OF_ID = "toDate(concat(substring(partition_id, 1, 4), '-', substring(partition_id, 5, 2), '-', substring(partition_id, 7, 2)))";
const MONTH_OF_ID = "toDate(concat(substring(partition_id, 1, 4), '-', substring(partition_id, 5, 2), '-01'))";

/** SQL over system.parts: the end (exclusive, epoch ms) of a partition's time range, from its partition_id. */
export const PARTITION_END_MS: Record<PartitionKind, string> = {
  // A Date partition's id is YYYYMMDD, as toYYYYMMDD's is: the next day's midnight in the server's zone.
  day: `toUInt64(toDateTime(${DATE_OF_ID} + 1)) * 1000`,
  month: `toUInt64(toDateTime(addMonths(${MONTH_OF_ID}, 1))) * 1000`,
  'epoch-day': '(toUInt64(partition_id) + 1) * 86400000',
};

/** A table with no time partition: how its old rows are found (cutoff in ms). */
interface Sweep {
  /** Keys of an aggregated table: their merged rows are judged together. */
  key?: readonly string[];
  condition(cutoffMs: number): string;
}

const seconds = (ms: number): string => sqlNumber(Math.floor(ms / 1000));

/** The store's tables with no time partition (store-schema.ts), and on older clusters the ones that had none. */
export const UNPARTITIONED_SWEEPS: Readonly<Record<string, Sweep>> = {
  pdns_local: { key: ['registered', 'name', 'type', 'data'], condition: (ms) => `maxMerge(last_seen) < ${seconds(ms)}` },
  domains_local: { key: ['registered', 'name'], condition: (ms) => `maxMerge(last_seen) < ${seconds(ms)}` },
  exposures_local: { key: ['client', 'domain', 'direction'], condition: (ms) => `max(last_ms) < ${sqlNumber(ms)}` },
  stats_local: { condition: (ms) => `ts < ${seconds(ms)}` },
  fanouts_local: { condition: (ms) => `last_ms < ${sqlNumber(ms)}` },
  querylog_local: { condition: (ms) => `ts_us < ${sqlNumber(ms * 1000)}` },
  verdicts_local: { condition: (ms) => `recorded_ms < ${sqlNumber(ms)}` },
};

export interface PruneOptions {
  /** One client per node (every shard): local tables are altered node by node. The first also reads the Distributed tables. */
  nodes: readonly ClickHouseClient[];
  database: string;
  /** Days kept (cluster.retentionDays). */
  retentionDays: number;
  /** cluster.leaseMs: lease claims younger than 2 × this are read by the lease, never pruned. */
  leaseMs: number;
  /** Wall clock, epoch ms. */
  now: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
}

export interface DroppedPartition {
  /** Index into PruneOptions.nodes. */
  node: number;
  table: string;
  partitionId: string;
  /** Rows and bytes of its active parts (a ReplacingMergeTree's unmerged copies included). */
  rows: number;
  bytes: number;
}

export interface PruneReport {
  /** Rows older than this (epoch ms) were due. */
  cutoffMs: number;
  partitions: DroppedPartition[];
  /** Rows (keys, for aggregated tables) deleted by mutation, per node and table. */
  deleted: Array<{ node: number; table: string; rows: number }>;
  /** Network ids deleted (summed over nodes: an id lives on one shard). */
  networks: number;
  /** Lease claim rows deleted. */
  leaseRows: number;
  /** Local MergeTree tables with neither a time partition nor a sweep here: kept whole (meta, lists, audit). */
  kept: string[];
  seconds: number;
}

interface LocalTable {
  name: string;
  kind: PartitionKind | null;
}

/** Prunes every node; throws on the first refusal (what was dropped before it stays dropped: every step is idempotent). */
export async function pruneCluster(o: PruneOptions): Promise<PruneReport> {
  const started = process.hrtime.bigint();
  const db = quoteIdentifier(o.database);
  const apply = o.dryRun !== true;
  const cutoffMs = Math.floor(o.now - o.retentionDays * 86_400_000);
  const report: PruneReport = { cutoffMs, partitions: [], deleted: [], networks: 0, leaseRows: 0, kept: [], seconds: 0 };
  const kept = new Set<string>();
  for (const [i, node] of o.nodes.entries()) {
    for (const table of await localTables(node, db)) {
      if (table.kind !== null) {
        for (const p of await partitionsEndingBy(node, db, table, cutoffMs)) {
          if (apply) await node.command({ query: `ALTER TABLE ${db}.${table.name} DROP PARTITION ID ${sqlString(p.partitionId)}` });
          report.partitions.push({ ...p, node: i });
        }
        continue;
      }
      const sweep = UNPARTITIONED_SWEEPS[table.name];
      if (sweep === undefined) {
        if (table.name !== 'networks_local' && table.name !== 'judge_lease_local') kept.add(table.name);
        continue;
      }
      const condition = sweep.condition(cutoffMs);
      const rows = sweep.key === undefined ? await deleteLocalRows(node, db, table.name, condition, 'count()', apply) : await deleteAggregatedKeys(node, db, table.name, sweep.key, condition, apply);
      if (rows > 0) report.deleted.push({ node: i, table: table.name, rows });
    }
  }
  // After the verdicts' partitions went: what the verdicts left reference is what the networks table keeps.
  const main = o.nodes[0];
  if (main !== undefined) {
    const referenced = await referencedNetworks(main, db);
    const idle = sqlNumber(Math.floor(o.now - Math.min(NETWORK_IDLE_MS, o.retentionDays * 86_400_000)));
    const unreferenced = referenced.size === 0 ? '' : ` AND id NOT IN (${[...referenced].map(sqlString).join(', ')})`;
    const leaseHorizon = sqlNumber(Math.floor(o.now - Math.max(2 * o.leaseMs, LEASE_HISTORY_MS)));
    for (const node of o.nodes) {
      report.networks += await deleteLocalRows(node, db, 'networks_local', `updated_ms < ${idle}${unreferenced}`, 'uniqExact(id)', apply);
      report.leaseRows += await deleteLocalRows(node, db, 'judge_lease_local', `claimed_ms < ${leaseHorizon}`, 'count()', apply);
    }
  }
  report.kept = [...kept].sort();
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return report;
}

async function rows<T>(node: ClickHouseClient, query: string): Promise<T[]> {
  const result = await node.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/** The node's MergeTree-family tables in the database, with their partition kind. */
async function localTables(node: ClickHouseClient, db: string): Promise<LocalTable[]> {
  const tables = await rows<{ name: string; partition_key: string }>(
    node,
    `SELECT name, partition_key FROM system.tables WHERE database = '${db}' AND engine LIKE '%MergeTree' ORDER BY name`,
  );
  const columns = await rows<{ table: string; name: string; type: string }>(node, `SELECT table, name, type FROM system.columns WHERE database = '${db}' AND type = 'Date'`);
  const dates = new Set(columns.map((c) => `${c.table}.${c.name}`));
  return tables.map((t) => ({ name: t.name, kind: partitionKindOf(t.partition_key, (c) => (dates.has(`${t.name}.${c}`) ? 'Date' : undefined)) }));
}

/** The table's partitions on this node whose time range ends at or before cutoffMs. */
async function partitionsEndingBy(node: ClickHouseClient, db: string, table: LocalTable, cutoffMs: number): Promise<Omit<DroppedPartition, 'node'>[]> {
  const found = await rows<{ partition_id: string; rows: string | number; bytes: string | number }>(
    node,
    `SELECT partition_id, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, ${PARTITION_END_MS[table.kind!]} AS end_ms
     FROM system.parts WHERE database = '${db}' AND table = ${sqlString(table.name)} AND active
     GROUP BY partition_id HAVING end_ms <= ${sqlNumber(cutoffMs)} ORDER BY partition_id`,
  );
  return found.map((p) => ({ table: table.name, partitionId: p.partition_id, rows: Number(p.rows), bytes: Number(p.bytes) }));
}

/** Network ids (fn-N) the newest verdict of a flagged domain names. */
async function referencedNetworks(node: ClickHouseClient, db: string): Promise<Set<string>> {
  const out = new Set<string>();
  const result = await node.query({
    query: `SELECT argMax(verdict, recorded_ms) AS body, argMax(label, recorded_ms) AS latest FROM ${db}.verdicts GROUP BY registered, domain HAVING latest != 'benign'`,
    format: 'JSONEachRow',
  });
  for await (const batch of result.stream()) {
    for (const row of batch) {
      const network = networkOf(row.json<{ body: string }>().body);
      if (network !== null) out.add(network);
    }
  }
  return out;
}

/** The verdict's network id; null when none, or when the body is not a verdict (then it references nothing). */
function networkOf(body: string): string | null {
  try {
    const v = JSON.parse(body) as { network?: unknown };
    return typeof v.network === 'string' && v.network !== '' ? v.network : null;
  } catch {
    return null;
  }
}
