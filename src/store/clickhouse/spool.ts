/**
 * The sensor's on-disk spool: batches the cluster did not take (unreachable,
 * a shard down) wait here, one file per batch, and are replayed oldest first.
 * A file is written under a temporary name, fsync'd, renamed and the
 * directory fsync'd, so after a crash a batch file is whole or absent; a file
 * that still fails its check (a leftover temporary, a header that does not
 * match its body: disk trouble, a hand edit) is skipped, counted as torn and
 * removed. The spool holds at most `maxBytes`: to take a new batch it drops
 * the oldest ones (counted), so a long outage costs the oldest data, never
 * the disk. The file names carry the batch number, so the order survives a
 * restart.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** One spooled batch: its number, its rows and its file's size. */
export interface SpooledBatch {
  batch: number;
  rows: number;
  bytes: number;
}

/** What a spooled file holds: the rows as the insert body (JSONEachRow). */
export interface SpoolRead {
  rows: number;
  body: Buffer;
}

export interface SpoolCounts {
  /** Files skipped because they failed their check (and removed). */
  torn: number;
  /** Batches dropped to make room (oldest first), and their rows. */
  droppedBatches: number;
  droppedRows: number;
}

const SUFFIX = '.batch';
const TEMP = '.tmp';
const COUNTER = 'next-batch';
/** Batch numbers reserved per write of the counter file. */
const RESERVE = 1024;

export class Spool {
  readonly counts: SpoolCounts = { torn: 0, droppedBatches: 0, droppedRows: 0 };
  /** Spooled batches, oldest first. */
  private readonly batches: SpooledBatch[] = [];
  private total = 0;
  /** The batch being replayed: never dropped for room while its insert runs. */
  private busy: number | null = null;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Opens (creating) the spool directory and lists what a previous run left; leftover temporaries count as torn. */
  static open(dir: string, maxBytes: number): Spool {
    mkdirSync(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes);
    for (const name of readdirSync(dir)) {
      if (name.endsWith(TEMP)) {
        spool.counts.torn++;
        unlinkSync(join(dir, name));
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const batch = Number(name.slice(0, -SUFFIX.length));
      if (!Number.isSafeInteger(batch)) continue;
      const path = join(dir, name);
      spool.batches.push({ batch, rows: headerRows(path), bytes: statSync(path).size });
    }
    spool.batches.sort((a, b) => a.batch - b.batch);
    for (const b of spool.batches) spool.total += b.bytes;
    return spool;
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.batches.length;
  }

  /** Rows held (as the files' headers say; a torn file counts 0). */
  rowsHeld(): number {
    let rows = 0;
    for (const b of this.batches) rows += b.rows;
    return rows;
  }

  /** The oldest spooled batch, or null when the spool is empty. */
  oldest(): SpooledBatch | null {
    return this.batches[0] ?? null;
  }

  /** The highest batch number spooled (-1 when empty): new numbers must be above it. */
  highest(): number {
    return this.batches.at(-1)?.batch ?? -1;
  }

  /**
   * Writes a batch (whole, fsync'd) and returns true; drops the oldest batches first while it would not fit.
   * A batch larger than the whole spool is dropped itself (counted) and false returned.
   */
  async add(batch: number, rows: number, body: Buffer): Promise<boolean> {
    const header = Buffer.from(JSON.stringify({ fluxhound: 'spool', version: 1, batch, rows, bytes: body.length, crc: crc32(body) }) + '\n');
    const size = header.length + body.length;
    if (size > this.maxBytes) {
      this.counts.droppedBatches++;
      this.counts.droppedRows += rows;
      return false;
    }
    while (this.total + size > this.maxBytes) {
      const victim = this.batches.findIndex((b) => b.batch !== this.busy);
      if (victim === -1) break;
      const [dropped] = this.batches.splice(victim, 1);
      this.total -= dropped!.bytes;
      this.counts.droppedBatches++;
      this.counts.droppedRows += dropped!.rows;
      await unlink(this.path(dropped!.batch)).catch(() => undefined);
    }
    const temp = this.path(batch) + TEMP;
    const handle = await open(temp, 'w');
    try {
      await handle.writev([header, body]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path(batch));
    syncDirectory(this.dir);
    const entry = { batch, rows, bytes: size };
    // Usually the newest; a failed in-flight batch older than some spooled ones goes to its place.
    let at = this.batches.length;
    while (at > 0 && this.batches[at - 1]!.batch > batch) at--;
    this.batches.splice(at, 0, entry);
    this.total += size;
    return true;
  }

  /**
   * Reads a spooled batch for replay and marks it busy. Null when its file is torn (then it is removed and counted)
   * or gone (dropped meanwhile).
   */
  async read(entry: SpooledBatch): Promise<SpoolRead | null> {
    let data: Buffer;
    try {
      data = await readFile(this.path(entry.batch));
    } catch {
      this.forget(entry.batch);
      return null;
    }
    const parsed = parseSpoolFile(data, entry.batch);
    if (parsed === null) {
      this.counts.torn++;
      await this.remove(entry.batch);
      return null;
    }
    entry.rows = parsed.rows;
    this.busy = entry.batch;
    return parsed;
  }

  /** The batch is in the cluster (or given up): its file goes. */
  async remove(batch: number): Promise<void> {
    this.forget(batch);
    await unlink(this.path(batch)).catch(() => undefined);
  }

  /** The replayed batch's insert ended (either way): it may be dropped for room again. */
  release(): void {
    this.busy = null;
  }

  private forget(batch: number): void {
    const at = this.batches.findIndex((b) => b.batch === batch);
    if (at === -1) return;
    this.total -= this.batches[at]!.bytes;
    this.batches.splice(at, 1);
    if (this.busy === batch) this.busy = null;
  }

  private path(batch: number): string {
    return join(this.dir, `${String(batch).padStart(16, '0')}${SUFFIX}`);
  }
}

/** The row count in a spool file's header (the first line, read alone); 0 when there is none (the file is torn). */
function headerRows(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, head.length, 0);
    const newline = head.subarray(0, n).indexOf(0x0a);
    if (newline === -1) return 0;
    const rows = (JSON.parse(head.subarray(0, newline).toString('utf8')) as { rows?: unknown }).rows;
    return typeof rows === 'number' && Number.isSafeInteger(rows) && rows > 0 ? rows : 0;
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}

/** The body of a spool file, or null when the header is no spool header or does not match the body. */
export function parseSpoolFile(data: Buffer, batch: number): SpoolRead | null {
  const newline = data.indexOf(0x0a);
  if (newline === -1) return null;
  let header: unknown;
  try {
    header = JSON.parse(data.subarray(0, newline).toString('utf8'));
  } catch {
    return null;
  }
  const h = header as { fluxhound?: unknown; version?: unknown; batch?: unknown; rows?: unknown; bytes?: unknown; crc?: unknown };
  if (h.fluxhound !== 'spool' || h.version !== 1 || h.batch !== batch) return null;
  if (typeof h.rows !== 'number' || typeof h.bytes !== 'number' || typeof h.crc !== 'number') return null;
  const body = data.subarray(newline + 1);
  if (body.length !== h.bytes || crc32(body) !== h.crc) return null;
  return { rows: h.rows, body };
}

/**
 * Batch numbers that increase across restarts: at least the wall clock in milliseconds (a lost spool directory
 * still gives higher numbers), above every spooled batch, and above what the counter file in the spool directory
 * reserved (a clock set back still gives higher numbers). Numbers are reserved RESERVE at a time, so the file is
 * written once per RESERVE batches.
 */
export class BatchNumbers {
  private next: number;
  private ceiling: number;

  constructor(
    private readonly dir: string,
    spooledHighest: number,
    now = Date.now(),
  ) {
    mkdirSync(dir, { recursive: true });
    let stored = 0;
    try {
      stored = Number(readFileSync(join(dir, COUNTER), 'utf8').trim());
    } catch {
      // First run, or the file was lost: the clock and the spool decide.
    }
    if (!Number.isSafeInteger(stored) || stored < 0) stored = 0;
    this.next = Math.max(stored, spooledHighest + 1, now);
    this.ceiling = this.next;
  }

  /** The next batch number. */
  take(): number {
    if (this.next >= this.ceiling) this.reserve();
    return this.next++;
  }

  private reserve(): void {
    this.ceiling = this.next + RESERVE;
    const file = join(this.dir, COUNTER);
    // Not TEMP: a leftover would be counted as a torn batch.
    const temp = `${file}.new`;
    writeFileSync(temp, `${this.ceiling}\n`);
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    syncDirectory(this.dir);
  }
}

/** A rename is durable once its directory is synced (on Linux; elsewhere this may be refused, and is skipped). */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Not supported on this platform.
  } finally {
    closeSync(fd);
  }
}
