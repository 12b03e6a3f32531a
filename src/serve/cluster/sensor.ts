/**
 * The 'cluster-sensor' service of `fluxhound serve --cluster URL`: every
 * observation the daemon's inputs produce (forwarder, dnstap, follow: the
 * daemon's one observation path, context.onObservation) is also written,
 * enriched, to the cluster's `observations` table through a ClusterWriter
 * (store/clickhouse/writer.ts), which spools to disk while the cluster
 * refuses inserts and replays in order when it takes them again.
 *
 * This factory declares --cluster and --node for every cluster service
 * (commander refuses a flag declared twice); the others read them.
 */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { clusterWriterMetrics } from '../../store/clickhouse/metrics.js';
import { clusterSettings, type ClusterSettings } from '../../store/clickhouse/options.js';
import { startSensor, type Sensor } from '../../store/clickhouse/sensor.js';
import { redactedUrl } from '../../store/clickhouse/connect.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';

export const clusterSensorService: ServiceFactory = {
  name: 'cluster-sensor',
  addOptions(command: Command) {
    command
      .option('--cluster <url>', 'write observations to a ClickHouse cluster: http(s)://[USER:PASSWORD@]HOST:8123 of a node (config: cluster.url)')
      .option('--node <name>', "this node's name in the cluster's rows (config: cluster.node; default: the host name)");
  },
  create(flags, context) {
    const settings = nodeClusterSettings(flags, context);
    return settings === null ? null : new ClusterSensorService(settings, context);
  },
};

/** This daemon's cluster settings (null: no cluster); the spool goes beside the store when there is one, else into the working directory. */
export function nodeClusterSettings(flags: Record<string, unknown>, context: ServeContext): ClusterSettings | null {
  const store = typeof flags.store === 'string' ? flags.store : context.config.serve.store.path;
  return clusterSettings(context.config, flags, store === null ? process.cwd() : dirname(store));
}

/** What a cluster writer's state changes say in the daemon's log (`what`: the table, or '' for the observations). */
export function writerStateLog(log: ServeContext['log'], what: string, spoolDir: string): (up: boolean, reason: string | null) => void {
  const table = what === '' ? '' : `${what} `;
  return (up, reason) => {
    if (up) log.info(`cluster: ${table}inserts work again; replaying the spool in order`);
    else log.warn({ spoolDir }, `cluster: ${table}insert failed, spooling batches to disk: ${reason}`);
  };
}

export class ClusterSensorService implements Service {
  readonly name = 'cluster-sensor';
  private sensor: Sensor | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly observeInsert: (seconds: number) => void;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly context: ServeContext,
  ) {
    this.observeInsert = clusterWriterMetrics(context.registry, {
      stats: () => this.sensor?.writer.stats ?? null,
      state: () => this.sensor?.writer.state() ?? null,
    });
  }

  async start(): Promise<void> {
    const { context, settings } = this;
    if (context.enricher === undefined) throw new UsageError('cluster: the daemon has no enrichment data');
    const log = context.log.child({ service: this.name });
    this.sensor = await startSensor(settings, context.enricher, {
      onInsertSeconds: this.observeInsert,
      onState: writerStateLog(log, '', settings.spoolDir),
    });
    const writer = this.sensor.writer;
    if (this.sensor.unchecked !== null) log.warn(`cluster: ${redactedUrl(settings.url)} did not answer (${this.sensor.unchecked}); spooling until it does`);
    this.unsubscribe = context.onObservation?.((o) => writer.observe(o)) ?? null;
    log.info({ cluster: redactedUrl(settings.url), node: settings.node, spoolDir: settings.spoolDir }, `cluster: writing observations as ${settings.node}`);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const sensor = this.sensor;
    if (sensor === null) return;
    const left = await sensor.writer.close();
    await sensor.client.close();
    if (left.batchesSpooled > 0) this.context.log.warn({ service: this.name }, `cluster: ${left.rowsSpooled} rows in ${left.batchesSpooled} batches stay spooled for the next start`);
  }

  health(): string | null {
    const state = this.sensor?.writer.state();
    if (state === undefined) return null;
    if (!state.up) return `cluster: inserts fail (${state.lastError ?? 'unknown'}); ${state.spoolBatches} batches spooled to disk`;
    if (state.spoolBatches > 0) return `cluster: replaying ${state.spoolBatches} spooled batches`;
    return null;
  }
}
