/**
 * Cluster operations on two real clickhouse-server shards:
 * (a) retention (src/store/clickhouse/retention.ts through
 *     src/serve/cluster/prune.ts): the day partitions older than the
 *     retention go on both shards and the rest stay row for row; the
 *     aggregates left equal a fresh fold of the observations left, the judge
 *     judges what is left as it judges a cluster that only ever held it,
 *     followers read the verdicts left, unreferenced flux network ids and
 *     old lease claims are pruned, and a second run finds nothing;
 * (b) the judge's intel candidates: with a real threat report (OASIS's APT1
 *     STIX bundle, test/fixtures/cti/stix/apt1.json, loaded by the feed set
 *     analyze and serve use) a name the cluster saw twice at one address,
 *     which no aggregate makes a candidate, gets the feed's verdict, and a
 *     follower on each shard blocks it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../src/act/flagged.js';
import { loadAnalyzeIntel } from '../src/cli/intel.js';
import { defaultConfig, type Config } from '../src/config/schema.js';
import { Detector } from '../src/detect/detector.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { createEnricher } from '../src/enrich/index.js';
import { loadInfra, type Infra } from '../src/enrich/infra/index.js';
import { intelFeedsOf } from '../src/intel/feeds/spec.js';
import { emptyObservation, type DnsObservation } from '../src/model/observation.js';
import type { Verdict } from '../src/model/verdict.js';
import { VerdictFollower } from '../src/serve/cluster/follow.js';
import { ClusterJudge, REFRESH_MS } from '../src/serve/cluster/judge.js';
import { ClusterPruner, PruneRefused } from '../src/serve/cluster/prune.js';
import { OBSERVATION_COLUMNS, schemaStatements } from '../src/store/clickhouse/schema.js';
import { observationRow } from '../src/store/clickhouse/rows.js';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from './support/clickhouse.js';
import { fluxhound, requireBuilt } from './support/cli.js';
import { spreadFlux } from './support/spread-flux.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config naming the test's database. */
function configFile(database: string): string {
  const path = join(dir, `${database}.json`);
  writeFileSync(path, JSON.stringify({ cluster: { database } }));
  return path;
}

/** OASIS's APT1 report as a feed, as --intel takes it. */
const APT1 = 'test/fixtures/cti/stix/apt1.json,name=apt1,action=block,confidence=80';
const DAY = 86_400_000;
/** The pinned wall clock of the retention run: 2026-12-06 12:00 UTC; 3 days kept, so the cutoff is 12-03 12:00. */
const NOW = Date.UTC(2026, 11, 6, 12);
const RETENTION_DAYS = 3;
const CUTOFF = NOW - RETENTION_DAYS * DAY;
const at = (day: number, hour: number): number => Date.UTC(2026, 11, day, hour);

async function createSchema(cluster: ClickHouseCluster, database: string, config: Config): Promise<void> {
  for (const shard of cluster.shards) {
    const c = createClient({ url: shard.url });
    for (const query of schemaStatements({ database, cluster: cluster.name, bucketSeconds: config.cluster.bucket })) await c.command({ query });
    await c.close();
  }
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Observations as one sensor's rows, in blocks of 1,000 (one insert each). */
async function insertObservations(client: ClickHouseClient, database: string, enricher: Enricher, sensor: string, observations: readonly DnsObservation[]): Promise<void> {
  const values = observations.map((o, i) => observationRow(o, enricher, { sensor, batch: Math.floor(i / 1000), seq: i % 1000 }));
  for (let i = 0; i < values.length; i += 1000) await client.insert({ table: `${database}.observations`, values: values.slice(i, i + 1000), columns: [...OBSERVATION_COLUMNS], format: 'JSONEachRow' });
}

/** One lookup answered by one address. */
function lookup(ts: number, name: string, address: string): DnsObservation {
  const o = emptyObservation(ts, name, 'A');
  o.rcode = 'NOERROR';
  o.client = '198.51.100.7';
  o.answers.push({ name, type: 'A', ttl: 300, data: address });
  return o;
}

/** partition id → rows, per local table, on one shard. */
async function partitionsOf(shard: ClickHouseClient, database: string): Promise<Map<string, Map<string, number>>> {
  const found = await rows<{ table: string; partition_id: string; rows: string }>(
    shard,
    `SELECT table, partition_id, sum(rows) AS rows FROM system.parts WHERE database = '${database}' AND active GROUP BY table, partition_id`,
  );
  const out = new Map<string, Map<string, number>>();
  for (const p of found) {
    const t = out.get(p.table) ?? new Map<string, number>();
    t.set(p.partition_id, Number(p.rows));
    out.set(p.table, t);
  }
  return out;
}

/** When a partition's time range ends, by the schema's keys: YYYYMMDD days (the servers run in UTC) and epoch days. */
function partitionEnd(table: string, id: string): number {
  if (table === 'name_windows_local' || table === 'domain_windows_local') return (Number(id) + 1) * DAY;
  return Date.UTC(Number(id.slice(0, 4)), Number(id.slice(4, 6)) - 1, Number(id.slice(6, 8)) + 1);
}

const TIMED = ['observations_local', 'name_windows_local', 'domain_windows_local', 'verdicts_local', 'querylog_local'];

/** A verdict of the judge's, as recorded at `recordedMs` naming `network`. */
function verdictRow(v: Verdict, recordedMs: number, network: string | null, label = v.verdict): Record<string, unknown> {
  const body = { ...v, verdict: label, network };
  return { recorded_ms: recordedMs, domain: v.domain, registered: v.registered_domain, label, score: v.score, judge: 'judge-a', verdict: JSON.stringify(body) };
}

function verdictsOf(report: { verdicts: Map<string, Verdict> }): Map<string, string> {
  return new Map([...report.verdicts].filter(([, v]) => v.verdict !== 'benign').map(([d, v]) => [d, `${v.verdict}|${v.score}|${v.flux}|${v.reasons.join('|')}`]));
}

describe.skipIf(clickhouseServer.path === null)('cluster operations on two clickhouse-server shards', () => {
  let cluster: ClickHouseCluster;
  let client: ClickHouseClient;
  let shards: ClickHouseClient[];
  let enricher: Enricher;
  let infra: Infra;
  const config = defaultConfig();
  beforeAll(async () => {
    requireBuilt();
    cluster = await startClickHouseCluster({ shards: 2 });
    client = createClient({ url: cluster.shards[0]!.url, clickhouse_settings: { insert_distributed_sync: 1 } });
    shards = cluster.shards.map((s) => createClient({ url: s.url }));
    enricher = await createEnricher({});
    infra = loadInfra();
  }, 90_000);
  afterAll(async () => {
    await client?.close();
    for (const s of shards ?? []) await s.close();
    await cluster?.close();
  });

  it('drops exactly the day partitions past the retention on both shards; what is left reads as a cluster that only held it', async () => {
    const db = 'retention';
    await createSchema(cluster, db, config);
    // Six days of traffic (12-01 .. 12-06): 60 registered domains looked up every day (rows on both shards), and flux
    // seen only before the cutoff, only after it, and on both sides.
    const observations: DnsObservation[] = [];
    for (let day = 1; day <= 6; day++) {
      for (let d = 0; d < 60; d++) for (let h = 0; h < 3; h++) observations.push(lookup(at(day, 6 + h * 5) / 1000, `www.site${d}.example`, `192.0.2.${1 + (d % 200)}`));
    }
    const flux = [spreadFlux(enricher, at(1, 10) / 1000, 'www.old-flux.com'), spreadFlux(enricher, at(2, 10) / 1000, 'www.both-flux.org'), spreadFlux(enricher, at(5, 10) / 1000, 'www.both-flux.org'), spreadFlux(enricher, at(5, 14) / 1000, 'www.kept-flux.net')];
    for (const f of flux) for (const half of f.halves) observations.push(...half.observations);
    observations.sort((a, b) => a.ts - b.ts);
    await insertObservations(client, db, enricher, 's1', observations);

    // The judge's verdicts over everything, recorded as a judge would have over the days: old-flux flagged on 12-01
    // only, both-flux on 12-02 and again (refreshed) on 12-05, kept-flux on 12-05; site0 flagged on 12-01 and let go
    // on 12-04. Networks: fn-1 (both-flux's), fn-3 (only old-flux's), fn-4 (nobody's), fn-5 (nobody's, written an hour ago).
    const before = await new ClusterJudge({ client, database: db, node: 'judge-a', config, enricher, infra, rowBudget: 100_000, write: false }).cycle({ all: true });
    const verdict = (name: string): Verdict => before.verdicts.get(name) ?? expect.fail(`${name} not judged`);
    for (const name of ['www.old-flux.com', 'www.both-flux.org', 'www.kept-flux.net']) expect(verdict(name).verdict).toBe('fast-flux');
    // site0 is no candidate (one address): its rows are a flagged verdict's shape under its name.
    const site0: Verdict = { ...verdict('www.kept-flux.net'), domain: 'www.site0.example', registered_domain: 'site0.example' };
    await client.insert({
      table: `${db}.verdicts`,
      values: [
        verdictRow(verdict('www.old-flux.com'), at(1, 12), 'fn-3'),
        verdictRow(verdict('www.both-flux.org'), at(2, 12), 'fn-1'),
        verdictRow(verdict('www.both-flux.org'), at(5, 12), 'fn-1'),
        verdictRow(verdict('www.kept-flux.net'), at(5, 16), null),
        verdictRow(site0, at(1, 12), null, 'fast-flux'),
        verdictRow(site0, at(4, 12), null, 'benign'),
      ],
      format: 'JSONEachRow',
    });
    const network = (id: string, updated: number) => ({ updated_ms: updated, id, judge: 'judge-a', summary: JSON.stringify({ id }) });
    await client.insert({ table: `${db}.networks`, values: [network('fn-1', at(1, 12)), network('fn-3', at(1, 12)), network('fn-4', at(2, 12)), network('fn-5', NOW - 3_600_000)], format: 'JSONEachRow' });
    const claim = (holder: string, t: number) => ({ claimed_ms: t, expires_ms: t + 30_000, holder });
    await client.insert({ table: `${db}.judge_lease`, values: [claim('old-judge', at(1, 12)), claim('judge-a', NOW - 2 * 3_600_000), claim('judge-a', NOW - 60_000)], format: 'JSONEachRow' });
    // The query log (store-schema.ts) and per-minute stats of the daemons, one row a day.
    const queries = [1, 2, 3, 4, 5, 6].map((day, i) => ({ day: new Date(at(day, 9)).toISOString().slice(0, 10), ts_us: at(day, 9) * 1000, seq: i, registered: `site${i}.example`, entry: '{}' }));
    await client.insert({ table: `${db}.querylog`, values: queries, columns: ['day', 'ts_us', 'seq', 'registered', 'entry'], format: 'JSONEachRow' });
    // Stats at 13:00, after the cutoff's hour: 12-03's row stays whether stats_local is swept by mutation (older
    // schemas: rows before the cutoff) or by day partitions (whole days ended by it).
    await client.insert({ table: `${db}.stats`, values: [1, 2, 3, 4, 5, 6].map((day) => ({ ts: at(day, 13) / 1000, customer: '*', queries: day })), columns: ['ts', 'customer', 'queries'], format: 'JSONEachRow' });

    const partsBefore = await Promise.all(shards.map((s) => partitionsOf(s, db)));
    const pdnsKeptBefore = await rows<{ n: string }>(client, `SELECT count() AS n FROM (SELECT 1 FROM ${db}.pdns GROUP BY registered, name, type, data HAVING maxMerge(last_seen) >= ${CUTOFF / 1000})`);

    // Every shard must be named: one URL of two is refused before anything is deleted.
    const half = new ClusterPruner({ urls: [cluster.shards[0]!.url], database: db, cluster: cluster.name, retentionDays: RETENTION_DAYS, leaseMs: 30_000 });
    await expect(half.prune(NOW)).rejects.toThrow(PruneRefused);
    await half.close();

    const pruner = new ClusterPruner({ urls: cluster.shards.map((s) => s.url), database: db, cluster: cluster.name, retentionDays: RETENTION_DAYS, leaseMs: 30_000 });
    try {
      // A dry run names what would go and deletes nothing.
      const dry = await pruner.prune(NOW, true);
      expect(await Promise.all(shards.map((s) => partitionsOf(s, db)))).toEqual(partsBefore);
      const report = await pruner.prune(NOW);
      expect(report.cutoffMs).toBe(CUTOFF);
      expect(report.partitions).toEqual(dry.partitions);

      // Per shard and table: exactly the partitions whose day ended by the cutoff went; every other one is there with its rows.
      for (const [i, shard] of shards.entries()) {
        const after = await partitionsOf(shard, db);
        for (const table of TIMED) {
          const was = partsBefore[i]!.get(table) ?? new Map<string, number>();
          const old = [...was.keys()].filter((id) => partitionEnd(table, id) <= CUTOFF).sort();
          const young = new Map([...was].filter(([id]) => partitionEnd(table, id) > CUTOFF));
          expect(report.partitions.filter((p) => p.node === i && p.table === table).map((p) => p.partitionId).sort(), `${table} on shard ${i + 1}`).toEqual(old);
          expect(after.get(table) ?? new Map(), `${table} on shard ${i + 1}`).toEqual(young);
          if (table === 'observations_local' || table === 'domain_windows_local') {
            // The days 12-01 and 12-02 held rows on this shard, and 12-03 .. 12-06 still do.
            expect(old.length, `${table} on shard ${i + 1}`).toBe(2);
            expect(young.size, `${table} on shard ${i + 1}`).toBe(4);
          }
        }
      }
      const [{ oldest }] = (await rows<{ oldest: string }>(client, `SELECT min(ts_ms) AS oldest FROM ${db}.observations`)) as [{ oldest: string }];
      expect(Number(oldest)).toBe(at(3, 6));
      expect((await rows<{ day: string }>(client, `SELECT toString(day) AS day FROM ${db}.querylog ORDER BY day`)).map((r) => r.day)).toEqual(['2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
      // Tables with no time partition: one mutation each (passive DNS folded since the first day; stats on older schemas).
      expect((await rows<{ ts: number }>(client, `SELECT ts FROM ${db}.stats ORDER BY ts`)).map((r) => Number(r.ts) * 1000)).toEqual([at(3, 13), at(4, 13), at(5, 13), at(6, 13)]);
      const [{ stale }] = (await rows<{ stale: string }>(client, `SELECT count() AS stale FROM (SELECT 1 FROM ${db}.pdns GROUP BY registered, name, type, data HAVING maxMerge(last_seen) < ${CUTOFF / 1000})`)) as [{ stale: string }];
      expect(Number(stale)).toBe(0);
      expect(await rows<{ n: string }>(client, `SELECT count() AS n FROM (SELECT 1 FROM ${db}.pdns GROUP BY registered, name, type, data)`)).toEqual(pdnsKeptBefore);
      // Network ids: fn-3's only verdict went with 12-01, fn-4 was nobody's; fn-1 is both-flux's, fn-5 is recent.
      expect((await rows<{ id: string }>(client, `SELECT DISTINCT id FROM ${db}.networks ORDER BY id`)).map((r) => r.id)).toEqual(['fn-1', 'fn-5']);
      expect(report.networks).toBe(2);
      // Lease claims: the two older than an hour went, the live one stays.
      expect(report.leaseRows).toBe(2);
      expect((await rows<{ holder: string }>(client, `SELECT holder FROM ${db}.judge_lease`)).map((r) => r.holder)).toEqual(['judge-a']);

      // The aggregates left equal a fresh fold of the observations left (another database fed only them).
      await createSchema(cluster, 'retention_oracle', config);
      await client.command({ query: `INSERT INTO retention_oracle.observations (${OBSERVATION_COLUMNS.join(', ')}) SELECT ${OBSERVATION_COLUMNS.join(', ')} FROM ${db}.observations` });
      const windows = (database: string) =>
        rows(client, `SELECT bucket, registered, name, countMerge(lookups) AS l, uniqArrayMerge(addresses) AS a, uniqArrayMerge(asns) AS n, minArrayMerge(ttl_min) AS t, minMerge(first_ms) AS f, maxMerge(last_ms) AS z
          FROM ${database}.name_windows GROUP BY bucket, registered, name ORDER BY bucket, registered, name`);
      const left = await windows(db);
      expect(left.length).toBeGreaterThan(0);
      expect(left).toEqual(await windows('retention_oracle'));
      // The judge judges what is left as it judges a cluster that only ever held it: old-flux is gone, both-flux is
      // judged on its 12-05 rows.
      const judged = await new ClusterJudge({ client, database: db, node: 'judge-b', config, enricher, infra, rowBudget: 100_000, write: false }).cycle({ all: true });
      const oracle = await new ClusterJudge({ client, database: 'retention_oracle', node: 'judge-b', config, enricher, infra, rowBudget: 100_000, write: false }).cycle({ all: true });
      expect(verdictsOf(judged)).toEqual(verdictsOf(oracle));
      expect(judged.verdicts.get('www.old-flux.com')).toBeUndefined();
      expect(judged.verdicts.get('www.kept-flux.net')?.verdict).toBe('fast-flux');
      expect(judged.verdicts.get('www.both-flux.org')?.verdict).toBe('fast-flux');
      // A follower starting now blocks what the verdicts left flag: not old-flux (its one row went), not site0 (let go).
      const flagged = new FlaggedDomains();
      await new VerdictFollower({ client, database: db, apply: (v) => flagged.upsert(v), remove: (d) => flagged.remove(d) }).poll();
      expect([...flagged.entries()].map((v) => v.domain).sort()).toEqual(['www.both-flux.org', 'www.kept-flux.net']);

      // Again: nothing more is due.
      const again = await pruner.prune(NOW);
      expect(again.partitions).toEqual([]);
      expect(again.deleted).toEqual([]);
      expect(again.networks + again.leaseRows).toBe(0);
    } finally {
      await pruner.close();
    }
  }, 240_000);

  it('keeps the monthly verdicts of a cluster made before retention, says so at init, and drops whole past months', async () => {
    const db = 'legacy';
    // verdicts_local as fluxhound made it before retention (by month), then `fluxhound cluster init` (the built CLI).
    for (const shard of shards) {
      await shard.command({ query: `CREATE DATABASE ${db}` });
      await shard.command({
        query: `CREATE TABLE ${db}.verdicts_local (recorded_ms UInt64, domain String, registered String, label String, score Float32, judge String, verdict String)
          ENGINE = ReplacingMergeTree(recorded_ms) PARTITION BY toYYYYMM(toDate(toDateTime(intDiv(recorded_ms, 1000)))) ORDER BY (registered, domain, recorded_ms)`,
      });
    }
    const init = await fluxhound(['cluster', 'init', '--cluster', cluster.shards[0]!.url, '--node-url', cluster.shards[1]!.url, '-c', configFile(db)]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout.match(/verdicts_local keeps its partitioning toYYYYMM\(toDate\(toDateTime\(intDiv\(recorded_ms, 1000\)\)\)\) \(the schema now has toYYYYMMDD/g)).toHaveLength(2);
    const row = (domain: string, t: number) => ({ recorded_ms: t, domain, registered: domain, label: 'fast-flux', score: 60, judge: 'j', verdict: '{}' });
    // October is wholly past the cutoff (12-03 12:00); November ended before it too; December holds newer rows.
    await client.insert({ table: `${db}.verdicts`, values: [row('a.example', Date.UTC(2026, 9, 20)), row('b.example', Date.UTC(2026, 10, 29)), row('c.example', Date.UTC(2026, 11, 1)), row('d.example', at(5, 12))], format: 'JSONEachRow' });
    const pruner = new ClusterPruner({ urls: cluster.shards.map((s) => s.url), database: db, cluster: cluster.name, retentionDays: RETENTION_DAYS, leaseMs: 30_000 });
    try {
      const report = await pruner.prune(NOW);
      expect([...new Set(report.partitions.filter((p) => p.table === 'verdicts_local').map((p) => p.partitionId))].sort()).toEqual(['202610', '202611']);
    } finally {
      await pruner.close();
    }
    expect((await rows<{ domain: string }>(client, `SELECT domain FROM ${db}.verdicts ORDER BY domain`)).map((r) => r.domain)).toEqual(['c.example', 'd.example']);
  }, 60_000);

  it('judges a name a real intel feed lists although the cluster saw it twice at one address, and followers on both shards block it', async () => {
    const db = 'intel_candidates';
    await createSchema(cluster, db, config);
    // APT1's report lists hugesoft.org (domain-name) and 223.166.0.0/15 (ipv4-addr).
    const t = 1_765_000_000;
    const seen = [
      lookup(t, 'www.hugesoft.org', '203.0.113.20'),
      lookup(t + 600, 'www.hugesoft.org', '203.0.113.20'),
      lookup(t + 30, 'cdn.quiet-example.net', '223.166.10.20'),
      lookup(t + 900, 'cdn.quiet-example.net', '223.166.10.20'),
      lookup(t + 60, 'www.unlisted-example.org', '203.0.113.21'),
      lookup(t + 960, 'www.unlisted-example.org', '203.0.113.21'),
    ];
    await insertObservations(client, db, enricher, 's1', seen);

    // Without the feed, none is a candidate: one address, one ASN, one country each.
    const plain = await new ClusterJudge({ client, database: db, node: 'judge-a', config, enricher, infra, rowBudget: 10_000, write: false }).cycle({ all: true });
    expect(plain.candidates).toBe(0);

    const feeds = intelFeedsOf([], [APT1]);
    const intel = await loadAnalyzeIntel(config, feeds, infra, process.stderr);
    expect(intel).not.toBeNull();
    let wall = NOW;
    const judge = new ClusterJudge({ client, database: db, node: 'judge-a', config, enricher, infra, intel, rowBudget: 10_000, now: () => wall });
    const report = await judge.cycle({ all: true });
    // The listed name and the name answering into the listed network are candidates; the other is not.
    expect(report.candidates).toBe(2);
    // What the judge says is what the embedded detector with the same feed says of the same lookups.
    const embedded = new Map<string, Verdict>();
    const detector = new Detector({ config, enricher, infra, intel, reportBenign: true, onFinal: (v) => embedded.set(v.domain, v) });
    for (const o of [...seen].sort((a, b) => a.ts - b.ts)) detector.observe(o);
    detector.flush();
    const listed = report.verdicts.get('hugesoft.org') ?? expect.fail('hugesoft.org not judged');
    expect(listed).toMatchObject({ verdict: 'fast-flux', score: 80 });
    expect(listed.intel?.[0]).toMatchObject({ feed: 'apt1', kind: 'domain', value: 'hugesoft.org' });
    expect(verdictsOf(report)).toEqual(verdictsOf({ verdicts: new Map([...embedded].filter(([d]) => d !== 'www.unlisted-example.org')) }));
    expect(report.verdicts.get('cdn.quiet-example.net')?.intel?.some((e) => e.feed === 'apt1')).toBe(true);

    // Unchanged verdicts are not written again within REFRESH_MS, and are once it has passed (retention keeps a recent row).
    expect(report.written).toBeGreaterThan(0);
    wall += 3_600_000;
    expect((await judge.cycle({ all: true })).written).toBe(0);
    wall += REFRESH_MS;
    expect((await judge.cycle({ all: true })).written).toBe(report.written);

    // Cluster-wide: a follower reading through either shard blocks www.hugesoft.org with the feed's verdict.
    for (const shard of cluster.shards) {
      const c = createClient({ url: shard.url });
      const flagged = new FlaggedDomains();
      await new VerdictFollower({ client: c, database: db, apply: (v) => flagged.upsert(v), remove: (d) => flagged.remove(d) }).poll();
      expect(flagged.match('www.hugesoft.org')).toMatchObject({ verdict: 'fast-flux', intel: [{ feed: 'apt1' }] });
      expect(flagged.match('www.unlisted-example.org')).toBeNull();
      await c.close();
    }

    // The built CLI's batch judge reads the same feed (--intel) and prints the listing's verdict.
    const judged = await fluxhound(['cluster', 'judge', '--once', '--json', '--no-write', '--cluster', cluster.shards[1]!.url, '-c', configFile(db), '--intel', APT1]);
    expect(judged.code, judged.stderr).toBe(0);
    const printed = judged.stdout.trim().split('\n').map((line) => JSON.parse(line) as Verdict);
    expect(printed.find((v) => v.domain === 'hugesoft.org')).toMatchObject({ verdict: 'fast-flux', score: 80, intel: [{ feed: 'apt1' }] });
    expect(printed.some((v) => v.domain === 'www.unlisted-example.org')).toBe(false);

    // `fluxhound cluster prune` (the built CLI) on this database: its rows are a year old, 3 days are kept.
    const urls = ['--cluster', cluster.shards[0]!.url, '--node-url', cluster.shards[1]!.url];
    const refused = await fluxhound(['cluster', 'prune', '--cluster', cluster.shards[0]!.url, '--days', '3', '-c', configFile(db)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/remote_servers names 2 shards under 'fluxhound', but 1 node URL was given/);
    const dry = await fluxhound(['cluster', 'prune', ...urls, '--days', '3', '--dry-run', '-c', configFile(db)]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/: observations_local: would drop 1 partition \(\d+ rows\)/);
    const pruned = await fluxhound(['cluster', 'prune', ...urls, '--days', '3', '-c', configFile(db)]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/cluster prune: before \S+: dropped \d+ partitions, [\d,]+ rows in all; 0 flux network ids, 0 lease claims/);
    expect(await rows(client, `SELECT * FROM ${db}.observations`)).toEqual([]);
  }, 120_000);
});
