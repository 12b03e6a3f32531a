/**
 * Reading input files into decoders: files one after another ('-' is stdin),
 * gzip recognised by its magic bytes whatever the name, the format sniffed
 * from the first 64 KiB unless one is given. Chunks are handed to the
 * decoder synchronously as they arrive (a file's next read already in
 * flight meanwhile: byte-source.ts), so a slow consumer slows the reads
 * (backpressure) and no promise is made per record.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { FlowRecord } from '../model/flow.js';
import { timeProblem, type DnsObservation, type SkippedRecord } from '../model/observation.js';
import type { Decoder, ObservationSink, SourceFormat } from './source.js';
import { fromStream, readAhead } from './byte-source.js';

/** A problem with the inputs themselves (missing file, unknown format): the CLI prints the message and exits 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export interface ReadOptions {
  /** 'auto' to sniff each input, or a format name. */
  format: string;
  sink: ObservationSink;
  /** The formats to choose from, in sniff order. */
  formats: readonly SourceFormat[];
  /** Called per chunk read: bytes read so far over all inputs, their total size (null when stdin is one), current file. */
  onProgress?: (bytesRead: number, totalBytes: number | null, file: string) => void;
  /** Called when input `index` (0-based, in `files`) has its format chosen, before its first record is decoded. */
  onFormat?: (format: SourceFormat, index: number, file: string) => void;
  /**
   * The decoders keep no part of a chunk once it is pushed (a flow scan):
   * a file's reads take turns in two buffers (byte-source.ts readAhead).
   */
  recycleChunks?: boolean;
}

export interface InputSummary {
  file: string;
  /** The format it was read as; null when it was empty. */
  format: string | null;
  compressed: boolean;
  /** Bytes read from the file (compressed bytes for gzip). */
  bytes: number;
  /** Bytes after decompression. */
  decodedBytes: number;
  observations: number;
  /** Flow records handed on (flow inputs; 0 for DNS ones). */
  flows: number;
  skipped: number;
}

/** How much of an input the sniffers see. */
export const SNIFF_BYTES = 64 * 1024;
/** Bytes per read of a file: a fresh 256 KiB buffer per read cost the thread pool ~2 ms per MB in page faults, 1 MiB half that (reading the 183 MB bench capture: 350 ms against 110-180 ms). */
const READ_CHUNK = 1024 * 1024;

export async function readInputs(files: readonly string[], options: ReadOptions): Promise<InputSummary[]> {
  const forced = options.format === 'auto' ? null : formatNamed(options.format, options.formats);
  const sizes = await checkInputs(files);
  const totalBytes = sizes.includes(null) ? null : sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
  const progress = { bytesBefore: 0, totalBytes };
  const summaries: InputSummary[] = [];
  for (const [index, file] of files.entries()) {
    const summary = await readInput(file, index, forced, options, progress);
    progress.bytesBefore += summary.bytes;
    summaries.push(summary);
  }
  return summaries;
}

/** Ends a flow scan early: the answer is known. */
class ScanDone extends Error {
  constructor(readonly flows: boolean) {
    super('flow scan done');
  }
}

/**
 * Whether `file` holds any flow record, found before it is read for real, so
 * that a run that will see no flow keeps no DNS memory for them (analyze). A
 * DNS-only format (SourceFormat.flows false) holds none; a format with a flow
 * scanner is scanned (a capture: its packet headers and any export datagram,
 * stopping at the first flow); any other answers true, the safe side: stdin
 * (read once only), a format that may hold flows and has no scanner, an input
 * that cannot be read or recognised (the real read reports it).
 */
export async function holdsFlows(file: string, options: Pick<ReadOptions, 'format' | 'formats'>): Promise<boolean> {
  if (file === '-') return true;
  const scanners = options.formats.map((format) => (format.createFlowScanner === undefined ? format : { ...format, createDecoder: format.createFlowScanner }));
  const done = (flows: boolean): never => {
    throw new ScanDone(flows);
  };
  try {
    await readInputs([file], {
      format: options.format,
      formats: scanners,
      onFormat: (format) => (format.flows === false ? done(false) : format.createFlowScanner === undefined ? done(true) : undefined),
      sink: { observe: () => undefined, skip: () => undefined, flow: () => done(true) },
      // Only a capture's flow scanner reads on, and it copies what it keeps (a record cut between chunks).
      recycleChunks: true,
    });
    return false;
  } catch (error) {
    return error instanceof ScanDone ? error.flows : true;
  }
}

/**
 * The index of the first input from which on no input holds a flow record
 * (holdsFlows, asked from the last input back); files.length when the last may hold some.
 */
export async function flowFreeFrom(files: readonly string[], options: Pick<ReadOptions, 'format' | 'formats'>): Promise<number> {
  let from = files.length;
  while (from > 0 && !(await holdsFlows(files[from - 1]!, options))) from--;
  return from;
}

function formatNamed(name: string, formats: readonly SourceFormat[]): SourceFormat {
  const format = formats.find((candidate) => candidate.name === name);
  if (format === undefined) {
    throw new InputError(`fluxhound: unknown format '${name}' (known: ${formats.map((f) => f.name).join(', ')})`);
  }
  return format;
}

/** Every file is checked before any is read, so a typo in the last one fails at once. Returns sizes (null for stdin). */
async function checkInputs(files: readonly string[]): Promise<(number | null)[]> {
  const sizes: (number | null)[] = [];
  for (const file of files) {
    if (file === '-') {
      sizes.push(null);
      continue;
    }
    try {
      const info = await stat(file);
      if (info.isDirectory()) throw new InputError(`fluxhound: cannot read ${file}: is a directory`);
      await access(file, fsConstants.R_OK);
      sizes.push(info.size);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(`fluxhound: cannot read ${file}: ${describeFsError(error)}`);
    }
  }
  return sizes;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

interface Progress {
  bytesBefore: number;
  totalBytes: number | null;
}

function readInput(file: string, index: number, forced: SourceFormat | null, options: ReadOptions, progress: Progress): Promise<InputSummary> {
  const summary: InputSummary = {
    file,
    format: null,
    compressed: false,
    bytes: 0,
    decodedBytes: 0,
    observations: 0,
    flows: 0,
    skipped: 0,
  };
  const recycle = options.recycleChunks === true;
  const raw = file === '-' ? fromStream(process.stdin) : readAhead(file, READ_CHUNK, { recycle });
  const input = new InputDecoding(file, index, forced, options, summary);
  return new Promise<InputSummary>((resolve, reject) => {
    let gunzip: ReturnType<typeof createGunzip> | null = null;
    let magic: Buffer | null = Buffer.alloc(0);
    let settled = false;
    const settle = (error: unknown, damage: string | null): void => {
      if (settled) return;
      settled = true;
      raw.stop();
      gunzip?.destroy();
      try {
        if (error !== null) throw error;
        input.finish(damage);
        resolve(summary);
      } catch (failure) {
        reject(failure);
      }
    };
    const decode = (chunk: Buffer): void => {
      try {
        input.push(chunk);
      } catch (error) {
        settle(error, null);
      }
    };
    const startGunzip = (): void => {
      summary.compressed = true;
      const stream = createGunzip({ chunkSize: READ_CHUNK });
      stream.on('data', decode);
      stream.on('drain', () => raw.resume());
      stream.on('end', () => settle(null, null));
      stream.on('error', (error) => settle(null, gzipDamage(error)));
      gunzip = stream;
    };
    const onBytes = (chunk: Buffer): void => {
      if (gunzip !== null) {
        // zlib holds a written chunk until it has inflated it: a recycled buffer goes in as a copy.
        if (!gunzip.write(recycle ? Buffer.from(chunk) : chunk)) raw.pause();
      } else {
        decode(chunk);
      }
    };
    const onData = (chunk: Buffer): void => {
      summary.bytes += chunk.length;
      options.onProgress?.(progress.bytesBefore + summary.bytes, progress.totalBytes, file);
      if (magic === null) return onBytes(chunk);
      // The first two bytes decide gzip or not; a pipe may hand them over one at a time.
      magic = Buffer.concat([magic, chunk]);
      if (magic.length < 2) return;
      if (magic[0] === 0x1f && magic[1] === 0x8b) startGunzip();
      const first = magic;
      magic = null;
      onBytes(first);
    };
    const onEnd = (): void => {
      if (magic !== null && magic.length > 0) decode(magic);
      if (gunzip !== null) gunzip.end();
      else settle(null, null);
    };
    const onError = (error: Error): void => settle(null, `read error: ${describeFsError(error)}`);
    raw.start({ data: onData, end: onEnd, error: onError });
  });
}

/** What to report for a damaged gzip stream; everything decoded before it has been kept. */
function gzipDamage(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'Z_BUF_ERROR' ? 'truncated gzip' : `corrupt gzip: ${error.message}`;
}

/** One input's decoded bytes: held until the sniffers have seen enough, then fed to the decoder. */
class InputDecoding {
  private head: Buffer[] = [];
  private headBytes = 0;
  private decoder: Decoder | null = null;
  private readonly sink: ObservationSink;

  constructor(
    private readonly file: string,
    private readonly index: number,
    private readonly forced: SourceFormat | null,
    private readonly options: ReadOptions,
    private readonly summary: InputSummary,
  ) {
    const target = options.sink;
    // Counting per input for the summary; a record with an impossible time is skipped here, whatever its format.
    this.sink = {
      observe: (observation: DnsObservation): void => {
        const problem = timeProblem(observation);
        if (problem !== null) {
          this.report(this.summary.format ?? 'input', this.decoder?.position() ?? 1, problem);
          return;
        }
        summary.observations++;
        target.observe(observation);
      },
      skip(skipped: SkippedRecord): void {
        summary.skipped++;
        target.skip(skipped);
      },
    };
    // Flows pass only to a sink that takes them (ObservationSink.flow): the others ignore them uncounted.
    if (target.flow !== undefined) {
      this.sink.flow = (flow: FlowRecord): void => {
        summary.flows++;
        target.flow?.(flow);
      };
    }
  }

  push(chunk: Buffer): void {
    this.summary.decodedBytes += chunk.length;
    if (this.decoder !== null) {
      this.decoder.push(chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes >= SNIFF_BYTES) this.start(false);
  }

  /** The input ended, cleanly or at `damage`. */
  finish(damage: string | null): void {
    if (this.decoder === null && this.headBytes > 0) this.start(damage !== null);
    const decoder = this.decoder;
    if (decoder === null) {
      if (damage !== null) this.report(this.summary.compressed ? 'gzip' : 'input', 1, damage);
      return;
    }
    const line = decoder.position();
    decoder.end();
    if (damage !== null) this.report(this.summary.format ?? 'input', line, damage);
  }

  /** Choose the format and replay the held bytes. A damaged input that no format recognises is reported, not fatal. */
  private start(damaged: boolean): void {
    const head = Buffer.concat(this.head, this.headBytes);
    this.head = [];
    this.headBytes = 0;
    const format = this.forced ?? this.options.formats.find((candidate) => candidate.sniff(head.subarray(0, SNIFF_BYTES)));
    if (format === undefined) {
      if (damaged) return;
      const tried = this.options.formats.map((candidate) => candidate.name).join(', ');
      throw new InputError(`fluxhound: ${this.file}: unknown input format (tried ${tried}); use --format`);
    }
    if (this.forced !== null && this.forced.magic !== undefined && !this.forced.sniff(head.subarray(0, SNIFF_BYTES))) {
      if (damaged) return;
      const known = this.options.formats.find((candidate) => candidate.sniff(head.subarray(0, SNIFF_BYTES)));
      const hint = known === undefined ? '' : `; it looks like ${known.name}: use --format ${known.name} or auto`;
      throw new InputError(`fluxhound: ${this.file}: not ${this.forced.magic}${hint}`);
    }
    this.summary.format = format.name;
    this.options.onFormat?.(format, this.index, this.file);
    this.decoder = format.createDecoder(this.file, this.sink);
    this.decoder.push(head);
  }

  private report(format: string, line: number, reason: string): void {
    this.sink.skip({ position: { file: this.file, line }, format, reason });
  }
}
