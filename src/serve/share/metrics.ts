/**
 * The metrics of `serve --stix` and `serve --misp-feed`, in the daemon's
 * registry; values live in the services and are read when scraped. Names
 * are whole strings (greppable), one family per service and fact.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter as counter, scrapedGauge as gauge } from '../scraped.js';

type Read = () => number;

export interface ShareReadings {
  writes: Read;
  writeErrors: Read;
  /** Indicators (STIX) or events (MISP) in the file last written. */
  items: Read;
  /** Seconds the last rewrite took (build and write). */
  lastWriteSeconds: Read;
  /** Flagged names left out of the last file past MAX_SHARED_NAMES. */
  held: Read;
}

export function stixFileMetrics(registry: Registry, r: ShareReadings): void {
  counter(registry, 'fluxhound_stix_file_writes_total', 'Times the --stix bundle was rewritten (atomically).', r.writes);
  counter(registry, 'fluxhound_stix_file_write_errors_total', 'Rewrites of the --stix bundle that failed (the previous file stays).', r.writeErrors);
  gauge(registry, 'fluxhound_stix_file_indicators', 'Indicators in the --stix bundle last written.', r.items);
  gauge(registry, 'fluxhound_stix_file_write_seconds', 'Seconds the last --stix rewrite took (build and write).', r.lastWriteSeconds);
  gauge(registry, 'fluxhound_stix_file_held_names', 'Flagged names left out of the last --stix bundle (past the cap of shared names).', r.held);
}

export function mispFeedMetrics(registry: Registry, r: ShareReadings): void {
  counter(registry, 'fluxhound_misp_feed_writes_total', 'Times the --misp-feed directory was rewritten (each file atomically).', r.writes);
  counter(registry, 'fluxhound_misp_feed_write_errors_total', 'Rewrites of the --misp-feed directory that failed (the previous files stay).', r.writeErrors);
  gauge(registry, 'fluxhound_misp_feed_events', 'Events in the --misp-feed manifest last written.', r.items);
  gauge(registry, 'fluxhound_misp_feed_write_seconds', 'Seconds the last --misp-feed rewrite took (build and write).', r.lastWriteSeconds);
  gauge(registry, 'fluxhound_misp_feed_held_names', 'Flagged names left out of the last --misp-feed (past the cap of shared names).', r.held);
}
