/**
 * How generated exchanges leave the generator. A writer turns each
 * DnsObservation into one line synchronously and copies it into a large
 * Buffer chunk; the traffic model awaits `flush` only every few megabytes, so
 * the hot loop has no per-line write call and no per-line promise, and the
 * file stream's backpressure is still honoured.
 *
 * Two measured choices keep the collector out of the way: each line is copied
 * into a Buffer (a multi-megabyte rope of millions of short strings survives
 * into the old generation), and chunks are recycled once the stream has
 * written them (every 64 MB of fresh external memory makes V8 start a full
 * mark of the heap, which with a million-name population took half the time).
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { DnsObservation } from '../../model/observation.js';

export interface CorpusWriter {
  /** Format name, as the sources use it: 'zeek', 'eve', 'pdns', 'pcap', 'dnstap'. */
  readonly format: string;
  /** Before the first exchange: headers that need the simulated start. */
  open(startTs: number): void;
  /** Serialise one exchange now; the observation is reused after this returns. */
  write(observation: DnsObservation): void;
  readonly pendingBytes: number;
  flush(): Promise<void>;
  /** After the last exchange: trailers, then end the output. */
  close(endTs: number): Promise<void>;
}

const CHUNK_BYTES = 4 << 20;
const BATCH_CHARS = 64 << 10;

/**
 * Text (and, for the binary formats, bytes) collected into Buffer chunks in
 * front of a Writable that waits for 'drain' when asked to. Text is encoded
 * as latin1, which is a plain copy and the fastest encoder: every name,
 * address and field the corpus generates is ASCII.
 */
export class TextOutput {
  /** Filled chunks waiting for `flush`: the filled part, and the whole chunk to recycle. */
  private readonly full: { bytes: Buffer; chunk: Buffer }[] = [];
  private fullBytes = 0;
  /** Chunks the stream has finished writing. */
  private readonly spare: Buffer[] = [];
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private batch = '';
  private used = 0;
  private failure: Error | null = null;

  constructor(private readonly stream: Writable) {
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  static toFile(path: string): TextOutput {
    return new TextOutput(createWriteStream(path, { highWaterMark: 1 << 20 }));
  }

  append(text: string): void {
    // Lines are batched into a short string first: one flatten-and-copy per
    // ~64 KiB costs less than one Buffer.write call per line.
    this.batch += text;
    if (this.batch.length >= BATCH_CHARS) this.copyBatch();
  }

  private copyBatch(): void {
    const text = this.batch;
    this.batch = '';
    if (this.used + text.length > this.chunk.length) {
      this.retireChunk();
      if (text.length > this.chunk.length) {
        const bytes = Buffer.from(text, 'latin1');
        this.full.push({ bytes, chunk: bytes });
        this.fullBytes += bytes.length;
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'latin1');
  }

  /**
   * Binary records (pcap, Frame Streams) copied now: `bytes` may be a view of
   * the caller's scratch buffer, reused as soon as this returns.
   */
  appendBytes(bytes: Uint8Array): void {
    if (this.batch.length > 0) this.copyBatch();
    if (this.used + bytes.length > this.chunk.length) {
      this.retireChunk();
      if (bytes.length > this.chunk.length) {
        const copy = Buffer.from(bytes);
        this.full.push({ bytes: copy, chunk: copy });
        this.fullBytes += copy.length;
        return;
      }
    }
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }

  get pendingBytes(): number {
    return this.fullBytes + this.used + this.batch.length;
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    this.retireChunk();
    const chunks = this.full.splice(0);
    this.fullBytes = 0;
    for (const { bytes, chunk } of chunks) {
      const recycle = (): void => {
        if (chunk.length === CHUNK_BYTES) this.spare.push(chunk);
      };
      if (!this.stream.write(bytes, recycle)) await this.drained();
    }
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
    this.throwIfFailed();
  }

  private retireChunk(): void {
    if (this.batch.length > 0) this.copyBatch();
    if (this.used === 0) return;
    this.full.push({ bytes: this.chunk.subarray(0, this.used), chunk: this.chunk });
    this.fullBytes += this.used;
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        this.stream.off('drain', onDrain);
        reject(error);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw new Error(`corpus: write failed: ${this.failure.message}`, { cause: this.failure });
  }
}
