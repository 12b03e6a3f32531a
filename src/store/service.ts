/**
 * The 'store' service of `fluxhound serve`: opens the store, restores the
 * flagged domains and the detector's recent windows from it, records every
 * live observation and verdict in batches, and sweeps old rows away.
 *
 * On by default with the DNS forwarder (the resolver keeps its state);
 * with other services only when --store is given.
 */
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import type { ServeContext, Service, ServiceFactory } from '../serve/service.js';
import { Recorder, replayObservations } from './recorder.js';
import { BackgroundWriter } from './sqlite/background-writer.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store, StoreCounts } from './store.js';

const SWEEP_EVERY_MS = 3600_000;
const COUNT_EVERY_MS = 60_000;
/** Tuples replayed into the detector at start (the newest). */
const MAX_REPLAY = 500_000;

export interface StoreServiceOptions {
  path: string;
  /** Days. */
  retention: number;
  flushInterval: number;
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
  return { path, retention, flushInterval: cfg.flushInterval };
}

export class StoreService implements Service {
  readonly name = 'store';
  private store: Store | null = null;
  private recorder: Recorder | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private counts: StoreCounts = { domains: 0, verdicts: 0, tuples: 0, networks: 0 };
  private writer: BackgroundWriter | null = null;
  private writeMs = 0;
  private restoredVerdicts = 0;
  private replayed = 0;
  private swept = 0;

  constructor(
    private readonly options: StoreServiceOptions,
    private readonly context: ServeContext,
  ) {}

  async start(): Promise<void> {
    const { context, options } = this;
    const store = new SqliteStore(options.path);
    this.store = store;
    this.sweep();
    // Writes go to a thread of their own, so a commit never delays an answer; reads (restore, counts) stay here.
    this.writer = BackgroundWriter.create(options.path, {
      onWritten: (ms) => (this.writeMs = ms),
      onSwept: (deleted) => (this.swept += deleted),
      onCounted: (counts) => (this.counts = counts),
      onError: (message) => {
        if (this.recorder !== null) this.recorder.stats.errors++;
        this.logWriteError(message);
      },
    });
    const recorder = new Recorder(this.writer ?? store, context.flagged, context.detector.networks);
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
    this.every(options.flushInterval, () => this.flush());
    this.every(SWEEP_EVERY_MS, () => this.sweep());
    this.every(COUNT_EVERY_MS, () => this.refreshCounts());
    this.refreshCounts();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.flush();
    await this.writer?.close();
    this.writer = null;
    this.store?.close();
    this.store = null;
  }

  metrics(): string[] {
    const r = this.recorder?.stats;
    const c = this.counts;
    return [
      '# HELP fluxhound_store_size_bytes Bytes of the store on disk (database and write-ahead log).',
      '# TYPE fluxhound_store_size_bytes gauge',
      `fluxhound_store_size_bytes{backend="sqlite"} ${this.store?.sizeBytes() ?? 0}`,
      '# HELP fluxhound_store_rows Rows per table, refreshed every minute.',
      '# TYPE fluxhound_store_rows gauge',
      `fluxhound_store_rows{table="domains"} ${c.domains}`,
      `fluxhound_store_rows{table="verdicts"} ${c.verdicts}`,
      `fluxhound_store_rows{table="pdns"} ${c.tuples}`,
      `fluxhound_store_rows{table="networks"} ${c.networks}`,
      '# TYPE fluxhound_store_pending gauge',
      `fluxhound_store_pending ${this.recorder?.pending ?? 0}`,
      '# TYPE fluxhound_store_flushes_total counter',
      `fluxhound_store_flushes_total ${r?.flushes ?? 0}`,
      '# TYPE fluxhound_store_tuples_written_total counter',
      `fluxhound_store_tuples_written_total ${r?.tuplesWritten ?? 0}`,
      '# TYPE fluxhound_store_verdicts_written_total counter',
      `fluxhound_store_verdicts_written_total ${r?.verdictsWritten ?? 0}`,
      '# TYPE fluxhound_store_errors_total counter',
      `fluxhound_store_errors_total ${r?.errors ?? 0}`,
      '# TYPE fluxhound_store_flush_seconds gauge',
      `fluxhound_store_flush_seconds ${((this.writer === null ? (r?.lastFlushMs ?? 0) : this.writeMs) / 1000).toFixed(6)}`,
      '# HELP fluxhound_store_dropped_batches_total Batches dropped because the writer thread was behind.',
      '# TYPE fluxhound_store_dropped_batches_total counter',
      `fluxhound_store_dropped_batches_total ${this.writer?.dropped ?? 0}`,
      '# TYPE fluxhound_store_swept_rows_total counter',
      `fluxhound_store_swept_rows_total ${this.swept}`,
      '# TYPE fluxhound_store_restored_verdicts gauge',
      `fluxhound_store_restored_verdicts ${this.restoredVerdicts}`,
    ];
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

  private sweep(): void {
    if (this.store === null) return;
    const before = Date.now() / 1000 - this.options.retention * 86400;
    if (this.writer !== null) {
      this.writer.sweep(before);
      return;
    }
    try {
      this.swept += this.store.sweep(before);
    } catch (err) {
      this.context.log.error({ service: this.name }, `store: retention sweep failed: ${(err as Error).message}`);
    }
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
