/**
 * The data/reference/ text format: `#` header lines (`# source:`, `# licence:`,
 * `# date:` among them), then one entry a line of space-separated fields; a
 * `#` starts a comment anywhere (curated lines carry their reason that way).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraSource } from './infra.js';

export interface ReferenceRow {
  /** 1-based line number, for error messages. */
  line: number;
  fields: string[];
}

export interface ReferenceFile {
  source: InfraSource;
  rows: ReferenceRow[];
}

export function readReferenceFile(dir: string, file: string): ReferenceFile {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    throw new Error(`infra: ${join(dir, file)}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseReferenceText(text, file);
}

export function parseReferenceText(text: string, file: string): ReferenceFile {
  const rows: ReferenceRow[] = [];
  const upstream: string[] = [];
  let date: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    if (hash === 0) {
      const header = /^#\s*(source|date):\s*(.*?)\s*$/.exec(raw);
      if (header?.[1] === 'source') upstream.push(header[2]!);
      else if (header?.[1] === 'date') date = /^\d{4}-\d{2}-\d{2}/.exec(header[2]!)?.[0] ?? null;
      continue;
    }
    const body = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (body === '') continue;
    // Most lines are one field or single-spaced; the regex is for hand-edited ones.
    const fields = body.indexOf(' ') === -1 && body.indexOf('\t') === -1 ? [body] : body.indexOf('  ') === -1 && body.indexOf('\t') === -1 ? body.split(' ') : body.split(/\s+/);
    rows.push({ line: i + 1, fields });
  }
  return { source: { kind: 'infra', name: file, date, upstream }, rows };
}

/** `infra: FILE:LINE: what`, the one shape of every load error. */
export function rowError(file: string, row: ReferenceRow, what: string): Error {
  return new Error(`infra: ${file}:${row.line}: ${what}`);
}

/** The row's fields, checked to be exactly n. */
export function fieldsOf(file: string, row: ReferenceRow, n: number): string[] {
  if (row.fields.length !== n) throw rowError(file, row, `want ${n} fields, got ${row.fields.length} ("${row.fields.join(' ')}")`);
  return row.fields;
}
