/**
 * The 'csv' feed kind: one column of an RFC 4180 file (quoted fields with ""
 * escapes and line breaks, CRLF or LF), chosen by its header name or its
 * 1-based number. Lines starting with '#' are comments, as abuse.ch and
 * others write them; a commented header ('# id,dateadded,url') counts as the
 * header when it names the column.
 */
import type { ParsedFeed } from './entry.js';
import { DEFAULT_PARSE_LIMITS, FeedCollector, hasControl, type ParseLimits } from './feed-text.js';
import { intelValue } from './values.js';

/** Fields of one record, cut from text[start, next). */
interface CsvRecord {
  fields: string[];
  line: number;
  /** Where the next record starts. */
  next: number;
  /** Why the record cannot be read; null when it can. */
  error: string | null;
}

/** column: a header name (case-insensitive) or a 1-based column number. */
export function parseCsv(text: string, source: string, column: string | number, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedFeed {
  const feed = new FeedCollector(source, limits);
  let index = typeof column === 'number' ? column - 1 : -1;
  if (typeof column === 'number' && (!Number.isInteger(column) || column < 1)) throw new Error(`intel: csv column must be a name or a number from 1, not ${column}`);
  const wanted = typeof column === 'string' ? column.trim().toLowerCase() : '';
  let at = 0;
  let line = 1;
  while (at < text.length && !feed.full) {
    const comment = text.charCodeAt(at) === 35;
    const record = readRecord(text, at, line, limits.maxLine, comment);
    line += breaksBetween(text, at, record.next);
    at = record.next;
    const ref = `${source}:${record.line}`;
    if (record.error !== null) {
      feed.skip(ref, record.error);
      continue;
    }
    if (record.fields.length === 1 && record.fields[0] === '') continue;
    if (index < 0) {
      // Still looking for the header row that names the column.
      const names = record.fields.map((f) => f.replace(/^#\s*/, '').trim().toLowerCase());
      const found = names.indexOf(wanted);
      if (found >= 0) index = found;
      else if (!comment) feed.skip(ref, `no column named '${wanted}' in the header`);
      continue;
    }
    if (comment) continue;
    const cell = record.fields[index];
    if (cell === undefined) {
      feed.skip(ref, `no column ${index + 1} (the record has ${record.fields.length})`);
      continue;
    }
    if (hasControl(cell)) {
      feed.skip(ref, 'control character (NUL or binary) in the field');
      continue;
    }
    feed.add(intelValue(cell.trim()), ref, '');
  }
  return feed.result();
}

/** One record from text[at]: RFC 4180 fields, or a comment line read whole as fields. */
function readRecord(text: string, at: number, line: number, maxLine: number, comment: boolean): CsvRecord {
  const fields: string[] = [];
  let field = '';
  let i = at;
  let quoted = false;
  let fieldStart = true;
  for (; i < text.length; i++) {
    if (i - at > maxLine) return { fields, line, next: skipLine(text, at), error: `record longer than ${maxLine} characters` };
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c !== 34) field += text[i];
      else if (text.charCodeAt(i + 1) === 34) {
        field += '"';
        i++;
      } else quoted = false;
      continue;
    }
    if (c === 34 && fieldStart && !comment) {
      quoted = true;
      fieldStart = false;
      continue;
    }
    if (c === 44) {
      fields.push(field);
      field = '';
      fieldStart = true;
      continue;
    }
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) {
      fields.push(field);
      return { fields, line, next: c === 13 ? i + 2 : i + 1, error: null };
    }
    field += text[i];
    fieldStart = false;
  }
  if (quoted) return { fields, line, next: skipLine(text, at), error: 'quoted field never closed' };
  fields.push(field);
  return { fields, line, next: i, error: null };
}

function skipLine(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end === -1 ? text.length : end + 1;
}

/** Line breaks in text[from, to): a record's quoted fields may hold some, so positions stay right. */
function breaksBetween(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
