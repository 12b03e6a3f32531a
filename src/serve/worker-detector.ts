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
 * What the API and metrics read of the workers' state is asked of every
 * worker: a network's members (merged, detect/parallel/members.ts) on
 * request, domains held and detector counters every STATS_MS. What the
 * daemon changes in them (a reloaded config, the intel index, the allowlist)
 * goes to every worker in two phases: all accept it or none takes it
 * (change()). The daemon's flows reach every worker's flow evidence in the
 * order its flow analysis takes them (flow()).
 */
import type { Config } from '../config/schema.js';
import { emptyDetectorStats, type DetectorStats, type NetworkMembers } from '../detect/detector.js';
import { mergeMembers } from '../detect/parallel/members.js';
import type { LiveChange, LiveReply } from '../detect/parallel/protocol.js';
import type { Enricher } from '../enrich/enricher.js';
import type { FlowRecord } from '../model/flow.js';
import { formatIPv4 } from '../model/names.js';
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
  /** AS and country of a network address no worker described (the API's network view). */
  enricher: Enricher;
  /** Flows come to the daemon: every worker keeps flow evidence (flow()). Default false. */
  flows?: boolean;
  /** How long every worker has to accept a change, or to answer a question (ms). */
  askMs?: number;
  /** How often domains held and detector counters are asked of the workers (ms). */
  statsMs?: number;
}

/** A lookup reaches its worker within this long on a quiet daemon (a busy one fills a batch sooner). */
const SEND_MS = 50;
/** How long stop() waits for the workers to finish what they were handed. */
const DRAIN_MS = 10_000;
/** Every worker answers within this (a worker takes messages after the batches before them: up to 32k observations). */
const ASK_MS = 10_000;
/** The tracked-domains gauge and detector counters are this old at most (plus a reply). */
const STATS_MS = 1_000;

export class WorkerDetector implements LiveDetector {
  /** Live observations passed by because the workers were too far behind (fail-open). */
  passedBy = 0;
  /** Flows not handed to the workers' flow evidence because they were too far behind (fail-open; the main thread's analysis has them). */
  flowsPassedBy = 0;
  /** Changes every worker took (applied) or none took (refused), by kind. */
  readonly changes = { applied: new Map<LiveChange['k'], number>(), refused: new Map<LiveChange['k'], number>() };
  private detector: PartitionedDetector | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Domain → the last verdict the workers reported (a flag event), until its final one; at most limits.maxDomains. */
  private readonly verdicts = new Map<string, Verdict>();
  /** Domain → level of a flag restored from the store: the workers' first flag of it at that level is not raised again. */
  private readonly restored = new Map<string, number>();
  private readonly idle: FluxNetworks;
  private readonly ownStats: DetectorStats;
  private readonly cap: number;
  /** The workers' last answer to 'live-stats' (summed), or null before the first. */
  private polled: { tracked: number; stats: DetectorStats } | null = null;
  private polling = false;
  private poller: NodeJS.Timeout | null = null;
  /** Changes go one at a time: a worker holds one prepared change. */
  private changing: Promise<unknown> = Promise.resolve();

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
      live: { flows: this.options.flows ?? false },
    });
    const detector = this.detector;
    this.timer = setInterval(() => {
      // Only when it cannot wait: else the next tick (or a full batch) sends.
      if (detector.room(0)) detector.send();
    }, this.options.sendMs ?? SEND_MS);
    this.timer.unref();
    this.poller = setInterval(() => this.poll(), this.options.statsMs ?? STATS_MS);
    this.poller.unref();
  }

  /** A flow the daemon's flow analysis took: to every worker's flow evidence, or passed by (counted) when they are behind. */
  flow(flow: FlowRecord): void {
    const detector = this.detector;
    if (detector === null || detector.failed !== null) return;
    if (!detector.room(1)) this.flowsPassedBy++;
    else detector.flow(flow);
  }

  /**
   * A change to every worker's detector, all or nothing: each worker checks
   * it and holds it; when every one accepted, every one applies it (at the
   * same place among the observations: messages follow the batches), else
   * none does and this rejects with the first reason. One change at a time.
   */
  change(change: LiveChange | (() => Promise<LiveChange>)): Promise<void> {
    // Built in turn (an intel index is packed in slices): changes reach the workers in the order they were made.
    const run = this.changing.then(async () => this.changeNow(typeof change === 'function' ? await change() : change));
    this.changing = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every change made so far has reached the workers (or was refused). */
  async settled(): Promise<void> {
    await this.changing;
  }

  private async changeNow(change: LiveChange): Promise<void> {
    const detector = this.detector;
    // Not started: the workers start from the daemon's config; nothing else is sent before start.
    if (detector === null) return;
    let id = -1;
    let replies: LiveReply[];
    try {
      replies = await detector.ask((i) => ({ t: 'live-prepare', id: (id = i), change }), this.options.askMs ?? ASK_MS);
    } catch (err) {
      detector.tell({ t: 'live-abort', id });
      count(this.changes.refused, change.k);
      throw new Error(`the detector workers did not all accept the ${change.k} change: ${(err as Error).message.split('\n')[0]}`);
    }
    const refusal = replies.find((r) => r.error !== null);
    if (refusal !== undefined) {
      detector.tell({ t: 'live-abort', id });
      count(this.changes.refused, change.k);
      throw new Error(`detector worker ${refusal.partition} refused the ${change.k} change: ${refusal.error}`);
    }
    detector.tell({ t: 'live-commit', id });
    count(this.changes.applied, change.k);
  }

  /** changes as metric readings: by change and result. */
  changeCounts(): Array<[Record<string, string>, number]> {
    const out: Array<[Record<string, string>, number]> = [];
    for (const result of ['applied', 'refused'] as const) for (const [change, n] of this.changes[result]) out.push([{ change, result }, n]);
    return out;
  }

  /** Domains held and counters, asked of every worker (one question at a time; a failed worker keeps the last answer). */
  private poll(): void {
    const detector = this.detector;
    if (detector === null || this.polling || detector.failed !== null) return;
    this.polling = true;
    detector
      .ask((id) => ({ t: 'live-stats', id }), this.options.askMs ?? ASK_MS)
      .then((replies) => {
        const sum = { tracked: 0, stats: emptyDetectorStats() };
        for (const r of replies) {
          if (r.stats === undefined) continue;
          sum.tracked += r.stats.tracked;
          for (const key of Object.keys(sum.stats) as (keyof DetectorStats)[]) sum.stats[key] += r.stats.stats[key];
        }
        this.polled = sum;
      })
      .catch(() => undefined)
      .finally(() => (this.polling = false));
  }

  /** Ask for domains held and counters now (the next scrape reads them); resolves once answered. Tests and start-up. */
  async pollNow(): Promise<void> {
    while (this.polling) await sleep(5);
    this.poll();
    while (this.polling) await sleep(5);
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
    const detector = this.detector;
    // A failed worker: the copy is what is left.
    if (detector === null) return this.current(domain);
    // What is buffered goes first (a probe's answer just observed): the worker answers after it.
    if (detector.room(0)) detector.send();
    return detector.current(domain).catch(() => this.current(domain));
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

  /** Not held in the main thread (a name's addresses live in its worker): liveNetworkMembers asks them. */
  networkMembers(_label: string, _limit: number): NetworkMembers | null {
    return null;
  }

  /**
   * A network's members from every worker (each knows its own domains'
   * edges), merged as one Detector lists them; null when there is no such
   * network. Rejects when a worker failed or did not answer.
   */
  async liveNetworkMembers(label: string, limit: number): Promise<NetworkMembers | null> {
    const detector = this.detector;
    if (detector === null) return null;
    const networks = detector.networks;
    const root = networks.idOf(label);
    const domains = root < 0 ? [] : networks.sampleOf(root);
    const first = domains[0];
    if (first === undefined) return null;
    const replies = await detector.ask((id) => ({ t: 'live-members', id, label, first, limit }), this.options.askMs ?? ASK_MS);
    const more = networks.addressesOf(root, limit).map((key) => (typeof key === 'number' ? formatIPv4(key >>> 0) : key));
    const lookup = (address: string): { address: string; asn: number | null; country: string | null } => {
      const found = this.options.enricher.lookup(address);
      return { address, asn: found !== null && found.asn > 0 ? found.asn : null, country: found !== null && found.country !== '' ? found.country : null };
    };
    return mergeMembers(networks.label(root), domains, replies.map((r) => r.members), more, lookup, limit);
  }

  /** Domains the workers hold, as they last answered (every STATS_MS); after stop, at their last flush. */
  get tracked(): number {
    return this.polled?.tracked ?? this.detector?.tracked ?? 0;
  }

  /** The workers' counters as they last answered; observations are the ones handed to them (counted here). */
  get stats(): DetectorStats {
    if (this.detector === null) return this.ownStats;
    const merged = this.polled?.stats ?? this.detector.stats;
    return { ...merged, observations: this.detector.stats.observations, restoredFlags: this.ownStats.restoredFlags };
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
    if (this.poller !== null) clearInterval(this.poller);
    this.poller = null;
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

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
