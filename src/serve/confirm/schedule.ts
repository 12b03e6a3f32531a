/**
 * When to probe which suspicious name: the pure half of active
 * confirmation, on a clock the caller gives (milliseconds), so pacing and
 * caps are tested without waiting. A name the detector calls suspicious is
 * admitted (unless judge.ts says never); each round re-resolves it once per
 * configured query type, the next round at max(TTL, minInterval) (at most
 * maxInterval) after the last answer, since an upstream's cache answers the
 * same records until the TTL runs out. A name leaves when it rises to
 * fast-flux (confirmed), when its probes reach maxProbesPerName without that
 * (cleared), when the detector evicts it, or when a newer name needs its
 * place (the oldest is given up). All names together stay under
 * ratePerSecond probes (a token bucket).
 */
import type { Verdict } from '../../model/verdict.js';
import type { SkipReason } from './judge.js';

export type ProbeType = 'A' | 'AAAA' | 'NS';

export interface ScheduleOptions {
  /** Seconds. */
  minInterval: number;
  /** Seconds. */
  maxInterval: number;
  maxProbesPerName: number;
  maxNames: number;
  ratePerSecond: number;
  qtypes: readonly ProbeType[];
}

export interface Probe {
  name: string;
  qtype: ProbeType;
}

/** Why a name being confirmed left before it was confirmed or cleared. */
export const GIVE_UP_REASONS = ['capacity', 'evicted', 'rose-without-probes', 'known-later'] as const;
export type GiveUpReason = (typeof GIVE_UP_REASONS)[number];

export interface ConfirmStats {
  /** Probes (one query each; a TCP retry after a truncated answer is one more sent) sent, answered, failed (no upstream answered). */
  sent: number;
  answered: number;
  failed: number;
  /** Names that rose to fast-flux with probe evidence. */
  confirmed: number;
  /** Names whose probes reached the cap without that. */
  cleared: number;
  /** Rounds held back by ratePerSecond (each counted once, however long it waits), and TCP retries refused for want of a token. */
  rateLimited: number;
  /** Suspicious names never probed, by reason. */
  skipped: Map<SkipReason, number>;
  /** Names given up while being confirmed, by reason. */
  givenUp: Map<GiveUpReason, number>;
}

interface Confirming {
  name: string;
  /** When the next round is due (ms). */
  nextAt: number;
  sent: number;
  /** Probes of the round under way still waiting for an answer. */
  pending: number;
  /** Smallest TTL among the answers of the round under way, seconds; -1 for none yet. */
  roundTtl: number;
  /** A due round is held back by the rate (counted once). */
  held: boolean;
}

/** What became of a name when the last probe of a round settled. */
export type Settled = 'waiting' | 'next-round' | 'cleared' | 'gone';

export class ConfirmSchedule {
  readonly stats: ConfirmStats = { sent: 0, answered: 0, failed: 0, confirmed: 0, cleared: 0, rateLimited: 0, skipped: new Map(), givenUp: new Map() };
  /** Names being confirmed, oldest first (Map keeps insertion order). */
  private readonly names = new Map<string, Confirming>();
  private tokens: number;
  private refilledAt = -Infinity;

  constructor(
    private options: ScheduleOptions,
    private readonly judge: (v: Verdict) => SkipReason | null,
  ) {
    this.tokens = this.burst();
  }

  /** Tokens the bucket holds at most: a second's worth, and one round must always fit, whatever the rate. */
  private burst(): number {
    return Math.max(this.options.ratePerSecond, this.options.qtypes.length);
  }

  /** Names being confirmed now. */
  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** A verdict from the detector ('flag': it crossed a threshold; 'final': its state was evicted) at `now` (ms). */
  onVerdict(v: Verdict, event: 'flag' | 'final', now: number): void {
    const entry = this.names.get(v.domain);
    if (event === 'final') {
      if (entry !== undefined) this.giveUp(v.domain, 'evicted');
      return;
    }
    if (v.verdict === 'fast-flux') {
      if (entry === undefined) return;
      this.names.delete(v.domain);
      if ((v.probes ?? 0) > 0) this.stats.confirmed++;
      else count(this.stats.givenUp, 'rose-without-probes');
      return;
    }
    if (v.verdict !== 'suspicious' || entry !== undefined) return;
    const reason = this.judge(v);
    if (reason !== null) {
      count(this.stats.skipped, reason);
      return;
    }
    if (this.names.size >= this.options.maxNames) {
      const oldest = this.names.keys().next();
      if (!oldest.done) this.giveUp(oldest.value, 'capacity');
    }
    // The client's answer sits in the upstream's cache for its TTL: the first probe waits as long.
    this.names.set(v.domain, { name: v.domain, nextAt: now + this.intervalMs(v.features.ttl_min ?? -1), sent: 0, pending: 0, roundTtl: -1, held: false });
  }

  /** The probes due at `now` (ms) within the rate, oldest names first; they count as sent. */
  due(now: number): Probe[] {
    this.refill(now);
    const probes: Probe[] = [];
    const { qtypes, maxProbesPerName } = this.options;
    for (const entry of this.names.values()) {
      if (entry.pending > 0 || entry.nextAt > now) continue;
      const round = Math.min(qtypes.length, maxProbesPerName - entry.sent);
      if (round > this.tokens) {
        // Oldest first: a younger name does not overtake one held back by the rate.
        if (!entry.held) this.stats.rateLimited++;
        entry.held = true;
        break;
      }
      this.tokens -= round;
      entry.held = false;
      entry.sent += round;
      entry.pending = round;
      entry.roundTtl = -1;
      this.stats.sent += round;
      for (let i = 0; i < round; i++) probes.push({ name: entry.name, qtype: qtypes[i]! });
    }
    return probes;
  }

  /**
   * One probe of `name` settled at `now` (ms): answered with records whose
   * smallest TTL is `ttl` seconds (-1: no records), or failed (null). Call it
   * after the answer went to the detector, so a confirmation it caused has
   * already taken the name out.
   */
  settle(name: string, ttl: number | null, now: number): Settled {
    if (ttl === null) this.stats.failed++;
    else this.stats.answered++;
    const entry = this.names.get(name);
    if (entry === undefined || entry.pending === 0) return 'gone';
    if (ttl !== null && ttl >= 0 && (entry.roundTtl < 0 || ttl < entry.roundTtl)) entry.roundTtl = ttl;
    if (--entry.pending > 0) return 'waiting';
    if (entry.sent >= this.options.maxProbesPerName) {
      this.names.delete(name);
      this.stats.cleared++;
      return 'cleared';
    }
    entry.nextAt = now + this.intervalMs(entry.roundTtl);
    return 'next-round';
  }

  /**
   * A probe's answer came back truncated and is to be asked again over TCP
   * at `now` (ms): one more query, so it takes a token and counts as sent.
   * False (counted as rate-limited) when the bucket is empty: the probe
   * then settles as failed rather than exceed ratePerSecond.
   */
  retry(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) {
      this.stats.rateLimited++;
      return false;
    }
    this.tokens -= 1;
    this.stats.sent++;
    return true;
  }

  /** Takes `name` out (its answers turned out to be known infrastructure, ...); counted once. */
  giveUp(name: string, reason: GiveUpReason): void {
    if (this.names.delete(name)) count(this.stats.givenUp, reason);
  }

  /** Forgets every name (stop). */
  clear(): void {
    this.names.clear();
  }

  /** SIGHUP: new pacing applies from each name's next round; names beyond a smaller maxNames are given up, oldest first. */
  reconfigure(options: ScheduleOptions): void {
    this.options = options;
    for (const name of this.names.keys()) {
      if (this.names.size <= options.maxNames) break;
      this.giveUp(name, 'capacity');
    }
  }

  private intervalMs(ttl: number): number {
    const { minInterval, maxInterval } = this.options;
    return Math.min(maxInterval, Math.max(minInterval, ttl)) * 1000;
  }

  private refill(now: number): void {
    if (now > this.refilledAt) {
      if (this.refilledAt > -Infinity) this.tokens = Math.min(this.burst(), this.tokens + ((now - this.refilledAt) / 1000) * this.options.ratePerSecond);
      this.refilledAt = now;
    }
  }
}

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
