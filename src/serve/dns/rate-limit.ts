/**
 * Per-client rate limit: a token bucket per address (burst = one second's
 * worth). The table is bounded: when full, the least recently inserted
 * client is forgotten (it starts again with a full bucket).
 */
interface Bucket {
  tokens: number;
  last: number;
}

export class ClientRateLimit {
  private readonly buckets = new Map<string, Bucket>();

  /** `qps` 0 = no limit. */
  constructor(
    private readonly qps: number,
    private readonly maxClients = 100_000,
  ) {}

  get clients(): number {
    return this.buckets.size;
  }

  /** True when the client may send one more query at time `now` (ms). */
  allow(client: string, now: number): boolean {
    if (this.qps <= 0) return true;
    const burst = Math.max(1, this.qps);
    let b = this.buckets.get(client);
    if (b === undefined) {
      if (this.buckets.size >= this.maxClients) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      b = { tokens: burst, last: now };
      this.buckets.set(client, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.last) / 1000) * this.qps);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
