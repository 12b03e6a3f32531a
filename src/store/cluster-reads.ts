/**
 * What a node of a cluster reads: the cluster for what sensors and the judge
 * write there (passive DNS and domains folded from observations, the verdict
 * history, flux networks), and the node's own store, when it has one, for
 * the console's records it keeps itself (query log, stats, flow findings,
 * the operator's lists and audit, meta such as the flagged-set serial).
 * Without a local store those come from the cluster too. Writes and sweeps
 * go to the local store (the cluster's writers are the sensors and the
 * judge); without one they are refused.
 */
import type { AsyncStore } from './store.js';

export function clusterReads(cluster: AsyncStore, local: AsyncStore | null): AsyncStore {
  const own = local ?? cluster;
  const writable = (): AsyncStore => {
    if (local === null) throw new Error('store: this node writes to the cluster through its sensor and judge, not through the store');
    return local;
  };
  return {
    backend: local === null ? cluster.backend : `${cluster.backend}+${local.backend}`,
    flaggedSince: (since) => cluster.flaggedSince(since),
    history: (domain) => cluster.history(domain),
    tuplesOf: (name, limit) => cluster.tuplesOf(name, limit),
    recentTuples: (since, limit) => cluster.recentTuples(since, limit),
    domain: (name) => cluster.domain(name),
    networks: () => cluster.networks(),
    counts: () => cluster.counts(),
    sizeBytes: () => cluster.sizeBytes(),
    check: () => cluster.check(),
    meta: (key) => own.meta(key),
    queryLog: (filter, limit, cursor) => own.queryLog(filter, limit, cursor),
    stats: (query) => own.stats(query),
    exposures: (filter, limit, cursor) => own.exposures(filter, limit, cursor),
    fanOuts: (filter, limit) => own.fanOuts(filter, limit),
    listEntries: (list) => own.listEntries(list),
    changeList: (change) => own.changeList(change),
    listsVersion: () => own.listsVersion(),
    audit: (since, limit) => own.audit(since, limit),
    write: async (batch) => writable().write(batch),
    sweep: async (before) => writable().sweep(before),
    sweepQueryLog: async (before) => writable().sweepQueryLog(before),
    // The local store is the store service's to close.
    close: () => cluster.close(),
  };
}
