/**
 * The metrics of the lists service, in the daemon's registry; values live
 * in the service and are read when scraped.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter as counter, scrapedGauge as gauge, type Reading } from '../scraped.js';

export interface ListsReadings {
  /** Entries per list: [{list}, n]. */
  entries: () => Reading;
  /** Changes applied per list and op, made here or picked up from the store: [{list, op}, n]. */
  applied: () => Reading;
  pollErrors: () => number;
  refused: () => Reading;
  heldBackDropped: () => number;
  skipped: () => number;
}

export function listsMetrics(registry: Registry, r: ListsReadings): void {
  gauge(registry, 'fluxhound_lists_entries', "Entries of the operator's allow and deny lists in force.", r.entries, ['list']);
  counter(registry, 'fluxhound_lists_changes_applied_total', 'List changes applied to the live blocking (made through this daemon or picked up from the store).', r.applied, ['list', 'op']);
  counter(registry, 'fluxhound_lists_poll_errors_total', "Polls of the store's lists version that failed (the lists in force stay).", r.pollErrors);
  counter(registry, 'fluxhound_lists_refused_total', 'List changes refused (reason: name, comment, public_suffix, full).', r.refused, ['reason']);
  counter(registry, 'fluxhound_lists_skipped_total', 'Entries read from the store and not applied (not a domain name, a public suffix on the deny list, over the cap).', r.skipped);
  counter(registry, 'fluxhound_lists_held_back_dropped_total', 'Allowlisted flagged names forgotten (over the cap) that removing their allow entry would have brought back at once.', r.heldBackDropped);
}
