/**
 * Hands batches to the writer thread (writer-worker.ts). Bounded: with
 * `maxQueued` batches not yet written (a slow disk), further batches are
 * dropped and counted rather than piling up in memory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StoreBatch, StoreCounts } from '../store.js';
import { toColumns } from './batch-columns.js';
import type { WriterReply, WriterRequest } from './writer-worker.js';

export interface WriterEvents {
  onWritten(ms: number, tuples: number, verdicts: number, queries: number): void;
  onSwept(deleted: number): void;
  /** The query-log sweep (sweepQueryLog) deleted `deleted` rows in `ms`. */
  onQueryLogSwept?(deleted: number, ms: number): void;
  /** `request` is what failed ('write': that batch is lost; its fate comes in order with the others); undefined when the thread itself failed. */
  onError(message: string, request?: WriterRequest['type']): void;
  /** Row counts, after count(). */
  onCounted?(counts: StoreCounts): void;
}

const WORKER = new URL('./writer-worker.js', import.meta.url);

export class BackgroundWriter {
  private readonly worker: Worker;
  private queued = 0;
  dropped = 0;
  private closed: (() => void) | null = null;

  /** Null when the compiled worker is not there (running from TypeScript sources): write in-thread then. */
  static create(path: string, events: WriterEvents, maxQueued = 8, maxBytes: number | null = null): BackgroundWriter | null {
    return existsSync(fileURLToPath(WORKER)) ? new BackgroundWriter(path, events, maxQueued, maxBytes) : null;
  }

  private constructor(
    path: string,
    private readonly events: WriterEvents,
    private readonly maxQueued: number,
    maxBytes: number | null,
  ) {
    this.worker = new Worker(WORKER, { workerData: { path, maxBytes } });
    this.worker.on('message', (reply: WriterReply) => this.receive(reply));
    this.worker.on('error', (err) => events.onError(err.message));
    this.worker.on('exit', () => this.closed?.());
  }

  get pending(): number {
    return this.queued;
  }

  write(batch: StoreBatch): void {
    if (this.queued >= this.maxQueued) {
      this.dropped++;
      throw new Error(`writer thread behind (${this.queued} batches queued); batch dropped`);
    }
    this.queued++;
    this.post({ type: 'write', batch: toColumns(batch) });
  }

  sweep(before: number): void {
    this.post({ type: 'sweep', before });
  }

  /** Query-log rows and stats buckets older than `before` go (in chunks, between batches); the count comes by onQueryLogSwept. */
  sweepQueryLog(before: number): void {
    this.post({ type: 'sweepQueryLog', before });
  }

  /** Counts rows in the writer thread (count(*) reads whole tables: milliseconds on a big store); the answer comes by onCounted. */
  count(): void {
    this.post({ type: 'count' });
  }

  /** Writes what is queued, closes the database and ends the thread. */
  async close(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.closed = resolve));
    this.post({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 30_000);
    await done;
    clearTimeout(timer);
  }

  private post(request: WriterRequest): void {
    this.worker.postMessage(request);
  }

  private receive(reply: WriterReply): void {
    switch (reply.type) {
      case 'written':
        this.queued--;
        this.events.onWritten(reply.ms, reply.tuples, reply.verdicts, reply.queries);
        break;
      case 'swept':
        this.events.onSwept(reply.deleted);
        break;
      case 'querylogSwept':
        this.events.onQueryLogSwept?.(reply.deleted, reply.ms);
        break;
      case 'counted':
        this.events.onCounted?.(reply.counts);
        break;
      case 'error':
        if (reply.request === 'write') this.queued--;
        this.events.onError(reply.message, reply.request);
        break;
      case 'closed':
        void this.worker.terminate();
        break;
    }
  }
}
