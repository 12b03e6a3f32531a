/**
 * The 'cluster-store' service of `fluxhound serve`: with a cluster
 * (cluster.url, or --cluster once the cluster services declare it) the API,
 * the reports and the console read the cluster's store (passive DNS, domains,
 * verdict history, networks) beside this node's own store, if it has one,
 * for the records it keeps itself (query log, lists): see
 * src/store/cluster-reads.ts. Reads are HTTP requests, awaited: the event
 * loop keeps answering DNS while one is out.
 */
import { ClickHouseStore } from '../../store/clickhouse/clickhouse-store.js';
import { clusterReads } from '../../store/cluster-reads.js';
import { asyncStore, type AsyncStore } from '../../store/store.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { clusterStoreMetrics } from './metrics.js';

export interface ClusterStoreOptions {
  url: string;
  database: string;
  cluster: string;
  node: string;
}

export const clusterStoreService: ServiceFactory = {
  name: 'cluster-store',
  // --cluster is declared by the cluster services (serve/cluster); this service reads it, or cluster.url.
  addOptions() {},
  create(flags, context) {
    const options = clusterStoreOptions(flags, context);
    return options === null ? null : new ClusterStoreService(options, context);
  },
};

export function clusterStoreOptions(flags: Record<string, unknown>, context: ServeContext): ClusterStoreOptions | null {
  const { cluster } = context.config;
  const url = typeof flags.cluster === 'string' ? flags.cluster : cluster.url;
  if (url === null) return null;
  const node = typeof flags.node === 'string' ? flags.node : (cluster.node ?? 'fluxhound');
  return { url, database: cluster.database, cluster: cluster.name, node };
}

export class ClusterStoreService implements Service {
  readonly name = 'cluster-store';
  private store: ClickHouseStore | null = null;
  private reader: AsyncStore | null = null;
  private readonly reads = { ok: 0, failed: 0 };

  constructor(
    private readonly options: ClusterStoreOptions,
    private readonly context: ServeContext,
  ) {
    clusterStoreMetrics(context.registry, () => this.reads);
  }

  async start(): Promise<void> {
    const store = ClickHouseStore.connect(this.options);
    this.store = store;
    const local = this.context.store;
    this.reader = clusterReads(counted(store, this.reads), local === null ? null : asyncStore(local));
    this.context.reader = this.reader;
    this.context.log.info(
      { service: this.name, database: this.options.database, local: local !== null },
      `cluster-store: the API reads passive DNS, domains and verdict history from the cluster${local === null ? ' (and the query log and lists: no local store)' : ''}`,
    );
  }

  async stop(): Promise<void> {
    if (this.context.reader === this.reader) this.context.reader = this.context.store === null ? null : asyncStore(this.context.store);
    this.reader = null;
    await this.store?.close();
    this.store = null;
  }
}

/** The store with each call's outcome tallied (close aside). */
function counted(store: AsyncStore, reads: { ok: number; failed: number }): AsyncStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'close') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        try {
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          reads.ok++;
          return result;
        } catch (err) {
          reads.failed++;
          throw err;
        }
      };
    },
  });
}
