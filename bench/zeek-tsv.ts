/**
 * Reading a Zeek TSV log for the plain-JS programs (plain-js-count.ts,
 * plain-js-features.ts): its column list and its lines. Apart from DuckDB, so
 * they (and their worker threads) do not load DuckDB's native module to read
 * a header.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const BLOCK = 4 << 20;
const NEWLINE = 10;
const HASH = 35;

/** Buffer's own latin1 decoder (untyped in @types/node); what toString('latin1') calls after its checks. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** The column list of a Zeek log, from its `#fields` line, so DuckDB reads every column as text. */
export function zeekColumns(file: string): string[] {
  const head = readHead(file, 1 << 16);
  const fields = head.split('\n').find((line) => line.startsWith('#fields\t'));
  if (fields === undefined) throw new Error(`bench: zeek: ${file}: no #fields line in the first 64 KiB`);
  return fields.split('\t').slice(1);
}

function readHead(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.toString('latin1', 0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `line` for every line that is neither empty nor a `#` header, read in
 * 4 MiB blocks with lines found by Buffer.indexOf: the plain-JS programs' reader.
 */
export function forEachLine(file: string, line: (buffer: Buffer, start: number, stop: number) => void): void {
  const fd = openSync(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(BLOCK);
    let carried = 0;
    for (;;) {
      if (carried === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2); // a line longer than the block
        buffer.copy(bigger, 0, 0, carried);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, carried, buffer.length - carried, null);
      const end = carried + read;
      let start = 0;
      for (;;) {
        let stop = buffer.indexOf(NEWLINE, start);
        if (stop < 0 || stop >= end) {
          if (read > 0 || start >= end) break;
          stop = end; // the last line has no newline
        }
        if (stop > start && buffer[start] !== HASH) line(buffer, start, stop);
        start = stop + 1;
      }
      if (read === 0) break;
      buffer.copy(buffer, 0, start, end);
      carried = end - start;
    }
  } finally {
    closeSync(fd);
  }
}
