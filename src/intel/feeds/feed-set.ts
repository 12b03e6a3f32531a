/**
 * The daemon's feeds (IntelFeeds, src/intel/view.ts): every configured feed
 * loaded, refreshed on its own timer, plus the feeds pushed in (the TAXII
 * inbox), merged into one IntelIndex that is swapped whole. The index is
 * rebuilt off the hot path: in slices of 50,000 entries with setImmediate
 * between them, one rebuild at a time (changes arriving meanwhile are folded
 * into one more). A feed that fails keeps its copy; one whose copy passed its
 * expiry stops matching (the index checks at lookup).
 */
import type { ParsedFeed } from '../entry.js';
import { buildIntelIndexInSlices, DEFAULT_INTEL_LIMITS, type IntelFeedInput, type IntelIndex, type IntelIndexLimits, type IntelRules } from '../index.js';
import { fetchTaxii as taxiiClient } from '../taxii/index.js';
import type { IntelFeedStatus, IntelFeeds, PushedFeedMeta } from '../view.js';
import { FeedLoader, type FeedLog, type FeedSettings, type FetchResult, type FetchTaxii, type IntelFeedConfig } from './loader.js';

export interface IntelFeedSetOptions {
  feeds: readonly IntelFeedConfig[];
  settings: FeedSettings;
  /** What is never a trigger: the caller's rules (intel sits below detect and act). */
  rules: IntelRules;
  log: FeedLog;
  limits?: IntelIndexLimits;
  /** The TAXII client (a parameter so tests may pass another server's). */
  fetchTaxii?: FetchTaxii;
}

/** Beyond IntelFeedStatus: what metrics and /health read. */
export interface IntelFeedDetail extends IntelFeedStatus {
  fetches: Record<FetchResult, number>;
  /** Epoch ms the copy stops matching; Infinity for never. */
  expiresAt: number;
  pushed: boolean;
}

/** The last rebuild, measured: how long it took and the longest the event loop was held by one slice. */
export interface RebuildStats {
  builds: number;
  lastMs: number;
  longestSliceMs: number;
  entries: number;
}

interface Pushed {
  feed: ParsedFeed;
  meta: PushedFeedMeta;
  at: number;
}

const SLICE_ENTRIES = 50_000;

export class IntelFeedSet implements IntelFeeds {
  private loaders: FeedLoader[];
  private readonly pushed = new Map<string, Pushed>();
  private index: IntelIndex | null = null;
  private readonly listeners = new Set<(index: IntelIndex | null) => void>();
  private readonly renewals = new Set<(feed: string, expiresAt: number) => void>();
  private readonly timers = new Map<FeedLoader, NodeJS.Timeout>();
  private abort = new AbortController();
  private running = false;
  private rebuilding: Promise<void> | null = null;
  private dirty = false;
  readonly rebuilds: RebuildStats = { builds: 0, lastMs: 0, longestSliceMs: 0, entries: 0 };

  constructor(private readonly options: IntelFeedSetOptions) {
    this.loaders = options.feeds.map((f) => this.loaderOf(f, options.settings));
  }

  current(): IntelIndex | null {
    return this.index;
  }

  async load(): Promise<void> {
    for (const loader of this.loaders) await loader.refresh(this.abort.signal);
    await this.rebuild();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const loader of this.loaders) this.schedule(loader);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort();
    this.abort = new AbortController();
    await this.rebuilding;
  }

  put(name: string, feed: ParsedFeed, meta: PushedFeedMeta): void {
    if (feed.entries.length === 0) this.pushed.delete(name);
    else this.pushed.set(name, { feed, meta, at: Date.now() });
    void this.rebuild();
  }

  status(): IntelFeedStatus[] {
    return this.details().map(({ name, kind, source, loadedAt, error, counts }) => ({ name, kind, source, loadedAt, error, counts }));
  }

  details(): IntelFeedDetail[] {
    const counts = new Map((this.index?.counts ?? []).map((c) => [c.feed, c]));
    const configured = this.loaders.map((l) => ({
      name: l.name,
      kind: l.config.kind ?? l.parsed?.kind ?? 'unknown',
      source: l.source,
      loadedAt: l.loadedAt,
      error: l.error,
      counts: counts.get(l.name) ?? null,
      fetches: { ...l.fetches },
      expiresAt: l.expiresAt(),
      pushed: false,
    }));
    const pushed = [...this.pushed].map(([name, p]) => ({
      name,
      kind: 'pushed',
      source: name,
      loadedAt: p.at,
      error: null,
      counts: counts.get(name) ?? null,
      fetches: { ok: 0, 'not-modified': 0, error: 0 },
      expiresAt: pushedExpiry(p),
      pushed: true,
    }));
    return [...configured, ...pushed];
  }

  /** The skipped records of a feed's copy in force (the first ones, with positions). */
  skippedOf(name: string): readonly { position: string; reason: string }[] {
    return this.loaders.find((l) => l.name === name)?.parsed?.skipped ?? this.pushed.get(name)?.feed.skipped ?? [];
  }

  onChange(listener: (index: IntelIndex | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onRenew(listener: (feed: string, expiresAt: number) => void): () => void {
    this.renewals.add(listener);
    return () => this.renewals.delete(listener);
  }

  /** Refreshes every feed now (or the one named), then rebuilds if any changed. */
  async refreshNow(name?: string): Promise<void> {
    let changed = false;
    for (const loader of this.loaders) {
      if (name !== undefined && loader.name !== name) continue;
      changed = (await this.refreshOne(loader)) || changed;
    }
    if (changed) await this.rebuild();
  }

  /**
   * SIGHUP, first half: the new feed list (feeds whose settings did not
   * change keep their loader and copy); every new or changed feed is loaded
   * now, and one that yields no copy refuses the whole reload. The commit
   * swaps the list, restarts the timers and rebuilds the index.
   */
  async prepare(feeds: readonly IntelFeedConfig[], settings: FeedSettings): Promise<() => void> {
    const byKey = new Map(this.loaders.map((l) => [keyOf(l.config, l.settings), l]));
    const next = feeds.map((f) => byKey.get(keyOf(f, settings)) ?? this.loaderOf(f, settings));
    const added = next.filter((l) => !this.loaders.includes(l));
    for (const loader of added) {
      await loader.refresh(this.abort.signal);
      if (loader.parsed === null) throw new Error(`intel feed ${loader.name}: ${loader.error ?? 'no copy'}`);
    }
    return () => {
      for (const loader of this.loaders) {
        if (next.includes(loader)) continue;
        const timer = this.timers.get(loader);
        if (timer !== undefined) clearTimeout(timer);
        this.timers.delete(loader);
      }
      this.loaders = next;
      if (this.running) for (const loader of added) this.schedule(loader);
      void this.rebuild();
    };
  }

  /** Rebuilds the index now (or once more after the one under way); resolves when the new one is in force. */
  rebuild(): Promise<void> {
    this.dirty = true;
    if (this.rebuilding !== null) return this.rebuilding;
    const run = async (): Promise<void> => {
      try {
        while (this.dirty) {
          this.dirty = false;
          try {
            await this.rebuildOnce();
          } catch (err) {
            // Never an unhandled rejection from a timer: the index in force stays.
            this.options.log.warn({}, `intel: index rebuild failed, keeping the index in force: ${(err as Error).message}`);
          }
        }
      } finally {
        this.rebuilding = null;
      }
    };
    this.rebuilding = run();
    return this.rebuilding;
  }

  private async rebuildOnce(): Promise<void> {
    const inputs: IntelFeedInput[] = [];
    for (const l of this.loaders) {
      if (l.parsed === null) continue;
      inputs.push({ name: l.name, action: l.config.action, confidence: l.config.confidence, expiresAt: l.expiresAt(), feed: l.parsed });
    }
    for (const [name, p] of this.pushed) inputs.push({ name, action: p.meta.action, confidence: p.meta.confidence, expiresAt: pushedExpiry(p), feed: p.feed });
    const started = performance.now();
    let sliceStart = started;
    let longest = 0;
    const pause = async (): Promise<void> => {
      longest = Math.max(longest, performance.now() - sliceStart);
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    };
    const index = inputs.length === 0 ? null : await buildIntelIndexInSlices(inputs, this.options.rules, pause, this.options.limits ?? DEFAULT_INTEL_LIMITS, Date.now(), SLICE_ENTRIES);
    longest = Math.max(longest, performance.now() - sliceStart);
    this.rebuilds.builds++;
    this.rebuilds.lastMs = performance.now() - started;
    this.rebuilds.longestSliceMs = longest;
    this.rebuilds.entries = inputs.reduce((n, i) => n + i.feed.entries.length, 0);
    this.index = index;
    for (const listener of this.listeners) listener(index);
  }

  private loaderOf(config: IntelFeedConfig, settings: FeedSettings): FeedLoader {
    return new FeedLoader(config, settings, this.options.log, this.options.fetchTaxii ?? taxiiClient);
  }

  /** One refresh; true when the copy changed. A confirmed copy renews its expiry in the index in force. */
  private async refreshOne(loader: FeedLoader): Promise<boolean> {
    const outcome = await loader.refresh(this.abort.signal);
    if (outcome === 'confirmed' && this.index !== null) {
      this.index.renew(loader.name, loader.expiresAt());
      for (const listener of this.renewals) listener(loader.name, loader.expiresAt());
    }
    return outcome === 'changed';
  }

  private schedule(loader: FeedLoader): void {
    const timer = setTimeout(() => {
      void (async () => {
        if (await this.refreshOne(loader)) await this.rebuild();
        if (this.running && this.loaders.includes(loader)) this.schedule(loader);
      })();
    }, loader.config.refresh * 1000);
    timer.unref();
    this.timers.set(loader, timer);
  }
}

function pushedExpiry(p: Pushed): number {
  return p.meta.expiry === 0 ? Infinity : p.at + p.meta.expiry * 1000;
}

/** Feeds with the same settings (and the same loader settings) share a loader across a reload. */
function keyOf(config: IntelFeedConfig, settings: FeedSettings): string {
  return JSON.stringify([config, settings]);
}
