/**
 * The yardstick: DuckDB computing fluxhound's per-name address
 * features in SQL, as a competent user would write them, over the same Zeek
 * dns.log: distinct answer addresses, /16 (IPv4) and /48 (IPv6) prefixes,
 * ASNs and countries through range joins on the very tables fluxhound ships
 * (@ip-location-db/asn and asn-country, the `-num` CSVs src/enrich/bundled.ts
 * loads), minimum and median TTL. Run as its own process (`node
 * dist/bench/duckdb-features.js FILE RANGES.duckdb [--threads N|default]`) so
 * its peak RSS is its own; prints one JSON line with the timings.
 *
 * The range tables are loaded once into a DuckDB database file beside the
 * bench data (untimed, as fluxhound's compiled-table cache is built once):
 * the timed part opens that file, reads the log and answers. That is the
 * fairer setting for the peer: a user would keep the ranges in a table.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { bundledPackage } from '../src/enrich/bundled.js';
import { zeekColumns } from './duckdb-count.js';

/** One name's features as the SQL computes them. */
export interface NameFeatures {
  ips: number;
  prefixes: number;
  asns: number;
  countries: number;
  ttlMin: number | null;
  ttlMedian: number | null;
}

export interface DuckdbFeaturesResult {
  /** The thread setting DuckDB ran with, as it reports it. */
  threads: number;
  /** Query names with at least one address answer. */
  names: number;
  /** From opening the database until the whole result was read into this process. */
  elapsedMs: number;
  maxRssBytes: number;
}

/** Bump when the range tables' layout changes, so an old database file is rebuilt. */
const RANGES_VERSION = 1;

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The database file holding the four range tables, for this version of the packages. */
export function rangesDatabasePath(dir: string): string {
  const asn = bundledPackage('@ip-location-db/asn');
  const country = bundledPackage('@ip-location-db/asn-country');
  return join(dir, `ranges-v${RANGES_VERSION}-asn${asn.version}-country${country.version}.duckdb`);
}

/**
 * The bundled CSVs into four tables keyed by range start. Addresses are
 * integers in IPv4-mapped IPv6 space (::ffff:a.b.c.d for IPv4), one UHUGEINT
 * column for both families, so one ASOF join per table answers both.
 */
export async function ensureRangesDatabase(dir: string): Promise<string> {
  const path = rangesDatabasePath(dir);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  const asn = bundledPackage('@ip-location-db/asn').dir;
  const country = bundledPackage('@ip-location-db/asn-country').dir;
  const csv = (file: string, columns: string) => `read_csv(${sqlString(file)}, header=false, auto_detect=false, columns={${columns}})`;
  const instance = await DuckDBInstance.create(partial);
  const connection = await instance.connect();
  try {
    for (const [table, v4, v6, value, type] of [
      ['asn_ranges', join(asn, 'asn-ipv4-num.csv'), join(asn, 'asn-ipv6-num.csv'), 'asn', 'UINTEGER'],
      ['country_ranges', join(country, 'asn-country-ipv4-num.csv'), join(country, 'asn-country-ipv6-num.csv'), 'country', 'VARCHAR'],
    ] as const) {
      const extra = table === 'asn_ranges' ? `, 'org': 'VARCHAR'` : '';
      const v4Columns = `'first': 'UBIGINT', 'last': 'UBIGINT', '${value}': '${type}'${extra}`;
      const v6Columns = `'first': 'UHUGEINT', 'last': 'UHUGEINT', '${value}': '${type}'${extra}`;
      await connection.run(
        `CREATE TABLE ${table} AS ` +
          `SELECT (281470681743360::UHUGEINT + first) AS first, (281470681743360::UHUGEINT + last) AS last, ${value} FROM ${csv(v4, v4Columns)} ` +
          `UNION ALL SELECT first, last, ${value} FROM ${csv(v6, v6Columns)} ORDER BY first`,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  renameSync(partial, path);
  rmSync(`${partial}.wal`, { force: true });
  return path;
}

/**
 * Text to integer, both families: IPv4 as ::ffff:a.b.c.d (281470681743360 is
 * 0xffff << 32); IPv6 with `::` expanded to the missing zero groups. Only
 * what parses as an address gets a value; a CNAME target stays NULL.
 */
const MACROS = [
  `CREATE OR REPLACE TEMP MACRO ipv4_int(ip) AS (
     281470681743360::UHUGEINT + TRY_CAST(split_part(ip, '.', 1) AS UTINYINT)::UBIGINT * 16777216
       + TRY_CAST(split_part(ip, '.', 2) AS UTINYINT)::UBIGINT * 65536
       + TRY_CAST(split_part(ip, '.', 3) AS UTINYINT)::UBIGINT * 256
       + TRY_CAST(split_part(ip, '.', 4) AS UTINYINT)::UBIGINT)`,
  `CREATE OR REPLACE TEMP MACRO ipv6_groups(ip) AS (
     CASE WHEN contains(ip, '::') THEN list_concat(
       list_filter(string_split(split_part(ip, '::', 1), ':'), g -> g <> ''),
       list_transform(range(8 - len(list_filter(string_split(ip, ':'), g -> g <> ''))), z -> '0'),
       list_filter(string_split(split_part(ip, '::', 2), ':'), g -> g <> ''))
     ELSE string_split(ip, ':') END)`,
  `CREATE OR REPLACE TEMP MACRO ipv6_int(ip) AS (
     list_reduce(list_transform(ipv6_groups(ip), g -> TRY_CAST('0x' || g AS USMALLINT)::UHUGEINT), (acc, g) -> acc * 65536 + g))`,
  `CREATE OR REPLACE TEMP MACRO ip_int(ip) AS (
     CASE WHEN contains(ip, ':') THEN ipv6_int(ip)
          WHEN regexp_full_match(ip, '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}') THEN ipv4_int(ip) END)`,
];

/**
 * Answers and TTLs unnested side by side (Zeek writes them as parallel
 * vectors) and folded to one row per name and address (its lowest TTL and
 * its latest: fluxhound's median TTL is over each address's latest TTL);
 * each distinct address enriched once through two ASOF joins (the last
 * range starting at or below it, kept when it also ends at or above it);
 * then one GROUP BY per name. The prefix of an
 * IPv4-mapped address is its /16 (>> 16), of an IPv6 address its /48 (>> 80):
 * the two never meet outside reserved space.
 */
export function featureSql(file: string, columns: readonly string[]): string {
  const columnTypes = columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ');
  const source =
    `read_csv(${sqlString(file)}, delim='\\t', header=false, comment='#', quote='', escape='', ` +
    `auto_detect=false, columns={${columnTypes}})`;
  return `
WITH answers AS (
  SELECT query, TRY_CAST(ts AS DOUBLE) AS ts, unnest(string_split(answers, ',')) AS answer, unnest(string_split("TTLs", ',')) AS ttl
  FROM ${source} WHERE answers <> '-'
), per_address AS (
  SELECT query, ip_int(answer) AS ip, min(TRY_CAST(ttl AS DOUBLE)) AS ttl_min, arg_max(TRY_CAST(ttl AS DOUBLE), ts) AS ttl_latest
  FROM answers WHERE ip_int(answer) IS NOT NULL GROUP BY ALL
), enriched AS (
  SELECT d.ip,
    CASE WHEN d.ip >= 281470681743360::UHUGEINT AND d.ip < 281474976710656::UHUGEINT THEN d.ip >> 16 ELSE d.ip >> 80 END AS prefix,
    CASE WHEN d.ip <= a.last THEN a.asn END AS asn,
    CASE WHEN d.ip <= c.last THEN c.country END AS country
  FROM (SELECT DISTINCT ip FROM per_address) d
  ASOF LEFT JOIN asn_ranges a ON d.ip >= a.first
  ASOF LEFT JOIN country_ranges c ON d.ip >= c.first
)
SELECT query, count(*) AS ips, count(DISTINCT prefix) AS prefixes, count(DISTINCT asn) AS asns,
  count(DISTINCT country) AS countries, min(ttl_min) AS ttl_min, median(ttl_latest) AS ttl_median
FROM per_address JOIN enriched USING (ip)
GROUP BY query`;
}

/** Run the feature query in this process; `threads` null leaves DuckDB's default (one per core). */
export async function computeFeatures(
  file: string,
  rangesDatabase: string,
  threads: number | null,
): Promise<{ rows: Map<string, NameFeatures>; result: DuckdbFeaturesResult }> {
  const sql = featureSql(file, zeekColumns(file));
  const started = process.hrtime.bigint();
  const options: Record<string, string> = { access_mode: 'READ_ONLY' };
  if (threads !== null) options['threads'] = String(threads);
  const instance = await DuckDBInstance.create(rangesDatabase, options);
  const connection = await instance.connect();
  for (const macro of MACROS) await connection.run(macro);
  await connection.run('SET asof_loop_join_threshold = 0');
  const reader = await connection.runAndReadAll(sql);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const setting = await connection.runAndReadAll("SELECT current_setting('threads')");
  const threadsUsed = Number(setting.getRowsJS()[0]?.[0] ?? 0);
  const rows = new Map<string, NameFeatures>();
  for (const r of reader.getRowsJS()) {
    const number = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
    rows.set(String(r[0]), {
      ips: Number(r[1]),
      prefixes: Number(r[2]),
      asns: Number(r[3]),
      countries: Number(r[4]),
      ttlMin: number(r[5]),
      ttlMedian: number(r[6]),
    });
  }
  connection.closeSync();
  instance.closeSync();
  return { rows, result: { threads: threadsUsed, names: rows.size, elapsedMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 } };
}

async function main(argv: readonly string[]): Promise<void> {
  const [file, ranges] = argv;
  let threads: number | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--threads') threads = value === 'default' ? null : Number(value);
    else throw new Error(`bench: duckdb features: unknown argument ${argv[i]} ${value}`);
  }
  if (file === undefined || ranges === undefined) {
    throw new Error('bench: duckdb features: usage: duckdb-features.js FILE RANGES.duckdb [--threads N|default]');
  }
  const { result } = await computeFeatures(file, ranges, threads);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
