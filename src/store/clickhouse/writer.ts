/**
 * The sensor's ClusterWriter: observations in, enriched rows out to the
 * cluster's Distributed `observations` table, in batches of `batchRows` rows
 * or `batchMs` milliseconds. Each row carries its token (sensor, batch, seq)
 * so that a batch sent twice (its insert failed after one shard took its
 * part) is the same rows twice, which the ReplacingMergeTree folds and
 * deduplicated reads (FINAL, LIMIT 1 BY sensor, batch, seq) count once.
 *
 * One loop sends batches strictly in batch-number order, the smallest first,
 * whether it waits in memory or in the on-disk spool: when an insert fails
 * the batch goes to the spool, the loop waits (1 s, doubling to 30 s) and
 * tries the oldest spooled batch again; meanwhile new batches are spooled
 * behind it, so order holds. Memory is bounded: batches waiting in memory
 * beyond `maxMemoryBytes` go to the spool (oldest first); if the disk cannot
 * keep up either (another `maxMemoryBytes` waiting for it) a new batch is
 * dropped and counted. observe() never waits: it is on the forwarder's path.
 *
 * The same writer carries a node's other rows to their own tables (the query
 * log, the per-minute stats: serve/cluster/console.ts), each with its own
 * spool directory and batch numbers: push() takes a row built from its token.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Enricher } from '../../enrich/enricher.js';
import type { DnsObservation } from '../../model/observation.js';
import { failureReason } from './connect.js';
import { observationRow, type RowToken } from './rows.js';
import { OBSERVATION_COLUMNS, quoteIdentifier } from './schema.js';
import { BatchNumbers, Spool } from './spool.js';

export interface ClusterWriterOptions {
  client: ClickHouseClient;
  database: string;
  /** This node's name (cluster.node): the first part of every row's token. */
  sensor: string;
  /** What observe() enriches addresses with; a writer of other rows (push()) needs none. */
  enricher?: Enricher;
  /** The Distributed table the rows go to, and the columns its insert names. Default: observations. */
  table?: string;
  columns?: readonly string[];
  /** Rows per insert (cluster.batchRows). */
  batchRows: number;
  /** Milliseconds a batch waits to fill (cluster.batchMs). */
  batchMs: number;
  /** Spool directory (cluster.spoolDir) and its size cap (cluster.spoolBytes). */
  spoolDir: string;
  spoolBytes: number;
  /** Bytes of batches held in memory before they go to the spool. Default 64 MiB. */
  maxMemoryBytes?: number;
  /** First wait after a failed insert; doubles up to maxRetryMs. Defaults 1000 and 30000. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Seconds each successful insert took (the metrics' histogram). */
  onInsertSeconds?: (seconds: number) => void;
  /** Each batch the cluster took, in the order it took them (replayed: it came from the spool). */
  onWritten?: (batch: number, rows: number, replayed: boolean) => void;
  /** The cluster stopped taking inserts (with the reason) or took them again: logged once per change. */
  onState?: (up: boolean, reason: string | null) => void;
}

export interface ClusterWriterStats {
  /** Rows handed to observe() or push(). */
  observed: number;
  /** Rows and batches inserted (replayed ones included). */
  rowsWritten: number;
  batchesWritten: number;
  /** Inserts that failed (the batch was spooled, or kept spooled). */
  insertFailures: number;
  /** Batches written to the spool (a batch spooled, replayed and failing again counts once). */
  spooledBatches: number;
  /** Spooled batches (and their rows) inserted later. */
  replayedBatches: number;
  replayedRows: number;
  /** Batches and rows dropped because memory and the disk were both behind (the newest, never spooled). */
  droppedBatches: number;
  droppedRows: number;
  /** Rows dropped from a full spool (oldest first) and spool files that failed their check. */
  spoolDroppedBatches: number;
  spoolDroppedRows: number;
  tornBatches: number;
}

/** What the writer holds now; see ClusterWriter.state(). */
export interface ClusterWriterState {
  /** False while inserts fail (batches are being spooled). */
  up: boolean;
  lastError: string | null;
  /** Rows waiting in memory (the batch being filled included). */
  pendingRows: number;
  pendingBytes: number;
  spoolBatches: number;
  spoolBytes: number;
}

interface MemoryBatch {
  batch: number;
  rows: number;
  body: Buffer;
}

const DEFAULT_MEMORY = 64 * 1024 * 1024;

export class ClusterWriter {
  readonly stats: ClusterWriterStats = {
    observed: 0,
    rowsWritten: 0,
    batchesWritten: 0,
    insertFailures: 0,
    spooledBatches: 0,
    replayedBatches: 0,
    replayedRows: 0,
    droppedBatches: 0,
    droppedRows: 0,
    spoolDroppedBatches: 0,
    spoolDroppedRows: 0,
    tornBatches: 0,
  };
  private readonly spool: Spool;
  private readonly numbers: BatchNumbers;
  private readonly insertSql: string;
  private readonly maxMemory: number;
  /** The batch being filled: its number (taken at its first row) and its rows as JSON lines. */
  private current: string[] = [];
  private currentBatch = -1;
  private currentBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Sealed batches waiting to be inserted, oldest first. */
  private readonly waiting: MemoryBatch[] = [];
  private waitingBytes = 0;
  /** Batches handed to the spool whose write has not finished (still in memory). */
  private spilling = 0;
  private spillingBytes = 0;
  private spoolChain: Promise<unknown> = Promise.resolve();
  private up = true;
  private lastError: string | null = null;
  private retryDelay: number;
  private retryAt = 0;
  private closing = false;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  private constructor(private readonly options: ClusterWriterOptions) {
    this.spool = Spool.open(options.spoolDir, options.spoolBytes);
    this.numbers = new BatchNumbers(options.spoolDir, this.spool.highest());
    const table = quoteIdentifier(options.table ?? 'observations');
    this.insertSql = `INSERT INTO ${quoteIdentifier(options.database)}.${table} (${(options.columns ?? OBSERVATION_COLUMNS).join(', ')}) FORMAT JSONEachRow`;
    this.maxMemory = options.maxMemoryBytes ?? DEFAULT_MEMORY;
    this.retryDelay = options.retryMs ?? 1000;
    this.loop = this.run();
  }

  /** Opens the spool (what a previous run left is replayed first) and starts sending. */
  static start(options: ClusterWriterOptions): ClusterWriter {
    return new ClusterWriter(options);
  }

  /** Adds one observation to the batch being filled. Never waits, never throws for the cluster's sake. */
  observe(o: DnsObservation): void {
    const enricher = this.options.enricher;
    if (enricher === undefined) throw new Error('cluster: this writer has no enricher for observations');
    this.push((token) => observationRow(o, enricher, token));
  }

  /** Adds one row, built from its token (this node, the batch, its place), to the batch being filled. Never waits. */
  push(row: (token: RowToken) => object): void {
    if (this.closing) return;
    this.stats.observed++;
    if (this.current.length === 0) {
      this.currentBatch = this.numbers.take();
      this.timer = setTimeout(() => this.seal(), this.options.batchMs);
      this.timer.unref();
    }
    const line = JSON.stringify(row({ sensor: this.options.sensor, batch: this.currentBatch, seq: this.current.length }));
    this.current.push(line);
    this.currentBytes += line.length + 1;
    if (this.current.length >= this.options.batchRows) this.seal();
  }

  state(): ClusterWriterState {
    return {
      up: this.up,
      lastError: this.lastError,
      pendingRows: this.current.length + this.waiting.reduce((n, b) => n + b.rows, 0),
      pendingBytes: this.currentBytes + this.waitingBytes + this.spillingBytes,
      spoolBatches: this.spool.size,
      spoolBytes: this.spool.bytes,
    };
  }

  /**
   * Sends what is filled and stops: returns once every batch is in the cluster, or (while the cluster refuses
   * inserts) in the spool, where the next run replays it. Rows observed after close() are ignored.
   */
  async close(): Promise<{ rowsSpooled: number; batchesSpooled: number }> {
    this.seal();
    this.closing = true;
    this.signal();
    await this.loop;
    await this.spoolChain;
    this.syncSpoolCounts();
    return { rowsSpooled: this.spool.rowsHeld(), batchesSpooled: this.spool.size };
  }

  /** Seals the batch being filled: it joins the queue (or the spool, when memory is full). */
  private seal(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.current.length === 0) return;
    const batch: MemoryBatch = { batch: this.currentBatch, rows: this.current.length, body: Buffer.from(this.current.join('\n') + '\n') };
    this.current = [];
    this.currentBytes = 0;
    if (this.spillingBytes > this.maxMemory) {
      // Memory and disk both behind: drop the newest, counted (observe() must not wait).
      this.stats.droppedBatches++;
      this.stats.droppedRows += batch.rows;
      return;
    }
    this.waiting.push(batch);
    this.waitingBytes += batch.body.length;
    while (this.waitingBytes > this.maxMemory && this.waiting.length > 0) this.spill(this.waiting.shift()!);
    this.signal();
  }

  /** Hands a batch to the spool (in order, one write at a time); it stays in memory until written. */
  private spill(batch: MemoryBatch, fromWaiting = true): void {
    if (fromWaiting) this.waitingBytes -= batch.body.length;
    this.spilling++;
    this.spillingBytes += batch.body.length;
    this.spoolChain = this.spoolChain
      .then(() => this.spool.add(batch.batch, batch.rows, batch.body))
      .then(
        (taken) => {
          if (taken) this.stats.spooledBatches++;
        },
        (err: unknown) => {
          // The disk refused (full, gone): the batch is lost, counted. The cluster's state is not the disk's.
          this.stats.droppedBatches++;
          this.stats.droppedRows += batch.rows;
          this.lastError = `spool: ${failureReason(err)}`;
        },
      )
      .finally(() => {
        this.spilling--;
        this.spillingBytes -= batch.body.length;
        this.syncSpoolCounts();
      });
  }

  /** The one sending loop: the oldest batch (memory or spool) next, until closed and done. */
  private async run(): Promise<void> {
    for (;;) {
      // A spill under way may hold an older batch than any left in memory: let it land first.
      if (this.spilling > 0) await this.spoolChain;
      const spooled = this.spool.oldest();
      const memory = this.waiting[0] ?? null;
      if (spooled === null && memory === null) {
        if (this.closing) return;
        await this.idle(null);
        continue;
      }
      if (!this.up) {
        // Down: everything in memory goes to disk, then wait for the retry (or for close).
        while (this.waiting.length > 0) this.spill(this.waiting.shift()!);
        if (Date.now() < this.retryAt) {
          // Closing: what is left stays spooled for the next start; a retry already due is still tried.
          if (this.closing) return;
          await this.idle(this.retryAt);
          continue;
        }
      }
      if (spooled !== null && (memory === null || spooled.batch < memory.batch)) await this.replay(spooled);
      else await this.sendFromMemory();
    }
  }

  private async sendFromMemory(): Promise<void> {
    const batch = this.waiting.shift()!;
    this.waitingBytes -= batch.body.length;
    if (await this.insert(batch.body)) {
      this.stats.batchesWritten++;
      this.stats.rowsWritten += batch.rows;
      this.options.onWritten?.(batch.batch, batch.rows, false);
      return;
    }
    this.spill(batch, false);
  }

  private async replay(entry: { batch: number; rows: number; bytes: number }): Promise<void> {
    const read = await this.spool.read(entry);
    this.syncSpoolCounts();
    if (read === null) return;
    const ok = await this.insert(read.body);
    this.spool.release();
    if (!ok) return;
    await this.spool.remove(entry.batch);
    this.stats.batchesWritten++;
    this.stats.rowsWritten += read.rows;
    this.stats.replayedBatches++;
    this.stats.replayedRows += read.rows;
    this.options.onWritten?.(entry.batch, read.rows, true);
  }

  /** One insert; true when ClickHouse took the whole batch. */
  private async insert(body: Buffer): Promise<boolean> {
    const started = process.hrtime.bigint();
    try {
      const result = await this.options.client.exec({ query: this.insertSql, values: Readable.from([body], { objectMode: false }) });
      // The response body is empty for an insert; it must still be read for the connection to be reused.
      for await (const _ of result.stream) void _;
    } catch (err) {
      this.stats.insertFailures++;
      this.noteDown(failureReason(err));
      return false;
    }
    this.options.onInsertSeconds?.(Number(process.hrtime.bigint() - started) / 1e9);
    if (!this.up) {
      this.up = true;
      this.lastError = null;
      this.options.onState?.(true, null);
    }
    this.retryDelay = this.options.retryMs ?? 1000;
    return true;
  }

  private noteDown(reason: string): void {
    if (this.up) this.options.onState?.(false, reason);
    this.up = false;
    this.lastError = reason;
    this.retryAt = Date.now() + this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? 30_000);
  }

  /** Waits for a new batch, close(), or `until` (epoch ms). */
  private idle(until: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = until === null ? null : setTimeout(done, Math.max(0, until - Date.now()));
      const self = this;
      function done(): void {
        if (timer !== null) clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private signal(): void {
    this.wake?.();
  }

  private syncSpoolCounts(): void {
    this.stats.spoolDroppedBatches = this.spool.counts.droppedBatches;
    this.stats.spoolDroppedRows = this.spool.counts.droppedRows;
    this.stats.tornBatches = this.spool.counts.torn;
  }
}
