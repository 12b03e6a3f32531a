/** Medians and the figures the report shows, from the raw runs. */
import type { Dataset } from './dataset.js';
import type { DuckdbRun } from './duckdb-run.js';
import type { FluxhoundRun } from './fluxhound-run.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One row of the throughput table: medians over runs. */
export interface SideSummary {
  label: string;
  runs: number;
  /** In-process time: fluxhound's elapsedMs, DuckDB's connect-to-result. */
  seconds: number;
  wallSeconds: number;
  /** CPU seconds, all threads, process start to exit (GNU time); NaN without it. The steadier figure on a shared host. */
  cpuSeconds: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  /** Peak RSS from outside (GNU time), else the process's own figure. */
  peakRssBytes: number;
}

function side(label: string, dataset: Dataset, seconds: number[], wall: number[], rss: number[], cpu: (number | null)[]): SideSummary {
  const s = median(seconds);
  return {
    label,
    runs: seconds.length,
    seconds: s,
    wallSeconds: median(wall),
    cpuSeconds: cpu.every((c) => c !== null) ? median(cpu as number[]) : Number.NaN,
    recordsPerSecond: dataset.records / s,
    megabytesPerSecond: dataset.bytes / 1e6 / s,
    peakRssBytes: median(rss),
  };
}

export function summariseFluxhound(dataset: Dataset, runs: readonly FluxhoundRun[], label = 'fluxhound analyze'): SideSummary {
  return side(
    label,
    dataset,
    runs.map((r) => r.stats.elapsedMs / 1000),
    runs.map((r) => r.measured.wallSeconds),
    runs.map((r) => r.measured.maxRssBytes ?? r.stats.maxRssBytes),
    runs.map((r) => r.measured.cpuSeconds),
  );
}

export function summariseDuckdb(label: string, dataset: Dataset, runs: readonly DuckdbRun[]): SideSummary {
  return side(
    label,
    dataset,
    runs.map((r) => r.result.elapsedMs / 1000),
    runs.map((r) => r.measured.wallSeconds),
    runs.map((r) => r.measured.maxRssBytes ?? r.result.maxRssBytes),
    runs.map((r) => r.measured.cpuSeconds),
  );
}

export interface ThroughputRatio {
  target: number;
  /** fluxhound records/s over DuckDB's (unnest, default threads), in-process times: the headline. */
  vsDefaultThreads: number;
  /** The same against DuckDB limited to one thread; NaN when that was not measured. */
  vsOneThread: number;
  /** The headline ratio on wall time (process start to exit, start-up included). */
  wallVsDefaultThreads: number;
}

export function throughputRatio(
  fluxhound: SideSummary | null,
  peer: SideSummary | undefined,
  peerOneThread: SideSummary | undefined,
  target: number,
): ThroughputRatio | null {
  if (fluxhound === null || peer === undefined) return null;
  return {
    target,
    vsDefaultThreads: fluxhound.recordsPerSecond / peer.recordsPerSecond,
    vsOneThread: peerOneThread === undefined ? Number.NaN : fluxhound.recordsPerSecond / peerOneThread.recordsPerSecond,
    wallVsDefaultThreads: peer.wallSeconds / fluxhound.wallSeconds,
  };
}

/** fluxhound against the per-name feature query (issue 18): a floor it must reach and a goal. */
export interface FeatureRatio {
  target: number;
  goal: number;
  /** fluxhound records/s over the feature query's, in-process times (medians): the headline. */
  ratio: number;
  /** The same on wall time, process start to exit. */
  wallRatio: number;
  /** The same per CPU second (all threads, start-up included): what a busy host moves least; NaN without GNU time. */
  cpuRatio: number;
}

export function featureRatio(fluxhound: SideSummary | null, peer: SideSummary | null, target: number, goal: number): FeatureRatio | null {
  if (fluxhound === null || peer === null) return null;
  return {
    target,
    goal,
    ratio: fluxhound.recordsPerSecond / peer.recordsPerSecond,
    wallRatio: peer.wallSeconds / fluxhound.wallSeconds,
    cpuRatio: peer.cpuSeconds / fluxhound.cpuSeconds,
  };
}

export interface MemorySummary {
  records: number;
  domainsTracked: number;
  heapUsedAfterGcBytes: number | null;
  /** heapUsedAfterGc / domainsTracked: the figure with the 1 KiB target. */
  bytesPerDomain: number | null;
  /** The same after subtracting the heap in use before the input was read, when reported. */
  bytesPerDomainAboveBaseline: number | null;
  peakRssBytes: number;
}

export function summariseMemory(run: FluxhoundRun): MemorySummary {
  const { stats } = run;
  const heap = stats.heapUsedAfterGcBytes;
  const baseline = stats.heapUsedBaselineBytes ?? null;
  const perDomain = (bytes: number | null): number | null =>
    bytes === null || stats.domainsTracked === 0 ? null : bytes / stats.domainsTracked;
  return {
    records: stats.records,
    domainsTracked: stats.domainsTracked,
    heapUsedAfterGcBytes: heap,
    bytesPerDomain: perDomain(heap),
    bytesPerDomainAboveBaseline: heap === null || baseline === null ? null : perDomain(heap - baseline),
    peakRssBytes: run.measured.maxRssBytes ?? stats.maxRssBytes,
  };
}
