/**
 * Whether the upstreams answer. An upstream is down when its last
 * DOWN_AFTER_TIMEOUTS queries in a row got no answer and it has not answered
 * for DOWN_AFTER_MS; one answer brings it back. When every upstream is down
 * the forwarder can answer nothing but its cache, and /health says so.
 */
import { upstreamLabel, type Endpoint } from '../endpoint.js';

export const DOWN_AFTER_TIMEOUTS = 5;
export const DOWN_AFTER_MS = 10_000;

export class UpstreamHealth {
  /** Per upstream: when it last answered (ms; -Infinity = never). */
  private readonly lastAnswer: Float64Array;
  /** Per upstream: queries in a row that got no answer. */
  private readonly silent: Uint32Array;

  constructor(readonly endpoints: readonly Endpoint[]) {
    this.lastAnswer = new Float64Array(endpoints.length).fill(-Infinity);
    this.silent = new Uint32Array(endpoints.length);
  }

  answered(upstream: number, now: number): void {
    this.lastAnswer[upstream] = now;
    this.silent[upstream] = 0;
  }

  timedOut(upstream: number): void {
    this.silent[upstream]!++;
  }

  isDown(upstream: number, now: number): boolean {
    return this.silent[upstream]! >= DOWN_AFTER_TIMEOUTS && now - this.lastAnswer[upstream]! >= DOWN_AFTER_MS;
  }

  /** Why the forwarder cannot resolve (every upstream down), or null. */
  problem(now: number): string | null {
    if (this.endpoints.length === 0) return 'dns: no upstream resolver';
    const reasons: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      if (!this.isDown(i, now)) return null;
      const e = this.endpoints[i]!;
      const last = this.lastAnswer[i]!;
      const since = last === -Infinity ? 'never answered' : `no answer for ${Math.round((now - last) / 1000)} s`;
      reasons.push(`${upstreamLabel(e)} (${this.silent[i]} queries in a row unanswered, ${since})`);
    }
    return `dns: every upstream is down: ${reasons.join(', ')}`;
  }
}
