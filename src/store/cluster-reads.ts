/**
 * What a node of a cluster reads: the cluster for what every node and the
 * judge write there (passive DNS and domains folded from observations, the
 * verdict history, flux networks, every node's query log and per-minute
 * stats), and the fleet's one pair of allow and deny lists with their audit
 * trail (a change made on any node's console, or with `fluxhound allow
 * --cluster`, is written there and every node follows it). The node's own
 * store, when it has one, answers for what it keeps alone: flow findings
 * and meta such as the flagged-set serial; without one those come from the
 * cluster too. Writes and sweeps go to the local store (the cluster's
 * writers are the sensors, the judge and the list changes); without one
 * they are refused.
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
    queryLog: (filter, limit, cursor) => cluster.queryLog(filter, limit, cursor),
    stats: (query) => cluster.stats(query),
    listEntries: (list) => cluster.listEntries(list),
    changeList: (change) => cluster.changeList(change),
    listsVersion: () => cluster.listsVersion(),
    audit: (since, limit) => cluster.audit(since, limit),
    meta: (key) => own.meta(key),
    exposures: (filter, limit, cursor) => own.exposures(filter, limit, cursor),
    fanOuts: (filter, limit) => own.fanOuts(filter, limit),
    write: async (batch) => writable().write(batch),
    sweep: async (before) => writable().sweep(before),
    sweepQueryLog: async (before) => writable().sweepQueryLog(before),
    // The local store is the store service's to close.
    close: () => cluster.close(),
  };
}
