/**
 * Turns an ip-location-db "-num" CSV (start,end,value...) into a RangeTable.
 * The asn and geo modules differ only in how the value columns read, so they
 * pass that in and share the rest.
 */
import { parseUint128, parseUint32, scanCsv } from './csv.js';
import type { CsvRow } from './csv.js';
import { RangeBuilder } from './ranges.js';
import type { RangeTable } from './ranges.js';

export interface RangeCsv {
  table: RangeTable;
  /** Lines that did not parse or were out of order, skipped. */
  skipped: number;
  /** First skipped line, for a hint in logs and errors; 0 when none. */
  firstSkippedLine: number;
}

/**
 * Returns the row's value (>= 1), or -1 to skip the row as bad. Called only
 * after both bounds parsed.
 */
export type ValueReader = (bytes: Buffer, row: CsvRow) => number;

/**
 * Parse the whole file. `file` names it in the error thrown when no row is
 * usable: an empty table would silently make every address unknown.
 */
export function parseRangeCsv(
  bytes: Buffer,
  file: string,
  width: 1 | 4,
  maxFields: number,
  valueOf: ValueReader,
): RangeCsv {
  const builder = new RangeBuilder(width, estimateRows(bytes));
  const bounds = new Uint32Array(2 * width);
  let skipped = 0;
  let firstSkippedLine = 0;
  scanCsv(bytes, maxFields, (row) => {
    if (!(row.count >= 3 && readBounds(bytes, row, width, bounds) && addRow(builder, bounds, valueOf(bytes, row)))) {
      skipped++;
      if (firstSkippedLine === 0) firstSkippedLine = row.line;
    }
  });
  if (builder.length === 0) {
    const hint = firstSkippedLine > 0 ? `; first bad line ${firstSkippedLine}` : '';
    throw new Error(`enrich: ${file}: no usable rows (${skipped} lines skipped${hint})`);
  }
  return { table: builder.finish(), skipped, firstSkippedLine };
}

function addRow(builder: RangeBuilder, bounds: Uint32Array, value: number): boolean {
  return value >= 1 && builder.add(bounds, value);
}

function readBounds(bytes: Buffer, row: CsvRow, width: 1 | 4, bounds: Uint32Array): boolean {
  const s = row.starts;
  const e = row.ends;
  if (width === 4) return parseUint128(bytes, s[0]!, e[0]!, bounds, 0) && parseUint128(bytes, s[1]!, e[1]!, bounds, 4);
  const start = parseUint32(bytes, s[0]!, e[0]!);
  const end = parseUint32(bytes, s[1]!, e[1]!);
  if (start < 0 || end < 0) return false;
  bounds[0] = start;
  bounds[1] = end;
  return true;
}

/** Rows are ~50 bytes; starting near the right size avoids most regrowth copies. */
function estimateRows(bytes: Buffer): number {
  return Math.max(1024, Math.ceil(bytes.length / 40));
}

/** A package's pair of files: the IPv4 one and the IPv6 one, parsed alike. */
export function parseV4V6(
  files: readonly [string, string],
  v4: Buffer,
  v6: Buffer,
  parseOne: (bytes: Buffer, file: string, width: 1 | 4) => RangeCsv,
): { v4: RangeTable; v6: RangeTable; skipped: number } {
  const t4 = parseOne(v4, files[0], 1);
  const t6 = parseOne(v6, files[1], 4);
  return { v4: t4.table, v6: t6.table, skipped: t4.skipped + t6.skipped };
}
