/**
 * Upstream answers waiting for the detector. Bounded: when it is full the
 * answer is not queued (the client got it anyway: fail-open) and the miss is
 * counted. Drained in slices on setImmediate, so answering clients never
 * waits for detection and detection never starves the sockets. A slice is
 * bounded by time, not by count: an answer costs from a few to tens of
 * microseconds to examine (a new domain costs most), and a cache hit that
 * arrives during a slice waits for its end, so a slice of 256 answers could
 * add milliseconds to the latency of every query behind it.
 */
import { SLICE_MS } from '../slices.js';

export type Examine = (answer: Buffer, ts: number, client: string, customer: string | null) => boolean;

/** Called once the detector has seen one answer (or at shutdown, when the rest are examined at once). */
export type Examined = () => void;

export interface DetectionStats {
  queued: number;
  examined: number;
  failOpen: number;
  undecodable: number;
  /** Seconds the oldest answer of the last slice had waited. */
  lagSeconds: number;
}

/** Answers examined between two reads of the clock. */
const CLOCK_EVERY = 8;

export class DetectionQueue {
  readonly stats: DetectionStats = { queued: 0, examined: 0, failOpen: 0, undecodable: 0, lagSeconds: 0 };
  private readonly answers: (Buffer | undefined)[];
  private readonly times: Float64Array;
  private readonly clients: (string | undefined)[];
  /** Per slot, the customer the client named (DoH path, DoT SNI); null for none. */
  private readonly customers: (string | null)[];
  /** Per slot, what waits for that answer's examination (an answer held back from its client); mostly empty. */
  private readonly examined: (Examined | undefined)[];
  private head = 0;
  private count = 0;
  private scheduled = false;

  constructor(
    readonly capacity: number,
    private readonly examine: Examine,
  ) {
    this.answers = new Array<Buffer | undefined>(capacity);
    this.clients = new Array<string | undefined>(capacity);
    this.customers = new Array<string | null>(capacity).fill(null);
    this.times = new Float64Array(capacity);
    this.examined = new Array<Examined | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Seconds (wall clock) the oldest queued answer has waited; 0 when none waits (GET /health). */
  oldestWaitSeconds(): number {
    return this.count === 0 ? 0 : Math.max(0, Date.now() / 1000 - this.times[this.head]!);
  }

  /**
   * Queues an answer (`ts` in seconds); false when the queue is full
   * (fail-open). `then` runs right after the detector examined it, in queue
   * order, so what the detector flagged from it is in the flagged set by then.
   * `customer`: the one the client named, handed to examine with the answer.
   */
  push(answer: Buffer, ts: number, client: string, then?: Examined, customer: string | null = null): boolean {
    if (this.count >= this.capacity) {
      this.stats.failOpen++;
      return false;
    }
    const slot = (this.head + this.count) % this.capacity;
    this.answers[slot] = answer;
    this.times[slot] = ts;
    this.clients[slot] = client;
    this.customers[slot] = customer;
    this.examined[slot] = then;
    this.count++;
    this.stats.queued++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain(SLICE_MS));
    }
    return true;
  }

  /** Examines everything queued now (at shutdown). */
  drainAll(): void {
    this.drain(Infinity);
  }

  private drain(budgetMs: number): void {
    this.scheduled = false;
    if (this.count > 0) this.stats.lagSeconds = Math.max(0, Date.now() / 1000 - this.times[this.head]!);
    const started = performance.now();
    for (let n = 1; this.count > 0; n++) {
      const slot = this.head;
      const answer = this.answers[slot]!;
      const client = this.clients[slot]!;
      const customer = this.customers[slot]!;
      const then = this.examined[slot];
      this.answers[slot] = undefined;
      this.clients[slot] = undefined;
      this.customers[slot] = null;
      this.examined[slot] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.stats.examined++;
      try {
        if (!this.examine(answer, this.times[slot]!, client, customer)) this.stats.undecodable++;
      } catch {
        this.stats.undecodable++;
      }
      if (then !== undefined) {
        try {
          then();
        } catch {
          // The waiting answer's own bug; the queue keeps draining.
        }
      }
      if (n % CLOCK_EVERY === 0 && performance.now() - started >= budgetMs) break;
    }
    if (this.count > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain(SLICE_MS));
    }
  }
}
