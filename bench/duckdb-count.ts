/**
 * The peer measurement: DuckDB counting distinct answers per query name over
 * a Zeek dns.log. Run as its own process (`node dist/bench/duckdb-count.js
 * FILE --threads N --variant unnest|sets`) so its peak RSS is its own; prints
 * one JSON line with the timings.
 *
 * `unnest` counts distinct individual answers (each address or CNAME target)
 * per name, the work comparable to fluxhound's per-name address sets; `sets`
 * counts distinct whole `answers` strings, a cheaper query shown for contrast.
 */
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { zeekColumns } from './zeek-tsv.js';

export type DuckdbVariant = 'unnest' | 'sets';

export interface DuckdbCountResult {
  variant: DuckdbVariant;
  /** The thread setting DuckDB ran with, as it reports it. */
  threads: number;
  /** Distinct query names in the result. */
  names: number;
  /** From creating the instance until the whole result was read into this process. */
  elapsedMs: number;
  maxRssBytes: number;
}

export { zeekColumns } from './zeek-tsv.js';

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * All columns VARCHAR, no quoting or escaping (Zeek TSV has none), and `#`
 * lines (the header and the `#close` trailer) skipped as comments.
 */
export function distinctAnswersSql(file: string, columns: readonly string[], variant: DuckdbVariant): string {
  const columnTypes = columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ');
  const source =
    `read_csv(${sqlString(file)}, delim='\\t', header=false, comment='#', quote='', escape='', ` +
    `auto_detect=false, columns={${columnTypes}})`;
  if (variant === 'sets') return `SELECT query, count(DISTINCT answers) AS answers FROM ${source} GROUP BY query`;
  return (
    `SELECT query, count(DISTINCT answer) AS answers FROM ` +
    `(SELECT query, unnest(string_split(answers, ',')) AS answer FROM ${source} WHERE answers <> '-') ` +
    `GROUP BY query`
  );
}

/** Run the count in this process; `threads` null leaves DuckDB's default (one per core). */
export async function countDistinctAnswers(
  file: string,
  variant: DuckdbVariant,
  threads: number | null,
): Promise<{ rows: [string, number][]; result: DuckdbCountResult }> {
  const sql = distinctAnswersSql(file, zeekColumns(file), variant);
  const started = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(':memory:', threads === null ? {} : { threads: String(threads) });
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(sql);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const setting = await connection.runAndReadAll("SELECT current_setting('threads')");
  const rows = reader.getRowsJS().map((r) => [String(r[0]), Number(r[1])] as [string, number]);
  const threadsUsed = Number(setting.getRowsJS()[0]?.[0] ?? 0);
  connection.closeSync();
  instance.closeSync();
  return {
    rows,
    result: { variant, threads: threadsUsed, names: rows.length, elapsedMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 },
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const file = argv[0];
  let threads: number | null = null;
  let variant: DuckdbVariant = 'unnest';
  for (let i = 1; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--threads') threads = value === 'default' ? null : Number(value);
    else if (argv[i] === '--variant' && (value === 'unnest' || value === 'sets')) variant = value;
    else throw new Error(`bench: duckdb: unknown argument ${argv[i]} ${value}`);
  }
  if (file === undefined) throw new Error('bench: duckdb: usage: duckdb-count.js FILE [--threads N|default] [--variant unnest|sets]');
  const { result } = await countDistinctAnswers(file, variant, threads);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
