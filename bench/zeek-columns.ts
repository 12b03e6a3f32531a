/**
 * The column list of a Zeek TSV log, apart from DuckDB so the plain-JS
 * programs (and their worker threads) do not load DuckDB's native module
 * to read a header.
 */
import { closeSync, openSync, readSync } from 'node:fs';

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
