/**
 * The daemon in one function: build the detector and the live flagged set,
 * start every configured service, print each flag as NDJSON the moment it
 * happens, and stop cleanly on SIGTERM/SIGINT (SIGHUP reloads).
 */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { CustomerMap } from '../act/customers.js';
import { FlaggedDomains } from '../act/flagged.js';
import { liveAllowlist } from '../act/rpz/allowlist.js';
import { runInSlices } from './slices.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { replaceSections } from '../config/sections.js';
import { Detector } from '../detect/detector.js';
import type { LiveDetector } from '../detect/live.js';
import type { DetectorRecipe } from '../detect/parallel/index.js';
import type { FlowAnalysis, FlowFindingSink } from '../detect/flows/analysis.js';
import { createFlowAnalysis } from '../detect/flows/index.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import { timeProblem, type DnsObservation } from '../model/observation.js';
import type { Exposure, FanOut } from '../model/flow.js';
import type { QueryLogEntry } from '../model/query-log.js';
import type { Verdict } from '../model/verdict.js';
import { QueryStats } from './query-stats.js';
import type { DetectorBacklog, ServeContext, Service, ServiceFactory } from './service.js';
import { daemonMetrics, flowMetrics, type DaemonMetrics } from './metrics.js';
import { FlowPath } from './flow-path.js';
import { WorkerDetector } from './worker-detector.js';
import type { LiveChange } from '../detect/parallel/protocol.js';
import { packIntelIndex } from '../intel/index.js';

export interface DaemonOptions {
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
  log: Logger;
  /** Flag events as NDJSON, one line each, written as they happen; null for none. */
  out: Writable | null;
  factories: readonly ServiceFactory[];
  flags: Record<string, unknown>;
  /** The config file, re-read on SIGHUP; undefined when running on defaults. */
  configPath?: string;
  /** Names that must never be blocked. */
  isAllowed?: (name: string) => boolean;
  /**
   * Builds the daemon's one flow analysis around the sink its findings go
   * to; null for none (flows are counted and let go). Absent: the standard
   * one (src/detect/flows) on the daemon's config and customers.
   */
  flowAnalysis?: ((findings: FlowFindingSink) => FlowAnalysis) | null;
  /**
   * Flows reach context.observations.flow only from the services (the CLI's daemon): when none of them may
   * hand any (Service.flows), the flow analysis keeps no DNS memory for flows (FlowAnalysis.noFlowsToCome).
   * Default false: code embedding the daemon may hand flows itself.
   */
  flowsFromServicesOnly?: boolean;
  /**
   * The detector on `count` worker threads (config workers, --workers; src/serve/worker-detector.ts) when
   * count >= 2; absent or 1: one Detector in this thread, as before. askMs: how long every worker has to
   * accept a change or answer (default 10 s).
   */
  workers?: { count: number; recipe: DetectorRecipe; workerUrl?: URL; askMs?: number; /** Why count is 1 (logged at start), if it was chosen for the user. */ note?: string | null };
}

/** How often the flagged set is refreshed from the detector, milliseconds. */
const REFRESH_MS = 30_000;

export interface DaemonStats {
  observations: number;
  skipped: number;
  /** Live observations passed by because the detector's workers were too far behind (fail-open; --workers only). */
  detectorPassedBy: number;
  flagEvents: number;
}

export class Daemon {
  readonly context: ServeContext;
  readonly services: Service[] = [];
  readonly stats: DaemonStats = { observations: 0, skipped: 0, flagEvents: 0, detectorPassedBy: 0 };
  private running = false;
  private refresher: NodeJS.Timeout | null = null;
  private refreshing = false;
  private readonly metricsOf: DaemonMetrics;
  private readonly backlogs = new Set<DetectorBacklog>();
  /** Flows from every input, queued for the flow analysis. */
  readonly flows: FlowPath;
  /** The detector's worker threads (--workers N), or null: one Detector in this thread. */
  readonly workers: WorkerDetector | null = null;
  /** What became of options.workers, logged at start (not before: a usage error stays one line). */
  private workersNote: string | null = null;
  /** Changes to send the workers once they have started (before any service). */
  private readonly startChanges: Array<() => void> = [];

  constructor(private readonly options: DaemonOptions) {
    const flagged = new FlaggedDomains({ isAllowed: options.isAllowed });
    const registry = new Registry();
    const detectorRef: { current: LiveDetector | null } = { current: null };
    const metrics = daemonMetrics(registry, {
      stats: this.stats,
      flagged: () => flagged.size,
      tracked: () => detectorRef.current?.tracked ?? 0,
      publicSuffixes: () => detectorRef.current?.stats.publicSuffixes ?? 0,
      flaggedRefusedSuffixes: () => flagged.refused.publicSuffixes,
      restoredFlags: () => detectorRef.current?.stats.restoredFlags ?? 0,
      workerBacklog: () => this.workers?.backlog ?? 0,
      workerFlowsPassedBy: () => this.workers?.flowsPassedBy ?? 0,
      workerChanges: () => this.workers?.changeCounts() ?? [],
    });
    this.metricsOf = metrics;
    const findingListeners = new Set<(finding: Exposure | FanOut) => void>();
    // Findings go out as NDJSON lines beside the flag events ("record":"exposure" / "fan-out"), then to every listener (the store).
    const finding = (f: Exposure | FanOut): void => {
      options.out?.write(JSON.stringify(f) + '\n');
      for (const listener of findingListeners) listener(f);
    };
    const customers = new CustomerMap(options.config.customers);
    const findings: FlowFindingSink = { exposure: finding, fanOut: finding };
    const analysis =
      options.flowAnalysis === undefined
        ? // Live reporting: an exposure goes out on its first flow, and again as its totals grow.
          createFlowAnalysis({ config: options.config, infra: options.infra, customers: (client) => customers.customerOf(client)?.id ?? null, findings, reporting: 'live' })
        : (options.flowAnalysis?.(findings) ?? null);
    this.flows = new FlowPath(analysis);
    const flows = this.flows;
    flowMetrics(registry, { path: () => flows.stats, queued: () => flows.queued, analysis: () => analysis?.stats ?? null });
    const verdictListeners = new Set<(v: Verdict, event: 'flag' | 'final') => void>();
    const onVerdict = (v: Verdict, event: 'flag' | 'final'): void => {
      // Listeners (active confirmation) hear every verdict, also those the allowlist keeps out of the flagged set.
      for (const listener of verdictListeners) listener(v, event);
      // An allowlisted name's addresses are no flux hosts: its verdicts never reach the flow analysis.
      if (analysis !== null && options.isAllowed?.(v.domain) !== true) analysis.verdict(v, event);
      if (!flagged.upsert(v)) return;
      this.stats.flagEvents++;
      options.out?.write(JSON.stringify(v) + '\n');
    };
    const detector = new Detector({
      config: options.config,
      enricher: options.enricher,
      infra: options.infra,
      // The feed set the intel service sets on the context (read once per lookup; null until it loads).
      intel: { current: () => this.context.intel?.current() ?? null },
      isAllowlisted: options.isAllowed ?? null,
      onFlag: (v) => onVerdict(v, 'flag'),
      onFinal: (v) => onVerdict(v, 'final'),
      // What flows say about a domain's addresses strengthens its verdict (flow_evidence).
      flows: analysis,
    });
    detectorRef.current = detector;
    const stats = this.stats;
    const context = (): ServeContext => this.context;
    const log = options.log;
    const observers = new Set<(o: DnsObservation) => void>();
    const queryListeners = new Set<(e: QueryLogEntry) => void>();
    this.context = {
      customers,
      queryStats: new QueryStats(),
      store: null,
      lists: null,
      intel: null,
      logQuery(entry) {
        for (const listener of queryListeners) listener(entry);
      },
      onQuery(listener) {
        queryListeners.add(listener);
        return () => queryListeners.delete(listener);
      },
      config: options.config,
      registry,
      detectorBacklogs: this.backlogs,
      detector,
      flagged,
      log,
      infra: options.infra,
      enricher: options.enricher,
      observations: {
        observe(o) {
          // Last line of defence for live inputs that do not check times themselves: never a 1970 or NaN time in the state.
          const problem = timeProblem(o);
          if (problem !== null) {
            stats.skipped++;
            log.warn({ format: 'live', qname: o.qname }, `skipped: ${problem}`);
            return;
          }
          stats.observations++;
          const live = context().detector;
          // Workers too far behind: the observation passes the detector by (fail-open), the event loop does not wait.
          if (live.room?.() === false) stats.detectorPassedBy++;
          else live.observe(o);
          // Only clients keep a flagged name active: fluxhound's own probes do not.
          if (o.origin !== 'probe') flagged.touch(o.qname, o.ts);
          // Who looked up what through the monitored resolvers (DNS bypass), which names answered with which address.
          analysis?.observe(o);
          for (const observer of observers) observer(o);
        },
        flow(f) {
          flows.flow(f);
        },
        skip(s) {
          stats.skipped++;
          log.warn({ format: s.format, file: s.position.file, position: s.position.line }, `skipped: ${s.reason}`);
        },
      },
    };
    this.context.metrics = () => this.metrics();
    this.context.health = () => this.health();
    this.context.onObservation = (listener) => {
      observers.add(listener);
      return () => observers.delete(listener);
    };
    this.context.flows = analysis;
    this.context.flowRoom = () => flows.room();
    this.context.onFinding = (listener) => {
      findingListeners.add(listener);
      return () => findingListeners.delete(listener);
    };
    this.context.onVerdict = (listener) => {
      verdictListeners.add(listener);
      return () => verdictListeners.delete(listener);
    };
    this.context.flag = (v) => {
      const before = flagged.serial;
      onVerdict(v, 'flag');
      return flagged.serial !== before;
    };
    for (const factory of options.factories) {
      const service = factory.create(options.flags, this.context);
      if (service !== null) this.services.push(service);
    }
    // No service hands flows (no collector, no followed flow log): the flow analysis need not remember the DNS for them.
    if (options.flowsFromServicesOnly === true && !this.services.some((service) => service.flows === true)) analysis?.noFlowsToCome?.();
    const workers = options.workers;
    this.workersNote = workers?.note ?? null;
    if (workers !== undefined && workers.count >= 2) {
      // Flows may come when a service hands them, or always when code embedding the daemon may.
      const withFlows = analysis !== null && (options.flowsFromServicesOnly !== true || this.services.some((service) => service.flows === true));
      const onWorkers = new WorkerDetector({
        partitions: workers.count,
        recipe: workers.recipe,
        workerUrl: workers.workerUrl,
        enricher: options.enricher,
        flows: withFlows,
        askMs: workers.askMs,
        onFlag: (v) => onVerdict(v, 'flag'),
        onFinal: (v) => onVerdict(v, 'final'),
      });
      this.workers = onWorkers;
      this.context.detector = onWorkers;
      detectorRef.current = onWorkers;
      // Every flow the analysis takes reaches the workers' flow evidence too, in the same order.
      if (withFlows) flows.also = (f) => onWorkers.flow(f);
      this.followIntel(onWorkers);
      this.workersNote = `detector: ${workers.count} worker threads, one partition of the registered domains each${withFlows ? '; flows reach every worker' : ''}`;
    }
  }

  /**
   * With workers: the intel index in force, each renewal of a feed's copy and
   * the allowlist (which intel never flags) reach every worker, all or nothing
   * (WorkerDetector.change). A change the workers refuse leaves them all on
   * the one before: logged in one line and counted
   * (fluxhound_detector_worker_changes_total{result="refused"}).
   */
  private followIntel(workers: WorkerDetector): void {
    const intel = this.context.intel;
    if (intel === null || intel === undefined) return;
    const allow = liveAllowlist(this.options.config);
    // Packed in slices (the event loop answers DNS meanwhile) and shared by every worker without a copy.
    const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    intel.onChange((index) => this.changeWorkers(workers, 'intel', async () => ({ k: 'intel', index: index === null ? null : await packIntelIndex(index, pause) })));
    intel.onRenew?.((feed, expiresAt) => this.changeWorkers(workers, 'renew', { k: 'renew', feed, expiresAt }));
    const names = (): LiveChange => ({ k: 'allowlist', names: [...allow.allowlist.names] });
    allow.onChange(() => this.changeWorkers(workers, 'allowlist', names()));
    // The allowlist in force before any index: intel never flags an allowlisted name.
    this.startChanges.push(() => this.changeWorkers(workers, 'allowlist', names()));
  }

  private changeWorkers(workers: WorkerDetector, kind: LiveChange['k'], change: LiveChange | (() => Promise<LiveChange>)): void {
    workers.change(change).catch((err: Error) => {
      this.options.log.error({ change: kind }, `detector workers keep the ${kind} in force: ${err.message}`);
    });
  }

  /** Starts every service; if one fails, the ones already started are stopped and the error is passed on. */
  async start(): Promise<void> {
    const started: Service[] = [];
    // Before any service: the store's restore replays into the detector.
    await this.workers?.start();
    for (const change of this.startChanges) change();
    try {
      for (const service of this.services) {
        await service.start();
        started.push(service);
        // What a service set up for the detector (the intel index it loaded) is in every worker before the next one
        // starts answering, as it is in one thread's detector.
        await this.workers?.settled();
      }
    } catch (err) {
      for (const service of started.reverse()) {
        await service.stop().catch(() => undefined);
        await service.abandon?.().catch(() => undefined);
      }
      await this.workers?.close(0);
      throw err;
    }
    this.running = true;
    // Once started (a start failure stays one line): how the detector runs.
    if (this.workersNote !== null) this.options.log.info({ workers: this.workers?.partitions ?? 1 }, this.workersNote);
    this.refresher = setInterval(() => this.refreshInSlices(), REFRESH_MS);
    this.refresher.unref();
  }

  /**
   * Re-reads every flagged domain the detector still tracks, so the
   * evidence the actions use (addresses for the IP blocklist and rpz-ip,
   * name servers for rpz-nsdname) follows the flux as it rotates. Flag
   * events (NDJSON on stdout) stay one per threshold crossing.
   */
  refreshFlagged(): number {
    let changed = 0;
    for (const v of [...this.context.flagged.entries()]) if (this.refreshOne(v.domain)) changed++;
    return changed;
  }

  /**
   * refreshFlagged as the timer runs it: the same work in slices of at most
   * REFRESH_SLICE_MS on setImmediate, so queries arriving meanwhile wait for
   * one slice, not for the whole set. A domain dropped between two slices
   * (expiry, allowlist) is not brought back. A call while one is under way
   * changes nothing (done(0)).
   */
  refreshInSlices(done?: (changed: number) => void): void {
    if (this.refreshing) {
      done?.(0);
      return;
    }
    this.refreshing = true;
    if (this.workers !== null) {
      void this.refreshFromWorkers(this.workers).then((changed) => {
        this.refreshing = false;
        done?.(changed);
      });
      return;
    }
    // Re-scoring a flagged domain costs tens of microseconds: a thousand in one go would hold every DNS answer for tens of ms.
    const domains = Array.from(this.context.flagged.entries(), (v) => v.domain);
    let next = 0;
    let changed = 0;
    runInSlices(
      () => {
        if (next >= domains.length) return false;
        const domain = domains[next++]!;
        if (this.context.flagged.lastActive(domain) !== null && this.refreshOne(domain)) changed++;
        return true;
      },
      () => this.running,
      () => {
        this.refreshing = false;
        done?.(changed);
      },
    );
  }

  /** refreshInSlices with workers: each flagged domain's partition answers (the loop never waits: a reply is a message). */
  private async refreshFromWorkers(workers: WorkerDetector): Promise<number> {
    let changed = 0;
    for (const domain of Array.from(this.context.flagged.entries(), (v) => v.domain)) {
      if (!this.running) break;
      if (this.context.flagged.lastActive(domain) === null) continue;
      const now = await workers.refresh(domain).catch(() => null);
      if (now !== null && now.verdict !== 'benign' && this.context.flagged.upsert(now)) changed++;
    }
    return changed;
  }

  /** Re-scores one flagged domain; true when its flagged verdict changed. */
  private refreshOne(domain: string): boolean {
    const now = this.context.detector.current(domain);
    return now !== null && now.verdict !== 'benign' && this.context.flagged.upsert(now);
  }

  /**
   * SIGHUP, as a transaction: load and validate the config file (when one
   * was given; else the running config again, to re-read the files), then
   * let the allowlist and every service check it and prepare their part
   * (allowlist files, TSIG key, zone options) without changing anything.
   * Only when all accept are the config sections swapped in place (parts of
   * the daemon hold a section: the detector `verdict`, the allowlist
   * `policy`) and every prepared part committed; otherwise nothing changes
   * and the first refusal is logged in one line. Listen addresses and the
   * store path take a restart. True when the reload was applied.
   */
  async reload(): Promise<boolean> {
    const source = this.options.configPath ?? 'the running config';
    const commits: Array<() => void> = [];
    let next: Config;
    let stage = 'config';
    try {
      next = this.options.configPath === undefined ? structuredClone(this.options.config) : loadConfig(this.options.configPath, {});
      stage = 'allowlist';
      commits.push(liveAllowlist(this.options.config).prepare(next.policy));
      for (const service of this.services) {
        if (service.prepareReload === undefined) continue;
        stage = service.name;
        commits.push(await service.prepareReload(next));
      }
      // Last, once everything else accepted: every worker takes the new config (its detector reads it in place,
      // as this thread's does), or none does and nothing changes anywhere.
      stage = 'workers';
      await this.workers?.change({ k: 'config', config: next });
    } catch (err) {
      this.metricsOf.reloads.inc({ result: 'refused' });
      const reason = firstLine((err as Error).message);
      this.options.log.error({ config: source, refusedBy: stage }, `reload refused, keeping the running config everywhere: ${reason}`);
      return false;
    }
    replaceSections(this.options.config, next);
    for (const commit of commits) commit();
    // Names the new allowlist allows leave the flagged set (and so every action).
    this.context.flagged.reapply(liveAllowlist(this.options.config).isAllowed);
    this.metricsOf.reloads.inc({ result: 'applied' });
    this.options.log.info({ config: source }, 'config reloaded');
    return true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.refresher !== null) clearInterval(this.refresher);
    // Before any service stops: the flows still queued are analysed and what the analysis holds is reported, so the store records it.
    this.flows.finish();
    // What the workers were handed is examined and its flags are in the flagged set before the services (the store) stop.
    await this.workers?.drain();
    for (const service of [...this.services].reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.options.log.error({ service: service.name }, `stop failed: ${(err as Error).message}`);
      }
    }
    await this.workers?.close();
  }

  /** Prometheus text of the daemon's registry: every family of every service. */
  async metrics(): Promise<string> {
    return this.context.registry.metrics();
  }

  /**
   * Why the daemon cannot do its job now, for GET /health (503 with these):
   * the oldest observation waiting for the detector has waited longer than
   * serve.http.maxDetectorLag seconds, or a queue in front of it is full
   * (answers pass unexamined); the flow queue full, dropping, or its oldest
   * flow waiting past the same bound; and every service's own health() reason (the
   * store cannot write, every upstream is down). Empty when healthy.
   */
  health(): string[] {
    const reasons: string[] = [];
    const bound = this.options.config.serve.http.maxDetectorLag;
    let lag = 0;
    let full = false;
    for (const backlog of this.backlogs) {
      lag = Math.max(lag, backlog.oldestWaitSeconds());
      full ||= backlog.full;
    }
    if (lag > bound) reasons.push(`detector: the oldest observation has waited ${lag.toFixed(1)} s (bound serve.http.maxDetectorLag ${bound} s)`);
    if (full) reasons.push('detector: its queue is full; answers pass unexamined (fail-open)');
    const detectorHealth = this.context.detector.health?.() ?? null;
    if (detectorHealth !== null) reasons.push(`detector: ${detectorHealth}`);
    // The flow queue against the same bound: flows are evidence, not the answer path, but a lagging analysis reports late and drops the collector's flows.
    reasons.push(...this.flows.health(bound));
    for (const service of this.services) {
      const reason = service.health?.() ?? null;
      if (reason !== null) reasons.push(`${service.name}: ${reason}`);
    }
    return reasons;
  }
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

/** Runs until SIGTERM or SIGINT; SIGHUP reloads. Resolves after a clean stop. */
export async function runUntilSignalled(daemon: Daemon, log: Logger): Promise<void> {
  let signalled: (signal: string) => void = () => undefined;
  const signal = new Promise<string>((resolve) => (signalled = resolve));
  // Installed before start: a service may work for a while during start (a followed file's history).
  const onTerm = (): void => signalled('SIGTERM');
  const onInt = (): void => signalled('SIGINT');
  const onHup = (): void => {
    log.info('SIGHUP: reloading');
    void daemon.reload();
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  try {
    await daemon.start();
    log.info({ services: daemon.services.map((s) => s.name) }, 'fluxhound serve started');
    log.info({ signal: await signal }, 'stopping');
    await daemon.stop();
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('SIGHUP', onHup);
  }
}

