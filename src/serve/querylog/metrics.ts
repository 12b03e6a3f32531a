/**
 * The query-log service's metrics, declared in the daemon's registry and
 * read from the service's plain numbers when /metrics is scraped.
 */
import type { Registry } from 'prom-client';
import { QUERY_ACTIONS } from '../../model/query-log.js';
import { scrapedCounter, scrapedGauge, type Reading } from '../scraped.js';
import type { SinkStats } from './queue.js';

export interface QueryLogReadings {
  /** Entries heard, per action (QUERY_ACTIONS order). */
  entries: Float64Array;
  /** Per sink ('ndjson', 'syslog') that is configured. */
  sinks(): [string, SinkStats, number][];
  syslogUp(): number | null;
  syslogReconnects(): number;
  ndjsonReopened(): number;
  exposureDomains(): number;
  exposureEvictions(): number;
  exposed(): number;
}

export function queryLogMetrics(registry: Registry, r: QueryLogReadings): void {
  const perSink = (pick: (s: SinkStats, pending: number) => number): (() => Reading) => () => r.sinks().map(([sink, stats, pending]) => [{ sink }, pick(stats, pending)] as const);
  scrapedCounter(registry, 'fluxhound_querylog_entries_total', 'Query-log entries heard (from the forwarder, and exposures), by action.', () => QUERY_ACTIONS.map((action, i) => [{ action }, r.entries[i]!] as const), ['action']);
  scrapedCounter(registry, 'fluxhound_querylog_written_total', 'Entries written to the NDJSON file or sent to syslog, by sink.', perSink((s) => s.written), ['sink']);
  scrapedCounter(registry, 'fluxhound_querylog_dropped_total', 'Entries dropped because the sink\'s queue held serve.querylog.maxPending, by sink.', perSink((s) => s.dropped), ['sink']);
  scrapedCounter(registry, 'fluxhound_querylog_errors_total', 'Write errors (NDJSON) and send or connection errors (syslog), by sink.', perSink((s) => s.errors), ['sink']);
  scrapedGauge(registry, 'fluxhound_querylog_pending', 'Entries waiting in the sink\'s queue, by sink.', perSink((_, pending) => pending), ['sink']);
  scrapedGauge(registry, 'fluxhound_querylog_syslog_up', '1 while syslog messages can leave (UDP socket open; TCP connected), else 0.', () => r.syslogUp() ?? 0);
  scrapedCounter(registry, 'fluxhound_querylog_syslog_reconnects_total', 'TCP connections to the syslog receiver made again after one was lost or refused.', () => r.syslogReconnects());
  scrapedCounter(registry, 'fluxhound_querylog_ndjson_reopened_total', 'Times the NDJSON file was reopened (SIGHUP, after logrotate).', () => r.ndjsonReopened());
  scrapedGauge(registry, 'fluxhound_querylog_exposure_domains', 'Registered domains whose recent askers are remembered for exposure reports.', () => r.exposureDomains());
  scrapedCounter(registry, 'fluxhound_querylog_exposure_evictions_total', 'Registered domains forgotten to keep the exposure tracker bounded.', () => r.exposureEvictions());
  scrapedCounter(registry, 'fluxhound_querylog_exposed_total', 'Clients reported exposed: they got the real answer for a name shortly before it was flagged.', () => r.exposed());
}
