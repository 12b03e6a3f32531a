/**
 * The store's writer thread: batches arrive by message and are written here,
 * off the event loop that answers DNS queries (better-sqlite3 is synchronous,
 * and a commit or a WAL checkpoint can take milliseconds).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StoreCounts } from '../store.js';
import { fromColumns, type BatchColumns } from './batch-columns.js';
import { SqliteStore } from './sqlite-store.js';

export type WriterRequest = { type: 'write'; batch: BatchColumns } | { type: 'sweep'; before: number } | { type: 'count' } | { type: 'close' };
export type WriterReply =
  | { type: 'written'; ms: number; tuples: number; verdicts: number }
  | { type: 'swept'; deleted: number }
  | { type: 'counted'; counts: StoreCounts }
  | { type: 'error'; request: WriterRequest['type']; message: string }
  | { type: 'closed' };

const port = parentPort;
if (port !== null) {
  const { path, maxBytes } = workerData as { path: string; maxBytes: number | null };
  const store = new SqliteStore(path, maxBytes);
  port.on('message', (request: WriterRequest) => {
    try {
      if (request.type === 'write') {
        const started = performance.now();
        const batch = fromColumns(request.batch);
        store.write(batch);
        port.postMessage({ type: 'written', ms: performance.now() - started, tuples: batch.tuples.length, verdicts: batch.verdicts.length } satisfies WriterReply);
      } else if (request.type === 'sweep') {
        port.postMessage({ type: 'swept', deleted: store.sweep(request.before) } satisfies WriterReply);
      } else if (request.type === 'count') {
        port.postMessage({ type: 'counted', counts: store.counts() } satisfies WriterReply);
      } else {
        store.close();
        port.postMessage({ type: 'closed' } satisfies WriterReply);
      }
    } catch (err) {
      port.postMessage({ type: 'error', request: request.type, message: (err as Error).message } satisfies WriterReply);
    }
  });
}
