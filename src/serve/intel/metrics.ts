/**
 * The intel service's metrics, per feed, read from the feed set when
 * /metrics is scraped (one family name each, greppable whole).
 */
import type { Registry } from 'prom-client';
import { REFUSALS } from '../../intel/index.js';
import { FETCH_RESULTS } from '../../intel/feeds/loader.js';
import type { IntelFeedDetail, RebuildStats } from '../../intel/feeds/feed-set.js';
import { scrapedCounter as counter, scrapedGauge as gauge, type Reading } from '../scraped.js';

export function intelMetrics(registry: Registry, details: () => readonly IntelFeedDetail[], rebuilds: () => RebuildStats): void {
  const perFeed = (read: (d: IntelFeedDetail) => number | null): (() => Reading) => () =>
    details().flatMap((d) => {
      const n = read(d);
      return n === null ? [] : [[{ feed: d.name }, n] as const];
    });
  gauge(registry, 'fluxhound_intel_feed_entries', 'Entries of the feed placed in the index in force.', perFeed((d) => d.counts?.accepted ?? 0), ['feed']);
  gauge(registry, 'fluxhound_intel_feed_skipped', 'Records of the feed copy in force its parser skipped (unsupported, malformed).', perFeed((d) => d.counts?.skipped ?? 0), ['feed']);
  gauge(
    registry,
    'fluxhound_intel_feed_refused',
    'Entries of the feed copy in force refused as triggers, by reason (public suffix, allowlisted, CDN/cloud, non-routable, ...).',
    () => details().flatMap((d) => (d.counts === null ? [] : REFUSALS.map((reason) => [{ feed: d.name, reason }, d.counts!.refused[reason]] as const))),
    ['feed', 'reason'],
  );
  counter(
    registry,
    'fluxhound_intel_feed_fetches_total',
    'Reads and fetches of the feed, by result: ok (a new copy), not-modified (304 or an unchanged file), error (the previous copy kept).',
    () => details().flatMap((d) => (d.pushed ? [] : FETCH_RESULTS.map((result) => [{ feed: d.name, result }, d.fetches[result]] as const))),
    ['feed', 'result'],
  );
  gauge(registry, 'fluxhound_intel_feed_last_success_seconds', 'Unix time the feed copy in force was read or fetched; absent before any.', perFeed((d) => (d.loadedAt === null ? null : d.loadedAt / 1000)), ['feed']);
  gauge(registry, 'fluxhound_intel_feed_age_seconds', 'Seconds since the feed copy in force was read or fetched; absent before any.', perFeed((d) => (d.loadedAt === null ? null : Math.max(0, (Date.now() - d.loadedAt) / 1000))), ['feed']);
  gauge(registry, 'fluxhound_intel_feed_expired', '1 when the feed copy passed its expiry without a good refresh (it no longer matches).', perFeed((d) => (Date.now() > d.expiresAt ? 1 : 0)), ['feed']);
  counter(registry, 'fluxhound_intel_index_builds_total', 'Times the intel index was rebuilt (a feed changed, a push, a reload).', () => rebuilds().builds);
  gauge(registry, 'fluxhound_intel_index_build_seconds', 'Seconds the last index rebuild took (in slices).', () => rebuilds().lastMs / 1000);
  gauge(registry, 'fluxhound_intel_index_longest_slice_seconds', 'Longest the last rebuild held the event loop in one slice, seconds.', () => rebuilds().longestSliceMs / 1000);
}
