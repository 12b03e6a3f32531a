/**
 * Line splitting for every text format. Chunks are decoded from UTF-8 once,
 * up to their last newline, so a multi-byte character is never cut in two
 * and no line costs a Buffer.toString of its own; the handler gets the
 * decoded text with the bounds of each line and slices only what it keeps.
 */

/** Longest line kept: 1 MiB of bytes before the '\n'. It bounds a decoder's memory. */
export const MAX_LINE_BYTES = 1 << 20;

export interface LineHandler {
  /**
   * One line is `text.slice(start, end)`, without its '\n' or '\r\n'. `text`
   * holds many lines: keep slices, not `text`, and nothing past the call.
   * `bytes`, when not null, holds the same line at the same offsets
   * (`bytes[i]` is the byte of `text[i]`: every character is one byte), for
   * decoders that scan bytes faster than characters; it is null when the
   * line has multi-byte characters.
   */
  line(text: string, start: number, end: number, lineNumber: number, bytes: Buffer | null): void;
  /** Line `lineNumber` was longer than the cap and was dropped. */
  overlong(lineNumber: number): void;
}

export class LineSplitter {
  /** Bytes after the last newline seen, waiting for the rest of their line. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line: drop bytes until its newline. */
  private discarding = false;
  private completed = 0;
  private current = 1;
  private atStart = true;

  constructor(
    private readonly handler: LineHandler,
    private readonly maxLineBytes: number = MAX_LINE_BYTES,
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
      // Only the line that was waiting is copied together; the rest of the chunk is decoded in place.
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
      const text = bytes.toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      this.current = ++this.completed;
      const start = this.skipBom(text);
      let end = text.length;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.handler.line(text, start, end, this.current, text.length === bytes.length ? bytes : null);
    }
    this.current = this.completed + 1;
  }

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

  /** Hand out every line of `bytes`, which ends with '\n'. */
  private emit(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    // UTF-8 never yields more UTF-16 units than bytes, per line too; equal totals
    // mean every line's length in units is its length in bytes.
    const sameLength = text.length === bytes.length;
    const aligned = sameLength ? bytes : null;
    const max = this.maxLineBytes;
    let pos = this.skipBom(text);
    let bytePos = 0;
    while (pos < text.length) {
      const newline = text.indexOf('\n', pos);
      this.current = ++this.completed;
      let bytesInLine = newline - pos;
      if (!sameLength) {
        const byteNewline = bytes.indexOf(10, bytePos);
        bytesInLine = byteNewline - bytePos;
        bytePos = byteNewline + 1;
      }
      if (bytesInLine > max) {
        this.handler.overlong(this.current);
      } else {
        let end = newline;
        if (end > pos && text.charCodeAt(end - 1) === 13) end--;
        this.handler.line(text, pos, end, this.current, aligned);
      }
      pos = newline + 1;
    }
    this.current = this.completed + 1;
  }

  /** A UTF-8 byte-order mark before the first line is not part of it. */
  private skipBom(text: string): number {
    if (!this.atStart) return 0;
    this.atStart = false;
    return text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }
}
