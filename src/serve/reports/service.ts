/**
 * The 'reports' service of `fluxhound serve`: on when serve.reports.dir is
 * set. Every serve.reports.interval seconds (on the interval's grid: a daily
 * run covers midnight to midnight UTC) it writes, for each customer,
 * `<dir>/<customer>/<from>--<to>.<format>` for each of serve.reports.formats,
 * covering the time since that customer's previous report.
 *
 * The previous report is the newest file in the customer's folder (its
 * `<to>`), so a restart neither repeats a period nor leaves a gap; on start
 * at most one missed period is caught up (the last complete one: a daemon
 * down for a week writes one report, not seven). A failed customer is
 * counted and tried again, from the same start, on the next run. Files are
 * written to a temporary name and renamed, so a reader never sees half a
 * report. Reading the query log yields to the event loop between pages, so
 * a large report does not hold up DNS answers.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Customer } from '../../act/customers.js';
import { UsageError } from '../../model/errors.js';
import { isoTime } from '../../model/verdict.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { storeOptions } from '../store/index.js';
import { renderReport, type ReportFormat } from './index.js';
import { reportsMetrics, type ReportsMetrics } from './metrics.js';
import { fileStamp, parseFileStamp } from './period.js';
import { ReportBuilder, type TransparencyReport } from './report.js';

/** Seconds after a period ends before its report is written: the store's batches (1 s) have landed by then. */
const GRACE_SECONDS = 5;
const REPORT_FILE = /^(\d{8}T\d{6}Z)--(\d{8}T\d{6}Z)\.(html|csv|json)$/;

export interface ReportsOptions {
  dir: string;
  /** Seconds per period. */
  interval: number;
  formats: readonly ReportFormat[];
}

export const reportsService: ServiceFactory = {
  name: 'reports',
  addOptions() {
    // Configured in serve.reports only (dir, interval, formats).
  },
  create(flags, context) {
    const { dir, interval, formats } = context.config.serve.reports;
    if (dir === null) return null;
    if (storeOptions(flags, context) === null) {
      throw new UsageError('serve: serve.reports.dir needs the store (--store PATH, or serve.store.path with --dns)');
    }
    return new ReportsService({ dir, interval, formats: [...new Set(formats)] }, context);
  },
};

export class ReportsService implements Service {
  readonly name = 'reports';
  private readonly metrics: ReportsMetrics;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopping = false;
  /** Per customer: where its last report ended (seconds); read from the folder once. */
  private readonly reportedUntil = new Map<string, number | null>();
  /** Runs completed (tests wait on it). */
  runs = 0;

  constructor(
    readonly options: ReportsOptions,
    private readonly context: ServeContext,
    /** Seconds since the epoch; tests move it. */
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {
    this.metrics = reportsMetrics(context.registry);
  }

  async start(): Promise<void> {
    try {
      await mkdir(this.options.dir, { recursive: true });
    } catch (err) {
      throw new Error(`reports: cannot create ${this.options.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    this.stopping = false;
    // Catch up the last complete period if it was missed, then follow the grid.
    this.running = this.run(true).finally(() => this.schedule());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Resolves once the run in progress (if any) has finished. */
  settled(): Promise<void> {
    return this.running;
  }

  /**
   * Writes every report now due: for each customer, [its last report's end
   * (at most one interval back), the latest grid boundary). At start a
   * customer never reported before is left for the next boundary.
   */
  async run(atStart = false): Promise<void> {
    const { interval } = this.options;
    const boundary = Math.floor(this.clock() / interval) * interval;
    for (const customer of this.context.customers.customers) {
      if (this.stopping) break;
      try {
        const last = await this.lastReported(customer.id);
        if (last === null && atStart) continue;
        const from = last === null ? boundary - interval : Math.max(last, boundary - interval);
        if (from >= boundary) continue;
        const report = await this.build(customer, from, boundary);
        if (report === null) break;
        await this.write(customer.id, from, boundary, report);
        this.reportedUntil.set(customer.id, boundary);
      } catch (err) {
        this.metrics.failures.inc();
        this.context.log.error({ service: this.name, customer: customer.id }, `reports: ${customer.id}: ${(err as Error).message}`);
      }
    }
    this.metrics.lastRun.set(Math.round(Date.now() / 1000));
    this.runs++;
  }

  private schedule(): void {
    if (this.stopping) return;
    const { interval } = this.options;
    const now = this.clock();
    const next = (Math.floor(now / interval) + 1) * interval + GRACE_SECONDS;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.run().finally(() => this.schedule());
    }, Math.max(1, (next - now) * 1000));
    this.timer.unref();
  }

  /** The report, read page by page with a turn of the event loop between pages; null when stopping. */
  private async build(customer: Customer, since: number, until: number): Promise<TransparencyReport | null> {
    // What the API reads too: the local store's async face, or with a cluster the cluster's verdict history beside the node's query log.
    const store = this.context.reader ?? null;
    if (store === null) throw new Error('the store is not open');
    const builder = new ReportBuilder(store, customer, { since, until }, new Date(this.clock() * 1000));
    while (await builder.step()) {
      await yieldToLoop();
      if (this.stopping) return null;
    }
    return builder.finish();
  }

  /** Every format to a temporary file first, then each renamed into place. */
  private async write(customerId: string, from: number, to: number, report: TransparencyReport): Promise<void> {
    const folder = join(this.options.dir, customerId);
    await mkdir(folder, { recursive: true });
    const base = `${fileStamp(from)}--${fileStamp(to)}`;
    const staged: [string, string, ReportFormat][] = [];
    try {
      for (const format of this.options.formats) {
        const final = join(folder, `${base}.${format}`);
        const temp = join(folder, `.${base}.${format}.${process.pid}.tmp`);
        await writeFile(temp, renderReport(report, format).text, { mode: 0o640 });
        staged.push([temp, final, format]);
      }
      for (const [temp, final, format] of staged) {
        await rename(temp, final);
        this.metrics.written.inc({ format });
      }
    } catch (err) {
      for (const [temp] of staged) await rm(temp, { force: true });
      throw err;
    }
    this.context.log.info(
      { service: this.name, customer: customerId, from: isoTime(from), to: isoTime(to), items: report.items.length },
      `reports: wrote ${join(folder, base)}.{${this.options.formats.join(',')}}`,
    );
  }

  /** Where the customer's newest report ends, from its folder's file names (leftover temporary files go). */
  private async lastReported(customerId: string): Promise<number | null> {
    const known = this.reportedUntil.get(customerId);
    if (known !== undefined) return known;
    const folder = join(this.options.dir, customerId);
    let names: string[] = [];
    try {
      names = await readdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let last: number | null = null;
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        await rm(join(folder, name), { force: true });
        continue;
      }
      const m = REPORT_FILE.exec(name);
      const to = m === null ? null : parseFileStamp(m[2]!);
      if (to !== null && (last === null || to > last)) last = to;
    }
    this.reportedUntil.set(customerId, last);
    return last;
  }
}
