/**
 * Routed reading (README.md "Routed reading"): the main thread reads each
 * input once, splits it into lines, learns each data line's partition from
 * its query name (partitionOf, as the workers did) and hands every worker
 * only its own lines, as bytes, in batches (transferred ArrayBuffers). Each
 * line keeps its place: its global index (the order the watermarks use)
 * and its line number in the original file (for skipped records). Header
 * lines go to every worker; a lookup of a name server that zones of another
 * partition use goes to that partition too; the answer addresses of every
 * line reach the other partitions' foreign-address filters.
 */
import { open } from 'node:fs/promises';
import { ByteLineSplitter, type ByteLineHandler } from '../../sources/lines.js';
import { ZeekLineFacts } from '../../sources/zeek/line-facts.js';
import { plainName } from '../../sources/byte-records.js';
import { InputError, SNIFF_BYTES, type InputSummary } from '../../sources/input.js';
import { sourceFormats } from '../../sources/registry.js';
import { partitionOf } from '../partition.js';
import { foreignBit } from './foreign.js';
import { NameMemo } from './name-memo.js';
import { LINE_HEADER, LINE_OVERLONG, LINE_OWN, LINE_SERVED, type RoutedLines } from './protocol.js';

/** The formats whose lines the main thread can route (a line's query name read from its bytes). */
const ROUTABLE: ReadonlySet<string> = new Set(['zeek']);

/**
 * Can the main thread route the lines of every input (format given, or each
 * sniffed as readInputs would)? Not for stdin or gzip (the plan keeps those on one thread anyway).
 */
export async function routedFormat(files: readonly string[], format: string): Promise<boolean> {
  if (format !== 'auto') return ROUTABLE.has(format) && !files.includes('-') && (await Promise.all(files.map(plainFile))).every((ok) => ok);
  for (const file of files) {
    const head = file === '-' ? null : await headOf(file);
    if (head === null || isGzip(head)) return false;
    const found = sourceFormats.find((f) => f.sniff(head));
    if (found === undefined || !ROUTABLE.has(found.name)) return false;
  }
  return true;
}

async function plainFile(file: string): Promise<boolean> {
  const head = await headOf(file);
  return head !== null && !isGzip(head);
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The first SNIFF_BYTES of a file; null when it cannot be read (the workers' own read reports it). */
async function headOf(file: string): Promise<Buffer | null> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** Bytes read from a file at a time (as readInputs). */
const READ_CHUNK = 256 * 1024;
/** A batch is posted once its lines' bytes reach this much (lines may be long: memory stays bounded by it, not by the line count). */
const BATCH_BYTES = 1 << 20;

/** What the router needs of the partitioned detector. */
export interface RouterTarget {
  readonly partitions: number;
  /** Post one worker's batch, its buffers transferred. */
  post(partition: number, lines: RoutedLines): void;
  /** Resolves when the workers are close enough behind to take more (back-pressure); rejects on a failure. */
  room(index: number): Promise<void>;
  /** Name servers remembered for routing at most (the detector's own bound on served zones). */
  readonly maxServers: number;
}

export interface RouteCallbacks {
  onProgress?: (read: number, total: number | null, file: string, records: number) => void;
}

/** One worker's lines of the batch being filled. */
class LaneBatch {
  bytes: Uint8Array;
  used = 0;
  count = 0;
  ends: Int32Array;
  kinds: Uint8Array;
  at: Float64Array;
  lines: Float64Array;
  foreign: Int32Array = new Int32Array(1024);
  foreignCount = 0;
  everyForeign = false;

  constructor(
    capacity: number,
    private readonly maxLines: number,
  ) {
    this.bytes = new Uint8Array(capacity);
    this.ends = new Int32Array(maxLines);
    this.kinds = new Uint8Array(maxLines);
    this.at = new Float64Array(maxLines);
    this.lines = new Float64Array(maxLines);
  }

  add(source: Buffer, start: number, end: number, kind: number, at: number, lineNumber: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    if (length > 0) source.copy(this.bytes, this.used, start, end);
    this.used += length;
    const i = this.count++;
    this.ends[i] = this.used;
    this.kinds[i] = kind;
    this.at[i] = at;
    this.lines[i] = lineNumber;
  }

  noteForeign(bit: number): void {
    if (this.foreignCount === this.foreign.length) {
      const grown = new Int32Array(this.foreign.length * 2);
      grown.set(this.foreign);
      this.foreign = grown;
    }
    this.foreign[this.foreignCount++] = bit;
  }

  /** The batch as a message (its buffers go with it) and a fresh one of the size this one needed. */
  take(file: number, name: string, upTo: number): [RoutedLines, LaneBatch] {
    const message: RoutedLines = {
      t: 'lines',
      file,
      name,
      bytes: this.bytes.subarray(0, this.used),
      ends: this.ends.subarray(0, this.count),
      kinds: this.kinds.subarray(0, this.count),
      at: this.at.subarray(0, this.count),
      lines: this.lines.subarray(0, this.count),
      foreign: this.foreign.subarray(0, this.foreignCount),
      everyForeign: this.everyForeign,
      upTo,
    };
    return [message, new LaneBatch(Math.max(64 * 1024, this.used + (this.used >>> 2)), this.maxLines)];
  }
}

/** Reads inputs and routes their lines (one router per run). */
export class LineRouter implements ByteLineHandler {
  /** Global index of the next data line. */
  index = 0;
  private readonly n: number;
  private lanes: LaneBatch[];
  private linesInBatch = 0;
  private bytesInBatch = 0;
  private facts = new ZeekLineFacts();
  private file = -1;
  private fileName = '';
  /** Query names' partitions by their bytes (the hot path). */
  private readonly names = new NameMemo();
  /** Name server → partitions (bit mask) holding zones it serves, from NS records seen (as PartitionedDetector.noteServers). */
  private readonly serverRoutes = new Map<string, number>();
  /** The partition of the data line being routed (addresses and NS names are noted for it). */
  private owner = 0;

  constructor(
    private readonly target: RouterTarget,
    private readonly batchLines: number,
  ) {
    this.n = target.partitions;
    this.lanes = Array.from({ length: this.n }, () => new LaneBatch(64 * 1024, batchLines));
  }

  /** Read every input (all in a routable format), route every line; returns what readInputs would say of each. */
  async readAll(files: readonly string[], callbacks: RouteCallbacks): Promise<InputSummary[]> {
    const sizes: number[] = [];
    for (const file of files) {
      try {
        const handle = await open(file, 'r');
        sizes.push((await handle.stat()).size);
        await handle.close();
      } catch (error) {
        throw new InputError(`fluxhound: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    let before = 0;
    const summaries: InputSummary[] = [];
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (const [f, file] of files.entries()) {
      this.file = f;
      this.fileName = file;
      this.facts = new ZeekLineFacts();
      const splitter = new ByteLineSplitter(this);
      const summary: InputSummary = { file, format: 'zeek', compressed: false, bytes: 0, decodedBytes: 0, observations: 0, flows: 0, skipped: 0 };
      const handle = await open(file, 'r').catch((error: unknown) => {
        throw new InputError(`fluxhound: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      });
      try {
        for (;;) {
          const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
          if (bytesRead === 0) break;
          summary.bytes += bytesRead;
          callbacks.onProgress?.(before + summary.bytes, total, file, this.index);
          splitter.push(chunk.subarray(0, bytesRead));
          await this.target.room(this.index);
        }
      } finally {
        await handle.close();
      }
      splitter.end();
      this.facts.forget();
      // Each input's lines go to its own decoder in every worker (positions name the file).
      this.send();
      summary.decodedBytes = summary.bytes;
      before += summary.bytes;
      summaries.push(summary);
    }
    return summaries;
  }

  line(bytes: Buffer, start: number, end: number, lineNumber: number, ascii: boolean): void {
    if (start === end) return; // the decoder ignores empty lines
    const facts = this.facts;
    if (facts.isDirective(bytes, start, end)) {
      facts.directive(bytes, start, end);
      for (const lane of this.lanes) lane.add(bytes, start, end, LINE_HEADER, -1, lineNumber);
      this.counted(end - start);
      return;
    }
    const at = this.index++;
    const qname = facts.read(bytes, start, end, ascii) ? this.queryName(facts) : null;
    // A line the decoder will skip before its name: partition 0 decodes it and reports why.
    const own = qname === null ? 0 : this.owner;
    this.lanes[own]!.add(bytes, start, end, LINE_OWN, at, lineNumber);
    if (qname !== null) {
      if (this.serverRoutes.size > 0) {
        const mask = this.serverRoutes.get(qname);
        if (mask !== undefined) for (let p = 0; p < this.n; p++) if (p !== own && (mask & (1 << p)) !== 0) this.lanes[p]!.add(bytes, start, end, LINE_SERVED, at, lineNumber);
      }
      facts.addresses(this.noteAddress);
      facts.servers(this.notePlainServer, this.noteServer);
      facts.forget();
    }
    this.counted(end - start);
  }

  overlong(lineNumber: number): void {
    // Partition 0's decoder reports it, placed where it was.
    this.lanes[0]!.add(Buffer.alloc(0), 0, 0, LINE_OVERLONG, this.index++, lineNumber);
    this.counted(0);
  }

  /** Hand every worker its lines so far; every index below `index` is then dealt with. */
  send(): void {
    for (let p = 0; p < this.n; p++) {
      const [message, fresh] = this.lanes[p]!.take(this.file, this.fileName, this.index);
      this.lanes[p] = fresh;
      this.target.post(p, message);
    }
    this.linesInBatch = 0;
    this.bytesInBatch = 0;
  }

  private counted(bytes: number): void {
    this.bytesInBatch += bytes;
    if (++this.linesInBatch >= this.batchLines || this.bytesInBatch >= BATCH_BYTES) this.send();
  }

  /** The line's query name (null: the decoder skips it); its partition in `owner`. */
  private queryName(facts: ZeekLineFacts): string | null {
    const start = facts.queryStart;
    if (start !== -1) {
      const bytes = facts.lineBytes;
      const slot = this.names.find(bytes, start, facts.queryEnd);
      if (slot >= 0) {
        this.owner = this.names.partition(slot);
        const qname = this.names.name(slot);
        facts.named(qname);
        return qname;
      }
      const qname = facts.queryName();
      if (qname === null) return null;
      this.owner = partitionOf(qname, this.n);
      this.names.add(bytes, start, facts.queryEnd, this.owner, qname);
      return qname;
    }
    // A name read from escaped or non-ASCII text (rare): no memo, its registered domain is parsed each time.
    const qname = facts.queryName();
    if (qname !== null) this.owner = partitionOf(qname, this.n);
    return qname;
  }

  /** An answer address of a line: every other partition's filter gets it (null: any address may be shared). */
  private readonly noteAddress = (key: number | string | null): void => {
    if (key === null) {
      for (let p = 0; p < this.n; p++) if (p !== this.owner) this.lanes[p]!.everyForeign = true;
      return;
    }
    const bit = foreignBit(key);
    for (let p = 0; p < this.n; p++) if (p !== this.owner) this.lanes[p]!.noteForeign(bit);
  };

  /** A name server given as the bytes of a plain name (false: they are not one): by the memo, as query names. */
  private readonly notePlainServer = (bytes: Buffer, start: number, end: number): boolean => {
    let slot = this.names.find(bytes, start, end);
    let server: string;
    let p: number;
    if (slot >= 0) {
      server = this.names.name(slot);
      p = this.names.partition(slot);
    } else {
      const name = plainName(bytes, start, end);
      if (name === null) return false;
      server = name;
      p = partitionOf(name, this.n);
      this.names.add(bytes, start, end, p, name);
    }
    if (p !== this.owner) this.routeServer(server);
    return true;
  };

  /** A name server of the line's zone read from other text. */
  private readonly noteServer = (server: string): void => {
    if (partitionOf(server, this.n) !== this.owner) this.routeServer(server);
  };

  /** A name server of the line's zone in another partition: its later lookups go to the line's partition too. */
  private routeServer(server: string): void {
    const own = this.owner;
    const mask = this.serverRoutes.get(server);
    if (mask === undefined && this.serverRoutes.size >= this.target.maxServers) {
      const oldest = this.serverRoutes.keys().next();
      if (!oldest.done) this.serverRoutes.delete(oldest.value);
    }
    if (mask === undefined || (mask & (1 << own)) === 0) this.serverRoutes.set(server, (mask ?? 0) | (1 << own));
  }
}
