/**
 * The 'cluster-console' service of `fluxhound serve --cluster URL`: the
 * records the console reads go to the cluster too, so that the API of any
 * node reads the whole fleet's: every query-log entry the daemon's hub hears
 * (context.onQuery: the forwarder's recorded queries) and the per-minute
 * query counts (context.queryStats, heard at every drain). Each has its own
 * ClusterWriter (store/clickhouse/writer.ts) — batches, row tokens (node,
 * batch, seq), a bounded spool directory of its own under the sensor's, the
 * same in-order replay — so a shard down loses and repeats nothing.
 * Counts go as running counts (store/clickhouse/running-stats.ts): a
 * retried batch adds nothing twice.
 *
 * The node's own store, when it has one, keeps its query log as before; the
 * lists are the cluster's (serve/lists reads them through context.reader).
 */
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Command } from 'commander';
import { clusterWriterMetrics } from '../../store/clickhouse/metrics.js';
import type { ClusterSettings } from '../../store/clickhouse/options.js';
import { RunningStats } from '../../store/clickhouse/running-stats.js';
import { QUERYLOG_COLUMNS, STATS_COLUMNS, queryLogRow } from '../../store/clickhouse/store-rows.js';
import { connectCluster, missingColumns } from '../../store/clickhouse/connect.js';
import { UsageError } from '../../model/errors.js';
import { ClusterWriter } from '../../store/clickhouse/writer.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { nodeClusterSettings, writerStateLog } from './sensor.js';

/** Milliseconds between sends of the running counts (each send is one row per count that changed). */
export const STATS_EVERY_MS = 5000;
/** How often the counts are drained when no store service drains them. */
const DRAIN_MS = 1000;

export const clusterConsoleService: ServiceFactory = {
  name: 'cluster-console',
  // --cluster and --node are declared by the cluster-sensor service.
  addOptions(_command: Command) {},
  create(flags, context) {
    const settings = nodeClusterSettings(flags, context);
    return settings === null ? null : new ClusterConsoleService(settings, context);
  },
};

export class ClusterConsoleService implements Service {
  readonly name = 'cluster-console';
  private client: ClickHouseClient | null = null;
  private queries: ClusterWriter | null = null;
  private counts: ClusterWriter | null = null;
  private readonly running = new RunningStats();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly settings: ClusterSettings,
    private readonly context: ServeContext,
  ) {
    const readings = (w: () => ClusterWriter | null) => ({ stats: () => w()?.stats ?? null, state: () => w()?.state() ?? null });
    this.onQueryInsert = clusterWriterMetrics(context.registry, readings(() => this.queries), {
      prefix: 'fluxhound_cluster_querylog',
      handed: 'fluxhound_cluster_querylog_entries_total',
      rows: 'Query-log',
    });
    this.onStatsInsert = clusterWriterMetrics(context.registry, readings(() => this.counts), {
      prefix: 'fluxhound_cluster_stats',
      handed: 'fluxhound_cluster_stats_counts_total',
      rows: 'Per-minute count',
    });
  }

  private readonly onQueryInsert: (seconds: number) => void;
  private readonly onStatsInsert: (seconds: number) => void;

  async start(): Promise<void> {
    const { context, settings } = this;
    const log = context.log.child({ service: this.name });
    // Its own connection: the sensor's may be busy with a large observation batch.
    const client = connectCluster({ url: settings.url, database: null });
    this.client = client;
    await this.checkSchema(client);
    const writer = (table: string, columns: readonly string[], share: number, onInsertSeconds: (s: number) => void) =>
      ClusterWriter.start({
        client,
        database: settings.database,
        sensor: settings.node,
        table,
        columns,
        batchRows: settings.batchRows,
        batchMs: settings.batchMs,
        spoolDir: join(settings.spoolDir, table),
        // The observations' spool keeps cluster.spoolBytes; these take a share of it more (README).
        spoolBytes: Math.floor(settings.spoolBytes * share),
        maxMemoryBytes: Math.floor(64 * 1024 * 1024 * share),
        onInsertSeconds,
        onState: writerStateLog(log, table, join(settings.spoolDir, table)),
      });
    this.queries = writer('querylog', QUERYLOG_COLUMNS, 1 / 4, this.onQueryInsert);
    this.counts = writer('stats', STATS_COLUMNS, 1 / 16, this.onStatsInsert);
    const queries = this.queries;
    this.unsubscribe.push(context.onQuery((entry) => queries.push((token) => queryLogRow(entry, token))));
    this.unsubscribe.push(context.queryStats.onDrain((rows) => this.running.add(rows)));
    // Without a store nobody else drains the counts: this service does.
    if (context.store === null) this.every(DRAIN_MS, () => context.queryStats.drain());
    this.every(STATS_EVERY_MS, () => this.sendCounts());
    log.info({ node: settings.node }, `cluster: writing the query log and per-minute counts as ${settings.node}`);
  }

  /**
   * Tables of an older `cluster init` would refuse every insert (spooled for ever): one line, exit 2. A node that
   * does not answer is no reason to refuse (the sensor logged it; the writers spool until it does).
   */
  private async checkSchema(client: ClickHouseClient): Promise<void> {
    let missing: string[];
    try {
      missing = await missingColumns(client, this.settings.database, { querylog_local: QUERYLOG_COLUMNS, stats_local: STATS_COLUMNS });
    } catch {
      return;
    }
    if (missing.length === 0) return;
    await client.close();
    this.client = null;
    throw new UsageError(
      `cluster: database ${this.settings.database} lacks ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}: its query-log and stats tables predate this fluxhound; drop querylog_local and stats_local on every node (and querylog, stats) and run fluxhound cluster init again`,
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    // The counts since the last drain (the forwarder stopped before this service): heard here through the
    // listener, then handed back for the store's last flush (the store stops after this service).
    const last = this.context.queryStats.drain();
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    if (this.context.store !== null) this.context.queryStats.putBack(last);
    this.sendCounts();
    const left = await Promise.all([this.queries?.close(), this.counts?.close()]);
    await this.client?.close();
    this.client = null;
    const spooled = left.reduce((n, l) => n + (l?.rowsSpooled ?? 0), 0);
    if (spooled > 0) this.context.log.warn({ service: this.name }, `cluster: ${spooled} query-log and count rows stay spooled for the next start`);
  }

  health(): string | null {
    for (const [what, w] of [
      ['query log', this.queries],
      ['counts', this.counts],
    ] as const) {
      const state = w?.state();
      if (state !== undefined && !state.up) return `cluster: ${what} inserts fail (${state.lastError ?? 'unknown'}); ${state.spoolBatches} batches spooled to disk`;
    }
    return null;
  }

  /** Every count that changed since the last send, as a row at a new version. */
  private sendCounts(): void {
    const counts = this.counts;
    if (counts === null) return;
    for (const row of this.running.changed()) counts.push((token) => ({ ...row, node: token.sensor }));
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
