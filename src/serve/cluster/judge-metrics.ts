/** The cluster judge's and follower's metrics, in the daemon's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PruneReport } from '../../store/clickhouse/retention.js';
import type { CycleReport } from './judge.js';

export interface JudgeMetrics {
  cycle(report: CycleReport): void;
  /** Whether this node holds the judge lease (or judges always). */
  leaseHeld(held: boolean): void;
  failed(): void;
}

export function judgeMetrics(registry: Registry): JudgeMetrics {
  const cycles = new Counter({ name: 'fluxhound_cluster_judge_cycles_total', help: 'Judge cycles run, by kind (full or incremental).', labelNames: ['kind'], registers: [registry] });
  const failures = new Counter({ name: 'fluxhound_cluster_judge_failures_total', help: 'Judge cycles that failed (the cluster unreachable, a query refused); retried next cycle.', registers: [registry] });
  const seconds = new Histogram({
    name: 'fluxhound_cluster_judge_cycle_seconds',
    help: 'Wall time of one judge cycle: candidates, row fetch, replay through the detector, writes.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const candidates = new Gauge({ name: 'fluxhound_cluster_judge_candidates', help: 'Candidate registered domains of the last cycle.', registers: [registry] });
  const rows = new Counter({ name: 'fluxhound_cluster_judge_rows_replayed_total', help: 'Observations replayed through the detector.', registers: [registry] });
  const skipped = new Counter({ name: 'fluxhound_cluster_judge_rows_skipped_total', help: 'Rows whose observation JSON was not an observation (skipped).', registers: [registry] });
  const deferred = new Counter({ name: 'fluxhound_cluster_judge_deferred_total', help: 'Candidate domains left to a later cycle because the row budget was spent.', registers: [registry] });
  const written = new Counter({ name: 'fluxhound_cluster_judge_verdicts_written_total', help: 'Verdict rows written to the verdicts table (changed verdicts only).', registers: [registry] });
  const held = new Gauge({ name: 'fluxhound_cluster_judge_lease_held', help: '1 while this node judges (holds the judge lease, or cluster.judge is always), else 0.', registers: [registry] });
  return {
    cycle(r) {
      cycles.inc({ kind: r.incremental ? 'incremental' : 'full' });
      seconds.observe(r.seconds);
      candidates.set(r.candidates);
      rows.inc(r.rows);
      skipped.inc(r.skipped);
      deferred.inc(r.deferred);
      written.inc(r.written);
    },
    leaseHeld(h) {
      held.set(h ? 1 : 0);
    },
    failed() {
      failures.inc();
    },
  };
}

export interface FollowMetrics {
  polled(applied: number, lagSeconds: number | null): void;
  failed(): void;
}

export function verdictFollowMetrics(registry: Registry): FollowMetrics {
  const polls = new Counter({ name: 'fluxhound_cluster_follow_polls_total', help: 'Reads of the verdict table.', registers: [registry] });
  const failures = new Counter({ name: 'fluxhound_cluster_follow_failures_total', help: 'Reads of the verdict table that failed (retried next poll).', registers: [registry] });
  const applied = new Counter({ name: 'fluxhound_cluster_follow_verdicts_applied_total', help: 'Cluster verdicts applied to this node\'s flagged set (added, changed or removed).', registers: [registry] });
  const lag = new Gauge({
    name: 'fluxhound_cluster_follow_lag_seconds',
    help: 'Seconds from the judge recording the newest verdict applied to this node applying it (wall clock of both nodes).',
    registers: [registry],
  });
  return {
    polled(n, lagSeconds) {
      polls.inc();
      applied.inc(n);
      if (lagSeconds !== null) lag.set(lagSeconds);
    },
    failed() {
      failures.inc();
    },
  };
}

export interface PruneMetrics {
  pruned(report: PruneReport): void;
  failed(): void;
}

/** Retention runs of the lease holder (retention.ts), in the daemon's registry. */
export function pruneMetrics(registry: Registry): PruneMetrics {
  const runs = new Counter({ name: 'fluxhound_cluster_prune_runs_total', help: 'Retention runs over every node (cluster.retentionDays) that completed.', registers: [registry] });
  const failures = new Counter({ name: 'fluxhound_cluster_prune_failures_total', help: 'Retention runs that failed (a node refused or is missing from cluster.nodes); retried next cluster.pruneMs.', registers: [registry] });
  const partitions = new Counter({ name: 'fluxhound_cluster_pruned_partitions_total', help: 'Partitions dropped by retention, by local table (summed over nodes).', labelNames: ['table'], registers: [registry] });
  const rows = new Counter({
    name: 'fluxhound_cluster_pruned_rows_total',
    help: 'Rows removed by retention, by local table: the rows of dropped partitions, or the rows (keys of aggregated tables) deleted by mutation.',
    labelNames: ['table'],
    registers: [registry],
  });
  const networks = new Counter({ name: 'fluxhound_cluster_pruned_networks_total', help: 'Flux network ids deleted: no current verdict names them and the judge has not written them for a day.', registers: [registry] });
  const lease = new Counter({ name: 'fluxhound_cluster_pruned_lease_rows_total', help: 'Judge lease claims deleted (older than any lease read looks at, and an hour).', registers: [registry] });
  const seconds = new Gauge({ name: 'fluxhound_cluster_prune_seconds', help: 'Wall time of the last retention run.', registers: [registry] });
  return {
    pruned(r) {
      runs.inc();
      for (const p of r.partitions) {
        partitions.inc({ table: p.table });
        rows.inc({ table: p.table }, p.rows);
      }
      for (const d of r.deleted) rows.inc({ table: d.table }, d.rows);
      networks.inc(r.networks);
      lease.inc(r.leaseRows);
      seconds.set(r.seconds);
    },
    failed() {
      failures.inc();
    },
  };
}
