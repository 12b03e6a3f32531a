/**
 * The NDJSON sink: every query-log entry appended to a file as one JSON
 * line. Entries wait in a bounded queue and are written in batches (one
 * write of up to BATCH lines at a time, on setImmediate), so a query never
 * waits for the disk. reopen() (SIGHUP) closes the file after the batch in
 * flight and opens the path again: logrotate moves the file, sends SIGHUP,
 * and the next line starts the new file. The file is created 0640.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { QueryLogEntry } from '../../model/query-log.js';
import type { FieldSet } from './fields.js';
import { ndjsonLine } from './fields.js';
import { EntryQueue, sinkStats, type SinkStats } from './queue.js';

/** Lines per write. */
const BATCH = 4096;

export class NdjsonSink {
  readonly stats: SinkStats = sinkStats();
  reopened = 0;
  private readonly queue: EntryQueue;
  private file: FileHandle | null = null;
  private busy = false;
  private scheduled = false;
  private reopenTo: string | null = null;
  private idle: (() => void)[] = [];
  /** The batch's bytes; reused (one write is in flight at a time). */
  private scratch = Buffer.allocUnsafe(1 << 20);

  constructor(
    private path: string,
    maxPending: number,
    public fields: FieldSet,
    private readonly log: Logger,
  ) {
    this.queue = new EntryQueue(maxPending, this.stats);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Opens (creates) the file for appending; rejects with a one-line reason. */
  async start(): Promise<void> {
    this.file = await openAppend(this.path);
  }

  push(entry: QueryLogEntry): void {
    if (this.queue.push(entry)) this.schedule();
  }

  /** SIGHUP: open `path` (the same one after logrotate moved it) once the batch in flight is written. */
  reopen(path: string): void {
    this.reopenTo = path;
    this.schedule();
  }

  /** Writes what is queued, then closes the file. */
  async stop(): Promise<void> {
    await this.drained();
    await this.file?.close().catch(() => undefined);
    this.file = null;
  }

  /** Resolves once the queue is empty and no write is in flight. */
  drained(): Promise<void> {
    if (!this.busy && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.writeBatch();
    });
  }

  private async writeBatch(): Promise<void> {
    this.busy = true;
    try {
      if (this.reopenTo !== null) await this.reopenNow(this.reopenTo);
      const batch = this.queue.take(BATCH);
      if (batch.length > 0 && this.file !== null) {
        // Each line straight into one reused buffer: a string of 4096 concatenations costs more to flatten than to make.
        let used = 0;
        for (const entry of batch) {
          const line = ndjsonLine(entry, this.fields);
          if (used + line.length * 3 > this.scratch.length) {
            const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, used + line.length * 3));
            this.scratch.copy(bigger, 0, 0, used);
            this.scratch = bigger;
          }
          used += this.scratch.write(line, used, 'utf8');
        }
        try {
          await writeAll(this.file, this.scratch.subarray(0, used));
          this.stats.written += batch.length;
        } catch (err) {
          this.stats.errors++;
          this.log.error({ service: 'querylog', file: this.path, lost: batch.length }, `querylog: cannot write ${this.path}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.busy = false;
    }
    if (this.queue.length > 0 || this.reopenTo !== null) this.schedule();
    else for (const resolve of this.idle.splice(0)) resolve();
  }

  private async reopenNow(path: string): Promise<void> {
    this.reopenTo = null;
    try {
      const next = await openAppend(path);
      await this.file?.close().catch(() => undefined);
      this.file = next;
      this.path = path;
      this.reopened++;
    } catch (err) {
      // Keep writing where we were: a line in the old file beats a lost line.
      this.stats.errors++;
      this.log.error({ service: 'querylog', file: path }, `querylog: cannot reopen ${path}: ${(err as Error).message}`);
    }
  }
}

/** One write of the whole batch (FileHandle.appendFile takes over ten times as long: it writes in chunks through a stream of promises). */
async function writeAll(file: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}

async function openAppend(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'a', 0o640);
  } catch (err) {
    throw new Error(`querylog: cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
