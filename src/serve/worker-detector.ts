/**
 * serve's detector on worker threads (`--workers N`): the partitioned
 * detector (src/detect/parallel) behind the synchronous surface the daemon
 * and its services use (LiveDetector). The event loop never sleeps on a
 * worker: the daemon asks room() before each live observation and passes it
 * by (fail-open, counted) when the workers are too far behind; a timer hands
 * a quiet daemon's buffered observations on. current() answers from a
 * main-thread copy of the last verdict the workers reported per domain (flag
 * events; dropped at its final verdict), refreshed for the flagged set by
 * refresh() — the workers' live state is only reachable asynchronously.
 */
import type { Config } from '../config/schema.js';
import { emptyDetectorStats, type DetectorStats, type NetworkMembers } from '../detect/detector.js';
import type { LiveDetector } from '../detect/live.js';
import { FluxNetworks } from '../detect/networks.js';
import { PartitionedDetector, type DetectorRecipe } from '../detect/parallel/index.js';
import { levelOf } from '../detect/score.js';
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';

export interface WorkerDetectorOptions {
  partitions: number;
  recipe: DetectorRecipe;
  onFlag: (v: Verdict) => void;
  onFinal: (v: Verdict) => void;
  /** The compiled worker (tests running from TypeScript sources give dist's). */
  workerUrl?: URL;
  /** How often buffered observations are handed on when the daemon is quiet (ms). */
  sendMs?: number;
}

/** A lookup reaches its worker within this long on a quiet daemon (a busy one fills a batch sooner). */
const SEND_MS = 50;
/** How long stop() waits for the workers to finish what they were handed. */
const DRAIN_MS = 10_000;

export class WorkerDetector implements LiveDetector {
  /** Live observations passed by because the workers were too far behind (fail-open). */
  passedBy = 0;
  private detector: PartitionedDetector | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Domain → the last verdict the workers reported (a flag event), until its final one; at most limits.maxDomains. */
  private readonly verdicts = new Map<string, Verdict>();
  /** Domain → level of a flag restored from the store: the workers' first flag of it at that level is not raised again. */
  private readonly restored = new Map<string, number>();
  private readonly idle: FluxNetworks;
  private readonly ownStats: DetectorStats;
  private readonly cap: number;

  constructor(private readonly options: WorkerDetectorOptions) {
    const config: Config = options.recipe.config;
    this.cap = config.limits.maxDomains;
    this.idle = new FluxNetworks(config.limits.maxNetworkAddresses, config.networks.sharedHostDomains);
    this.ownStats = emptyDetectorStats();
  }

  get partitions(): number {
    return this.options.partitions;
  }

  /** Start the workers (each loads its tables: about half a second). */
  async start(): Promise<void> {
    if (this.detector !== null) return;
    this.detector = await PartitionedDetector.start({
      recipe: this.options.recipe,
      partitions: this.options.partitions,
      workerUrl: this.options.workerUrl,
      onFlag: (v) => this.flagged(v),
      onFinal: (v) => this.finalised(v),
    });
    const detector = this.detector;
    this.timer = setInterval(() => {
      // Only when it cannot wait: else the next tick (or a full batch) sends.
      if (detector.room(0)) detector.send();
    }, this.options.sendMs ?? SEND_MS);
    this.timer.unref();
  }

  observe(obs: DnsObservation): void {
    if (this.detector === null) throw new Error('serve: the detector workers are not started');
    this.detector.observe(obs);
  }

  room(): boolean {
    return this.detector !== null && this.detector.room(1);
  }

  health(): string | null {
    const detector = this.detector;
    if (detector === null) return null;
    const failure = detector.failed;
    if (failure !== null) return `a worker thread failed (${failure.message.split('\n')[0]}); observations pass the detector by (${this.passedBy} so far)`;
    if (!detector.room(1)) return `the worker threads are behind; observations pass the detector by (${this.passedBy} so far)`;
    return null;
  }

  current(domain: string): Verdict | null {
    return this.verdicts.get(domain) ?? null;
  }

  /** The domain's verdict from its worker now; the copy current() answers from follows it. */
  async refresh(domain: string): Promise<Verdict | null> {
    if (this.detector === null) return null;
    const v = await this.detector.current(domain);
    if (v !== null && v.verdict !== 'benign' && this.verdicts.has(domain)) this.verdicts.set(domain, v);
    return v;
  }

  /** The domain's live verdict, from its worker (the API's domain view: also names never flagged). */
  async live(domain: string): Promise<Verdict | null> {
    // A failed worker: the copy is what is left.
    return this.detector === null ? this.current(domain) : this.detector.current(domain).catch(() => this.current(domain));
  }

  rememberFlag(v: Verdict): void {
    const level = levelOf(v.verdict);
    if (level === 0) return;
    this.ownStats.restoredFlags++;
    bounded(this.restored, this.cap).set(v.domain, level);
    bounded(this.verdicts, this.cap).set(v.domain, v);
  }

  get networks(): FluxNetworks {
    return this.detector?.networks ?? this.idle;
  }

  /** Not held in the main thread (the addresses live in the workers): the API's network view answers 404. */
  networkMembers(_label: string, _limit: number): NetworkMembers | null {
    return null;
  }

  /** Domains the workers held at their last flush (0 while running: the counts are merged only then). */
  get tracked(): number {
    return this.detector?.tracked ?? 0;
  }

  get stats(): DetectorStats {
    if (this.detector === null) return this.ownStats;
    return { ...this.detector.stats, restoredFlags: this.ownStats.restoredFlags };
  }

  /** Observations handed on but not yet examined by every worker. */
  get backlog(): number {
    return this.detector === null ? 0 : this.detector.taken - this.detector.settled;
  }

  /**
   * Stop: drain(), then stop the workers. A worker that does not finish in
   * DRAIN_MS is stopped anyway.
   */
  async close(drainMs = DRAIN_MS): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const detector = this.detector;
    if (detector === null) return;
    await this.drain(drainMs);
    await detector.close();
  }

  /** Hand on what is buffered and wait (polling, never blocking the loop) until every worker got past it: its flags are out. */
  async drain(drainMs = DRAIN_MS): Promise<void> {
    const detector = this.detector;
    // A failed worker: nothing more will come from the workers; close() stops the rest.
    if (detector === null || detector.failed !== null) return;
    const deadline = Date.now() + drainMs;
    try {
      while (!detector.room(0) && Date.now() < deadline) await sleep(10);
      detector.send();
      while (detector.settled < detector.taken && Date.now() < deadline) await sleep(10);
    } catch {
      // A failed worker: nothing more will come from it; close() stops the rest.
    }
  }

  private flagged(v: Verdict): void {
    bounded(this.verdicts, this.cap).set(v.domain, v);
    const restored = this.restored.get(v.domain);
    // Its flag event went out before the restart: raised again only at a higher level (as Detector.rememberFlag).
    if (restored !== undefined && levelOf(v.verdict) <= restored) return;
    this.restored.delete(v.domain);
    this.options.onFlag(v);
  }

  private finalised(v: Verdict): void {
    this.verdicts.delete(v.domain);
    this.restored.delete(v.domain);
    this.options.onFinal(v);
  }
}

function bounded<V>(map: Map<string, V>, cap: number): Map<string, V> {
  if (map.size >= cap) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  return map;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
