/**
 * `analyze --cluster URL`: every observation read is also written, enriched,
 * to the cluster (store/clickhouse/writer.ts). Opened before the input is
 * read, so a cluster without fluxhound's tables is exit 2 before any work;
 * at the end the writer is drained: what the cluster did not take waits in
 * the spool, and the summary says how many rows went where.
 */
import type { Config } from '../config/schema.js';
import type { Enricher } from '../enrich/enricher.js';
import type { DnsObservation } from '../model/observation.js';
import { clusterSettings } from '../store/clickhouse/options.js';
import { redactedUrl } from '../store/clickhouse/url.js';

export interface ClusterSink {
  observe(o: DnsObservation): void;
  /** Drains the writer; the summary line. */
  finish(): Promise<ClusterSinkSummary>;
}

export interface ClusterSinkSummary {
  rowsWritten: number;
  rowsSpooled: number;
  batchesSpooled: number;
  /** Rows lost (a full spool, memory and disk both behind). */
  rowsDropped: number;
  line: string;
}

/** Null without --cluster (and cluster.url). */
export async function clusterSink(config: Config, flags: { cluster?: string; node?: string }, enricher: Enricher): Promise<ClusterSink | null> {
  const settings = clusterSettings(config, flags, process.cwd());
  if (settings === null) return null;
  // Imported only for a cluster run: the ClickHouse client is no part of every other start.
  const { startSensor } = await import('../store/clickhouse/sensor.js');
  const sensor = await startSensor(settings, enricher);
  if (sensor.unchecked !== null) process.stderr.write(`fluxhound: cluster: ${redactedUrl(settings.url)} did not answer (${sensor.unchecked}); spooling to ${settings.spoolDir}\n`);
  const { writer } = sensor;
  return {
    observe: (o) => writer.observe(o),
    async finish() {
      const left = await writer.close();
      await sensor.client.close();
      const s = writer.stats;
      const rowsDropped = s.droppedRows + s.spoolDroppedRows;
      const parts = [`cluster: ${s.rowsWritten} rows written to ${redactedUrl(settings.url)} as ${settings.node}`];
      if (s.replayedRows > 0) parts.push(`${s.replayedRows} of them replayed from the spool`);
      if (left.rowsSpooled > 0) parts.push(`${left.rowsSpooled} rows spooled in ${settings.spoolDir} (the next run replays them)`);
      if (rowsDropped > 0) parts.push(`${rowsDropped} rows dropped`);
      return { rowsWritten: s.rowsWritten, rowsSpooled: left.rowsSpooled, batchesSpooled: left.batchesSpooled, rowsDropped, line: parts.join('; ') };
    },
  };
}
