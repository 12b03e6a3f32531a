/**
 * The one interface every part of the daemon implements (the dnstap
 * listener, the DNS forwarder, the RPZ server, the block page, the metrics
 * endpoint): start, stop, a name. A ServiceFactory adds its flags to
 * `fluxhound serve` and builds its service from them once, at start-up.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CustomerMap } from '../act/customers.js';
import type { FlaggedDomains } from '../act/flagged.js';
import type { Config } from '../config/schema.js';
import type { LiveDetector } from '../detect/live.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import type { FlowAnalysis } from '../detect/flows/analysis.js';
import type { Exposure, FanOut } from '../model/flow.js';
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import type { AuditEntry, ListChange, ListEntry, ListName, QueryLogEntry } from '../model/query-log.js';
import type { IntelFeeds } from '../intel/view.js';
import type { ObservationSink } from '../sources/source.js';
import type { AsyncStore, Store } from '../store/store.js';
import type { QueryStats } from './query-stats.js';

export interface Service {
  /** 'dnstap', 'dns', 'rpz-server', 'block-page', 'metrics', ... (also its log and metric prefix). */
  readonly name: string;
  /**
   * True when this service may hand flow records to the daemon (context.observations.flow: the NetFlow/IPFIX
   * collector, a followed conn.log or eve.json). A daemon none of whose services does keeps no DNS memory for
   * flows (FlowAnalysis.noFlowsToCome): on every answer, that memory cost more than the rest of the flow analysis.
   */
  readonly flows?: boolean;
  /** Binds and begins work; rejects with a one-line reason (port in use, bad path). */
  start(): Promise<void>;
  /** Stops accepting work, finishes what is in flight, releases sockets. */
  stop(): Promise<void>;
  /**
   * After stop(), when the daemon's start failed further on (a port in use):
   * remove what start() created that nobody asked to keep (a new store file
   * the user never got to use). Optional.
   */
  abandon?(): Promise<void>;
  /**
   * SIGHUP, first half of a transaction: check `next` (the new config, not yet
   * in force) and re-read this service's own files (TSIG key, ...) without
   * changing anything. Rejects with a one-line reason when the service cannot
   * run on it; else resolves to the commit, which swaps the prepared state in
   * and cannot fail. The daemon commits every service or none. Optional.
   */
  prepareReload?(next: Config): Promise<() => void>;
  /**
   * Why this service cannot do its job right now (the store cannot write,
   * every upstream is down, the detector lags), or null when it can; optional.
   * GET /health answers 503 with every reason given.
   */
  health?(): string | null;
}

/** Observations waiting in a service for the detector (the forwarder's queue); GET /health reads it. */
export interface DetectorBacklog {
  /** Seconds (wall clock) the oldest waiting observation has waited; 0 when none waits. */
  oldestWaitSeconds(): number;
  /** True while full: new observations pass the detector by (fail-open). */
  readonly full: boolean;
}

/** What the daemon hands every service. */
export interface ServeContext {
  config: Config;
  /** Live observations go here; they reach the detector in order. */
  observations: ObservationSink;
  /** One Detector in this thread, or its worker threads (--workers N: serve/worker-detector.ts). */
  detector: LiveDetector;
  /** The flagged domains every action reads; changes bump its serial. */
  flagged: FlaggedDomains;
  log: Logger;
  /**
   * The daemon's one prom-client registry: every service declares its
   * metrics here (in its own metrics.ts), never as hand-written text.
   */
  registry: Registry;
  /** Prometheus text of the daemon's registry, for the HTTP endpoint. */
  metrics?: () => Promise<string>;
  /** Queues in front of the detector; a service that queues observations adds its own. */
  detectorBacklogs?: Set<DetectorBacklog>;
  /** Why the daemon cannot do its job right now (detector lag, store, every service's health()); empty when it can. For GET /health. */
  health?: () => string[];
  /** Calls `listener` with every live observation after the detector took it (the store records them); returns an unsubscribe function. */
  onObservation?: (listener: (observation: DnsObservation) => void) => () => void;
  /**
   * Calls `listener` with every verdict the detector reports: 'flag' when a
   * domain crosses a flag threshold (suspicious, then fast-flux), 'final' when
   * its state is evicted. Returns an unsubscribe function.
   */
  onVerdict?: (listener: (verdict: Verdict, event: 'flag' | 'final') => void) => () => void;
  /**
   * Calls `listener` with every flow finding the daemon's flow analysis
   * reports (an exposure, a fan-out), after it went to the NDJSON out; the
   * store records them. Returns an unsubscribe function.
   */
  onFinding?: (listener: (finding: Exposure | FanOut) => void) => () => void;
  /**
   * Resolves when the daemon's flow queue has room for an input's next chunk: an input that can
   * wait (a followed file) awaits it before reading on; the UDP collector, which cannot, does not
   * (a full queue drops and counts).
   */
  flowRoom?: () => Promise<void>;
  /** The daemon's one flow analysis (flows joined with its DNS and verdicts); null when the daemon runs without one. */
  flows?: FlowAnalysis | null;
  /**
   * Puts a verdict made outside the detector (a feed's listing, made by the
   * forwarder on a listed name's lookup) through the daemon's one verdict
   * path, as a 'flag': the onVerdict listeners, the flagged set and the
   * NDJSON out. True when the flagged set changed.
   */
  flag?: (verdict: Verdict) => boolean;
  /** Known CDNs, clouds, pools, dynamic DNS and top sites the detector uses; null without reference data. */
  infra?: Infra | null;
  /** The ASN and country data the detector uses: the cluster sensor enriches its rows with it, the cluster judge replays with it. */
  enricher?: Enricher;
  /** Which customer a client belongs to (config customers); empty when none are configured. */
  customers: CustomerMap;
  /** The query log: the forwarder hands each recorded query here; every sink (store, NDJSON, syslog) hears it through onQuery. */
  logQuery: (entry: QueryLogEntry) => void;
  /** Calls `listener` with every query-log entry; returns an unsubscribe function. */
  onQuery: (listener: (entry: QueryLogEntry) => void) => () => void;
  /** Queries, blocks and policy-log answers counted per minute and customer; the store drains them into its stats table. */
  queryStats: QueryStats;
  /** The open store, set by the store service once started (null before, and without a store). The API, the lists and the reports read it. */
  store: Store | null;
  /**
   * What the API, the reports and the console read, async whatever the backend: the open store's async face
   * (set by the store service), or with a cluster (cluster.url) the cluster's store beside it (the cluster-store
   * service). Null or absent: nothing to read (answered 503).
   */
  reader?: AsyncStore | null;
  /** The operator's allow and deny lists, applied live; set by the service that manages them (null until then). */
  lists: ManagedLists | null;
  /**
   * With a cluster: the cluster's current flagged verdict of a domain (the
   * verdict follower's), so that removing an allow entry brings back what the
   * cluster flagged, as it brings back what the local detector flagged.
   */
  followed?: ((domain: string) => Verdict | null) | null;
  /** The threat-intelligence feeds (intel.feeds, --intel, the TAXII inbox); null when none are configured. */
  intel?: IntelFeeds | null;
}

/**
 * The operator's allow and deny lists, kept in the store and applied live:
 * an allowed name leaves the flagged set (and so the forwarder, the RPZ and
 * the blocklists) at once; a denied name enters it. Changes made by another
 * process on the same store (`fluxhound allow add`), or on another node of
 * the same cluster, are picked up within a second.
 */
export interface ManagedLists {
  entries(list: ListName): ListEntry[];
  /**
   * Writes the change and its audit line, then applies it. False when a
   * remove found nothing. Rejects with a UsageError for a name that is not a
   * domain name (or a public suffix on the deny list). A promise: with a
   * cluster the lists live there (every node follows them).
   */
  change(change: ListChange): Promise<boolean>;
  /** The audit trail, newest first. */
  audit(since: number, limit: number): Promise<AuditEntry[]>;
}

export interface ServiceFactory {
  readonly name: string;
  /** Adds this service's flags to the serve command. */
  addOptions(command: Command): void;
  /**
   * Builds the service from the parsed flags, or null when its flags are
   * absent (the service is off). Bad values throw UsageError (one line, exit 2).
   */
  create(flags: Record<string, unknown>, context: ServeContext): Service | null;
}
