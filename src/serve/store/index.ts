/**
 * The 'store' service of `fluxhound serve`: opens the store, restores the
 * flagged domains and the detector's recent windows from it, records every
 * live observation and verdict in batches, and sweeps old rows away. It is
 * also the query log's store sink: every entry the daemon's hub hears
 * (context.onQuery) and the per-minute query stats go into the same batches,
 * and the query log is swept by its own retention (serve.querylog.retention).
 * Flow exposures and fan-outs (context.onFinding) go into the same batches
 * and are swept with the query log.
 * While it runs, context.store is the open store (the API, the lists and the
 * reports read it).
 *
 * On by default with the DNS forwarder (the resolver keeps its state);
 * with other services only when --store is given.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { Recorder, replayObservations } from '../../store/recorder.js';
import { BackgroundWriter } from '../../store/sqlite/background-writer.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { asyncStore, type Store, type StoreCounts } from '../../store/store.js';
import { ExposureIncrements } from './exposure-increments.js';
import { storeMetrics } from './metrics.js';

const SWEEP_EVERY_MS = 3600_000;
const COUNT_EVERY_MS = 60_000;
/** Tuples replayed into the detector at start (the newest). */
const MAX_REPLAY = 500_000;

export interface StoreServiceOptions {
  path: string;
  /** Days. */
  retention: number;
  flushInterval: number;
  /** Bytes the database may grow to; null = no cap. */
  maxBytes: number | null;
  /** Days query-log rows and stats are kept (serve.querylog.retention). */
  queryRetention: number;
  /** Query-log entries that may wait for the next flush (serve.querylog.maxPending). */
  maxQueries: number;
}

export function storeService(): ServiceFactory {
  return {
    name: 'store',
    addOptions(command: Command) {
      command
        .option('--store <path>', 'SQLite store for verdicts, passive DNS and flux networks (default with --dns: serve.store.path, fluxhound.db)')
        .option('--no-store', 'keep no state across restarts')
        .option('--retention <days>', 'days passive-DNS tuples and verdict history are kept (serve.store.retention, 30)');
    },
    create(flags, context) {
      const options = storeOptions(flags, context);
      return options === null ? null : new StoreService(options, context);
    },
  };
}

export function storeOptions(flags: Record<string, unknown>, context: ServeContext): StoreServiceOptions | null {
  const cfg = context.config.serve.store;
  if (flags.store === false) return null;
  const explicit = typeof flags.store === 'string';
  const forwarder = typeof flags.dns === 'string' || context.config.serve.dns.listen !== null;
  const path = explicit ? (flags.store as string) : cfg.path;
  if (path === null || (!explicit && !forwarder)) return null;
  let retention = cfg.retention;
  if (flags.retention !== undefined) {
    retention = Number(flags.retention);
    if (!Number.isFinite(retention) || retention <= 0) throw new UsageError(`serve: --retention takes a positive number of days, not '${String(flags.retention)}'`);
  }
  const querylog = context.config.serve.querylog;
  return { path, retention, flushInterval: cfg.flushInterval, maxBytes: cfg.maxBytes, queryRetention: querylog.retention, maxQueries: querylog.maxPending };
}

/** The two retention sweeps, named as the store and the writer thread name them. */
type SweepRequest = 'sweep' | 'sweepQueryLog';

export class StoreService implements Service {
  readonly name = 'store';
  private store: Store | null = null;
  private recorder: Recorder | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private counts: StoreCounts = { domains: 0, verdicts: 0, tuples: 0, networks: 0, exposures: 0, fanOuts: 0 };
  private writer: BackgroundWriter | null = null;
  private writeMs = 0;
  private restoredVerdicts = 0;
  private replayed = 0;
  private swept = 0;
  private querySwept = 0;
  private querySweepSeconds = 0;
  private unsubscribeQueries: (() => void) | null = null;
  private unsubscribeFindings: (() => void) | null = null;
  /**
   * The analysis reports running totals; the store adds increments. One map for the service's (the daemon's)
   * life, like the analysis: made here, not in start(), so a stop and start never counts a live tally twice.
   */
  private readonly increments: ExposureIncrements;
  /** The store file did not exist before start(). */
  private created = false;

  constructor(
    private readonly options: StoreServiceOptions,
    private readonly context: ServeContext,
  ) {
    this.increments = new ExposureIncrements(2 * context.config.flows.limits.maxHosts);
    storeMetrics(context.registry, {
      sizeBytes: () => this.store?.sizeBytes() ?? 0,
      counts: () => this.counts,
      pending: () => this.recorder?.pending ?? 0,
      recorder: () => this.recorder?.stats ?? null,
      flushSeconds: () => (this.writer === null ? (this.recorder?.stats.lastFlushMs ?? 0) : this.writeMs) / 1000,
      droppedBatches: () => this.writer?.dropped ?? 0,
      sweptRows: () => this.swept,
      restoredVerdicts: () => this.restoredVerdicts,
      failing: () => (this.recorder?.lastError == null ? 0 : 1),
      pendingQueries: () => this.recorder?.pendingQueries ?? 0,
      queryLogSweptRows: () => this.querySwept,
      queryLogSweepSeconds: () => this.querySweepSeconds,
    });
  }

  async start(): Promise<void> {
    const { context, options } = this;
    this.created = !existsSync(options.path);
    const store = new SqliteStore(options.path, options.maxBytes);
    this.store = store;
    this.sweepState();
    // Writes go to a thread of their own, so a commit never delays an answer; reads (restore, counts) stay here.
    this.writer = BackgroundWriter.create(
      options.path,
      {
        onWritten: (ms) => {
          this.writeMs = ms;
          this.recorder?.committed();
        },
        onSwept: (deleted) => (this.swept += deleted),
        onQueryLogSwept: (deleted, ms) => this.noteQuerySweep(deleted, ms),
        onCounted: (counts) => (this.counts = counts),
        onError: (message, request) => {
          if (request === 'sweep' || request === 'sweepQueryLog') {
            this.logSweepError(request, message);
            return;
          }
          if (request === 'write') this.recorder?.failed(message);
          this.logWriteError(message);
        },
      },
      undefined,
      options.maxBytes,
    );
    const recorder = new Recorder(this.writer ?? store, context.flagged, context.detector.networks, undefined, this.writer !== null, {
      maxQueries: options.maxQueries,
      stats: context.queryStats,
    });
    this.recorder = recorder;
    const now = Date.now() / 1000;
    const serial = Number(store.meta('serial'));
    if (Number.isSafeInteger(serial) && serial >= context.flagged.serial) context.flagged.serial = serial + 1;
    for (const { verdict } of store.flaggedSince(now - context.config.policy.expiry)) {
      recorder.noteWritten(verdict);
      // Its flag event went out before the restart: the detector must not raise it again when the domain comes back.
      context.detector.rememberFlag(verdict);
      if (context.flagged.upsert(verdict)) this.restoredVerdicts++;
    }
    for (const o of replayObservations(store.recentTuples(now - context.config.window, MAX_REPLAY))) {
      context.detector.observe(o);
      this.replayed++;
    }
    context.log.info(
      { service: this.name, path: options.path, verdicts: this.restoredVerdicts, replayed: this.replayed },
      `store: restored ${this.restoredVerdicts} flagged domains and replayed ${this.replayed} tuples`,
    );
    this.unsubscribe = context.onObservation?.((o) => recorder.observe(o)) ?? null;
    this.unsubscribeQueries = context.onQuery((entry) => recorder.logQuery(entry));
    // Flow findings (issue 16) ride in the same batches, kept as long as the query log.
    this.unsubscribeFindings =
      context.onFinding?.((finding) => (finding.record === 'exposure' ? recorder.exposure(this.increments.increment(finding)) : recorder.fanOut(finding))) ?? null;
    context.store = store;
    context.reader = asyncStore(store);
    this.every(options.flushInterval, () => this.flush());
    // After the writer thread exists: a first sweep after a long pause can be millions of rows, and the thread does it between batches.
    this.sweepQueryLog();
    this.every(SWEEP_EVERY_MS, () => {
      this.sweepState();
      this.sweepQueryLog();
    });
    this.every(COUNT_EVERY_MS, () => this.refreshCounts());
    this.refreshCounts();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribeQueries?.();
    this.unsubscribeQueries = null;
    this.unsubscribeFindings?.();
    this.unsubscribeFindings = null;
    if (this.context.store === this.store) {
      this.context.store = null;
      this.context.reader = null;
    }
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.flush();
    await this.writer?.close();
    this.writer = null;
    this.store?.close();
    this.store = null;
  }

  /** The daemon did not start (a port in use): a store file this start created, and its WAL, go; one that was there stays. */
  async abandon(): Promise<void> {
    if (!this.created) return;
    for (const suffix of ['', '-wal', '-shm']) await rm(this.options.path + suffix, { force: true });
  }

  /** The last batch failed: the store cannot write (a full disk, its size cap). */
  health(): string | null {
    const error = this.recorder?.lastError ?? null;
    return error === null ? null : `cannot write: ${error}`;
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private flush(): void {
    const err = this.recorder?.flush() ?? null;
    if (err !== null) this.logWriteError(err.message);
  }

  /** The first failure and then every hundredth: a full disk must not flood the log. */
  private logWriteError(message: string): void {
    const errors = this.recorder?.stats.errors ?? 0;
    if (errors <= 1 || errors % 100 === 0) this.context.log.error({ service: this.name, errors }, `store: write failed: ${message}`);
  }

  /** Observations and verdicts older than --retention / store.retention. */
  private sweepState(): void {
    this.sweep('sweep', this.options.retention);
  }

  /** Query-log rows and stats buckets older than serve.querylog.retention. */
  private sweepQueryLog(): void {
    this.sweep('sweepQueryLog', this.options.queryRetention);
  }

  /** Rows older than `days`: on the writer thread when there is one (it reports back), else here. */
  private sweep(request: SweepRequest, days: number): void {
    if (this.store === null) return;
    const before = Date.now() / 1000 - days * 86400;
    if (this.writer !== null) {
      this.writer[request](before);
      return;
    }
    try {
      const started = performance.now();
      const deleted = this.store[request](before);
      if (request === 'sweep') this.swept += deleted;
      else this.noteQuerySweep(deleted, performance.now() - started);
    } catch (err) {
      this.logSweepError(request, (err as Error).message);
    }
  }

  private logSweepError(request: SweepRequest, message: string): void {
    this.context.log.error({ service: this.name }, `store: ${request === 'sweep' ? 'retention' : 'query-log retention'} sweep failed: ${message}`);
  }

  private noteQuerySweep(deleted: number, ms: number): void {
    this.querySwept += deleted;
    this.querySweepSeconds = ms / 1000;
  }

  private refreshCounts(): void {
    if (this.writer !== null) {
      this.writer.count();
      return;
    }
    try {
      if (this.store !== null) this.counts = this.store.counts();
    } catch {
      // a busy or closing store keeps the last counts
    }
  }
}
