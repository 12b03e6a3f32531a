/**
 * The partitioned detector: N Detectors in worker threads, one per
 * partition (partitionOf: every name of one registered domain in one), fed
 * in input order, exchanging what crosses partitions at epoch barriers.
 * See README.md for the design, its limits and the differences from one
 * Detector.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { DnsObservation } from '../../model/observation.js';
import type { Verdict } from '../../model/verdict.js';
import type { DetectorStats } from '../detector.js';
import { FluxNetworks, type FluxNetworkSummary } from '../networks.js';
import { partitionOf } from '../partition.js';
import type { FromWorker, PlacedJoin, ToWorker, VerdictOut, WorkerSetup } from './protocol.js';
import type { DetectorRecipe } from './recipe.js';

export type { DetectorRecipe } from './recipe.js';

export interface PartitionedDetectorOptions {
  recipe: DetectorRecipe;
  /** Worker threads (partitions), 2..64. */
  partitions: number;
  /** Observations per epoch: the other partitions learn a flux network's new addresses at the next epoch's end. Default EPOCH. */
  epoch?: number;
  onFlag?: (verdict: Verdict) => void;
  onFinal?: (verdict: Verdict) => void;
  /** The compiled worker (default: worker.js beside this file; tests running from sources give dist's). */
  workerUrl?: URL;
  /** How long to wait for a worker's epoch before giving up (ms). */
  answerTimeoutMs?: number;
}

/** Default observations per epoch: small enough that first sight across partitions is near, large enough that barriers cost nothing (~20 per million records). */
export const EPOCH = 16_384;
const DEFAULT_WORKER = new URL('./worker.js', import.meta.url);

interface Lane {
  worker: Worker;
  /** Epoch replies come on their own port, so the main thread can take them synchronously (receiveMessageOnPort). */
  replies: MessagePort;
  obs: DnsObservation[];
  kinds: number[];
  at: number[];
}

export class PartitionedDetector {
  readonly partitions: number;
  /** Merged after flush(); before, only `observations` is live (counted here). */
  readonly stats: DetectorStats = emptyStats();
  /** Domains held in memory by all partitions when flush() began. */
  tracked = 0;
  /** Every partition's flux networks, replayed in input order: numbered as one Detector would number them. */
  readonly networks: FluxNetworks;
  private readonly lanes: Lane[];
  private readonly signal: Int32Array;
  private readonly epochSize: number;
  private readonly options: PartitionedDetectorOptions;
  /** Global index of the next observation. */
  private index = 0;
  private inEpoch = 0;
  private epoch = 0;
  /** Epochs posted whose replies are not taken yet (at most one: the workers work on it while this thread reads the next). */
  private pending = -1;
  /** Name server → partitions (bit mask) holding zones it serves, from NS records seen; bounded like servedZones. */
  private readonly serverRoutes = new Map<string, number>();
  private readonly memberIds = new Map<string, number>();
  private readonly waiters = new Map<number, (v: Verdict | null) => void>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(options: PartitionedDetectorOptions, lanes: Lane[], signal: Int32Array) {
    this.options = options;
    this.partitions = lanes.length;
    this.lanes = lanes;
    this.signal = signal;
    this.epochSize = Math.max(1, options.epoch ?? EPOCH);
    const config = options.recipe.config;
    this.networks = new FluxNetworks(config.limits.maxNetworkAddresses, config.networks.sharedHostDomains);
    lanes.forEach((lane) => lane.worker.on('message', (m: FromWorker) => this.receive(m)));
  }

  /** Start the workers; resolves once every one has loaded its tables. Rejects (workers stopped) when one fails. */
  static async start(options: PartitionedDetectorOptions): Promise<PartitionedDetector> {
    const n = options.partitions;
    if (!Number.isInteger(n) || n < 2 || n > 64) throw new RangeError(`detect/parallel: partitions must be 2..64, got ${n}`);
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const lanes: Lane[] = [];
    const ready: Promise<void>[] = [];
    for (let p = 0; p < n; p++) {
      const channel = new MessageChannel();
      const setup: WorkerSetup = { recipe: options.recipe, partition: p, partitions: n, replies: channel.port2, signal };
      const worker = new Worker(options.workerUrl ?? DEFAULT_WORKER, { workerData: setup, transferList: [channel.port2] });
      lanes.push({ worker, replies: channel.port1, obs: [], kinds: [], at: [] });
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: FromWorker): void => {
            if (m.t === 'ready') resolve();
            else if (m.t === 'error') reject(new Error(`detect/parallel: worker ${p}: ${m.message}`));
            else return;
            worker.off('message', onMessage);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`detect/parallel: worker ${p} exited (${code}) while starting`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(lanes.map((l) => l.worker.terminate()));
      throw err;
    }
    const detector = new PartitionedDetector(options, lanes, signal);
    for (const lane of lanes) {
      lane.worker.removeAllListeners('exit');
      lane.worker.removeAllListeners('error');
      lane.worker.on('error', (err) => detector.fail(err));
      lane.worker.on('exit', (code) => {
        if (!detector.closed) detector.fail(new Error(`detect/parallel: a worker exited (${code})`));
      });
    }
    return detector;
  }

  /** One observation, in input order. Throws the first worker failure. */
  observe(obs: DnsObservation): void {
    if (this.failure !== null) throw this.failure;
    const at = this.index++;
    this.stats.observations++;
    const own = partitionOf(obs.qname, this.partitions);
    this.push(own, obs, 0, at);
    if (this.serverRoutes.size > 0) {
      const mask = this.serverRoutes.get(obs.qname);
      if (mask !== undefined) for (let p = 0; p < this.partitions; p++) if (p !== own && (mask & (1 << p)) !== 0) this.push(p, obs, 1, at);
    }
    this.noteServers(obs.answers, own);
    this.noteServers(obs.authority, own);
    if (++this.inEpoch >= this.epochSize) this.endEpoch();
  }

  /**
   * End the current epoch now (serve: on a timer, so a quiet daemon still
   * shares its networks). Blocks until the workers finished the previous one.
   */
  endEpoch(): void {
    this.inEpoch = 0;
    const epoch = this.epoch++;
    for (let p = 0; p < this.partitions; p++) this.send(p);
    for (const lane of this.lanes) post(lane, { t: 'exchange', epoch });
    if (this.pending >= 0) this.collect(this.pending);
    this.pending = epoch;
  }

  /** Finalise every domain of every partition (end of input): final verdicts, merged stats and networks. */
  async flush(): Promise<void> {
    this.endEpoch();
    this.collect(this.pending);
    this.pending = -1;
    const flushed = await Promise.all(
      this.lanes.map(
        (lane, p) =>
          new Promise<Extract<FromWorker, { t: 'flushed' }>>((resolve, reject) => {
            this.flushWaiters[p] = { resolve, reject };
            post(lane, { t: 'flush' });
          }),
      ),
    );
    const joins = flushed.flatMap((f) => f.joins);
    this.replay(joins);
    Object.assign(this.stats, emptyStats());
    this.tracked = 0;
    for (const f of flushed) {
      for (const key of Object.keys(this.stats) as (keyof DetectorStats)[]) this.stats[key] += f.stats[key];
      this.tracked += f.tracked;
    }
    for (const f of flushed) this.emit(f.flags, this.options.onFlag);
    for (const f of flushed) this.emit(f.finals, this.options.onFinal);
  }

  /** The current verdict of a domain (its partition's detector), flux networks numbered as in `networks`. */
  current(domain: string): Promise<Verdict | null> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      post(this.lanes[partitionOf(domain, this.partitions)]!, { t: 'current', id, domain });
    });
  }

  /** Flux networks found so far (after the last epoch), largest first. */
  summaries(): FluxNetworkSummary[] {
    return this.networks.summaries();
  }

  /** Stop every worker (also after a failure). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  private readonly flushWaiters: Array<{ resolve: (m: Extract<FromWorker, { t: 'flushed' }>) => void; reject: (e: Error) => void }> = [];

  private receive(m: FromWorker): void {
    if (m.t === 'flushed') {
      const waiter = this.flushWaiters[m.partition];
      delete this.flushWaiters[m.partition];
      waiter?.resolve(m);
    } else if (m.t === 'current') {
      const resolve = this.waiters.get(m.id);
      this.waiters.delete(m.id);
      resolve?.(m.verdict === null ? null : this.renumber(m.verdict));
    } else if (m.t === 'error') this.fail(new Error(`detect/parallel: ${m.message}`));
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    for (const w of this.flushWaiters) w?.reject(err);
    void this.close();
  }

  private push(p: number, obs: DnsObservation, kind: number, at: number): void {
    const lane = this.lanes[p]!;
    lane.obs.push(obs);
    lane.kinds.push(kind);
    lane.at.push(at);
    if (lane.obs.length >= 4096) this.send(p);
  }

  private send(p: number): void {
    const lane = this.lanes[p]!;
    if (lane.obs.length === 0) return;
    post(lane, { t: 'batch', obs: lane.obs, kinds: Uint8Array.from(lane.kinds), at: Float64Array.from(lane.at) });
    lane.obs = [];
    lane.kinds = [];
    lane.at = [];
  }

  /** NS records whose server lies in another partition: later lookups of that server go to this one too. */
  private noteServers(records: DnsObservation['answers'], own: number): void {
    for (let i = 0; i < records.length; i++) {
      const rr = records[i]!;
      if (rr.type !== 'NS') continue;
      const server = rr.data;
      const p = partitionOf(server, this.partitions);
      if (p === own) continue;
      const mask = this.serverRoutes.get(server);
      if (mask === undefined && this.serverRoutes.size >= this.options.recipe.config.limits.maxDomains) {
        const oldest = this.serverRoutes.keys().next();
        if (!oldest.done) this.serverRoutes.delete(oldest.value);
      }
      if (mask === undefined || (mask & (1 << own)) === 0) this.serverRoutes.set(server, (mask ?? 0) | (1 << own));
    }
  }

  /**
   * Take every worker's reply to an epoch (blocking: the workers are at most
   * one epoch behind), then hand each the others' joins in input order and
   * report the epoch's verdicts, partition by partition.
   */
  private collect(epoch: number): void {
    const replies: Extract<FromWorker, { t: 'epoch' }>[] = [];
    const deadline = Date.now() + (this.options.answerTimeoutMs ?? 600_000);
    for (let p = 0; p < this.partitions; p++) {
      for (;;) {
        const seen = Atomics.load(this.signal, 0);
        const got = receiveMessageOnPort(this.lanes[p]!.replies) as { message: FromWorker } | undefined;
        if (got !== undefined) {
          const m = got.message;
          if (m.t === 'error') this.fail(new Error(`detect/parallel: worker ${p}: ${m.message}`));
          else if (m.t === 'epoch' && m.epoch === epoch) {
            replies.push(m);
            break;
          }
          if (this.failure !== null) throw this.failure;
          continue;
        }
        if (Date.now() > deadline) {
          this.fail(new Error(`detect/parallel: worker ${p} did not finish epoch ${epoch}`));
          throw this.failure!;
        }
        Atomics.wait(this.signal, 0, seen, 250);
      }
    }
    const joins = this.replay(replies.flatMap((r) => r.joins));
    for (const lane of this.lanes) post(lane, { t: 'apply', joins });
    for (const r of replies) this.emit(r.flags, this.options.onFlag);
    for (const r of replies) this.emit(r.finals, this.options.onFinal);
  }

  /** Joins into the global graph, in input order (as one Detector made them); returns them sorted. */
  private replay(joins: PlacedJoin[]): PlacedJoin[] {
    joins.sort((a, b) => a.at - b.at || a.partition - b.partition || a.seq - b.seq);
    for (const join of joins) {
      const known = this.memberIds.get(join.domain) ?? -1;
      this.memberIds.set(join.domain, this.networks.join(join.domain, join.addresses, join.firstSeen, join.lastSeen, known));
    }
    return joins;
  }

  private emit(verdicts: VerdictOut[], to: ((v: Verdict) => void) | undefined): void {
    if (to === undefined) return;
    for (const out of verdicts) to(this.renumber(out));
  }

  /** A worker's local network labels → the global ones (by the network's first domain). */
  private renumber(out: VerdictOut): Verdict {
    const v = out.verdict;
    if (out.networks === null) return v;
    const map = new Map<string, string>();
    for (const [local, first] of Object.entries(out.networks)) {
      const id = this.memberIds.get(first);
      if (id !== undefined) map.set(local, this.networks.label(id));
    }
    if (map.size === 0) return v;
    const relabel = (text: string): string => text.replace(/\bfn-\d+\b/g, (m) => map.get(m) ?? m);
    if (v.network !== null) v.network = relabel(v.network);
    if (v.features.network_id > 0) v.features.network_id = Number(relabel(`fn-${v.features.network_id}`).slice(3));
    v.reasons = v.reasons.map(relabel);
    return v;
  }
}

function post(lane: Lane, message: ToWorker): void {
  lane.worker.postMessage(message);
}

function emptyStats(): DetectorStats {
  return {
    observations: 0,
    ignored: 0,
    publicSuffixes: 0,
    knownNames: 0,
    namesTracked: 0,
    registeredTracked: 0,
    evicted: 0,
    flagEvents: 0,
    restoredFlags: 0,
    suspiciousNetworks: 0,
    intelListed: 0,
    intelAllowlisted: 0,
  };
}
