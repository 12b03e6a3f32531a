/**
 * A rate limit for per-request and per-connection log lines: at most
 * `burst` lines per key per `intervalMs` (a key is a service and a client,
 * or a service and a reason). A line that gets through after others were
 * held back carries `suppressed: N`; held-back lines are counted in
 * fluxhound_log_suppressed_total{service}. Keys are bounded: past
 * `maxKeys` the table starts over (a flood of spoofed sources costs at
 * most `burst` lines per key and never unbounded memory).
 */
import type { Counter } from 'prom-client';

interface Bucket {
  windowStart: number;
  lines: number;
  suppressed: number;
}

export interface LogLimitOptions {
  /** Lines per key per interval. */
  burst: number;
  intervalMs: number;
  maxKeys?: number;
  now?: () => number;
}

export class LogRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly service: string,
    private readonly options: LogLimitOptions,
    private readonly suppressedCounter?: Counter<'service'>,
  ) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * null: do not log this line (it was counted). Otherwise the number of
   * lines held back for this key since the last one logged (0 usually):
   * put it in the line as `suppressed`.
   */
  take(key: string): number | null {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear();
      bucket = { windowStart: now, lines: 0, suppressed: 0 };
      this.buckets.set(key, bucket);
    }
    if (now - bucket.windowStart >= this.options.intervalMs) {
      bucket.windowStart = now;
      bucket.lines = 0;
    }
    if (bucket.lines >= this.options.burst) {
      bucket.suppressed++;
      this.suppressedCounter?.inc({ service: this.service });
      return null;
    }
    bucket.lines++;
    const held = bucket.suppressed;
    bucket.suppressed = 0;
    return held;
  }
}

/** `{ suppressed: N }` for a log line when lines were held back before it, else nothing (most lines). */
export function suppressedField(held: number): { suppressed?: number } {
  return held > 0 ? { suppressed: held } : {};
}
