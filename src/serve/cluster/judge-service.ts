/**
 * serve's cluster judge and verdict follower (on with --cluster URL or
 * cluster.url): every node follows the verdict table into its flagged set
 * every cluster.followMs; the node that judges (--judge / cluster.judge:
 * always, never, or lease: the judge_lease holder) runs a judge cycle every
 * cluster.judgeMs. `--cluster` and `--node` are declared by the cluster
 * sensor's factory (a flag is declared once); this one reads them.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { connectCluster } from '../../store/clickhouse/connect.js';
import { clusterSettings } from '../../store/clickhouse/options.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { ClusterJudge } from './judge.js';
import { judgeMetrics, pruneMetrics, verdictFollowMetrics, type JudgeMetrics, type PruneMetrics } from './judge-metrics.js';
import { ClusterPruner } from './prune.js';
import { JudgeLease } from './lease.js';
import { VerdictFollower } from './follow.js';

export type JudgeMode = 'always' | 'never' | 'lease';
const JUDGE_MODES: readonly JudgeMode[] = ['always', 'never', 'lease'];
/** Replayed observations per judge cycle at most (memory: about 1 KiB each while a cycle runs). */
export const JUDGE_ROW_BUDGET = 2_000_000;

export interface ClusterJudgeServiceOptions {
  url: string;
  database: string;
  node: string;
  mode: JudgeMode;
  judgeMs: number;
  followMs: number;
  leaseMs: number;
  /** Retention run by this node while it judges: null = none (cluster.retentionDays null, or never judging). */
  retention: { days: number; everyMs: number; nodes: string[]; cluster: string } | null;
}

class ClusterJudgeService implements Service {
  readonly name = 'cluster-judge';
  private readonly client: ClickHouseClient;
  private readonly judge: ClusterJudge | null;
  private readonly lease: JudgeLease | null;
  private readonly follower: VerdictFollower;
  private readonly metrics: JudgeMetrics;
  private readonly pruner: ClusterPruner | null;
  private readonly pruneMetrics: PruneMetrics | null;
  private timers: NodeJS.Timeout[] = [];
  private judging: Promise<void> = Promise.resolve();
  private pruning: Promise<void> = Promise.resolve();
  private following: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastError: string | null = null;
  private held = false;

  constructor(
    private readonly options: ClusterJudgeServiceOptions,
    private readonly context: ServeContext,
  ) {
    // The judge's row fetch may take longer than a sensor's insert.
    this.client = connectCluster({ url: options.url, database: options.database, requestTimeoutMs: 300_000 });
    this.metrics = judgeMetrics(context.registry);
    const followMetrics = verdictFollowMetrics(context.registry);
    this.follower = new VerdictFollower({
      client: this.client,
      database: options.database,
      apply: (v) => context.flag?.(v) ?? context.flagged.upsert(v),
      remove: (domain) => context.flagged.remove(domain),
      metrics: followMetrics,
    });
    if (options.mode === 'never' || context.enricher === undefined) {
      this.judge = null;
      this.lease = null;
      this.pruner = null;
      this.pruneMetrics = null;
    } else {
      this.judge = new ClusterJudge({
        client: this.client,
        database: options.database,
        node: options.node,
        config: context.config,
        enricher: context.enricher,
        infra: context.infra ?? null,
        intel: { current: () => context.intel?.current() ?? null },
        rowBudget: JUDGE_ROW_BUDGET,
        metrics: this.metrics,
      });
      this.lease = options.mode === 'lease' ? new JudgeLease(this.client, options.database, options.node, options.leaseMs) : null;
      const r = options.retention;
      this.pruner = r === null ? null : new ClusterPruner({ urls: r.nodes, database: options.database, cluster: r.cluster, retentionDays: r.days, leaseMs: options.leaseMs });
      this.pruneMetrics = r === null ? null : pruneMetrics(context.registry);
    }
  }

  async start(): Promise<void> {
    // One read before the first answer: a node joining the cluster blocks what the cluster already flagged.
    await this.follow();
    this.context.followed = (domain) => this.follower.flagged(domain);
    this.loop(this.options.followMs, () => (this.following = this.follow()));
    if (this.judge !== null) this.loop(this.options.judgeMs, () => (this.judging = this.judgeOnce()));
    // The first run one period after start: a node restarted often prunes less often, never at every start.
    if (this.pruner !== null) this.loop(this.options.retention!.everyMs, () => (this.pruning = this.pruneOnce()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.context.followed = null;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([this.judging, this.following, this.pruning]);
    if (this.lease !== null && this.held) await this.lease.release(Date.now()).catch(() => {});
    await Promise.all([this.client.close(), this.pruner?.close()]);
  }

  health(): string | null {
    return this.lastError === null ? null : `cluster-judge: ${this.lastError}`;
  }

  /** Runs `step` every `ms` after the previous run ended (never two at once). */
  private loop(ms: number, step: () => Promise<void>): void {
    const schedule = (): void => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        void step().finally(schedule);
      }, ms);
      this.timers = [...this.timers.filter((t) => t !== timer), timer];
    };
    schedule();
  }

  private async follow(): Promise<void> {
    try {
      await this.follower.poll();
      this.lastError = null;
    } catch (err) {
      this.lastError = `reading verdicts: ${(err as Error).message}`;
      this.context.log.warn(`cluster-judge: reading verdicts: ${(err as Error).message}`);
    }
  }

  /** Retention over every node, while this node judges (holds the lease, or judges always). */
  private async pruneOnce(): Promise<void> {
    if (!this.held || this.pruner === null) return;
    try {
      const report = await this.pruner.prune(Date.now());
      this.pruneMetrics?.pruned(report);
      if (report.networks > 0) this.judge?.forgetNetworks();
      const rows = report.partitions.reduce((n, p) => n + p.rows, 0) + report.deleted.reduce((n, d) => n + d.rows, 0);
      if (rows > 0 || report.networks > 0) {
        this.context.log.info({ partitions: report.partitions.length, rows, networks: report.networks, leaseRows: report.leaseRows, seconds: report.seconds }, 'cluster-judge: retention pruned');
      }
    } catch (err) {
      this.pruneMetrics?.failed();
      this.context.log.warn(`cluster-judge: retention: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  private async judgeOnce(): Promise<void> {
    try {
      this.held = this.lease === null ? true : await this.lease.tick(Date.now());
      this.metrics.leaseHeld(this.held);
      if (!this.held) return;
      const report = await this.judge!.cycle();
      if (report.written > 0) this.context.log.info({ candidates: report.candidates, rows: report.rows, written: report.written, seconds: report.seconds }, 'cluster-judge: verdicts written');
    } catch (err) {
      this.metrics.failed();
      this.context.log.warn(`cluster-judge: cycle: ${(err as Error).message}`);
    }
  }
}

export const clusterJudgeService: ServiceFactory = {
  name: 'cluster-judge',
  addOptions(command: Command) {
    command.option('--judge <mode>', `who judges the cluster's candidates: ${JUDGE_MODES.join(', ')} (cluster.judge; needs --cluster)`);
  },
  create(flags, context) {
    const judge = flags.judge;
    if (judge !== undefined && !JUDGE_MODES.includes(judge as JudgeMode)) {
      throw new UsageError(`serve: --judge takes one of ${JUDGE_MODES.join(', ')}, not '${String(judge)}'`);
    }
    const c = clusterSettings(context.config, flags, process.cwd());
    if (c === null) {
      if (judge !== undefined) throw new UsageError('serve: --judge needs --cluster URL (or cluster.url)');
      return null;
    }
    const retention = c.retentionDays === null ? null : { days: c.retentionDays, everyMs: c.pruneMs, nodes: [...new Set([c.url, ...c.nodes])], cluster: c.name };
    return new ClusterJudgeService(
      { url: c.url, database: c.database, node: c.node, mode: (judge as JudgeMode | undefined) ?? c.judge, judgeMs: c.judgeMs, followMs: c.followMs, leaseMs: c.leaseMs, retention },
      context,
    );
  },
};
