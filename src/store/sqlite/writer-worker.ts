/**
 * The store's writer thread: batches arrive by message and are written here,
 * off the event loop that answers DNS queries (better-sqlite3 is synchronous,
 * and a commit or a WAL checkpoint can take milliseconds).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StoreCounts } from '../store.js';
import { fromColumns, type BatchColumns } from './batch-columns.js';
import { SqliteStore } from './sqlite-store.js';

export type WriterRequest =
  | { type: 'write'; batch: BatchColumns }
  | { type: 'sweep'; before: number }
  | { type: 'sweepQueryLog'; before: number }
  | { type: 'count' }
  | { type: 'close' };
export type WriterReply =
  | { type: 'written'; ms: number; tuples: number; verdicts: number; queries: number }
  | { type: 'swept'; deleted: number }
  | { type: 'querylogSwept'; deleted: number; ms: number }
  | { type: 'counted'; counts: StoreCounts }
  | { type: 'error'; request: WriterRequest['type']; message: string }
  | { type: 'closed' };

const port = parentPort;
if (port !== null) {
  const { path, maxBytes } = workerData as { path: string; maxBytes: number | null };
  const store = new SqliteStore(path, maxBytes);
  /**
   * A query-log sweep in progress: one chunk per turn of this thread's loop,
   * so batches that arrive meanwhile are written between chunks (a sweep of
   * millions of rows takes seconds; the batch queue holds only a few).
   */
  let sweeping: { before: number; deleted: number; started: number } | null = null;
  let closed = false;
  const sweepStep = (): void => {
    if (sweeping === null || closed) return;
    try {
      const n = store.sweepQueryLogChunk(sweeping.before);
      if (n > 0) {
        sweeping.deleted += n;
        setImmediate(sweepStep);
        return;
      }
      port.postMessage({ type: 'querylogSwept', deleted: sweeping.deleted, ms: performance.now() - sweeping.started } satisfies WriterReply);
    } catch (err) {
      port.postMessage({ type: 'error', request: 'sweepQueryLog', message: (err as Error).message } satisfies WriterReply);
    }
    sweeping = null;
  };
  port.on('message', (request: WriterRequest) => {
    try {
      if (request.type === 'write') {
        const started = performance.now();
        const batch = fromColumns(request.batch);
        store.write(batch);
        const ms = performance.now() - started;
        port.postMessage({ type: 'written', ms, tuples: batch.tuples.length, verdicts: batch.verdicts.length, queries: batch.queries.length } satisfies WriterReply);
      } else if (request.type === 'sweep') {
        port.postMessage({ type: 'swept', deleted: store.sweep(request.before) } satisfies WriterReply);
      } else if (request.type === 'sweepQueryLog') {
        if (sweeping !== null) sweeping.before = Math.max(sweeping.before, request.before);
        else {
          sweeping = { before: request.before, deleted: 0, started: performance.now() };
          setImmediate(sweepStep);
        }
      } else if (request.type === 'count') {
        port.postMessage({ type: 'counted', counts: store.counts() } satisfies WriterReply);
      } else {
        closed = true;
        store.close();
        port.postMessage({ type: 'closed' } satisfies WriterReply);
      }
    } catch (err) {
      port.postMessage({ type: 'error', request: request.type, message: (err as Error).message } satisfies WriterReply);
    }
  });
}
