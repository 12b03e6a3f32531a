/**
 * The frame every text decoder shares: a line splitter feeding a per-format
 * line() method, and skip() that reports with the format's name and position.
 * Most formats get each line as text (`LineDecoder`); JSON-lines formats
 * parse each line once here and get an object (`JsonLineDecoder`); Zeek TSV
 * reads the bytes themselves (`ByteLineDecoder`).
 */
import type { Decoder, ObservationSink } from './source.js';
import { ByteLineSplitter, LineSplitter, MAX_LINE_BYTES } from './lines.js';
import type { ByteLineHandler, LineHandler, OverlongHandler, Splitter } from './lines.js';

export type JsonObject = Record<string, unknown>;

export const OVERLONG_REASON = `line longer than ${MAX_LINE_BYTES / (1 << 20)} MiB`;

abstract class SplitDecoder implements Decoder {
  protected abstract readonly splitter: Splitter<OverlongHandler>;

  constructor(
    protected readonly format: string,
    protected readonly file: string,
    protected readonly sink: ObservationSink,
  ) {}

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.finish();
  }

  position(): number {
    return this.splitter.position();
  }

  overlong(lineNumber: number): void {
    this.skip(lineNumber, OVERLONG_REASON);
  }

  /** Called once after the last line: for decoders that hold a record (or a view of the input) back. */
  protected finish(): void {}

  /** `flow`: the line was flow data (SkippedRecord.flow). */
  protected skip(lineNumber: number, reason: string, flow = false): void {
    this.sink.skip(flow ? { position: { file: this.file, line: lineNumber }, format: this.format, reason, flow } : { position: { file: this.file, line: lineNumber }, format: this.format, reason });
  }
}

export abstract class LineDecoder extends SplitDecoder implements LineHandler {
  protected readonly splitter = new LineSplitter(this);

  abstract line(text: string, start: number, end: number, lineNumber: number): void;
}

export abstract class ByteLineDecoder extends SplitDecoder implements ByteLineHandler {
  protected readonly splitter = new ByteLineSplitter(this);

  abstract line(bytes: Buffer, start: number, end: number, lineNumber: number, ascii: boolean): void;
}

/** True when text[start, end) holds only spaces and tabs. */
export function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One JSON-lines record: the object, or why the line is not one (the one wording every JSON reader skips with). */
export function parseJsonObject(text: string): JsonObject | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'invalid JSON';
  }
  return isJsonObject(value) ? value : 'not a JSON object';
}

export abstract class JsonLineDecoder extends LineDecoder {
  line(text: string, start: number, end: number, lineNumber: number): void {
    if (isBlank(text, start, end)) return;
    const object = parseJsonObject(text.slice(start, end));
    if (typeof object === 'string') this.skip(lineNumber, object);
    else this.record(object, lineNumber);
  }

  /** One parsed line: observe it, skip it with a reason, or ignore it. */
  protected abstract record(object: JsonObject, lineNumber: number): void;
}

/** How many leading lines a JSON sniffer may pass over as undecided (stream markers, blank lines). */
const SNIFF_LINES = 8;

/**
 * Sniffing for JSON-lines formats: the first non-blank line of the head on
 * which `looksLike` decides (true or false; null passes to the next line)
 * must be a JSON object it accepts. A head cut inside its first line (a line
 * over 64 KiB) is not recognised.
 */
export function sniffJsonLines(head: Buffer, looksLike: (object: JsonObject) => boolean | null): boolean {
  const text = head.toString('utf8');
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let seen = 0; pos < text.length && seen < SNIFF_LINES; ) {
    let newline = text.indexOf('\n', pos);
    if (newline === -1) newline = text.length;
    const line = text.slice(pos, newline).trim();
    pos = newline + 1;
    if (line.length === 0) continue;
    seen++;
    if (line.charCodeAt(0) !== 123 /* { */) return false;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    const verdict = isJsonObject(value) ? looksLike(value) : false;
    if (verdict !== null) return verdict;
  }
  return false;
}

/** A string-valued field of a JSON object, or undefined. */
export function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}
