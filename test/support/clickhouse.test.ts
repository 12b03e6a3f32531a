import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { defaultConfig } from '../../src/config/schema.js';
import { schemaStatements } from '../../src/store/clickhouse/schema.js';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from './clickhouse.js';

describe.skipIf(clickhouseServer.path === null)('test ClickHouse cluster: two shards, the schema, a shard stopped and started', () => {
  let cluster: ClickHouseCluster;
  beforeAll(async () => {
    cluster = await startClickHouseCluster({ shards: 2 });
  }, 90_000);
  afterAll(async () => cluster?.close());

  it('spreads rows over both shards by registered domain and aggregates them per window', async () => {
    const { database, name, bucket } = defaultConfig().cluster;
    for (const shard of cluster.shards) {
      const c = createClient({ url: shard.url });
      for (const query of schemaStatements({ database, cluster: name, bucketSeconds: bucket })) await c.command({ query });
      await c.close();
    }
    const c = createClient({ url: cluster.shards[0]!.url, database, clickhouse_settings: { insert_distributed_sync: 1 } });
    const rows = Array.from({ length: 200 }, (_, i) => ({
      ts_ms: 1_700_000_000_000 + i * 1000, sensor: 's', batch: 1, seq: i, name: `www.d${i % 20}.com`, registered: `d${i % 20}.com`,
      qtype: 'A', rcode: 'NOERROR', client: '', customer: '', addresses: [`192.0.2.${i % 7}`], prefixes: ['192.0'], asns: [64500], countries: ['US'],
      ttls: [60], name_servers: [], targets: [], observation: '{}',
    }));
    await c.insert({ table: 'observations', values: rows, format: 'JSONEachRow' });
    const perShard = await Promise.all(cluster.shards.map(async (s) => {
      const l = createClient({ url: s.url, database });
      const [row] = await (await l.query({ query: 'SELECT count() AS n FROM observations_local', format: 'JSONEachRow' })).json<{ n: string }>();
      await l.close();
      return Number(row!.n);
    }));
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(200);
    for (const n of perShard) expect(n).toBeGreaterThan(0);
    const [agg] = await (await c.query({ query: "SELECT countMerge(lookups) AS n, uniqArrayMerge(addresses) AS ips FROM domain_windows WHERE registered = 'd3.com'", format: 'JSONEachRow' })).json<{ n: string; ips: string }>();
    expect(Number(agg!.n)).toBe(10);
    expect(Number(agg!.ips)).toBeGreaterThan(1);
    await cluster.stop(1);
    await expect(c.insert({ table: 'observations', values: rows, format: 'JSONEachRow' })).rejects.toThrow();
    await cluster.start(1);
    await c.close();
  }, 90_000);
});
