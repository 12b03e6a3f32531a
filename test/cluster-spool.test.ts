/**
 * Issue 18, with real parts: two clickhouse-server shards, `fluxhound cluster
 * init` (the built CLI) on both, and a sensor's ClusterWriter streaming
 * enriched observations. One shard is stopped mid-stream: inserts fail, the
 * batches go to the on-disk spool; the shard comes back: the spool is
 * replayed in order and every observation is in the cluster exactly once in
 * deduplicated reads (FINAL, LIMIT 1 BY the row token), although the failed
 * inserts left the running shard's part behind; the aggregates see them.
 * Then a sensor that could not reach the cluster at all keeps its spool
 * across a restart and the next run replays it; and `analyze --cluster`
 * (the built CLI) puts a log's rows into the cluster, as does `serve
 * --cluster` for what its input (follow) observes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { createEnricher } from '../src/enrich/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import type { DnsObservation } from '../src/model/observation.js';
import { clusterSettings } from '../src/store/clickhouse/options.js';
import { OBSERVATION_COLUMNS } from '../src/store/clickhouse/schema.js';
import { startSensor } from '../src/store/clickhouse/sensor.js';
import { aResponse, bot, T0 } from './helpers/observations.js';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from './support/clickhouse.js';
import { fluxhound, requireBuilt, ROOT, spawnFluxhound } from './support/cli.js';
import { waitFor } from './support/daemon.js';

const DATABASE = defaultConfig().cluster.database;

/** Observation i: 40 registered domains (so both shards get rows), two names each, a fresh bot address per lookup. */
function observation(i: number): DnsObservation {
  const domain = `flux-d${i % 40}.net`;
  return aResponse(T0 + i, `${Math.floor(i / 40) % 2 === 0 ? 'www' : 'cdn'}.${domain}`, [bot(i), bot(i + 1000)], 60);
}

describe.skipIf(clickhouseServer.path === null)('cluster sensor: spool and replay with real shards', () => {
  let cluster: ClickHouseCluster;
  let enricher: Enricher;
  let query: ClickHouseClient;
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-cluster-spool-'));

  beforeAll(async () => {
    requireBuilt();
    [cluster, enricher] = await Promise.all([startClickHouseCluster({ shards: 2 }), createEnricher({})]);
    query = createClient({ url: cluster.shards[0]!.url, database: DATABASE });
  }, 90_000);
  afterAll(async () => {
    await query?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function count(sql: string): Promise<number> {
    const [row] = await (await query.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>();
    return Number(row!.n);
  }

  it('cluster init creates the tables on every node, and refuses a node list that does not match remote_servers', async () => {
    const [a, b] = cluster.shards.map((s) => s.url);
    const short = await fluxhound(['cluster', 'init', '--cluster', a!]);
    expect(short.code).toBe(2);
    expect(short.stderr.trim()).toMatch(/^fluxhound: cluster init: http:\/\/127\.0\.0\.1:\d+: remote_servers names 2 shards under 'fluxhound', but 1 node was given/);
    expect(short.stderr.trim().split('\n')).toHaveLength(1);
    const run = await fluxhound(['cluster', 'init', '--cluster', a!, '--node-url', b!]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    for (const shard of cluster.shards) {
      const c = createClient({ url: shard.url, database: DATABASE });
      const tables = await (await c.query({ query: `SELECT name FROM system.tables WHERE database = '${DATABASE}'`, format: 'JSONEachRow' })).json<{ name: string }>();
      await c.close();
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['observations', 'observations_local', 'domain_windows', 'name_windows', 'verdicts']));
    }
  }, 60_000);

  it('spools while a shard is down, replays in order when it is back, and every observation is there once', async () => {
    const config = defaultConfig();
    const settings = clusterSettings(config, { cluster: cluster.shards[0]!.url, node: 'sensor-a' }, dir)!;
    settings.batchRows = 50;
    settings.batchMs = 20;
    settings.spoolDir = join(dir, 'spool-a');
    const written: Array<{ batch: number; replayed: boolean }> = [];
    const { writer, client } = await startSensor(settings, enricher, { retryMs: 100, maxRetryMs: 400, onWritten: (batch, _rows, replayed) => written.push({ batch, replayed }) });
    let sent = 0;
    const send = (n: number): void => {
      for (let k = 0; k < n; k++) writer.observe(observation(sent++));
    };
    send(400);
    await waitFor('the first batches inserted', () => (writer.stats.rowsWritten === 400 ? true : undefined), 20_000);
    await cluster.stop(1);
    // The shard comes back even if an assertion below fails (the next tests need it).
    onTestFinished(async () => {
      if (!cluster.shards[1]!.running) await cluster.start(1);
    });
    send(400);
    await waitFor('inserts failing and batches spooled', () => (writer.stats.insertFailures > 0 && writer.state().spoolBatches > 0 ? true : undefined), 20_000);
    // More while the shard is down: they queue behind the spool.
    send(400);
    await waitFor('every batch sealed into the spool', () => (writer.state().pendingRows === 0 && writer.state().spoolBatches >= 16 ? true : undefined), 20_000);
    expect(writer.state().up).toBe(false);
    await cluster.start(1);
    await waitFor('the spool replayed', () => (writer.state().spoolBatches === 0 && writer.stats.rowsWritten === 1200 ? true : undefined), 30_000);
    send(200);
    const left = await writer.close();
    await client.close();
    expect(left).toEqual({ rowsSpooled: 0, batchesSpooled: 0 });
    expect(writer.stats).toMatchObject({ observed: 1400, rowsWritten: 1400, droppedRows: 0, spoolDroppedRows: 0, tornBatches: 0 });
    expect(writer.stats.replayedRows).toBeGreaterThanOrEqual(800);
    // In order: every batch the cluster took has a higher number than the one before, replayed or not.
    const numbers = written.map((w) => w.batch);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(written.some((w) => w.replayed)).toBe(true);

    const mine = `sensor = 'sensor-a'`;
    // A failed insert may have left the running shard's part behind (sent again with its batch): deduplicated reads count each observation once.
    expect(await count(`SELECT count() AS n FROM observations FINAL WHERE ${mine}`)).toBe(1400);
    expect(await count(`SELECT count() AS n FROM (SELECT sensor, batch, seq FROM observations WHERE ${mine} LIMIT 1 BY sensor, batch, seq)`)).toBe(1400);
    expect(await count(`SELECT uniqExact(name) AS n FROM observations WHERE ${mine}`)).toBe(80);
    // The aggregates see every observation (a retried row may count twice in countState, never less).
    expect(await count(`SELECT countMerge(lookups) AS n FROM domain_windows`)).toBeGreaterThanOrEqual(1400);
    expect(await count(`SELECT uniqExact(registered) AS n FROM domain_windows`)).toBe(40);
    // uniq is exact at this size: flux-d0.net's distinct addresses, as the sensor saw them.
    const addresses = new Set<string>();
    for (let i = 0; i < 1400; i += 40) for (const a of observation(i).answers) addresses.add(a.data);
    expect(await count(`SELECT uniqArrayMerge(addresses) AS n FROM domain_windows WHERE registered = 'flux-d0.net'`)).toBe(addresses.size);
  }, 120_000);

  it('keeps what it could not send in the spool across a restart, skips a torn file, and the next run replays it', async () => {
    const config = defaultConfig();
    const spoolDir = join(dir, 'spool-b');
    // Nothing listens on port 1: every insert fails, and the sensor still starts (a resolver's sensor must).
    const offline = { ...clusterSettings(config, { cluster: 'http://127.0.0.1:1', node: 'sensor-b' }, dir)!, batchRows: 100, spoolDir };
    const first = await startSensor(offline, enricher, { retryMs: 50 });
    expect(first.unchecked).not.toBeNull();
    for (let i = 0; i < 550; i++) first.writer.observe(observation(i));
    const left = await first.writer.close();
    await first.client.close();
    expect(left).toEqual({ rowsSpooled: 550, batchesSpooled: 6 });
    expect(first.writer.stats.rowsWritten).toBe(0);
    // A crash mid-write leaves a temporary: skipped and counted.
    writeFileSync(join(spoolDir, '0000000000000001.batch.tmp'), '{"fluxhound":"spool","version":1');
    // What a partly failed insert leaves behind, made certain: a spooled batch's rows for one shard are already there.
    const [oldest] = readdirSync(spoolDir).filter((f) => f.endsWith('.batch')).sort();
    const spooled = readFileSync(join(spoolDir, oldest!), 'utf8').split('\n').slice(1, 41).join('\n');
    // Shard 2 (shard_num 2 takes cityHash64(registered) % 2 = 1) keeps its part, as the Distributed insert would have left it.
    const shard = createClient({ url: cluster.shards[1]!.url });
    await shard.command({ query: `CREATE TABLE default.partial AS ${DATABASE}.observations_local ENGINE = Memory` });
    const sent = await shard.exec({ query: `INSERT INTO default.partial (${OBSERVATION_COLUMNS.join(', ')}) FORMAT JSONEachRow`, values: Readable.from([Buffer.from(spooled + '\n')], { objectMode: false }) });
    for await (const _ of sent.stream) void _;
    await shard.command({ query: `INSERT INTO ${DATABASE}.observations_local SELECT * FROM default.partial WHERE cityHash64(registered) % 2 = 1` });
    await shard.command({ query: 'DROP TABLE default.partial' });
    await shard.close();
    const landed = await count(`SELECT count() AS n FROM observations WHERE sensor = 'sensor-b'`);
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThan(40);
    const online = { ...offline, url: cluster.shards[1]!.url };
    const second = await startSensor(online, enricher, { retryMs: 50 });
    expect(second.unchecked).toBeNull();
    for (let i = 550; i < 600; i++) second.writer.observe(observation(i));
    await second.writer.close();
    await second.client.close();
    expect(second.writer.stats).toMatchObject({ rowsWritten: 600, replayedRows: 550, replayedBatches: 6, tornBatches: 1 });
    expect(readdirSync(spoolDir).filter((f) => f.includes('.batch'))).toEqual([]);
    expect(await count(`SELECT count() AS n FROM observations FINAL WHERE sensor = 'sensor-b'`)).toBe(600);
    expect(await count(`SELECT count() AS n FROM (SELECT sensor, batch, seq FROM observations WHERE sensor = 'sensor-b' LIMIT 1 BY sensor, batch, seq)`)).toBe(600);
    // Six spooled batches and the second run's one, numbered above them: the highest batch holds its 50 rows.
    expect(await count(`SELECT uniqExact(batch) AS n FROM observations WHERE sensor = 'sensor-b'`)).toBe(7);
    const highest = await count(`SELECT max(batch) AS n FROM observations WHERE sensor = 'sensor-b'`);
    expect(await count(`SELECT count() AS n FROM observations FINAL WHERE sensor = 'sensor-b' AND batch = ${highest} AND seq < 50`)).toBe(50);
  }, 60_000);

  it('analyze --cluster writes what it reads (built CLI), and a cluster without the tables is exit 2 in one line', async () => {
    const log = join(ROOT, 'examples', 'example.dns.log');
    const url = cluster.shards[1]!.url;
    const spoolConfig = join(dir, 'spool-d.yaml');
    writeFileSync(spoolConfig, `cluster:\n  spoolDir: ${join(dir, 'spool-d')}\n`);
    const run = await fluxhound(['analyze', '--no-progress', '-c', spoolConfig, '--cluster', url, '--node', 'batch-1', log]);
    expect(run.code, run.stderr).toBe(0);
    const match = /^cluster: (\d+) rows written to http:\/\/127\.0\.0\.1:\d+ as batch-1$/m.exec(run.stderr);
    expect(match, run.stderr).not.toBeNull();
    const records = Number(/read ([\d,]+) records/.exec(run.stderr)?.[1]?.replaceAll(',', '') ?? NaN);
    expect(records).toBeGreaterThan(0);
    expect(Number(match![1])).toBe(records);
    expect(await count(`SELECT count() AS n FROM observations FINAL WHERE sensor = 'batch-1'`)).toBe(records);

    const configFile = join(dir, 'other-db.yaml');
    writeFileSync(configFile, `cluster:\n  database: not_initialised\n  spoolDir: ${join(dir, 'spool-c')}\n`);
    const refused = await fluxhound(['analyze', '--no-progress', '-c', configFile, '--cluster', url, log]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/run fluxhound cluster init/);
    expect(refused.stdout).toBe('');
  }, 60_000);
  it('serve --cluster writes every observation its input (follow) produces, and stops cleanly', async () => {
    const config = join(dir, 'serve.yaml');
    writeFileSync(config, `cluster:\n  spoolDir: ${join(dir, 'spool-serve')}\n  batchMs: 100\n`);
    const daemon = spawnFluxhound(['serve', '-c', config, '--follow', join(ROOT, 'examples', 'example.dns.log'), '--cluster', cluster.shards[0]!.url, '--node', 'serve-1', '--log-level', 'warn', '--no-flags']);
    try {
      // The example log holds 3,000 records; the daemon skips none of them.
      await waitFor('every followed observation in the cluster', async () => ((await count(`SELECT count() AS n FROM observations FINAL WHERE sensor = 'serve-1'`)) === 3000 ? true : undefined), 30_000);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).not.toMatch(/"level":(40|50|60)/);
    expect(await count(`SELECT uniqExact(name) AS n FROM observations WHERE sensor = 'serve-1'`)).toBeGreaterThan(100);
  }, 60_000);
});
