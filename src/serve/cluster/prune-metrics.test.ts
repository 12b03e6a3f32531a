import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { PruneReport } from '../../store/clickhouse/retention.js';
import { pruneMetrics } from './judge-metrics.js';

describe('retention metrics', () => {
  it('count partitions and rows per table (partition drops and mutations alike), networks and lease claims', async () => {
    const registry = new Registry();
    const metrics = pruneMetrics(registry);
    const report: PruneReport = {
      cutoffMs: 0,
      partitions: [
        { node: 0, table: 'observations_local', partitionId: '20261201', rows: 120, bytes: 4096 },
        { node: 1, table: 'observations_local', partitionId: '20261201', rows: 80, bytes: 2048 },
        { node: 1, table: 'verdicts_local', partitionId: '20261201', rows: 3, bytes: 512 },
      ],
      deleted: [{ node: 0, table: 'pdns_local', rows: 7 }],
      networks: 2,
      leaseRows: 5,
      kept: [],
      seconds: 0.25,
    };
    metrics.pruned(report);
    metrics.failed();
    const text = await registry.metrics();
    expect(text).toMatch(/^fluxhound_cluster_pruned_partitions_total\{table="observations_local"\} 2$/m);
    expect(text).toMatch(/^fluxhound_cluster_pruned_rows_total\{table="observations_local"\} 200$/m);
    expect(text).toMatch(/^fluxhound_cluster_pruned_rows_total\{table="pdns_local"\} 7$/m);
    expect(text).toMatch(/^fluxhound_cluster_pruned_networks_total 2$/m);
    expect(text).toMatch(/^fluxhound_cluster_pruned_lease_rows_total 5$/m);
    expect(text).toMatch(/^fluxhound_cluster_prune_runs_total 1$/m);
    expect(text).toMatch(/^fluxhound_cluster_prune_failures_total 1$/m);
    expect(text).toMatch(/^fluxhound_cluster_prune_seconds 0.25$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
    if (check.error === undefined) expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
  });
});
