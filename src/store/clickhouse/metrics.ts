/**
 * The cluster writer's metrics, declared in a prom-client registry (serve's
 * one registry). Counts live in the writer (ClusterWriter.stats, plain
 * numbers on its hot path) and are read when /metrics is scraped; insert
 * latency is a histogram the writer feeds through onInsertSeconds.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterWriterState, ClusterWriterStats } from './writer.js';

export interface ClusterWriterReadings {
  stats(): ClusterWriterStats | null;
  state(): ClusterWriterState | null;
}

/** Which writer's families: their name prefix, the counter of rows handed to it, and the rows' noun in help texts. */
export interface ClusterWriterKind {
  prefix: string;
  handed: string;
  rows: string;
}

/** The sensor's observations: fluxhound_cluster_*. */
export const OBSERVATION_WRITER: ClusterWriterKind = { prefix: 'fluxhound_cluster', handed: 'fluxhound_cluster_observations_total', rows: 'Observation' };

/**
 * Declares the families; returns the histogram's observer for ClusterWriterOptions.onInsertSeconds. The
 * console's writers (query log, stats) declare the same families under their own prefix.
 */
export function clusterWriterMetrics(registry: Registry, r: ClusterWriterReadings, kind: ClusterWriterKind = OBSERVATION_WRITER): (seconds: number) => void {
  const p = kind.prefix;
  const counter = (name: string, help: string, read: (s: ClusterWriterStats) => number): void => {
    registry.removeSingleMetric(name);
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const s = r.stats();
        if (s !== null) this.inc(read(s));
      },
    });
  };
  const gauge = (name: string, help: string, read: (s: ClusterWriterState) => number): void => {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = r.state();
        this.set(s === null ? 0 : read(s));
      },
    });
  };
  counter(kind.handed, `${kind.rows} rows handed to the cluster writer.`, (s) => s.observed);
  counter(`${p}_rows_written_total`, `${kind.rows} rows the cluster took (replayed ones included).`, (s) => s.rowsWritten);
  counter(`${p}_batches_written_total`, 'Inserts the cluster took.', (s) => s.batchesWritten);
  counter(`${p}_insert_failures_total`, 'Inserts that failed (cluster unreachable, a shard down); their batch went to the spool.', (s) => s.insertFailures);
  counter(`${p}_spooled_batches_total`, 'Batches written to the on-disk spool.', (s) => s.spooledBatches);
  counter(`${p}_replayed_batches_total`, 'Spooled batches inserted later, in order.', (s) => s.replayedBatches);
  counter(`${p}_replayed_rows_total`, 'Rows of spooled batches inserted later.', (s) => s.replayedRows);
  counter(`${p}_dropped_rows_total`, 'Rows lost: the oldest spooled batches dropped for room, and new batches dropped while memory and disk were both behind.', (s) => s.droppedRows + s.spoolDroppedRows);
  counter(`${p}_dropped_batches_total`, `Batches lost (see ${p}_dropped_rows_total).`, (s) => s.droppedBatches + s.spoolDroppedBatches);
  counter(`${p}_torn_batches_total`, 'Spool files skipped because they failed their check (a crash mid-write, disk trouble).', (s) => s.tornBatches);
  gauge(`${p}_up`, '1 while the cluster takes inserts, 0 while they fail and batches are spooled.', (s) => (s.up ? 1 : 0));
  gauge(`${p}_pending_rows`, 'Rows waiting in memory for their insert.', (s) => s.pendingRows);
  gauge(`${p}_spool_bytes`, 'Bytes in the on-disk spool.', (s) => s.spoolBytes);
  gauge(`${p}_spool_batches`, 'Batches in the on-disk spool, waiting to be replayed.', (s) => s.spoolBatches);
  registry.removeSingleMetric(`${p}_insert_seconds`);
  const latency = new Histogram({
    name: `${p}_insert_seconds`,
    help: 'Duration of each insert the cluster took.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return (seconds) => latency.observe(seconds);
}
