/**
 * The store suite against a real two-shard cluster, and what only the
 * cluster does: passive DNS and domains folded from the sensors' observation
 * rows, verdict history from rows the judge writes.
 */
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from '../../../test/support/clickhouse.js';
import type { Enricher } from '../../enrich/enricher.js';
import { emptyObservation } from '../../model/observation.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterReads } from '../cluster-reads.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { queryFixture, storeSuite, verdictFixture } from '../store.case.js';
import { asyncStore, emptyBatch } from '../store.js';
import { ClickHouseStore } from './clickhouse-store.js';
import { observationRow } from './rows.js';
import { QUERYLOG_COLUMNS, STATS_COLUMNS, queryLogRow, statsRows } from './store-rows.js';
import { missingColumns } from './connect.js';
import type { ClickHouseStoreOptions } from './store-client.js';

const enricher = { sources: [], lookup: () => null } as unknown as Enricher;

describe.skipIf(clickhouseServer.path === null)('ClickHouse store on two shards', () => {
  let cluster: ClickHouseCluster;
  let options: ClickHouseStoreOptions;

  beforeAll(async () => {
    cluster = await startClickHouseCluster({ shards: 2 });
    const nodes = cluster.shards.map((s) => s.url);
    options = { url: nodes[0]!, nodes, database: 'fluxhound', cluster: cluster.name, node: 'test' };
    await (await ClickHouseStore.open({ ...options, createSchema: true })).close();
  }, 90_000);

  afterAll(async () => {
    await cluster?.close();
  });

  // Each open() is a new client of the same database: a restart, or a second process.
  storeSuite('clickhouse (2 shards)', () => ClickHouseStore.open(options));

  it('folds observation rows into passive DNS and domains, and reads the verdicts the judge wrote, on whichever shard they live', async () => {
    const c = createClient({ url: options.url, database: 'fluxhound', clickhouse_settings: { insert_distributed_sync: 1 } });
    const rows = [];
    for (let i = 0; i < 40; i++) {
      const o = emptyObservation(1_900_000_000 + i, `www.obs${i % 10}.example`, 'A');
      o.answers = [
        { name: o.qname, type: 'CNAME', data: `edge${i % 10}.cdn.example`, ttl: 300 },
        { name: `edge${i % 10}.cdn.example`, type: 'A', data: `192.0.2.${i % 3}`, ttl: 60 - i },
      ];
      o.authority = [{ name: 'obs.example', type: 'NS', data: 'ns1.obs.example', ttl: 3600 }];
      rows.push(observationRow(o, enricher, { sensor: 's1', batch: 1, seq: i }));
    }
    await c.insert({ table: 'observations', values: rows, format: 'JSONEachRow' });
    // The judge's own insert: a verdict row per change.
    const judged = [verdictFixture('www.obs1.example', 'suspicious', 45), verdictFixture('www.obs1.example', 'fast-flux', 88)];
    await c.insert({
      table: 'verdicts',
      values: judged.map((v, i) => ({ recorded_ms: 1_900_000_100_000 + i * 1000, domain: v.domain, registered: 'obs1.example', label: v.verdict, score: v.score, judge: 'judge-1', verdict: JSON.stringify(v) })),
      format: 'JSONEachRow',
    });
    // The rows spread over both shards (one registered domain each), so a read that missed a shard would show it.
    for (const shard of cluster.shards) {
      const local = createClient({ url: shard.url, database: 'fluxhound' });
      const [row] = await (await local.query({ query: 'SELECT count() AS n FROM pdns_local', format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(row?.n)).toBeGreaterThan(0);
      await local.close();
    }
    await c.close();
    const store = await ClickHouseStore.open(options);
    // www.obs1.example is asked at i = 1, 11, 21, 31; addresses 192.0.2.(i % 3); the TTL is the answer's smallest (60 - i).
    const tuples = await store.tuplesOf('www.obs1.example', 100);
    expect(tuples.map((t) => [t.type, t.data, t.count])).toEqual([
      ['A', '192.0.2.1', 2],
      ['CNAME', 'edge1.cdn.example', 4],
      ['NS', 'ns1.obs.example', 4],
      ['A', '192.0.2.2', 1],
      ['A', '192.0.2.0', 1],
    ]);
    const cname = tuples.find((t) => t.type === 'CNAME')!;
    expect([cname.firstSeen, cname.lastSeen, cname.ttl]).toEqual([1_900_000_001, 1_900_000_031, 60 - 31]);
    expect(await store.domain('www.obs1.example')).toEqual({ name: 'www.obs1.example', firstSeen: 1_900_000_001, lastSeen: 1_900_000_101, queries: 4 });
    expect((await store.history('www.obs1.example')).map((r) => [r.ts, r.verdict.verdict, r.verdict.score])).toEqual([
      [1_900_000_100, 'suspicious', 45],
      [1_900_000_101, 'fast-flux', 88],
    ]);
    expect((await store.flaggedSince(1_900_000_000)).map((r) => r.verdict.domain)).toContain('www.obs1.example');
    await store.close();
  });

  it("a node's reads: the cluster's history, passive DNS, query log, stats and lists; its own store's flow findings; writes go to its own store", async () => {
    // Reads the rows the test above put in the cluster (one cluster per file: tests in it run in order).
    const cluster = await ClickHouseStore.open(options);
    const local = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'fluxhound-cluster-reads-')), 'node.db'));
    local.write({ ...emptyBatch(), queries: [queryFixture({ ts: 1_950_000_000, name: 'only.local.test' })], verdicts: [{ ts: 1_950_000_000, verdict: verdictFixture('www.obs1.example', 'benign', 0) }] });
    await cluster.write({ ...emptyBatch(), queries: [queryFixture({ ts: 1_950_000_000, name: 'only.cluster.test' })] });
    const reads = clusterReads(cluster, asyncStore(local));
    try {
      // The judge's two verdicts in the cluster, not the node's own benign one.
      expect((await reads.history('www.obs1.example')).map((r) => r.verdict.verdict)).toEqual(['suspicious', 'fast-flux']);
      expect((await reads.tuplesOf('www.obs1.example', 100)).length).toBe(5);
      const range = { since: 1_950_000_000, until: 1_950_000_001 };
      // The fleet's query log is the cluster's: every node writes its own there.
      expect((await reads.queryLog(range, 10)).entries.map((e) => e.name)).toEqual(['only.cluster.test']);
      // One pair of lists for the fleet: a change made through any node is the cluster's.
      await reads.changeList({ op: 'add', list: 'deny', name: 'node.deny.test', comment: 'c', by: 'ops', at: 1 });
      expect((await cluster.listEntries('deny')).map((e) => e.name)).toContain('node.deny.test');
      expect(local.listEntries('deny')).toEqual([]);
      expect((await reads.audit(0, 10)).map((a) => a.target)).toContain('node.deny.test');
      // Writes go to the node's own store (its flow findings, its meta).
      await reads.write({ ...emptyBatch(), meta: { serial: '41' } });
      expect(local.meta('serial')).toBe('41');
      // Without a local store, everything comes from the cluster, and writes are refused.
      const clusterOnly = clusterReads(cluster, null);
      expect((await clusterOnly.queryLog(range, 10)).entries.map((e) => e.name)).toEqual(['only.cluster.test']);
      await expect(clusterOnly.write(emptyBatch())).rejects.toThrow(/sensor and judge/);
    } finally {
      await reads.close();
      local.close();
    }
  });

  it('reads a batch sent twice (a retried insert) once: query-log pages and stats counts', async () => {
    const c = createClient({ url: options.url, database: 'fluxhound', clickhouse_settings: { insert_distributed_sync: 1 } });
    const t0 = 1_960_000_000;
    // 30 entries over 10 names (both shards), in one batch of node n1; the same batch arrives twice, as after a partly failed insert.
    const entries = Array.from({ length: 30 }, (_, i) => queryFixture({ ts: t0 + Math.floor(i / 3), name: `www.dup${i % 10}.example` }));
    const batch = entries.map((e, seq) => queryLogRow(e, { sensor: 'n1', batch: 7, seq }));
    for (let i = 0; i < 2; i++) await c.insert({ table: 'querylog', values: batch, format: 'JSONEachRow' });
    // Stats: n1's running count of one minute sent at versions 1 and 2 (the second twice); n2's own count of it.
    const minute = [{ ts: t0, customer: 'acme', queries: 5, blocked: 1, logged: 0 }];
    const grown = [{ ts: t0, customer: 'acme', queries: 9, blocked: 2, logged: 1 }];
    await c.insert({ table: 'stats', values: statsRows(minute, 'n1', 100, 1), format: 'JSONEachRow' });
    for (let i = 0; i < 2; i++) await c.insert({ table: 'stats', values: statsRows(grown, 'n1', 100, 2), format: 'JSONEachRow' });
    await c.insert({ table: 'stats', values: statsRows(minute, 'n2', 200, 1), format: 'JSONEachRow' });
    await c.close();
    const store = await ClickHouseStore.open(options);
    try {
      const range = { since: t0, until: t0 + 60 };
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page = await store.queryLog(range, 7, cursor);
        seen.push(...page.entries.map((e) => `${e.ts} ${e.name}`));
        cursor = page.next;
        if (cursor === null) break;
      }
      expect(seen).toHaveLength(30);
      expect(new Set(seen).size).toBe(30);
      expect((await store.queryLog(range, 1000)).entries).toHaveLength(30);
      const [point] = await store.stats({ since: t0, until: t0 + 60, step: 60, customer: 'acme' });
      expect(point).toMatchObject({ queries: 14, blocked: 3, logged: 1 });
    } finally {
      await store.close();
    }
  });

  it("names the columns a node's older query-log and stats tables lack (what serve --cluster refuses to start on)", async () => {
    const c = createClient({ url: options.url });
    await c.command({ query: 'CREATE DATABASE IF NOT EXISTS fluxhound_old' });
    // The shapes an earlier cluster init made: no token on the query log, summed increments for stats.
    await c.command({ query: 'CREATE TABLE IF NOT EXISTS fluxhound_old.querylog_local (day Date, ts_us UInt64, batch UInt64, seq UInt32, registered String, client_key String, customer String, has_customer UInt8, rname String, action String, entry String) ENGINE = MergeTree() PARTITION BY day ORDER BY (ts_us, batch, seq)' });
    await c.command({ query: 'CREATE TABLE IF NOT EXISTS fluxhound_old.stats_local (ts UInt32, customer String, queries UInt64, blocked UInt64, logged UInt64) ENGINE = SummingMergeTree((queries, blocked, logged)) ORDER BY (ts, customer)' });
    const wanted = { querylog_local: QUERYLOG_COLUMNS, stats_local: STATS_COLUMNS };
    expect(await missingColumns(c, 'fluxhound_old', wanted)).toEqual(['querylog_local.node', 'stats_local.node', 'stats_local.gen', 'stats_local.version']);
    expect(await missingColumns(c, 'fluxhound', wanted)).toEqual([]);
    await c.command({ query: 'DROP DATABASE fluxhound_old' });
    await c.close();
  });
});
