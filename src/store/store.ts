/**
 * The store: what `fluxhound serve` keeps across restarts. One interface, so
 * that a scale-out backend can follow the embedded SQLite one; every backend
 * passes the same suite (store.case.ts).
 */
import type { FluxNetworkSummary } from '../detect/networks.js';
import type { Exposure, FanOut } from '../model/flow.js';
import type { AuditEntry, ListChange, ListEntry, ListName, QueryAction, QueryLogEntry } from '../model/query-log.js';
import type { Verdict } from '../model/verdict.js';

/** One passive-DNS tuple: a record seen in answers, aggregated. Times in seconds since the epoch. */
export interface PdnsTuple {
  /** Owner name, lower-case, no trailing dot. */
  name: string;
  type: string;
  data: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** The TTL of the latest sighting; null when unknown. */
  ttl: number | null;
}

/** A queried name, aggregated. */
export interface DomainSighting {
  name: string;
  firstSeen: number;
  lastSeen: number;
  queries: number;
}

/** A verdict as recorded at `ts` (seconds, wall clock). */
export interface RecordedVerdict {
  ts: number;
  verdict: Verdict;
}

/** Everything one flush writes; written atomically (all or nothing). */
export interface StoreBatch {
  tuples: PdnsTuple[];
  domains: DomainSighting[];
  verdicts: RecordedVerdict[];
  /** Current summaries of the flux networks (replace the stored ones with the same id). */
  networks: FluxNetworkSummary[];
  meta: Record<string, string>;
  /** Query-log entries, in time order. */
  queries: QueryLogEntry[];
  /** Per-minute counts to add to the stored ones (same minute and customer: summed). */
  stats: StatsBucket[];
  /**
   * Flow exposures (issue 16): one row per client, domain and direction.
   * Each carries INCREMENTS (flows, bytes, packets since the writer's last
   * write of the same three; serve/store/exposure-increments.ts makes them
   * from the analysis's running totals): the store adds them and widens the
   * row (first, last), so its totals are exact across evictions and restarts.
   */
  exposures: Exposure[];
  /** Fan-out findings, one row each. */
  fanOuts: FanOut[];
}

/** An exposure search; every field narrows it. Times in seconds: rows whose [first, last] meets [since, until). */
export interface ExposureFilter {
  /** A client address, or a CIDR holding the clients. */
  client?: string;
  customer?: string;
  /** A domain: rows for it and every name under it. */
  domain?: string;
  /** Only DNS-bypass rows (true) or only the others (false). */
  bypass?: boolean;
  since?: number;
  until?: number;
}

export interface ExposurePage {
  /** Most recent last flow first. */
  items: Exposure[];
  /** Opaque cursor for the next page; null on the last. */
  next: string | null;
}

/** A fan-out search: one host or CIDR, one customer, a time range over the window's last flow. */
export interface FanOutFilter {
  host?: string;
  customer?: string;
  since?: number;
  until?: number;
}

/** Queries counted in one minute for one customer ('' for clients of no customer). */
export interface StatsBucket {
  /** Start of the minute, seconds since the epoch (a multiple of 60). */
  ts: number;
  customer: string;
  /** Every query the forwarder answered or dropped after its policy step. */
  queries: number;
  /** Of those, blocked (nxdomain, nodata, drop, sinkhole). */
  blocked: number;
  /** Of those, flagged names answered normally under policy log. */
  logged: number;
}

/** A query-log search; every field narrows it. Times in seconds, [since, until). */
export interface QueryLogFilter {
  /** A client address, or a CIDR holding the clients. */
  client?: string;
  customer?: string;
  /** A name: entries for it and every name under it. */
  name?: string;
  /** Any of these actions. */
  actions?: readonly QueryAction[];
  since?: number;
  until?: number;
}

export interface QueryLogPage {
  /** Newest first. */
  entries: QueryLogEntry[];
  /** Opaque cursor for the next (older) page; null on the last. */
  next: string | null;
}

/** One point of a time series: sums over [ts, ts + step). */
export interface StatsPoint {
  ts: number;
  queries: number;
  blocked: number;
  logged: number;
  /** Flag events (verdicts recorded) in the interval; 0 in a customer's series. */
  flagged: number;
}

export interface StatsQuery {
  since: number;
  until: number;
  /** Seconds per point, a multiple of 60. */
  step: number;
  /** One customer's series; every query when absent. */
  customer?: string;
}

export interface StoreCounts {
  domains: number;
  verdicts: number;
  tuples: number;
  networks: number;
  /** Flow findings (issue 16): exposure rows (one per client, domain and direction) and fan-out episodes. */
  exposures: number;
  fanOuts: number;
}

export interface Store {
  /** 'sqlite', ... (metric label and log field). */
  readonly backend: string;
  write(batch: StoreBatch): void;
  /** The latest verdict of every domain recorded at or after `since` whose latest verdict is not benign. */
  flaggedSince(since: number): RecordedVerdict[];
  /** Every recorded verdict of one domain, oldest first. */
  history(domain: string): RecordedVerdict[];
  /** The tuples of one name (owner name exactly), oldest sighting first, at most `limit` (the most recently seen are kept). */
  tuplesOf(name: string, limit: number): PdnsTuple[];
  /** Tuples last seen at or after `since`, oldest sighting first, at most `limit` (the newest are kept). */
  recentTuples(since: number, limit: number): PdnsTuple[];
  domain(name: string): DomainSighting | null;
  networks(): FluxNetworkSummary[];
  meta(key: string): string | null;
  /** Deletes tuples, verdicts, domains and networks last seen before `before`; returns the rows deleted. */
  sweep(before: number): number;
  counts(): StoreCounts;
  /** One page of the query log, newest first; `cursor` is a previous page's `next`. At most `limit` entries. */
  queryLog(filter: QueryLogFilter, limit: number, cursor?: string | null): QueryLogPage;
  /** Queries, blocks and flags over time, one point per step from `since` (empty steps included, as zeros). */
  stats(query: StatsQuery): StatsPoint[];
  /** Deletes query-log rows, stats buckets, exposures and fan-outs older than `before` (serve.querylog.retention); returns the rows deleted. */
  sweepQueryLog(before: number): number;
  /** One page of flow exposures, most recent first; `cursor` is a previous page's `next`. At most `limit`. */
  exposures(filter: ExposureFilter, limit: number, cursor?: string | null): ExposurePage;
  /** Fan-out findings, newest first, at most `limit`. */
  fanOuts(filter: FanOutFilter, limit: number): FanOut[];
  /** The operator's entries of one list, by name. */
  listEntries(list: ListName): ListEntry[];
  /**
   * Adds an entry (replacing the comment of one already there) or removes
   * one, and appends the change to the audit trail, in one transaction.
   * False when a remove found nothing (then nothing is written).
   */
  changeList(change: ListChange): boolean;
  /** Bumped by every changeList, from any process on the same file: a daemon polls it to pick up `fluxhound allow add`. */
  listsVersion(): number;
  /** The audit trail, newest first, at most `limit` lines at or after `since`. */
  audit(since: number, limit: number): AuditEntry[];
  /** Bytes on disk (0 for a backend without a file). */
  sizeBytes(): number;
  /** 'ok', or what is wrong (SQLite's integrity_check). */
  check(): string;
  close(): void;
}

export function emptyBatch(): StoreBatch {
  return { tuples: [], domains: [], verdicts: [], networks: [], meta: {}, queries: [], stats: [], exposures: [], fanOuts: [] };
}

/**
 * The store as a backend across a network answers it: every method returns
 * a promise. ClickHouse is reached over HTTP, and `serve` forwards DNS on the
 * same event loop, so a read must never block it; the API, the reports and
 * `fluxhound show` read through this face whatever the backend. SQLite keeps
 * its synchronous `Store` (its writer thread, the recorder and the lists use
 * it) and gets this face from `asyncStore`.
 */
export type AsyncStore = {
  readonly [K in keyof Store]: Store[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : Store[K];
};

/** A synchronous backend's async face: each call runs as before and its result (or error) settles the promise. */
export function asyncStore(store: Store): AsyncStore {
  const settle =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): Promise<R> => {
      try {
        return Promise.resolve(call(...args));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    };
  return {
    backend: store.backend,
    write: settle((batch) => store.write(batch)),
    flaggedSince: settle((since) => store.flaggedSince(since)),
    history: settle((domain) => store.history(domain)),
    tuplesOf: settle((name, limit) => store.tuplesOf(name, limit)),
    recentTuples: settle((since, limit) => store.recentTuples(since, limit)),
    domain: settle((name) => store.domain(name)),
    networks: settle(() => store.networks()),
    meta: settle((key) => store.meta(key)),
    sweep: settle((before) => store.sweep(before)),
    counts: settle(() => store.counts()),
    queryLog: settle((filter, limit, cursor) => store.queryLog(filter, limit, cursor)),
    stats: settle((query) => store.stats(query)),
    sweepQueryLog: settle((before) => store.sweepQueryLog(before)),
    exposures: settle((filter, limit, cursor) => store.exposures(filter, limit, cursor)),
    fanOuts: settle((filter, limit) => store.fanOuts(filter, limit)),
    listEntries: settle((list) => store.listEntries(list)),
    changeList: settle((change) => store.changeList(change)),
    listsVersion: settle(() => store.listsVersion()),
    audit: settle((since, limit) => store.audit(since, limit)),
    sizeBytes: settle(() => store.sizeBytes()),
    check: settle(() => store.check()),
    close: settle(() => store.close()),
  };
}
