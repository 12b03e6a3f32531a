/**
 * A built `fluxhound serve` with a cluster answers the API's domain view
 * (verdict, verdict history, passive DNS) from rows in a real two-shard
 * ClickHouse cluster: observations as a sensor inserts them (the
 * materialized views fold them into passive DNS and domains) and verdict
 * rows as the judge writes them. The daemon has no local store. And
 * `fluxhound report --cluster` prints what `report --store` prints for the
 * same day written to each; and a daemon without a store sends its query
 * log and counts (the cluster-console service).
 */
import { createClient } from '@clickhouse/client';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Enricher } from '../src/enrich/enricher.js';
import { emptyObservation } from '../src/model/observation.js';
import { observationRow } from '../src/store/clickhouse/rows.js';
import { schemaStatements } from '../src/store/clickhouse/schema.js';
import { verdictFixture } from '../src/store/store.case.js';
import { fluxhound, requireBuilt, spawnFluxhound, type RunningDaemon } from './support/cli.js';
import { clickhouseServer, startClickHouseCluster, type ClickHouseCluster } from './support/clickhouse.js';
import { freePort, waitFor } from './support/daemon.js';
import { ClickHouseStore } from '../src/store/clickhouse/clickhouse-store.js';
import { seedAsync, seedStore } from './helpers/report-store.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { defaultConfig } from '../src/config/schema.js';
import { clusterConsoleService } from '../src/serve/cluster/console.js';
import { queryFixture } from '../src/store/store.case.js';

const TOKEN = 'readreadreadreadreadread';
const enricher = { sources: [], lookup: () => null } as unknown as Enricher;

describe.skipIf(clickhouseServer.path === null)('serve with a cluster: the API reads the cluster', () => {
  let cluster: ClickHouseCluster;
  let daemon: RunningDaemon | null = null;

  beforeAll(async () => {
    requireBuilt();
    cluster = await startClickHouseCluster({ shards: 2 });
    for (const shard of cluster.shards) {
      const c = createClient({ url: shard.url });
      for (const query of schemaStatements({ database: 'fluxhound', cluster: cluster.name, bucketSeconds: 300 })) await c.command({ query });
      await c.close();
    }
  }, 90_000);

  afterAll(async () => {
    daemon?.child.kill('SIGTERM');
    if (daemon !== null) await daemon.exited;
    await cluster?.close();
  });

  it('answers /api/v1/domains/{name} with the judge’s verdict history and passive DNS folded from the sensors’ observations', async () => {
    const c = createClient({ url: cluster.shards[1]!.url, database: 'fluxhound', clickhouse_settings: { insert_distributed_sync: 1 } });
    const now = Math.floor(Date.now() / 1000);
    const rows = [];
    for (let i = 0; i < 6; i++) {
      const o = emptyObservation(now - 60 + i, 'login.flux-bank.example', 'A');
      o.answers = [{ name: o.qname, type: 'A', data: `198.51.100.${i}`, ttl: 30 }];
      rows.push(observationRow(o, enricher, { sensor: `sensor-${i % 2}`, batch: 1, seq: i }));
    }
    await c.insert({ table: 'observations', values: rows, format: 'JSONEachRow' });
    const verdicts = [verdictFixture('login.flux-bank.example', 'suspicious', 40), verdictFixture('login.flux-bank.example', 'fast-flux', 92)];
    await c.insert({
      table: 'verdicts',
      values: verdicts.map((v, i) => ({ recorded_ms: (now - 30 + i) * 1000, domain: v.domain, registered: 'flux-bank.example', label: v.verdict, score: v.score, judge: 'judge-1', verdict: JSON.stringify(v) })),
      format: 'JSONEachRow',
    });
    await c.close();

    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-cluster-api-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${TOKEN} read reader\n`, { mode: 0o600 });
    const config = join(dir, 'fluxhound.yaml');
    writeFileSync(config, ['cluster:', `  url: ${cluster.shards[0]!.url}`, `  name: ${cluster.name}`, '  judge: never', ''].join('\n'));
    const port = await freePort();
    daemon = spawnFluxhound(['serve', '-c', config, '--http', `127.0.0.1:${port}`, '--api-tokens', tokens, '--no-store', '--log-level', 'warn']);
    const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const view = await waitFor(`the API on ${port} (stderr: ${daemon.stderr()})`, async () => {
      try {
        return await get('/api/v1/domains/login.flux-bank.example');
      } catch {
        return undefined;
      }
    });
    expect(view.status).toBe(200);
    expect(view.body.history).toEqual([
      { ts: now - 30, verdict: 'suspicious', flux: 'single', score: 40 },
      { ts: now - 29, verdict: 'fast-flux', flux: 'single', score: 92 },
    ]);
    expect((view.body.verdict as { score: number }).score).toBe(92);
    const pdns = view.body.passive_dns as { type: string; data: string; count: number; ttl: number }[];
    expect(pdns.map((t) => t.data).sort()).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5']);
    expect(pdns.every((t) => t.type === 'A' && t.count === 1 && t.ttl === 30)).toBe(true);
    expect((await get('/api/v1/domains/never-seen.example')).status).toBe(404);
    // Each view read the cluster three times (history, passive DNS, sighting), none failed.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const reads = (result: string): number => Number(new RegExp(`^fluxhound_store_cluster_reads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(reads('ok')).toBeGreaterThanOrEqual(6);
    expect(reads('error')).toBe(0);

    // `fluxhound show` reads the same rows from the cluster.
    const shown = await fluxhound(['show', '--cluster', cluster.shards[0]!.url, '-c', config, '--json', 'login.flux-bank.example']);
    expect(shown.stderr).toBe('');
    const report = JSON.parse(shown.stdout) as { history: unknown[]; passive_dns: unknown[]; sighting: { queries: number } };
    expect(report.history).toEqual(view.body.history);
    expect(report.passive_dns).toHaveLength(6);
    expect(report.sighting.queries).toBe(6);
    const down = await fluxhound(['show', '--cluster', 'http://127.0.0.1:1', '-c', config, 'login.flux-bank.example']);
    expect([down.code, down.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(down.stderr).toMatch(/show: cannot read the cluster at http:\/\/127\.0\.0\.1:1/);
  });

  it('report --cluster prints what report --store prints for the same day written to each (JSON, CSV, HTML)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-cluster-report-'));
    const file = join(dir, 'state.db');
    seedStore(file).close();
    const url = cluster.shards[0]!.url;
    const store = await ClickHouseStore.open({ url, database: 'fluxhound', cluster: cluster.name, node: 'resolver-1' });
    await seedAsync(store);
    await store.close();
    const config = join(dir, 'fluxhound.yaml');
    writeFileSync(config, ['customers:', '  - id: acme', '    name: ACME Ltd', '    networks: [192.0.2.0/24]', 'cluster:', `  name: ${cluster.name}`, ''].join('\n'));
    const day = ['report', '--customer', 'acme', '--since', '2026-11-30', '--until', '2026-12-01T00:00:00Z', '-c', config];
    // The report's generation time aside (each run has its own), the two are the same text.
    const same = (text: string): string => text.replace(/20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\dZ(?=["<,\n ]|$)/g, (t) => (t.startsWith('2026-11-30') || t.startsWith('2026-12-01') ? t : 'NOW'))
      .replace(/Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'Generated NOW');
    for (const format of ['json', 'csv', 'html']) {
      const [fromFile, fromCluster] = await Promise.all([fluxhound([...day, '--format', format, '--store', file]), fluxhound([...day, '--format', format, '--cluster', url])]);
      expect([fromCluster.code, fromCluster.stderr]).toEqual([0, '']);
      expect(fromFile.code).toBe(0);
      expect(same(fromCluster.stdout)).toBe(same(fromFile.stdout));
      if (format === 'json') expect((JSON.parse(fromCluster.stdout) as { totals: { blocked_names: number } }).totals.blocked_names).toBe(3);
    }
  }, 60_000);

  it("a serve --cluster daemon without a store sends its query log and its counts (drained by the console service itself), the last ones at stop", async () => {
    const config = defaultConfig();
    config.cluster.spoolDir = mkdtempSync(join(tmpdir(), 'fluxhound-console-spool-'));
    config.cluster.batchMs = 50;
    config.cluster.name = cluster.name;
    const daemon = quietDaemon(config, { factories: [clusterConsoleService], flags: { cluster: cluster.shards[0]!.url, node: 'console-1' } });
    await daemon.start();
    const t0 = 1_970_000_000;
    for (let i = 0; i < 5; i++) {
      daemon.context.logQuery(queryFixture({ ts: t0 + i, name: `q${i}.console.example`, customer: 'acme' }));
      daemon.context.queryStats.count(t0 + i, 'acme', i < 2 ? 'nxdomain' : 'pass');
    }
    await daemon.stop();
    const store = await ClickHouseStore.open({ url: cluster.shards[0]!.url, database: 'fluxhound', cluster: cluster.name });
    try {
      const page = await store.queryLog({ name: 'console.example' }, 100);
      expect(page.entries.map((e) => e.name)).toEqual(['q4.console.example', 'q3.console.example', 'q2.console.example', 'q1.console.example', 'q0.console.example']);
      const [acme] = await store.stats({ since: t0 - 20, until: t0 + 40, step: 60, customer: 'acme' });
      expect(acme).toMatchObject({ queries: 5, blocked: 2 });
      const [all] = await store.stats({ since: t0 - 20, until: t0 + 40, step: 60 });
      expect(all!.queries).toBe(5);
    } finally {
      await store.close();
    }
  });
});
