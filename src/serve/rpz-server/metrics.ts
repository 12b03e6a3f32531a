/**
 * The RPZ server's metrics in the daemon's registry. The server keeps its
 * counts in RpzCounters (its tests read them); these families read them at
 * scrape time. Declared when the server is built; a second server in the
 * same registry (a test) replaces the first's.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../scraped.js';
import type { RpzCounters } from './server.js';

export interface RpzServerState {
  counters: RpzCounters;
  connections(): number;
  serial(): number;
  records(): number;
  journalEntries(): number;
}

export function declareRpzServerMetrics(registry: Registry, state: RpzServerState): void {
  const c = state.counters;
  scrapedCounter(registry, 'fluxhound_rpz_server_transfers_total', 'Zone transfers served over TCP, by type (axfr, ixfr, ixfr_full: an IXFR answered with the whole zone, ixfr_uptodate).', () =>
    ([['axfr', 'axfr'], ['ixfr', 'ixfr'], ['ixfr_full', 'ixfr-full'], ['ixfr_uptodate', 'ixfr-current']] as const).map(([type, kind]) => [{ type }, c.get(kind)]),
    ['type'],
  );
  scrapedCounter(registry, 'fluxhound_rpz_server_queries_total', 'SOA queries and IXFR over UDP (answered with the SOA), by type.', () => [
    [{ type: 'soa' }, c.get('soa')],
    [{ type: 'ixfr_udp' }, c.get('ixfr-udp')],
  ], ['type']);
  scrapedCounter(registry, 'fluxhound_rpz_server_refused_total', 'Requests and TCP connections refused: outside --rpz-allow, or a transfer without the TSIG key.', () => c.get('refused'));
  scrapedCounter(registry, 'fluxhound_rpz_server_errors_total', 'Requests answered FORMERR or NOTIMP, dropped, or that failed inside the server, by kind.', () => [
    [{ kind: 'formerr' }, c.get('formerr')],
    [{ kind: 'notimp' }, c.get('notimp')],
    [{ kind: 'dropped' }, c.get('dropped')],
    [{ kind: 'internal' }, c.internalErrors],
  ], ['kind']);
  scrapedCounter(registry, 'fluxhound_rpz_server_tsig_failures_total', 'Requests whose TSIG did not verify, by TSIG error.', () => ['badkey', 'badsig', 'badtime'].map((error) => [{ error }, c.tsigErrors.get(error) ?? 0]), ['error']);
  scrapedCounter(registry, 'fluxhound_rpz_server_notifies_sent_total', 'NOTIFY messages sent to secondaries (retries included).', () => c.notifiesSent);
  scrapedCounter(registry, 'fluxhound_rpz_server_notifies_acked_total', 'NOTIFY messages a secondary answered.', () => c.notifiesAcked);
  scrapedCounter(registry, 'fluxhound_rpz_server_notifies_failed_total', 'NOTIFY messages given up after their retries.', () => c.notifiesFailed);
  scrapedCounter(registry, 'fluxhound_rpz_server_connections_rejected_total', 'TCP connections closed over a cap or for queueing too many requests (the reasons are in fluxhound_net_refused_total).', () => c.connectionsRejected + c.overQueued);
  scrapedCounter(registry, 'fluxhound_rpz_server_idle_timeouts_total', 'TCP connections closed at a deadline: no first byte, a frame not finished, or idle.', () => c.idleTimeouts);
  scrapedGauge(registry, 'fluxhound_rpz_server_connections', 'TCP connections open.', state.connections);
  scrapedGauge(registry, 'fluxhound_rpz_server_serial', 'SOA serial of the zone served.', state.serial);
  scrapedGauge(registry, 'fluxhound_rpz_server_records', 'Records in the zone served.', state.records);
  scrapedGauge(registry, 'fluxhound_rpz_server_journal_entries', 'Zone differences kept for IXFR.', state.journalEntries);
}
