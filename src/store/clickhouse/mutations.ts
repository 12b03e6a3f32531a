/**
 * Deleting rows from one node's local table: ALTER TABLE ... DELETE (a
 * mutation; Distributed tables cannot be altered, and without ZooKeeper
 * there is no ON CLUSTER, so callers run it node by node), then waiting
 * until the mutation is done (18.16 has no mutations_sync): the rows are
 * gone when these return. Each counts what it deletes first. Used by the
 * store's sweeps and the cluster's retention (retention.ts) for the tables
 * that have no time partition to drop.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from './schema.js';

async function rows<T>(node: ClickHouseClient, query: string): Promise<T[]> {
  const result = await node.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/**
 * Deletes the rows matching `where` from `db.table` on `node`; returns `count` (an aggregate) over them first, 0 =
 * nothing done. `apply` false counts only (a dry run).
 */
export async function deleteLocalRows(node: ClickHouseClient, db: string, table: string, where: string, count = 'count()', apply = true): Promise<number> {
  const [row] = await rows<{ n: string | number }>(node, `SELECT ${count} AS n FROM ${db}.${table} WHERE ${where}`);
  const n = Number(row?.n ?? 0);
  if (n === 0 || !apply) return n;
  await node.command({ query: `ALTER TABLE ${db}.${table} DELETE WHERE ${where}` });
  await mutationsDone(node, db, table);
  return n;
}

/**
 * Deletes every key of an aggregated table (AggregatingMergeTree,
 * SummingMergeTree, or increments summed at read) whose merged rows match
 * `having`: one mutation with the keys as an IN subquery (18.16 and current
 * alike), not one per chunk of keys (each mutation rewrites every part).
 * `apply` false counts only.
 * A key that gets a new row between the count and the mutation is read by
 * the subquery with it, so a key seen again is kept. Returns the keys found.
 */
export async function deleteAggregatedKeys(node: ClickHouseClient, db: string, table: string, key: readonly string[], having: string, apply = true): Promise<number> {
  const columns = key.join(', ');
  const keys = `SELECT ${columns} FROM ${db}.${table} GROUP BY ${columns} HAVING ${having}`;
  const [row] = await rows<{ n: string | number }>(node, `SELECT count() AS n FROM (${keys})`);
  const n = Number(row?.n ?? 0);
  if (n === 0 || !apply) return n;
  await node.command({ query: `ALTER TABLE ${db}.${table} DELETE WHERE (${columns}) IN (${keys})` });
  await mutationsDone(node, db, table);
  return n;
}

/** Waits until no mutation of `table` is left running on `node` (at most 60 s). */
export async function mutationsDone(node: ClickHouseClient, db: string, table: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await rows<{ n: string | number }>(
      node,
      `SELECT count() AS n FROM system.mutations WHERE database = '${quoteIdentifier(db)}' AND table = '${quoteIdentifier(table)}' AND is_done = 0`,
    );
    if (Number(row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`clickhouse: a DELETE on ${table} has not finished in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
