/**
 * The store's tables in the cluster (ClickHouseStore): passive DNS, domains,
 * meta, the query log and its per-minute stats, flow exposures and fan-outs,
 * the operator's lists and their audit trail. Verdicts and networks are the
 * judge's tables (schema.ts); the store reads them and, for write(), adds to
 * them. Like the rest: a local table on every shard, a Distributed one over
 * them sharded by cityHash64 of the registered domain where a row has one.
 *
 * Aggregated tables (pdns, domains) are AggregatingMergeTree fed by
 * materialized views: from the sensors' observations (every shard folds its
 * own rows), from the judge's verdicts (a verdict moves its domain's last
 * sighting, as in SQLite), and from a Null-engine input table that write()
 * inserts plain rows into (states cannot be written as JSON). 18.16 and
 * current ClickHouse alike: no TTL clause (19.6+), no
 * SimpleAggregateFunction, no LowCardinality, no query parameters.
 */

export const STORE_TABLES = ['pdns', 'domains', 'meta', 'querylog', 'stats', 'exposures', 'fanouts', 'lists', 'audit'] as const;

/** The local tables a sweep deletes from on every node (ALTER ... DELETE: Distributed tables cannot be altered). */
export const SWEPT_TABLES = ['pdns_local', 'domains_local', 'verdicts_local', 'networks_local', 'querylog_local', 'stats_local', 'exposures_local', 'fanouts_local'] as const;

/** `db` and `cluster` are identifiers already checked (schema.ts quoteIdentifier), which calls this. */
export function storeSchemaStatements(db: string, cluster: string): string[] {
  const distributed = (table: string, key: string) =>
    `CREATE TABLE IF NOT EXISTS ${db}.${table} AS ${db}.${table}_local ENGINE = Distributed(${cluster}, ${db}, ${table}_local, ${key})`;
  const byRegistered = 'cityHash64(registered)';
  return [
    // Passive DNS: one row per (name, type, data) once merged; ttl is the TTL of the latest sighting (argMax by its time; an unknown TTL has time 0 and never wins over a known one).
    `CREATE TABLE IF NOT EXISTS ${db}.pdns_local (
      registered String,
      name String,
      type String,
      data String,
      first_seen AggregateFunction(min, Float64),
      last_seen AggregateFunction(max, Float64),
      count AggregateFunction(sum, UInt64),
      ttl AggregateFunction(argMax, Int64, Float64)
    ) ENGINE = AggregatingMergeTree() ORDER BY (registered, name, type, data)`,
    distributed('pdns', byRegistered),
    `CREATE TABLE IF NOT EXISTS ${db}.pdns_in_local (
      registered String, name String, type String, data String,
      first_seen Float64, last_seen Float64, count UInt64, ttl Int64, ttl_at Float64
    ) ENGINE = Null`,
    distributed('pdns_in', byRegistered),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.pdns_in_mv TO ${db}.pdns_local AS
      SELECT registered, name, type, data, minState(first_seen) AS first_seen, maxState(last_seen) AS last_seen,
        sumState(count) AS count, argMaxState(ttl, ttl_at) AS ttl
      FROM ${db}.pdns_in_local GROUP BY registered, name, type, data`,
    // From the sensors' rows: addresses (A, or AAAA when the text holds ':'), name servers and CNAME targets, owned by the query name; the TTL is the answer's smallest.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.pdns_obs_mv TO ${db}.pdns_local AS
      SELECT registered, name, tupleElement(rr, 1) AS type, tupleElement(rr, 2) AS data,
        minState(toFloat64(ts_ms) / 1000) AS first_seen, maxState(toFloat64(ts_ms) / 1000) AS last_seen,
        sumState(toUInt64(1)) AS count,
        argMaxState(if(empty(ttls), toInt64(-1), toInt64(arrayReduce('min', ttls))), if(empty(ttls), toFloat64(0), toFloat64(ts_ms) / 1000)) AS ttl
      FROM ${db}.observations_local
      ARRAY JOIN arrayConcat(
        arrayMap(a -> (if(position(a, ':') > 0, 'AAAA', 'A'), a), addresses),
        arrayMap(n -> ('NS', n), name_servers),
        arrayMap(t -> ('CNAME', t), targets)) AS rr
      GROUP BY registered, name, type, data`,
    // Queried names.
    `CREATE TABLE IF NOT EXISTS ${db}.domains_local (
      registered String,
      name String,
      first_seen AggregateFunction(min, Float64),
      last_seen AggregateFunction(max, Float64),
      queries AggregateFunction(sum, UInt64)
    ) ENGINE = AggregatingMergeTree() ORDER BY (registered, name)`,
    distributed('domains', byRegistered),
    `CREATE TABLE IF NOT EXISTS ${db}.domains_in_local (registered String, name String, first_seen Float64, last_seen Float64, queries UInt64) ENGINE = Null`,
    distributed('domains_in', byRegistered),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.domains_in_mv TO ${db}.domains_local AS
      SELECT registered, name, minState(first_seen) AS first_seen, maxState(last_seen) AS last_seen, sumState(queries) AS queries
      FROM ${db}.domains_in_local GROUP BY registered, name`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.domains_obs_mv TO ${db}.domains_local AS
      SELECT registered, name, minState(toFloat64(ts_ms) / 1000) AS first_seen, maxState(toFloat64(ts_ms) / 1000) AS last_seen, sumState(toUInt64(1)) AS queries
      FROM ${db}.observations_local GROUP BY registered, name`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.domains_verdict_mv TO ${db}.domains_local AS
      SELECT registered, domain AS name, minState(toFloat64(recorded_ms) / 1000) AS first_seen, maxState(toFloat64(recorded_ms) / 1000) AS last_seen, sumState(toUInt64(0)) AS queries
      FROM ${db}.verdicts_local GROUP BY registered, name`,
    // Small key-value facts (the flagged-set serial); the newest version of a key wins.
    `CREATE TABLE IF NOT EXISTS ${db}.meta_local (key String, value String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY key`,
    distributed('meta', 'cityHash64(key)'),
    // The query log: the entry as JSON (returned exactly as written) and the columns its filters use.
    // ts_us orders and pages (an integer: a cursor compares exactly); (node, batch, seq) is the row's token: the writing
    // node, its batch number, the row's place in it. A batch sent again after a partly failed insert is the same rows
    // again, which ReplacingMergeTree folds on merge and a page reads once (store-search.ts) until then.
    `CREATE TABLE IF NOT EXISTS ${db}.querylog_local (
      day Date,
      ts_us UInt64,
      node String,
      batch UInt64,
      seq UInt32,
      registered String,
      client_key String,
      customer String,
      has_customer UInt8,
      rname String,
      action String,
      entry String
    ) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY (ts_us, node, batch, seq)`,
    distributed('querylog', byRegistered),
    // Per-minute counts; customer '*' holds each minute's total over every customer (as in SQLite). A row is one
    // writer's running count of one minute and customer (gen: that count's identity, e.g. a process and its start),
    // sent again as it grows with a higher version: the newest version per (ts, customer, node, gen) is the count,
    // and a read sums them over nodes and gens. A row sent twice (a retried batch) is the same row: nothing is counted twice.
    // Partitioned by day (server time zone, like `day` elsewhere) so that the cluster's retention drops whole days.
    `CREATE TABLE IF NOT EXISTS ${db}.stats_local (ts UInt32, customer String, node String, gen UInt64, version UInt64, queries UInt64, blocked UInt64, logged UInt64)
      ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMMDD(toDateTime(ts)) ORDER BY (ts, customer, node, gen)`,
    distributed('stats', 'cityHash64(customer)'),
    // Exposure increments; a read sums them per (client, domain, direction).
    `CREATE TABLE IF NOT EXISTS ${db}.exposures_local (
      registered String,
      client String,
      client_key String,
      customer String,
      has_customer UInt8,
      domain String,
      rdomain String,
      direction String,
      first_ms UInt64,
      last_ms UInt64,
      flows UInt64,
      bytes Float64,
      packets Float64,
      sampled UInt8,
      bypass UInt8,
      written UInt64,
      exposure String
    ) ENGINE = MergeTree() ORDER BY (registered, client, domain, direction, written)`,
    distributed('exposures', byRegistered),
    `CREATE TABLE IF NOT EXISTS ${db}.fanouts_local (host String, host_key String, customer String, has_customer UInt8, last_ms UInt64, written UInt64, finding String)
      ENGINE = MergeTree() ORDER BY (last_ms, host, written)`,
    distributed('fanouts', 'cityHash64(host)'),
    // The operator's entries: the newest version per (list, name) wins; removed = 1 is a removal.
    `CREATE TABLE IF NOT EXISTS ${db}.lists_local (list String, name String, comment String, author String, at Float64, removed UInt8, version UInt64)
      ENGINE = ReplacingMergeTree(version) ORDER BY (list, name)`,
    distributed('lists', 'cityHash64(name)'),
    `CREATE TABLE IF NOT EXISTS ${db}.audit_local (at Float64, written UInt64, author String, action String, target String, comment String)
      ENGINE = MergeTree() ORDER BY (at, written)`,
    distributed('audit', 'cityHash64(target)'),
  ];
}
