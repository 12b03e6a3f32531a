/**
 * Active confirmation's metrics, declared in the daemon's registry. The
 * counts live in the schedule (plain numbers its tests read) and are read
 * when /metrics is scraped. Every reason is always reported (0 until it
 * happens), so a dashboard sees the whole set.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge, type Reading } from '../scraped.js';
import { SKIP_REASONS } from './judge.js';
import { GIVE_UP_REASONS, type ConfirmStats } from './schedule.js';

export interface ConfirmReadings {
  stats: ConfirmStats;
  /** Names being confirmed now. */
  names(): number;
  /** Upstream queries refused for want of a pending slot or socket (counted as failed probes too). */
  upstreamErrors(): number;
}

function byReason<K extends string>(reasons: readonly K[], counts: ReadonlyMap<K, number>): Reading {
  return reasons.map((reason) => [{ reason }, counts.get(reason) ?? 0] as const);
}

export function confirmMetrics(registry: Registry, r: ConfirmReadings): void {
  const s = r.stats;
  scrapedCounter(registry, 'fluxhound_confirm_probes_sent_total', 'Probes sent: queries (one name, one type) re-resolving a suspicious name through the upstream; a TCP retry after a truncated answer counts as one more.', () => s.sent);
  scrapedCounter(registry, 'fluxhound_confirm_probes_answered_total', 'Probes an upstream answered; the answer went to the detector marked as a probe.', () => s.answered);
  scrapedCounter(registry, 'fluxhound_confirm_probes_failed_total', 'Probes no upstream answered (timeouts, no pending slot).', () => s.failed);
  scrapedCounter(registry, 'fluxhound_confirm_names_confirmed_total', 'Suspicious names that rose to fast-flux with probe evidence.', () => s.confirmed);
  scrapedCounter(registry, 'fluxhound_confirm_names_cleared_total', 'Suspicious names whose probes reached serve.confirm.maxProbesPerName without rising to fast-flux.', () => s.cleared);
  scrapedCounter(
    registry,
    'fluxhound_confirm_names_skipped_total',
    'Suspicious names never probed, by reason (allowlisted, public-suffix, registered-domain, known-infra, top-site, pool, dynamic-dns, tampering: injected or poisoned answers, platform: a single-tenant platform\'s own name).',
    () => byReason(SKIP_REASONS, s.skipped),
    ['reason'],
  );
  scrapedCounter(
    registry,
    'fluxhound_confirm_names_given_up_total',
    'Names given up while being confirmed, by reason (capacity: a newer name took the place of the oldest; evicted: the detector let it go; rose-without-probes: clients made it fast-flux first; known-later: its answers turned out to be known infrastructure or allowlisted).',
    () => byReason(GIVE_UP_REASONS, s.givenUp),
    ['reason'],
  );
  scrapedCounter(registry, 'fluxhound_confirm_rate_limited_total', 'Probe rounds held back by serve.confirm.ratePerSecond (each counted once, however long it waits), and TCP retries after a truncated answer refused for want of a token (that probe fails).', () => s.rateLimited);
  scrapedCounter(registry, 'fluxhound_confirm_upstream_errors_total', 'Probes the upstream client refused at once (no pending slot, no socket).', () => r.upstreamErrors());
  scrapedGauge(registry, 'fluxhound_confirm_names', 'Names being confirmed now (at most serve.confirm.maxNames).', () => r.names());
}
