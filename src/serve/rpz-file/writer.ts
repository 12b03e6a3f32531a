/**
 * What the file-writing services share: a write that follows changes at
 * most once per delay (a change after a quiet delay is written at once,
 * on the next turn of the event loop; changes within the delay of the last
 * write ride along to one write when it ends), never two writes at once,
 * and the expiry sweep of flagged domains.
 */
import type { FlaggedDomains } from '../../act/flagged.js';

export class DebouncedWrite {
  private timer: NodeJS.Timeout | null = null;
  /** Writes run one after another on this chain. */
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  /** When the last scheduled write was started (Date.now()). */
  private lastStarted = -Infinity;
  writes = 0;
  errors = 0;
  lastError: string | null = null;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly delayMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /**
   * A change happened: write at once when the last write started delayMs
   * ago or more (an operator's allow entry reaches the file in
   * milliseconds), else when delayMs have passed since it; the changes of
   * one burst (a whole reload) ride along to one write.
   */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastStarted + this.delayMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastStarted = Date.now();
      void this.enqueue();
    }, wait);
  }

  /** Writes now if anything is pending (or `force`), after any write in progress. */
  flush(force = false): Promise<void> {
    this.cancel();
    if (force) this.dirty = true;
    return this.enqueue();
  }

  /** Writes now, after any write in progress, counted like any other; a failure is counted and thrown (start-up fails on it). */
  writeNow(): Promise<void> {
    this.cancel();
    this.dirty = false;
    const run = this.chain.then(async () => {
      const err = await this.attempt();
      if (err !== null) throw err;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One write, counted: null when it worked, else its error (counted, and kept for /health). */
  private async attempt(): Promise<Error | null> {
    try {
      await this.write();
      this.writes++;
      return null;
    } catch (err) {
      this.errors++;
      this.lastError = (err as Error).message;
      return err as Error;
    }
  }

  private enqueue(): Promise<void> {
    this.chain = this.chain.then(async () => {
      // Already written by an earlier link (several flushes, or a timer and a flush)?
      if (!this.dirty) return;
      this.dirty = false;
      const err = await this.attempt();
      if (err !== null) this.onError(err);
    });
    return this.chain;
  }
}

/**
 * Removes flagged domains last seen more than `expiry` seconds before `now`
 * (seconds since the epoch); returns how many went.
 */
export function sweepExpired(flagged: FlaggedDomains, expiry: number, now: number): number {
  const old: string[] = [];
  for (const v of flagged.entries()) {
    const last = flagged.lastActive(v.domain);
    if (last !== null && now - last > expiry) old.push(v.domain);
  }
  let removed = 0;
  for (const domain of old) if (flagged.remove(domain)) removed++;
  return removed;
}

/** How often to sweep: a tenth of the expiry, between 1 s and 60 s. */
export function sweepInterval(expirySeconds: number): number {
  return Math.min(60_000, Math.max(1000, (expirySeconds * 1000) / 10));
}

/**
 * The clock expiry counts in: the newest lookup or verdict the daemon saw
 * (data time, so a replayed log ages like a live one), or the wall clock
 * before any. Without new traffic nothing ages: a quiet feed keeps its
 * blocks rather than dropping them (fail-closed).
 */
export function dataTime(flagged: FlaggedDomains): number {
  return Number.isFinite(flagged.clock) ? flagged.clock : Date.now() / 1000;
}
