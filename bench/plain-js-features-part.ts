/**
 * The `plain-js-features` part of `npm run bench`: the floor (the per-name
 * features of the DuckDB query in plain JavaScript, bench/plain-js-features.ts)
 * on one thread and on every core, its runs alternating with DuckDB's feature
 * query, in the same run as `analyze`, and the ratios that place the three:
 * floor / DuckDB (the most any JavaScript analyzer could reach on this
 * machine) and fluxhound / floor (what detection costs over the floor).
 */
import { availableParallelism } from 'node:os';
import type { Dataset } from './dataset.js';
import { ensureRangesDatabase } from './duckdb-features.js';
import { runDuckdbFeatures, runPlainJsFeatures, type DuckdbRun } from './duckdb-run.js';
import { ensureFloorRanges } from './plain-js-ranges.js';
import { summariseDuckdb, type SideSummary } from './summary.js';

export interface FloorFigures {
  /** Threads of the all-cores run: one per core. */
  threads: number;
  one: SideSummary | null;
  /** Null on a one-core machine, where it would repeat `one`. */
  all: SideSummary | null;
  /** DuckDB's feature query, default threads, its runs alternating with the floor's: the ratio's denominator. */
  duckdb: SideSummary | null;
  raw: { one: DuckdbRun[]; all: DuckdbRun[]; duckdb: DuckdbRun[] };
}

/**
 * `runs` rounds of the floor on one thread, on all cores and DuckDB's feature
 * query (default threads), alternating so a busy spell of a shared host falls
 * on all three. A failed run ends the part (failures gets why); so does a
 * floor run whose record count differs from the input's or whose name count
 * differs from DuckDB's: the floor must do exactly the query's work.
 */
export async function floorRuns(dataset: Dataset, dataDir: string, runs: number, failures: string[], log: (line: string) => void): Promise<FloorFigures> {
  const threads = availableParallelism();
  const raw: FloorFigures['raw'] = { one: [], all: [], duckdb: [] };
  try {
    const floorRanges = ensureFloorRanges(dataDir);
    const duckdbRanges = await ensureRangesDatabase(dataDir);
    for (let i = 0; i < runs; i++) {
      const peer = await runDuckdbFeatures(dataset.path, duckdbRanges, null, dataDir);
      raw.duckdb.push(peer);
      log(`plain-js features: duckdb features run ${i + 1}/${runs}: ${(peer.result.elapsedMs / 1000).toFixed(2)} s`);
      for (const [n, into] of threads > 1 ? ([[1, raw.one], [threads, raw.all]] as const) : ([[1, raw.one]] as const)) {
        const run = await runPlainJsFeatures(dataset.path, floorRanges, n, dataDir);
        const result = run.result as DuckdbRun['result'] & { records?: number };
        if (result.records !== dataset.records) throw new Error(`read ${result.records} records of ${dataset.records}`);
        if (result.names !== peer.result.names) throw new Error(`${result.names} names, DuckDB's query ${peer.result.names}`);
        into.push(run);
        log(`plain-js features: ${n} thread(s) run ${i + 1}/${runs}: ${(result.elapsedMs / 1000).toFixed(2)} s`);
      }
    }
  } catch (error) {
    failures.push(`plain-js features: ${(error as Error).message}`);
  }
  const summary = (label: string, r: DuckdbRun[]) => (r.length > 0 ? summariseDuckdb(label, dataset, r) : null);
  return {
    threads,
    one: summary('plain-JS floor, per-name features, 1 thread', raw.one),
    all: summary(`plain-JS floor, per-name features, ${threads} threads`, raw.all),
    duckdb: summary('DuckDB per-name features, default threads', raw.duckdb),
    raw,
  };
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The floor's rows and its ratios to DuckDB's feature query and to fluxhound's analyze, same run. */
export function formatFloor(f: FloorFigures, fluxhound: SideSummary | null): string {
  const duckdb = f.duckdb;
  const lines = ["plain-JS floor: the per-name features of DuckDB's query in plain JavaScript, no detection, runs alternating with DuckDB's (medians; CPU = all threads)"];
  if (fluxhound !== null) lines.push(`  fluxhound: ${fluxhound.label}`);
  for (const s of [f.one, f.all, f.duckdb]) {
    if (s === null) continue;
    lines.push(
      `  ${s.label.padEnd(48)} ${fixed(s.seconds, 2)} s (wall ${fixed(s.wallSeconds, 2)} s, CPU ${fixed(s.cpuSeconds, 2)} s), ` +
        `${Math.round(s.recordsPerSecond).toLocaleString('en-US')} records/s, peak RSS ${fixed(s.peakRssBytes / 1e6, 0)} MB`,
    );
  }
  const ratio = (what: string, a: SideSummary, b: SideSummary, why: string) =>
    `  ${what.padEnd(48)} ${fixed(a.recordsPerSecond / b.recordsPerSecond, 2)}x records/s, ` +
    `${fixed(b.wallSeconds / a.wallSeconds, 2)}x on wall time, ${fixed(b.cpuSeconds / a.cpuSeconds, 2)}x per CPU second${why}`;
  const floors = [
    { side: f.all, threads: `${f.threads} threads` },
    { side: f.one, threads: '1 thread' },
  ];
  for (const { side, threads } of floors) {
    if (side !== null && duckdb !== null) lines.push(ratio(`floor (${threads}) / DuckDB per-name features`, side, duckdb, ''));
  }
  for (const { side, threads } of floors) {
    if (side !== null && fluxhound !== null) lines.push(ratio(`fluxhound analyze / floor (${threads})`, fluxhound, side, ''));
  }
  const best = Math.max(...floors.map(({ side }) => (side === null ? 0 : side.recordsPerSecond)));
  if (best > 0 && duckdb !== null) {
    const bound = best / duckdb.recordsPerSecond;
    lines.push(
      `  the faster floor is ${fixed(bound, 2)}x DuckDB: no analyzer in JavaScript passes that here` +
        (fluxhound === null ? '' : `; fluxhound runs at ${fixed(fluxhound.recordsPerSecond / best, 2)}x of it, the rest is detection`),
    );
  }
  return lines.join('\n');
}
