/**
 * The daemon's flow path (issue 16): every flow an input hands to
 * `context.observations.flow` (the NetFlow/IPFIX collector, a followed
 * conn.log or eve.json) waits in one bounded queue and reaches the flow
 * analysis in slices of at most SLICE_MS on setImmediate, so a burst of
 * flows (a followed conn.log's history, a collector flood) never holds a
 * DNS answer for more than one slice. When the analysis lags and the queue
 * is full, a new flow is dropped and counted (fail-open, like the
 * forwarder's detection queue): flows are evidence, never on the path of
 * an answer. An input that can wait (a followed file) waits for room()
 * before it reads on, so a conn.log's history is analysed whole instead of
 * mostly dropped; one that cannot (the UDP collector) does not. Without an
 * analysis, flows are counted and let go.
 */
import type { FlowAnalysis } from '../detect/flows/analysis.js';
import type { FlowRecord } from '../model/flow.js';
import { runInSlices } from './slices.js';

/** Flows that may wait for the analysis; beyond it they are dropped and counted. About 200 bytes each: ~13 MB when full. */
export const MAX_QUEUED_FLOWS = 65_536;

export interface FlowPathStats {
  /** Flows handed to the daemon (every input). */
  received: number;
  /** Of those, dropped because MAX_QUEUED_FLOWS were waiting. */
  dropped: number;
  /** Of those, handed to the analysis. */
  analysed: number;
}

export class FlowPath {
  readonly stats: FlowPathStats = { received: 0, dropped: 0, analysed: 0 };
  /** Also takes every flow the analysis takes, right after it (serve --workers: the detector workers' flow evidence). */
  also: ((flow: FlowRecord) => void) | null = null;
  /** A ring: `head` is the oldest waiting flow, `size` how many wait. */
  private readonly ring: (FlowRecord | undefined)[];
  /** When each waiting flow was queued (clock ms), beside the ring: GET /health reports the oldest one's wait. */
  private readonly queuedAt: Float64Array;
  /** Clock ms of the last drop (NaN: none yet): GET /health says flows are being dropped while it is recent. */
  private lastDropAt = Number.NaN;
  private head = 0;
  private size = 0;
  private draining = false;
  private stopped = false;
  /** Inputs waiting for room (room()), woken when the queue is down to a quarter. */
  private waiting: Array<() => void> = [];

  constructor(
    readonly analysis: FlowAnalysis | null,
    private readonly capacity = MAX_QUEUED_FLOWS,
    /** Wall clock in ms; a test passes its own. */
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new Array<FlowRecord | undefined>(capacity);
    this.queuedAt = new Float64Array(capacity);
  }

  /** True while full: a flow the UDP collector hands now is dropped. */
  get full(): boolean {
    return this.analysis !== null && !this.stopped && this.size >= this.capacity;
  }

  /** Seconds the oldest waiting flow has waited; 0 when none waits. */
  oldestWaitSeconds(): number {
    return this.size === 0 ? 0 : Math.max(0, (this.now() - this.queuedAt[this.head]!) / 1000);
  }

  /**
   * Why flows do not reach the analysis in time, for GET /health (the
   * daemon's reasons, like the detector's backlog): the queue is full, a
   * flow was dropped within the last `boundSeconds`, or the oldest waiting
   * flow has waited longer than `boundSeconds` (serve.http.maxDetectorLag).
   * Flows never hold an answer, but a lagging analysis reports exposures
   * late and, when full, loses the collector's flows.
   */
  health(boundSeconds: number): string[] {
    const reasons: string[] = [];
    if (this.full) reasons.push(`flows: the flow queue is full (${this.capacity} flows); the collector's flows are dropped and counted`);
    else if (!Number.isNaN(this.lastDropAt) && this.now() - this.lastDropAt <= boundSeconds * 1000) {
      const ago = (this.now() - this.lastDropAt) / 1000;
      reasons.push(`flows: ${this.stats.dropped} flows dropped so far, the last ${ago.toFixed(1)} s ago (within serve.http.maxDetectorLag ${boundSeconds} s); the flow analysis lags`);
    }
    const lag = this.oldestWaitSeconds();
    if (lag > boundSeconds) reasons.push(`flows: the oldest flow has waited ${lag.toFixed(1)} s (bound serve.http.maxDetectorLag ${boundSeconds} s)`);
    return reasons;
  }

  /** Flows waiting for the analysis. */
  get queued(): number {
    return this.size;
  }

  /** An input's flow: queued (a push) or, the queue full, dropped and counted. */
  flow(flow: FlowRecord): void {
    this.stats.received++;
    if (this.analysis === null || this.stopped) return;
    if (this.size >= this.capacity) {
      this.stats.dropped++;
      this.lastDropAt = this.now();
      return;
    }
    const tail = (this.head + this.size) % this.capacity;
    this.ring[tail] = flow;
    this.queuedAt[tail] = this.now();
    this.size++;
    if (!this.draining) {
      this.draining = true;
      // Never inside the input's own call: the decoder's chunk finishes first, the analysis runs in later slices.
      setImmediate(() => runInSlices(() => this.step(), () => !this.stopped, () => (this.draining = false)));
    }
  }

  /**
   * Resolves when the queue has room for a reader's next chunk: at once
   * below half full, else once the analysis has brought it down to a
   * quarter (or the path stopped). A followed file awaits it before each read.
   */
  room(): Promise<void> {
    if (this.size < this.capacity / 2 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * The daemon stops: what waits goes to the analysis now (bounded by the
   * queue), then the analysis reports what it still holds (flush).
   */
  finish(): void {
    while (this.step());
    this.stopped = true;
    this.wake();
    this.analysis?.flush();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Hands the oldest waiting flow to the analysis; false when none waits. */
  private step(): boolean {
    if (this.size === 0 || this.analysis === null) return false;
    const flow = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    this.stats.analysed++;
    this.analysis.flow(flow);
    this.also?.(flow);
    if (this.waiting.length > 0 && this.size <= this.capacity / 4) this.wake();
    return true;
  }
}
