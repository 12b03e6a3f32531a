/** One DuckDB measurement, in its own process so that its peak RSS is its own. */
import { join } from 'node:path';
import type { DuckdbCountResult, DuckdbVariant } from './duckdb-count.js';
import type { Measured } from './measure.js';
import { runMeasured } from './measure.js';

export interface DuckdbRun {
  result: DuckdbCountResult;
  measured: Measured;
}

/** `threads` null: DuckDB's default, a thread per core. */
export async function runDuckdb(file: string, variant: DuckdbVariant, threads: number | null, workDir: string): Promise<DuckdbRun> {
  const script = join(import.meta.dirname, 'duckdb-count.js');
  const what = `duckdb ${variant} threads=${threads ?? 'default'}`;
  const measured = await runMeasured(
    process.execPath,
    [script, file, '--threads', threads === null ? 'default' : String(threads), '--variant', variant],
    { what, timeFile: join(workDir, 'duckdb.time'), keepStdout: true },
  );
  const line = measured.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { result: JSON.parse(line) as DuckdbCountResult, measured };
  } catch {
    throw new Error(`bench: ${what}: expected one JSON line, got '${line.slice(0, 200)}'`);
  }
}
