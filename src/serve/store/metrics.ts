/**
 * The store's metrics, declared in the daemon's registry. Values live in the
 * service and its recorder; each family reads them when scraped. Rows count
 * as written only once their batch committed; rows of failed batches (a
 * full disk, the writer thread behind) are counted apart.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../scraped.js';
import type { RecorderStats } from '../../store/recorder.js';
import type { StoreCounts } from '../../store/store.js';

export interface StoreReadings {
  sizeBytes(): number;
  counts(): StoreCounts;
  pending(): number;
  recorder(): RecorderStats | null;
  flushSeconds(): number;
  droppedBatches(): number;
  sweptRows(): number;
  restoredVerdicts(): number;
  /** 1 while the last batch failed. */
  failing(): number;
  /** Query-log entries waiting for the next flush. */
  pendingQueries(): number;
  queryLogSweptRows(): number;
  /** Duration of the last query-log sweep. */
  queryLogSweepSeconds(): number;
}

type Read = (r: StoreReadings) => number;

export function storeMetrics(registry: Registry, r: StoreReadings): void {
  const counter = (name: string, help: string, read: Read): void => scrapedCounter(registry, name, help, () => read(r));
  const gauge = (name: string, help: string, read: Read): void => scrapedGauge(registry, name, help, () => read(r));
  scrapedGauge(registry, 'fluxhound_store_size_bytes', 'Bytes of the store on disk (database and write-ahead log).', () => [[{ backend: 'sqlite' }, r.sizeBytes()]], ['backend']);
  scrapedGauge(
    registry,
    'fluxhound_store_rows',
    'Rows per table, refreshed every minute.',
    () => {
      const c = r.counts();
      return [
        [{ table: 'domains' }, c.domains],
        [{ table: 'verdicts' }, c.verdicts],
        [{ table: 'pdns' }, c.tuples],
        [{ table: 'networks' }, c.networks],
        [{ table: 'exposures' }, c.exposures],
        [{ table: 'fanouts' }, c.fanOuts],
      ];
    },
    ['table'],
  );
  const stat = (key: keyof RecorderStats): Read => (x) => x.recorder()?.[key] ?? 0;
  gauge('fluxhound_store_pending', 'Tuples and names waiting for the next flush.', (x) => x.pending());
  counter('fluxhound_store_flushes_total', 'Batches committed.', stat('flushes'));
  counter('fluxhound_store_tuples_written_total', 'Passive-DNS tuples in committed batches.', stat('tuplesWritten'));
  counter('fluxhound_store_verdicts_written_total', 'Verdict changes in committed batches.', stat('verdictsWritten'));
  counter('fluxhound_store_errors_total', 'Batches that failed (full disk, store size cap, writer thread behind); nothing of them was written.', stat('errors'));
  counter('fluxhound_store_tuples_failed_total', 'Passive-DNS tuples in failed batches (lost).', stat('tuplesFailed'));
  counter('fluxhound_store_verdicts_failed_total', 'Verdict changes in failed batches (sent again with the next batch).', stat('verdictsFailed'));
  gauge('fluxhound_store_write_failing', '1 while the last batch failed (GET /health answers 503), else 0.', (x) => x.failing());
  gauge('fluxhound_store_flush_seconds', 'Duration of the last committed batch write.', (x) => x.flushSeconds());
  counter('fluxhound_store_dropped_batches_total', 'Batches dropped because the writer thread was behind.', (x) => x.droppedBatches());
  counter('fluxhound_store_swept_rows_total', 'Rows removed by the retention sweep.', (x) => x.sweptRows());
  gauge('fluxhound_store_restored_verdicts', 'Flagged domains restored from the store at start.', (x) => x.restoredVerdicts());
  gauge('fluxhound_store_querylog_pending', 'Query-log entries waiting for the next flush.', (x) => x.pendingQueries());
  counter('fluxhound_store_querylog_written_total', 'Query-log rows in committed batches.', stat('queriesWritten'));
  counter('fluxhound_store_querylog_failed_total', 'Query-log rows in failed batches (lost).', stat('queriesFailed'));
  counter('fluxhound_store_querylog_dropped_total', 'Query-log entries dropped because serve.querylog.maxPending were already waiting.', stat('queriesDropped'));
  counter('fluxhound_store_querylog_swept_rows_total', 'Query-log rows and stats buckets removed by the query-log retention sweep.', (x) => x.queryLogSweptRows());
  counter('fluxhound_store_findings_written_total', 'Flow exposures and fan-out findings in committed batches.', stat('findingsWritten'));
  counter('fluxhound_store_findings_failed_total', 'Flow exposures and fan-out findings in failed batches (lost).', stat('findingsFailed'));
  counter('fluxhound_store_findings_dropped_total', 'Flow exposures and fan-out findings dropped because serve.querylog.maxPending were already waiting.', stat('findingsDropped'));
  gauge('fluxhound_store_querylog_sweep_seconds', 'Duration of the last query-log retention sweep (chunked; batches are written between chunks).', (x) => x.queryLogSweepSeconds());
}

/** The cluster-store service's reads of the cluster (each an HTTP request), by outcome. */
export function clusterStoreMetrics(registry: Registry, reads: () => { ok: number; failed: number }): void {
  scrapedCounter(
    registry,
    'fluxhound_store_cluster_reads_total',
    'Reads of the cluster store (passive DNS, verdict history, ...) by the API, reports and console, by result.',
    () => {
      const r = reads();
      return [
        [{ result: 'ok' }, r.ok],
        [{ result: 'error' }, r.failed],
      ];
    },
    ['result'],
  );
}
