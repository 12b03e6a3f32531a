/**
 * Line splitting for every text format. Bytes after a chunk's last newline
 * wait for the rest of their line, so a line (and a multi-byte character) is
 * never cut in two. `LineSplitter` decodes each run of whole lines from
 * UTF-8 once and hands out bounds in that text; `ByteLineSplitter` hands out
 * bounds in the bytes themselves, for decoders that never need the whole
 * text (Zeek TSV keeps a few fields of each line).
 */
import { isAscii } from 'node:buffer';

/** Longest line kept: 1 MiB of bytes before the '\n'. It bounds a decoder's memory. */
export const MAX_LINE_BYTES = 1 << 20;

export interface LineHandler {
  /**
   * One line is `text.slice(start, end)`, without its '\n' or '\r\n'. `text`
   * holds many lines: keep slices, not `text`, and nothing past the call.
   */
  line(text: string, start: number, end: number, lineNumber: number): void;
  /** Line `lineNumber` was longer than the cap and was dropped. */
  overlong(lineNumber: number): void;
}

export interface ByteLineHandler {
  /**
   * One line is `bytes[start, end)`, without its '\n' or '\r\n'. `bytes`
   * holds many lines and is the caller's: copy what you keep. `ascii` is true
   * when every byte of the line is below 0x80 (it may be false for an ASCII
   * line that shares its chunk with a non-ASCII one).
   */
  line(bytes: Buffer, start: number, end: number, lineNumber: number, ascii: boolean): void;
  overlong(lineNumber: number): void;
}

export type OverlongHandler = Pick<LineHandler, 'overlong'>;

/** What both splitters share: chunks cut at newlines, a partial last line held back, over-long lines dropped. */
export abstract class Splitter<Handler extends OverlongHandler> {
  /** Bytes after the last newline seen, waiting for the rest of their line. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line: drop bytes until its newline. */
  private discarding = false;
  protected completed = 0;
  protected current = 1;
  /** No line handed out yet: a byte-order mark may come first. */
  protected atStart = true;

  constructor(
    protected readonly handler: Handler,
    protected readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {}

  /** 1-based number of the line being read: the one handed out during a callback, else the next one. */
  position(): number {
    return this.current;
  }

  push(chunk: Buffer): void {
    let body = chunk;
    if (this.discarding) {
      const newline = body.indexOf(10);
      if (newline === -1) return;
      this.discarding = false;
      this.completed++;
      this.current = this.completed + 1;
      body = body.subarray(newline + 1);
    }
    const last = body.lastIndexOf(10);
    if (last === -1) {
      this.hold(body);
      return;
    }
    let from = 0;
    if (this.pendingBytes > 0) {
      // Only the line that was waiting is copied together; the rest of the chunk is read in place.
      const first = body.indexOf(10) + 1;
      this.pending.push(body.subarray(0, first));
      const line = Buffer.concat(this.pending, this.pendingBytes + first);
      this.pending = [];
      this.pendingBytes = 0;
      this.emit(line);
      from = first;
    }
    if (from <= last) this.emit(body.subarray(from, last + 1));
    this.hold(body.subarray(last + 1));
  }

  /** The input ended: hand out an unterminated last line. */
  end(): void {
    if (this.discarding) {
      // Its overlong() was already called; it just ends here.
      this.discarding = false;
      this.completed++;
    } else if (this.pendingBytes > 0) {
      const bytes = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.emit(bytes);
    }
    this.current = this.completed + 1;
  }

  /**
   * Hand out every line of `bytes`: lines ending with '\n', and a last line
   * without one (only at the end of the input).
   */
  protected abstract emit(bytes: Buffer): void;

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      this.atStart = false;
      this.handler.overlong(this.completed + 1);
      return;
    }
    // A copy, so that the caller's (possibly large or reused) chunk is not retained.
    this.pending.push(Buffer.from(bytes));
  }
}

export class LineSplitter extends Splitter<LineHandler> {
  protected override emit(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    // UTF-8 never yields more UTF-16 units than bytes, per line too; equal totals
    // mean every line's length in units is its length in bytes.
    const sameLength = text.length === bytes.length;
    const max = this.maxLineBytes;
    let pos = this.skipBom(text);
    let bytePos = 0;
    // do-while: a last line that is only a byte-order mark is still a line.
    do {
      let newline = text.indexOf('\n', pos);
      if (newline === -1) newline = text.length;
      this.current = ++this.completed;
      let bytesInLine = newline - pos;
      if (!sameLength) {
        let byteNewline = bytes.indexOf(10, bytePos);
        if (byteNewline === -1) byteNewline = bytes.length;
        bytesInLine = byteNewline - bytePos;
        bytePos = byteNewline + 1;
      }
      if (bytesInLine > max) {
        this.handler.overlong(this.current);
      } else {
        let end = newline;
        if (end > pos && text.charCodeAt(end - 1) === 13) end--;
        this.handler.line(text, pos, end, this.current);
      }
      pos = newline + 1;
    } while (pos < text.length);
    this.current = this.completed + 1;
  }

  /** A UTF-8 byte-order mark before the first line is not part of it. */
  private skipBom(text: string): number {
    if (!this.atStart) return 0;
    this.atStart = false;
    return text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }
}

export class ByteLineSplitter extends Splitter<ByteLineHandler> {
  protected override emit(bytes: Buffer): void {
    // One vectorised check per run of lines instead of one per line.
    const ascii = isAscii(bytes);
    const max = this.maxLineBytes;
    let pos = this.skipBom(bytes);
    do {
      let newline = bytes.indexOf(10, pos);
      if (newline === -1) newline = bytes.length;
      this.current = ++this.completed;
      if (newline - pos > max) {
        this.handler.overlong(this.current);
      } else {
        let end = newline;
        if (end > pos && bytes[end - 1] === 13) end--;
        this.handler.line(bytes, pos, end, this.current, ascii);
      }
      pos = newline + 1;
    } while (pos < bytes.length);
    this.current = this.completed + 1;
  }

  /** A UTF-8 byte-order mark (EF BB BF) before the first line is not part of it. */
  private skipBom(bytes: Buffer): number {
    if (!this.atStart) return 0;
    this.atStart = false;
    return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  }
}
