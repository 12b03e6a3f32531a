/** Everything one bench run found; printed by report.ts and saved as JSON. */
import type { Dataset } from './dataset.js';
import type { DuckdbRun } from './duckdb-run.js';
import type { FluxhoundRun } from './fluxhound-run.js';
import type { FeatureRatio, MemorySummary, SideSummary, ThroughputRatio } from './summary.js';

export interface EnrichFigures {
  v4PerSec: number;
  v6PerSec: number;
  loadMs: number;
}

export interface BenchResults {
  startedAt: string;
  node: string;
  cpus: number;
  runs: number;
  dataset: Dataset;
  fluxhound: SideSummary | null;
  /** DuckDB rows: unnest with default threads, unnest with one thread, whole answer sets. */
  duckdb: SideSummary[];
  ratio: ThroughputRatio | null;
  /** DuckDB's per-name feature query (bench/duckdb-features.ts), default threads: the issue 18 yardstick. */
  features: SideSummary | null;
  /** analyze (all cores when the build has --workers) over the feature query. */
  featureRatio: FeatureRatio | null;
  /** DuckDB's query in plain single-threaded JavaScript, no detection: the ceiling for a JS analyzer. */
  plainJs: SideSummary | null;
  /** plainJs records/s over DuckDB's (unnest, default threads); null when either is missing. */
  plainJsRatio: number | null;
  memoryTargetBytes: number;
  memory: MemorySummary | null;
  memoryDataset: Dataset | null;
  enrich: EnrichFigures | null;
  failures: string[];
  raw: { fluxhound: FluxhoundRun[]; duckdb: Record<string, DuckdbRun[]>; features: DuckdbRun[]; plainJs: DuckdbRun[]; memory: FluxhoundRun | null };
}
