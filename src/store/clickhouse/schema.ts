/**
 * The cluster's tables, as DDL every node runs (`ensureSchema`): one local
 * table per kind on each shard, a Distributed table over them sharded by
 * cityHash64 of the registered domain (so one domain's rows, aggregates and
 * verdicts live on one shard), and materialized views that fold every
 * inserted block into per-window aggregate states.
 *
 * Written for ClickHouse 18.16 (Debian 12) and current releases alike: no
 * ON CLUSTER (it needs ZooKeeper), no DateTime64, no LowCardinality, no
 * SimpleAggregateFunction, no insert_deduplication_token (22.2+; rows carry
 * their own token: sensor, batch, seq, and the raw table is a
 * ReplacingMergeTree on it). Features relied on: MergeTree,
 * ReplacingMergeTree, AggregatingMergeTree, MATERIALIZED VIEW ... TO,
 * Distributed(cluster, db, table, key), cityHash64, the -Array, -State and
 * -Merge combinators (uniq, min, quantile), intDiv, Array(String).
 *
 * Retention (retention.ts) drops whole partitions: every table that grows
 * with time is partitioned by day (observations by `day`, the aggregates by
 * intDiv(bucket, 86400), verdicts by toYYYYMMDD); no TTL clause (19.6+).
 */
import { storeSchemaStatements } from './store-schema.js';

export interface SchemaOptions {
  /** Database holding fluxhound's tables (cluster.database). */
  database: string;
  /** The remote_servers cluster the Distributed tables span (cluster.name). */
  cluster: string;
  /** Seconds per aggregate bucket (cluster.bucket). */
  bucketSeconds: number;
}

/** One enriched observation: columns for the aggregates, and the observation itself (JSON) for exact replay. */
export const OBSERVATION_COLUMNS = [
  'ts_ms',
  'sensor',
  'batch',
  'seq',
  'name',
  'registered',
  'qtype',
  'rcode',
  'client',
  'customer',
  'addresses',
  'prefixes',
  'asns',
  'countries',
  'ttls',
  'name_servers',
  'targets',
  'observation',
] as const;

/** Aggregate state columns shared by the per-name and per-registered-domain windows. */
const AGGREGATE_COLUMNS = `
  lookups AggregateFunction(count),
  addresses AggregateFunction(uniqArray, Array(String)),
  prefixes AggregateFunction(uniqArray, Array(String)),
  asns AggregateFunction(uniqArray, Array(UInt32)),
  countries AggregateFunction(uniqArray, Array(String)),
  name_servers AggregateFunction(uniqArray, Array(String)),
  sensors AggregateFunction(uniq, String),
  ttl_min AggregateFunction(minArray, Array(UInt32)),
  ttl_median AggregateFunction(quantileArray(0.5), Array(UInt32)),
  first_ms AggregateFunction(min, UInt64),
  last_ms AggregateFunction(max, UInt64)`;

const AGGREGATE_SELECT = `
  countState() AS lookups,
  uniqArrayState(addresses) AS addresses,
  uniqArrayState(prefixes) AS prefixes,
  uniqArrayState(asns) AS asns,
  uniqArrayState(countries) AS countries,
  uniqArrayState(name_servers) AS name_servers,
  uniqState(sensor) AS sensors,
  minArrayState(ttls) AS ttl_min,
  quantileArrayState(0.5)(ttls) AS ttl_median,
  minState(ts_ms) AS first_ms,
  maxState(ts_ms) AS last_ms`;

/** The DDL, in order; every statement is idempotent (IF NOT EXISTS). */
export function schemaStatements(o: SchemaOptions): string[] {
  const db = quoteIdentifier(o.database);
  const cluster = quoteIdentifier(o.cluster);
  const bucketMs = Math.round(o.bucketSeconds * 1000);
  const distributed = (table: string, local: string, key: string) =>
    `CREATE TABLE IF NOT EXISTS ${db}.${table} AS ${db}.${local} ENGINE = Distributed(${cluster}, ${db}, ${local}, ${key})`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.observations_local (
      day Date DEFAULT toDate(toDateTime(intDiv(ts_ms, 1000))),
      ts_ms UInt64,
      sensor String,
      batch UInt64,
      seq UInt32,
      name String,
      registered String,
      qtype String,
      rcode String,
      client String,
      customer String,
      addresses Array(String),
      prefixes Array(String),
      asns Array(UInt32),
      countries Array(String),
      ttls Array(UInt32),
      name_servers Array(String),
      targets Array(String),
      observation String
    ) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY (registered, name, ts_ms, sensor, batch, seq)`,
    distributed('observations', 'observations_local', 'cityHash64(registered)'),
    `CREATE TABLE IF NOT EXISTS ${db}.name_windows_local (
      bucket UInt64,
      registered String,
      name String,${AGGREGATE_COLUMNS}
    ) ENGINE = AggregatingMergeTree() PARTITION BY intDiv(bucket, 86400) ORDER BY (bucket, registered, name)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.name_windows_mv TO ${db}.name_windows_local AS
      SELECT intDiv(ts_ms, ${bucketMs}) * ${o.bucketSeconds} AS bucket, registered, name,${AGGREGATE_SELECT}
      FROM ${db}.observations_local GROUP BY bucket, registered, name`,
    distributed('name_windows', 'name_windows_local', 'cityHash64(registered)'),
    `CREATE TABLE IF NOT EXISTS ${db}.domain_windows_local (
      bucket UInt64,
      registered String,${AGGREGATE_COLUMNS}
    ) ENGINE = AggregatingMergeTree() PARTITION BY intDiv(bucket, 86400) ORDER BY (bucket, registered)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.domain_windows_mv TO ${db}.domain_windows_local AS
      SELECT intDiv(ts_ms, ${bucketMs}) * ${o.bucketSeconds} AS bucket, registered,${AGGREGATE_SELECT}
      FROM ${db}.observations_local GROUP BY bucket, registered`,
    distributed('domain_windows', 'domain_windows_local', 'cityHash64(registered)'),
    // The judge's output: every verdict it records (the full Verdict JSON), newest per domain wins. By day, for
    // retention (retention.ts); clusters made before it have months (kept as they are: a month goes once it all is past).
    `CREATE TABLE IF NOT EXISTS ${db}.verdicts_local (
      recorded_ms UInt64,
      domain String,
      registered String,
      label String,
      score Float32,
      judge String,
      verdict String
    ) ENGINE = ReplacingMergeTree(recorded_ms) PARTITION BY toYYYYMMDD(toDateTime(intDiv(recorded_ms, 1000))) ORDER BY (registered, domain, recorded_ms)`,
    distributed('verdicts', 'verdicts_local', 'cityHash64(registered)'),
    // Flux network summaries (FluxNetworkSummary JSON); the latest per id wins.
    `CREATE TABLE IF NOT EXISTS ${db}.networks_local (
      updated_ms UInt64,
      id String,
      judge String,
      summary String
    ) ENGINE = ReplacingMergeTree(updated_ms) ORDER BY id`,
    distributed('networks', 'networks_local', 'cityHash64(id)'),
    // Judge lease claims: the holder of the newest unexpired claim judges.
    `CREATE TABLE IF NOT EXISTS ${db}.judge_lease_local (
      claimed_ms UInt64,
      expires_ms UInt64,
      holder String
    ) ENGINE = MergeTree() ORDER BY claimed_ms`,
    distributed('judge_lease', 'judge_lease_local', 'cityHash64(holder)'),
    // The store's own tables (ClickHouseStore): after verdicts and observations, which their views read.
    ...storeSchemaStatements(db, cluster),
  ];
}

/** A ClickHouse identifier: letters, digits and underscores only (config validates it; this is the second gate). */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`clickhouse: ${JSON.stringify(name)} is not a plain identifier`);
  return name;
}
