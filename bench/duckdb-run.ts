/** One DuckDB (or plain-JS ceiling) measurement, in its own process so that its peak RSS is its own. */
import { join } from 'node:path';
import type { DuckdbCountResult, DuckdbVariant } from './duckdb-count.js';
import type { DuckdbFeaturesResult } from './duckdb-features.js';
import type { Measured } from './measure.js';
import { runMeasured } from './measure.js';

export interface DuckdbRun {
  /** elapsedMs and maxRssBytes are all the summary reads; the rest says what ran. */
  result: DuckdbCountResult | DuckdbFeaturesResult;
  measured: Measured;
}

/** `threads` null: DuckDB's default, a thread per core. */
export async function runDuckdb(file: string, variant: DuckdbVariant, threads: number | null, workDir: string): Promise<DuckdbRun> {
  const args = [file, '--threads', threads === null ? 'default' : String(threads), '--variant', variant];
  return runCounter('duckdb-count.js', args, `duckdb ${variant} threads=${threads ?? 'default'}`, workDir);
}

/** The per-name feature query (bench/duckdb-features.ts) against the range tables in `rangesDatabase`. */
export async function runDuckdbFeatures(file: string, rangesDatabase: string, threads: number | null, workDir: string): Promise<DuckdbRun> {
  const args = [file, rangesDatabase, '--threads', threads === null ? 'default' : String(threads)];
  return runCounter('duckdb-features.js', args, `duckdb features threads=${threads ?? 'default'}`, workDir);
}

/** DuckDB's `unnest` query in plain single-threaded JavaScript (bench/plain-js-count.ts). */
export async function runPlainJs(file: string, workDir: string): Promise<DuckdbRun> {
  return runCounter('plain-js-count.js', [file], 'plain-js count', workDir);
}

/** The per-name features in plain JavaScript (bench/plain-js-features.ts) on `threads` threads. */
export async function runPlainJsFeatures(file: string, rangesFile: string, threads: number, workDir: string): Promise<DuckdbRun> {
  return runCounter('plain-js-features.js', [file, rangesFile, '--threads', String(threads)], `plain-js features threads=${threads}`, workDir);
}

async function runCounter(script: string, args: readonly string[], what: string, workDir: string): Promise<DuckdbRun> {
  const measured = await runMeasured(process.execPath, [join(import.meta.dirname, script), ...args], {
    what,
    timeFile: join(workDir, 'duckdb.time'),
    keepStdout: true,
  });
  const line = measured.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { result: JSON.parse(line) as DuckdbRun['result'], measured };
  } catch {
    throw new Error(`bench: ${what}: expected one JSON line, got '${line.slice(0, 200)}'`);
  }
}
