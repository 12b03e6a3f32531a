/**
 * The partitioned detector: N Detectors in worker threads, one per
 * partition (partitionOf: every name of one registered domain in one), fed
 * in input order. Flux-network events cross partitions at their exact place
 * in the input (watermarks, see README.md), so verdicts and network numbers
 * equal one Detector's, whatever the thread timing.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { InputError, type InputSummary } from '../../sources/input.js';
import type { Verdict } from '../../model/verdict.js';
import { emptyDetectorStats, type DetectorStats } from '../detector.js';
import { FluxNetworks, type FluxNetworkSummary } from '../networks.js';
import { partitionOf } from '../partition.js';
import type { LiveReply, LiveRequest, LiveSetup, PlacedEvent, SharedCounters, VerdictOut, WorkerSetup } from './protocol.js';
import type { FlowRecord } from '../../model/flow.js';
import type { FromWorker, ToWorker } from './worker.js';
import type { DetectorRecipe } from './recipe.js';
import { sortLikeOneDetector } from './flush-order.js';
import { abortAll, byPlace, reached, sharedCounters, waitFor } from './watermark.js';
import { LineRouter, routedFormat } from './router.js';

export type { DetectorRecipe } from './recipe.js';

export interface PartitionedDetectorOptions {
  recipe: DetectorRecipe;
  /** Worker threads (partitions), 2..MAX_PARTITIONS. */
  partitions: number;
  /** Observations per batch handed to the workers (default BATCH). */
  batch?: number;
  /**
   * How many observations later than one Detector a partition may learn another's flux-network
   * events (default LAG; 0: exactly where one Detector would, at the cost of the workers waiting
   * for each other at nearly every observation). Deterministic either way: it depends on the input alone.
   */
  lag?: number;
  onFlag?: (verdict: Verdict) => void;
  onFinal?: (verdict: Verdict) => void;
  /** The compiled worker (default: worker.js beside this file; tests running from TypeScript sources give dist's). */
  workerUrl?: URL;
  /** How long the main thread waits for a worker that is far behind before giving up (ms; default 10 minutes). */
  stallMs?: number;
  /** serve's live detector (protocol.ts "Live"): the workers take intel, allowlist, config changes and, with flows, flows. */
  live?: LiveSetup;
  /**
   * read(): false makes every worker read and split the whole input itself, as before routed reading
   * (README.md "Routed reading"); default: this thread routes each worker its lines when the format allows.
   */
  routeLines?: boolean;
}

/** Observations per batch: a few messages per 10k records; small enough that workers seldom wait for each other. */
export const BATCH = 4096;
/** Default lag (observations): see PartitionedDetectorOptions.lag and README.md. */
export const LAG = 0;
/** The main thread holds back when it is this many batches ahead of the slowest worker (bounds queued memory). */
const AHEAD = 8;
export const MAX_PARTITIONS = 30;
const DEFAULT_WORKER = new URL('./worker.js', import.meta.url);

interface Lane {
  worker: Worker;
  obs: DnsObservation[];
  kinds: number[];
  at: number[];
  /** serve: the daemon's flows since the last batch, each before the observation at its flowAt. */
  flows: FlowRecord[];
  flowAt: number[];
  /** The worker's last 'done': every index below it is reported. */
  through: number;
}

/** What the workers read (PartitionedDetector.read). */
export interface PartitionedRead {
  inputs: InputSummary[];
  records: number;
  /** Records with a conflicting response (o.conflict). */
  conflictingResponses: number;
  /** This thread read the inputs and handed each worker its lines (router.ts); false: every worker read them all. */
  routed: boolean;
}

export interface ReadCallbacks {
  /** Bytes read so far over all inputs, their total, the current file, records decoded (as readInputs' onProgress). */
  onProgress?: (read: number, total: number | null, file: string, records: number) => void;
  /** Each skipped record, in input order. */
  onSkip?: (skipped: SkippedRecord) => void;
}

type Placed = { at: number; partition: number; seq: number } & ({ event: PlacedEvent } | { verdict: VerdictOut } | { skipped: SkippedRecord });

export class PartitionedDetector {
  readonly partitions: number;
  /** Merged after flush(); before, only `observations` is live (counted here). */
  readonly stats: DetectorStats = emptyDetectorStats();
  /** Domains held in memory by all partitions when flush() began. */
  tracked = 0;
  /** Every partition's flux networks, replayed in input order as the workers report them. */
  readonly networks: FluxNetworks;
  private readonly lanes: Lane[];
  private readonly counters: SharedCounters;
  private readonly batchSize: number;
  private readonly options: PartitionedDetectorOptions;
  /** Global index of the next observation. */
  private index = 0;
  private inBatch = 0;
  /** Name server → partitions (bit mask) holding zones it serves, from NS records seen; bounded like servedZones. */
  private readonly serverRoutes = new Map<string, number>();
  private readonly memberIds = new Map<string, number>();
  /** What the workers reported, not yet released (released once every worker is past it, in place order). */
  private held: Placed[] = [];
  private readonly waiters = new Map<number, (v: Verdict | null) => void>();
  private readonly flushed: Array<Extract<FromWorker, { t: 'flushed' }> | undefined> = [];
  private flushDone: (() => void) | null = null;
  private nextId = 0;
  private failure: Error | null = null;
  private onFailure: ((err: Error) => void) | null = null;
  private closed = false;
  /** Live requests (ask) waiting for every worker's reply. */
  private readonly asks = new Map<number, { reply: (r: LiveReply) => void; fail: (err: Error) => void }>();
  /** Routed reading waits for room: called at each 'done' and at a failure. */
  private progressed: (() => void) | null = null;
  private reading: { callbacks: ReadCallbacks; got: Array<Extract<FromWorker, { t: 'read' }> | undefined>; done: () => void } | null = null;

  private constructor(options: PartitionedDetectorOptions, lanes: Lane[], counters: SharedCounters) {
    this.options = options;
    this.partitions = lanes.length;
    this.lanes = lanes;
    this.counters = counters;
    this.batchSize = Math.max(1, options.batch ?? BATCH);
    const config = options.recipe.config;
    this.networks = new FluxNetworks(config.limits.maxNetworkAddresses, config.networks.sharedHostDomains);
  }

  /** Start the workers; resolves once every one has loaded its tables. Rejects (workers stopped) when one fails. */
  static async start(options: PartitionedDetectorOptions): Promise<PartitionedDetector> {
    const n = options.partitions;
    if (!Number.isInteger(n) || n < 2 || n > MAX_PARTITIONS) throw new RangeError(`detect/parallel: partitions must be 2..${MAX_PARTITIONS}, got ${n}`);
    const counters = sharedCounters(n);
    // A port pair between every two workers: flux-network events go straight to the peers.
    const peers: (MessagePort | null)[][] = Array.from({ length: n }, () => new Array<MessagePort | null>(n).fill(null));
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        const channel = new MessageChannel();
        peers[a]![b] = channel.port1;
        peers[b]![a] = channel.port2;
      }
    const lanes: Lane[] = [];
    const ready: Promise<void>[] = [];
    // Messages are routed through `target` once the detector exists (never removeAllListeners: Worker keeps its own on itself).
    let target: PartitionedDetector | null = null;
    for (let p = 0; p < n; p++) {
      const setup: WorkerSetup = { recipe: options.recipe, partition: p, partitions: n, lag: Math.max(0, options.lag ?? LAG), counters, peers: peers[p]!, ...(options.live !== undefined ? { live: options.live } : {}) };
      const own = peers[p]!.filter((port): port is MessagePort => port !== null);
      const worker = new Worker(options.workerUrl ?? DEFAULT_WORKER, { workerData: setup, transferList: own });
      lanes.push({ worker, obs: [], kinds: [], at: [], flows: [], flowAt: [], through: 0 });
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: FromWorker) => {
            if (target !== null) target.receive(m);
            else if (m.t === 'ready') resolve();
            else if (m.t === 'error') reject(new Error(`detect/parallel: worker ${p}: ${m.message}`));
          });
          worker.on('error', (err) => (target !== null ? target.fail(err) : reject(err)));
          worker.on('exit', (code) => {
            if (target === null) reject(new Error(`detect/parallel: worker ${p} exited (${code}) while starting`));
            else if (!target.closed) target.fail(new Error(`detect/parallel: worker ${p} exited (${code})`));
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      abortAll(counters);
      await Promise.all(lanes.map((l) => l.worker.terminate()));
      throw err;
    }
    const detector = new PartitionedDetector(options, lanes, counters);
    target = detector;
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
    if (++this.inBatch >= this.batchSize) this.send();
  }

  /**
   * serve with flows: a flow the daemon's flow analysis takes, in that order.
   * Every worker keeps the flow evidence its detector reads (flows are keyed
   * by address, not by domain), so each gets every flow, placed before the
   * next observation. Counts towards a batch like an observation.
   */
  flow(flow: FlowRecord): void {
    if (this.failure !== null) throw this.failure;
    for (const lane of this.lanes) {
      lane.flows.push(flow);
      lane.flowAt.push(this.index);
    }
    if (++this.inBatch >= this.batchSize) this.send();
  }

  /**
   * Ask every worker (serve's live path): resolves with one reply per
   * partition (index = partition), in the order the workers take messages
   * (after every batch sent before). Rejects when a worker has failed or
   * not every one answered within timeoutMs.
   */
  ask(request: (id: number) => LiveRequest, timeoutMs: number): Promise<LiveReply[]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('detect/parallel: the workers were stopped'));
    const id = this.nextId++;
    const n = this.partitions;
    return new Promise((resolve, reject) => {
      const replies = new Array<LiveReply>(n);
      let got = 0;
      const timer = setTimeout(() => {
        this.asks.delete(id);
        reject(new Error(`detect/parallel: ${n - got} of ${n} workers did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.asks.set(id, {
        reply: (r) => {
          if (replies[r.partition] === undefined) got++;
          replies[r.partition] = r;
          if (got < n) return;
          clearTimeout(timer);
          this.asks.delete(id);
          resolve(replies);
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      const message = request(id);
      for (const lane of this.lanes) post(lane, message);
    });
  }

  /** Tell every worker (a commit or abort): no reply. */
  tell(message: LiveRequest): void {
    if (this.failure !== null || this.closed) return;
    for (const lane of this.lanes) post(lane, message);
  }

  /**
   * Hand what is buffered to the workers now (serve: on a timer, so a quiet
   * daemon's lookups are not held back). Blocks while the slowest worker is
   * more than AHEAD batches behind.
   */
  send(): void {
    if (this.failure !== null) throw this.failure;
    this.inBatch = 0;
    const upTo = this.index;
    for (const lane of this.lanes) {
      const flows = lane.flows.length === 0 ? {} : { flows: lane.flows, flowAt: Float64Array.from(lane.flowAt) };
      post(lane, { t: 'batch', obs: lane.obs, kinds: Uint8Array.from(lane.kinds), at: Float64Array.from(lane.at), upTo, ...flows });
      lane.obs = [];
      lane.kinds = [];
      lane.at = [];
      if (lane.flows.length > 0) {
        lane.flows = [];
        lane.flowAt = [];
      }
    }
    const behind = upTo - AHEAD * this.batchSize;
    if (behind <= 0) return;
    const deadline = Date.now() + (this.options.stallMs ?? 600_000);
    try {
      for (let q = 0; q < this.partitions; q++) waitFor(this.counters, q, behind, deadline);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      throw this.failure!;
    }
  }

  /**
   * Can `extra` more observations be taken (and sent) without send() waiting
   * for a worker? A daemon asks first and fails open when not: its event loop
   * must never sleep on a watermark (serve/worker-detector.ts).
   */
  room(extra = 1): boolean {
    if (this.failure !== null || this.closed) return false;
    const behind = this.index + extra - AHEAD * this.batchSize;
    if (behind <= 0) return true;
    for (let q = 0; q < this.partitions; q++) if (!reached(Atomics.load(this.counters.watermark, q), behind)) return false;
    return true;
  }

  /** The first worker failure (the workers are stopped), or null while they run. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Observations taken so far (the global index of the next one). */
  get taken(): number {
    return this.index;
  }

  /** Observations every worker has got past (watermarks), for a daemon's drain and lag metrics. */
  get settled(): number {
    let low = this.index;
    for (let q = 0; q < this.partitions; q++) low = Math.min(low, this.lanes[q]!.through);
    return low;
  }

  /**
   * Let the workers read the inputs themselves (analyze's files, DNS-only
   * formats: see README.md "Reading"): each decodes every record and observes
   * its partition's, so this thread decodes nothing. Instead of observe(),
   * before flush(). Rejects with the first failure (an InputError as such).
   */
  async read(files: readonly string[], format: string, callbacks: ReadCallbacks = {}): Promise<PartitionedRead> {
    if (this.failure !== null) throw this.failure;
    if (this.index !== 0) throw new Error('detect/parallel: read() after observe()');
    const got: Array<Extract<FromWorker, { t: 'read' }> | undefined> = [];
    const routed = this.options.routeLines !== false && (await routedFormat(files, format));
    let inputs: InputSummary[] | null = null;
    const finished = new Promise<void>((resolve, reject) => {
      this.reading = { callbacks, got, done: resolve };
      this.onFailure = reject;
    });
    if (!routed) for (const lane of this.lanes) post(lane, { t: 'read', files: [...files], format, batch: this.batchSize });
    else {
      // A failure rejects `finished`; the routing stops at its next wait for room.
      finished.catch(() => undefined);
      inputs = await this.route(files, callbacks);
    }
    await finished;
    this.onFailure = null;
    // Every worker has read everything: what is held (skips after the last record too) goes out now.
    this.release(Infinity);
    this.reading = null;
    const first = got[0]!;
    // Every index is dealt with: a later send() (flush) hands on nothing below it.
    this.index = first.through;
    let records = 0;
    let conflicts = 0;
    for (const r of got) {
      records += r!.records;
      conflicts += r!.conflicts;
    }
    this.stats.observations = records;
    if (inputs !== null)
      for (const [f, input] of inputs.entries())
        for (const r of got) {
          input.observations += r!.perFile?.observations[f] ?? 0;
          input.skipped += r!.perFile?.skipped[f] ?? 0;
        }
    return { inputs: inputs ?? first.inputs, records, conflictingResponses: conflicts, routed };
  }

  /** Routed reading (router.ts): this thread reads and splits the inputs, each worker decodes its own lines. */
  private async route(files: readonly string[], callbacks: ReadCallbacks): Promise<InputSummary[]> {
    const router = new LineRouter(
      {
        partitions: this.partitions,
        maxServers: this.options.recipe.config.limits.maxDomains,
        post: (p, lines) => {
          const transfer = [lines.bytes.buffer, lines.ends.buffer, lines.kinds.buffer, lines.at.buffer, lines.lines.buffer, lines.foreign.buffer] as ArrayBuffer[];
          this.lanes[p]!.worker.postMessage(lines, transfer);
        },
        room: (index) => this.roomFor(index),
      },
      this.batchSize,
    );
    const inputs = await router.readAll(files, { onProgress: callbacks.onProgress });
    for (const lane of this.lanes) post(lane, { t: 'lines-end' });
    return inputs;
  }

  /** Routed reading: resolves once no worker is more than AHEAD batches behind `index`; rejects on a failure. */
  private async roomFor(index: number): Promise<void> {
    const behind = index - AHEAD * this.batchSize;
    while (this.failure === null && this.lanes.some((l) => l.through < behind)) await new Promise<void>((resolve) => (this.progressed = resolve));
    if (this.failure !== null) throw this.failure;
  }

  /** Finalise every domain of every partition (end of input): final verdicts, merged stats and networks. */
  async flush(): Promise<void> {
    this.send();
    await new Promise<void>((resolve, reject) => {
      this.flushDone = resolve;
      this.onFailure = reject;
      for (const lane of this.lanes) post(lane, { t: 'flush' });
    });
    this.onFailure = null;
    this.release(Infinity);
    Object.assign(this.stats, emptyDetectorStats());
    this.tracked = 0;
    for (const f of this.flushed) {
      for (const key of Object.keys(this.stats) as (keyof DetectorStats)[]) this.stats[key] += f!.stats[key];
      this.tracked += f!.tracked;
    }
    // Every flush verdict is placed at the end of input: one detector's table order decides (flush-order.ts).
    const outs = this.flushed.flatMap((f) => f!.verdicts.map((v) => ({ ...v, partition: f!.partition })));
    for (const out of sortLikeOneDetector(outs, this.flushed.map((f) => f!.names))) this.emit(out);
    this.flushed.length = 0;
  }

  /** The current verdict of a domain (its partition's detector), flux networks numbered as in `networks`. */
  current(domain: string): Promise<Verdict | null> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      post(this.lanes[partitionOf(domain, this.partitions)]!, { t: 'current', id, domain });
    });
  }

  /** Flux networks found so far, largest first. */
  summaries(): FluxNetworkSummary[] {
    return this.networks.summaries();
  }

  /** Stop every worker (also after a failure). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    abortAll(this.counters);
    this.answerNone(new Error('detect/parallel: the workers were stopped'));
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  private receive(m: FromWorker): void {
    if (m.t === 'done') {
      const lane = this.lanes[m.partition]!;
      lane.through = m.through;
      for (const event of m.joins) this.held.push({ at: event.at, partition: event.partition, seq: event.seq, event });
      for (const verdict of m.verdicts) this.held.push({ at: verdict.at, partition: m.partition, seq: verdict.seq, verdict });
      if (m.skips !== undefined) for (const s of m.skips) this.held.push({ at: s.at, partition: m.partition, seq: s.seq, skipped: s.skipped });
      this.release(Math.min(...this.lanes.map((l) => l.through)));
      this.wake();
    } else if (m.t === 'progress') {
      this.reading?.callbacks.onProgress?.(m.read, m.total, m.file, m.records);
    } else if (m.t === 'read') {
      const reading = this.reading;
      if (reading === null) return;
      reading.got[m.partition] = m;
      if (this.lanes.every((_, p) => reading.got[p] !== undefined)) reading.done();
    } else if (m.t === 'flushed') {
      this.flushed[m.partition] = m;
      if (this.lanes.every((_, p) => this.flushed[p] !== undefined)) this.flushDone?.();
    } else if (m.t === 'current') {
      const resolve = this.waiters.get(m.id);
      this.waiters.delete(m.id);
      resolve?.(m.verdict === null ? null : this.renumber(m.verdict));
    } else if (m.t === 'live-reply') {
      this.asks.get(m.id)?.reply(m);
    } else if (m.t === 'error') this.fail(m.input === true ? new InputError(m.message) : new Error(`detect/parallel: worker ${m.partition}: ${m.message}`));
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.onFailure?.(err);
    this.wake();
    this.answerNone(err);
    void this.close();
  }

  private wake(): void {
    const progressed = this.progressed;
    this.progressed = null;
    progressed?.();
  }

  /** Nothing more will come from the workers: whoever waits for an answer gets none (current: null; ask: err). */
  private answerNone(err: Error): void {
    for (const resolve of this.waiters.values()) resolve(null);
    this.waiters.clear();
    for (const ask of this.asks.values()) ask.fail(err);
    this.asks.clear();
  }

  /** What every worker has got past, in input order: network events into the graph, verdicts out. */
  private release(below: number): void {
    if (this.held.length === 0) return;
    const ready = below === Infinity ? this.held : this.held.filter((h) => h.at < below);
    if (ready.length === 0) return;
    this.held = below === Infinity ? [] : this.held.filter((h) => h.at >= below);
    ready.sort(byPlace);
    for (const item of ready) {
      if ('event' in item) this.adopt(item.event);
      else if ('verdict' in item) this.emit(item.verdict);
      else this.reading?.callbacks.onSkip?.(item.skipped);
    }
  }

  private adopt(event: PlacedEvent): void {
    if (event.k === 'suspect') return;
    if (event.k === 'touch') {
      this.networks.noteTouch(event.key, event.hash);
      return;
    }
    const known = this.memberIds.get(event.domain) ?? -1;
    this.memberIds.set(event.domain, this.networks.join(event.domain, event.addresses, event.firstSeen, event.lastSeen, known));
  }

  private emit(out: VerdictOut): void {
    const to = out.final ? this.options.onFinal : this.options.onFlag;
    if (to !== undefined) to(this.renumber(out));
  }

  private push(p: number, obs: DnsObservation, kind: number, at: number): void {
    const lane = this.lanes[p]!;
    lane.obs.push(obs);
    lane.kinds.push(kind);
    lane.at.push(at);
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

  /** A worker's local network labels → the global ones (by the network's first domain); equal unless a partition's graph lags. */
  private renumber(out: VerdictOut): Verdict {
    const v = out.verdict;
    if (out.networks === null) return v;
    const map = new Map<string, string>();
    for (const [local, first] of Object.entries(out.networks)) {
      const id = this.memberIds.get(first);
      if (id !== undefined) map.set(local, this.networks.label(id));
    }
    if (map.size === 0 || [...map].every(([a, b]) => a === b)) return v;
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

