/**
 * How many observations per second one sensor gets into a ClickHouse
 * cluster: two clickhouse-server shards on 127.0.0.1 (test/support, as the
 * proof tests start them), `cluster init`'s schema on both, and one
 * ClusterWriter (the sensor's, with the bundled ASN and country data)
 * fed a generated corpus of resolver answers as fast as it takes them. The
 * clock runs from the first observation to close() (every batch inserted,
 * synchronously on both shards: insert_distributed_sync); the run fails
 * unless the cluster then holds every observation exactly once (FINAL).
 * Median over runs. Everything shares the machine: the sensor, both shards
 * and their materialized views. `node dist/bench/cluster-ingest.js` runs it
 * alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@clickhouse/client';
import { defaultConfig } from '../src/config/schema.js';
import { Prng } from '../src/corpus/prng.js';
import { createEnricher } from '../src/enrich/index.js';
import { emptyObservation, type DnsObservation } from '../src/model/observation.js';
import { initCluster } from '../src/store/clickhouse/init.js';
import { clusterSettings } from '../src/store/clickhouse/options.js';
import { startSensor } from '../src/store/clickhouse/sensor.js';
import { clickhouseServer, startClickHouseCluster } from '../test/support/clickhouse.js';

export interface ClusterIngestOptions {
  /** Observations per run. */
  observations: number;
  runs: number;
  /** Rows per insert (cluster.batchRows). */
  batchRows: number;
}

export const DEFAULT_CLUSTER_INGEST: ClusterIngestOptions = { observations: 300_000, runs: 3, batchRows: 20_000 };

/** A resolver's answers: 20,000 registered domains (Zipf-ish), one to four A records, TTL 60 to 3600. */
function corpus(n: number, seed = 18): DnsObservation[] {
  const rng = new Prng(seed);
  const out: DnsObservation[] = [];
  const t0 = Date.UTC(2026, 0, 1) / 1000;
  for (let i = 0; i < n; i++) {
    const domain = Math.floor(20_000 * rng.next() ** 3);
    const o = emptyObservation(t0 + i / 1000, `${['www', 'api', 'cdn', 'mail'][rng.int(4)]}.site${domain}.com`, 'A');
    o.rcode = 'NOERROR';
    o.client = `10.${rng.int(16)}.${rng.int(256)}.${rng.range(1, 254)}`;
    const ttl = [60, 300, 600, 3600][rng.int(4)]!;
    for (let k = rng.range(1, 4); k > 0; k--) o.answers.push({ name: o.qname, type: 'A', data: `${rng.range(1, 223)}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`, ttl });
    out.push(o);
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchClusterIngest(log: (line: string) => void, options: ClusterIngestOptions = DEFAULT_CLUSTER_INGEST): Promise<{ lines: string[]; failures: string[] }> {
  const lines: string[] = [];
  const failures: string[] = [];
  if (clickhouseServer.path === null) {
    failures.push(`cluster ingest: ${clickhouseServer.missing ?? 'clickhouse-server not found'}`);
    return { lines, failures };
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-cluster-'));
  const cluster = await startClickHouseCluster({ shards: 2 });
  try {
    const config = defaultConfig();
    const { database, name, bucket } = config.cluster;
    await initCluster({ urls: cluster.shards.map((s) => s.url), database, cluster: name, bucketSeconds: bucket });
    const enricher = await createEnricher({});
    const observations = corpus(options.observations);
    const rates: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const node = `bench-${run}`;
      const settings = { ...clusterSettings(config, { cluster: cluster.shards[0]!.url, node }, dir)!, batchRows: options.batchRows, spoolDir: join(dir, node) };
      const sensor = await startSensor(settings, enricher);
      const started = process.hrtime.bigint();
      for (let i = 0; i < observations.length; i++) {
        sensor.writer.observe(observations[i]!);
        // As fast as it takes them: a sensor at its limit, not one whose queue spills to the spool.
        if (i % 1000 === 999) while (sensor.writer.state().pendingRows > 2 * options.batchRows) await new Promise((r) => setTimeout(r, 1));
      }
      const left = await sensor.writer.close();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await sensor.client.close();
      const stats = sensor.writer.stats;
      if (left.rowsSpooled > 0 || stats.insertFailures > 0 || stats.spooledBatches > 0) failures.push(`cluster ingest run ${run}: ${stats.insertFailures} failed inserts, ${left.rowsSpooled} rows left in the spool`);
      const q = createClient({ url: cluster.shards[1]!.url, database });
      const [row] = await (await q.query({ query: `SELECT count() AS n FROM observations FINAL WHERE sensor = '${node}'`, format: 'JSONEachRow' })).json<{ n: string }>();
      await q.close();
      if (Number(row?.n) !== observations.length) failures.push(`cluster ingest run ${run}: the cluster holds ${row?.n} of ${observations.length} observations`);
      const rate = observations.length / seconds;
      rates.push(rate);
      log(`cluster ingest run ${run + 1}/${options.runs}: ${observations.length} observations in ${seconds.toFixed(2)} s (${Math.round(rate)}/s, ${stats.batchesWritten} inserts)`);
    }
    lines.push(
      `cluster ingest (one sensor → 2 local clickhouse-server shards, ${options.batchRows} rows per insert, enriched, insert_distributed_sync): ` +
        `median ${Math.round(median(rates)).toLocaleString('en-US')} observations/s over ${options.runs} runs of ${options.observations.toLocaleString('en-US')} ` +
        `(runs: ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')})`,
    );
    lines.push(await onDisk(cluster.shards.map((s) => s.url), database));
  } finally {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { lines, failures };
}

/**
 * What the rows cost on disk, over every shard once merges settle: bytes per observation row
 * compressed and uncompressed (observations_local, active parts), and how the rows split over the shards.
 */
async function onDisk(urls: readonly string[], database: string): Promise<string> {
  let rows = 0;
  let compressed = 0;
  let uncompressed = 0;
  const perShard: number[] = [];
  for (const url of urls) {
    const c = createClient({ url });
    await c.command({ query: `OPTIMIZE TABLE ${database}.observations_local FINAL` });
    const [r] = await (
      await c.query({
        query: `SELECT sum(rows) AS rows, sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed FROM system.parts WHERE database = '${database}' AND table = 'observations_local' AND active`,
        format: 'JSONEachRow',
      })
    ).json<{ rows: string; compressed: string; uncompressed: string }>();
    await c.close();
    rows += Number(r?.rows ?? 0);
    compressed += Number(r?.compressed ?? 0);
    uncompressed += Number(r?.uncompressed ?? 0);
    perShard.push(Number(r?.rows ?? 0));
  }
  const per = (bytes: number) => (rows === 0 ? 0 : bytes / rows).toFixed(0);
  return `cluster ingest: on disk ${per(compressed)} bytes per observation row compressed (${per(uncompressed)} uncompressed), ${rows.toLocaleString('en-US')} rows over ${urls.length} shards (${perShard.map((n) => n.toLocaleString('en-US')).join(' + ')})`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchClusterIngest((line) => process.stderr.write(`${line}\n`));
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  for (const failure of result.failures) process.stdout.write(`FAILED: ${failure}\n`);
  process.exitCode = result.failures.length > 0 ? 1 : 0;
}
