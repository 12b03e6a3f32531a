/**
 * A worker's side of routed reading (router.ts): the lines the main thread
 * handed this partition go to the format's own decoder, one per input, with
 * their line numbers in the original file, so records and skipped lines are
 * what one thread reading the whole input makes of them. Skips are placed at
 * the line's global index; a server lookup (LINE_SERVED) is decoded only
 * when a zone here uses that server, and reports nothing of its own.
 */
import { isAscii } from 'node:buffer';
import { timeProblem, type DnsObservation, type SkippedRecord } from '../../model/observation.js';
import { ByteLineDecoder } from '../../sources/line-decoder.js';
import { sourceFormats } from '../../sources/registry.js';
import type { ObservationSink } from '../../sources/source.js';
import { LINE_OVERLONG, LINE_SERVED, type RoutedLines } from './protocol.js';

/** Records observed and lines skipped per input (index = the input's place in the run), for its summary. */
export interface FileCounts {
  observations: number[];
  skipped: number[];
}

/** A skipped record and its place in the input (worker.ts PlacedSkip). */
export interface RoutedSkip {
  skipped: SkippedRecord;
  at: number;
  seq: number;
}

export interface RoutedObserver {
  /** A record of this partition's names at global index `index`. */
  own(o: DnsObservation, index: number): void;
  /** A lookup of a name server zones of this partition use. */
  served(o: DnsObservation, index: number): void;
  servesZones(qname: string): boolean;
}

export class RoutedDecoding {
  records = 0;
  conflicts = 0;
  readonly perFile: FileCounts = { observations: [], skipped: [] };
  private decoder: ByteLineDecoder | null = null;
  private format = 'zeek';
  private file = -1;
  private name = '';
  /** The line being decoded: its kind, global index and line number. */
  private kind = 0;
  private index = 0;
  private lineNumber = 0;
  private skips: RoutedSkip[] = [];
  private seq = 0;
  private readonly sink: ObservationSink;

  constructor(observer: RoutedObserver) {
    this.sink = {
      admit: (qname) => this.kind !== LINE_SERVED || observer.servesZones(qname),
      observe: (o) => {
        // As readInputs does for every format: a record with an impossible time is skipped.
        const problem = timeProblem(o);
        if (problem !== null) {
          this.skip({ position: { file: this.name, line: this.lineNumber }, format: this.format, reason: problem });
          return;
        }
        if (this.kind === LINE_SERVED) {
          observer.served(o, this.index);
          return;
        }
        this.records++;
        this.perFile.observations[this.file]!++;
        if (o.conflict === true) this.conflicts++;
        observer.own(o, this.index);
      },
      skip: (s) => this.skip(s),
    };
  }

  /** Decode one batch; returns the skips it made, placed. */
  batch(m: RoutedLines): RoutedSkip[] {
    if (m.file !== this.file) this.open(m.file, m.name);
    const decoder = this.decoder!;
    const bytes = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    // One check per batch, as the splitter does per run of lines.
    const ascii = isAscii(bytes);
    let start = 0;
    for (let k = 0; k < m.ends.length; k++) {
      const end = m.ends[k]!;
      const kind = m.kinds[k]!;
      this.kind = kind;
      this.index = m.at[k]!;
      this.lineNumber = m.lines[k]!;
      if (kind === LINE_OVERLONG) decoder.overlong(this.lineNumber);
      else decoder.line(bytes, start, end, this.lineNumber, ascii);
      start = end;
    }
    const skips = this.skips;
    this.skips = [];
    return skips;
  }

  end(): void {
    this.decoder?.end();
    this.decoder = null;
  }

  private open(file: number, name: string): void {
    this.decoder?.end();
    const format = sourceFormats.find((f) => f.name === this.format)!;
    const decoder = format.createDecoder(name, this.sink);
    if (!(decoder instanceof ByteLineDecoder)) throw new Error(`detect/parallel: ${this.format} lines cannot be routed`);
    this.decoder = decoder;
    this.file = file;
    this.name = name;
    this.perFile.observations[file] = 0;
    this.perFile.skipped[file] = 0;
  }

  /** A record of this partition's lines skipped (a server lookup's skips are its owner's to report). */
  private skip(skipped: SkippedRecord): void {
    if (this.kind === LINE_SERVED) return;
    this.perFile.skipped[this.file]!++;
    this.skips.push({ skipped, at: this.index, seq: this.seq++ });
  }
}
