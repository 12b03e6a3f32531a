/**
 * The `intel` service of `fluxhound serve`: the feeds of config intel.feeds
 * and `--intel` (and the TAXII inbox's pushes, through context.intel.put),
 * loaded before the services that answer queries start, refreshed on their
 * timers, one index swapped whole (src/intel/feeds). The detector reads it
 * through context.intel. SIGHUP loads the new feed list first: a new feed
 * that yields no copy refuses the reload. /health names every feed whose
 * copy expired.
 */
import type { Command } from 'commander';
import { intelRules } from '../../act/intel-rules.js';
import type { Config } from '../../config/schema.js';
import { IntelFeedSet } from '../../intel/feeds/feed-set.js';
import { fluxFeeds, intelFeedsOf, requireFeedPaths } from '../../intel/feeds/spec.js';
import type { FeedSettings } from '../../intel/feeds/loader.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { intelMetrics } from './metrics.js';

const INTEL_FLAG_HELP =
  'threat-intelligence feed: a path or http(s) URL, then ,key=value options (name, kind, column, action, confidence, refresh, expiry, collection); repeatable; adds to config intel.feeds';

export const intelService: ServiceFactory = {
  name: 'intel',
  addOptions(command: Command) {
    command.option('--intel <source>', INTEL_FLAG_HELP, (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  },
  create(flags, context) {
    const specs = Array.isArray(flags.intel) ? (flags.intel as string[]) : [];
    const feeds = fluxFeeds(intelFeedsOf(context.config.intel.feeds, specs));
    // A feed file missing at start is a typo (exit 2); one that goes missing later keeps its copy.
    requireFeedPaths(feeds, 'serve');
    // The TAXII inbox pushes feeds in: the set exists for it even with no feed configured.
    if (feeds.length === 0 && !context.config.serve.taxii.inbox.enabled) return null;
    return new IntelService(context, specs);
  },
};

export function settingsOf(config: Config): FeedSettings {
  return { cacheDir: config.intel.cacheDir, timeoutMs: config.intel.timeout, maxBytes: config.intel.maxBytes };
}

export class IntelService implements Service {
  readonly name = 'intel';
  readonly feeds: IntelFeedSet;

  constructor(
    private readonly context: ServeContext,
    private readonly specs: readonly string[],
  ) {
    const log = context.log.child({ service: this.name });
    this.feeds = new IntelFeedSet({
      // Warninglists extend the reference lists (cli/serve.ts, intel/warninglist), not the index.
      feeds: fluxFeeds(intelFeedsOf(context.config.intel.feeds, specs)),
      settings: settingsOf(context.config),
      rules: intelRules(context.config, context.infra ?? null),
      log: { info: (fields, message) => log.info(fields, message), warn: (fields, message) => log.warn(fields, message) },
    });
    context.intel = this.feeds;
    intelMetrics(context.registry, () => this.feeds.details(), () => this.feeds.rebuilds);
  }

  /** Loads every feed (a failing one is logged and has no copy; never fatal), then starts the timers. */
  async start(): Promise<void> {
    await this.feeds.load();
    this.feeds.start();
    const loaded = this.feeds.details().filter((d) => d.counts !== null);
    this.context.log.info(
      { service: this.name, feeds: loaded.length, entries: loaded.reduce((n, d) => n + (d.counts?.accepted ?? 0), 0), buildMs: Math.round(this.feeds.rebuilds.lastMs) },
      'intel feeds loaded',
    );
  }

  async stop(): Promise<void> {
    await this.feeds.stop();
  }

  async prepareReload(next: Config): Promise<() => void> {
    const feeds = fluxFeeds(intelFeedsOf(next.intel.feeds, this.specs));
    return this.feeds.prepare(feeds, settingsOf(next));
  }

  health(): string | null {
    const now = Date.now();
    const expired = this.feeds.details().filter((d) => d.loadedAt !== null && now > d.expiresAt);
    if (expired.length === 0) return null;
    return `feed copy expired without a good refresh: ${expired.map((d) => `${d.name}${d.error === null ? '' : ` (${d.error})`}`).join('; ')}`;
  }
}
