/**
 * The dnstap listener's metrics in the daemon's registry, read from its
 * per-endpoint counters at scrape time (the listener and its tests keep
 * those counters). A second listener in the same registry (a test)
 * replaces the first's families.
 */
import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../scraped.js';
import type { EndpointCounters } from './connection.js';

const FAMILIES: [keyof EndpointCounters, 'counter' | 'gauge', string, string][] = [
  ['connections', 'counter', 'fluxhound_dnstap_connections_total', 'Producer connections admitted, by endpoint.'],
  ['open', 'gauge', 'fluxhound_dnstap_connections_open', 'Producer connections open, by endpoint.'],
  ['refused', 'counter', 'fluxhound_dnstap_connections_refused_total', 'Connections refused on accept (over a cap, or stopping), by endpoint; the reasons are in fluxhound_net_refused_total.'],
  ['frames', 'counter', 'fluxhound_dnstap_frames_total', 'Frame Streams frames read (control and data), by endpoint.'],
  ['messages', 'counter', 'fluxhound_dnstap_messages_total', 'dnstap messages turned into observations, by endpoint.'],
  ['ignored', 'counter', 'fluxhound_dnstap_ignored_total', 'dnstap messages of types that carry no answer (queries), by endpoint.'],
  ['bad', 'counter', 'fluxhound_dnstap_bad_frames_total', 'Frames that could not be read (reported with the peer and frame number), by endpoint.'],
  ['bytes', 'counter', 'fluxhound_dnstap_bytes_total', 'Bytes read from producers, by endpoint.'],
  [
    'conflicts',
    'counter',
    'fluxhound_dnstap_conflicting_responses_total',
    'Responses that were a second, different response to one query within 5 s (same asker address and port, DNS id and question; a client query or the resolver\'s own upstream one): a sign of on-path injection, by endpoint.',
  ],
];

export function declareDnstapMetrics(registry: Registry, endpoints: () => Map<string, EndpointCounters>, byType: () => Map<string, number>): void {
  for (const [key, type, name, help] of FAMILIES) {
    const declare = type === 'gauge' ? scrapedGauge : scrapedCounter;
    declare(registry, name, help, () => Array.from(endpoints(), ([endpoint, counters]) => [{ endpoint }, counters[key]] as const), ['endpoint']);
  }
  scrapedCounter(registry, 'fluxhound_dnstap_messages_by_type_total', 'dnstap messages read, by dnstap message type.', () => Array.from(byType(), ([type, n]) => [{ type }, n] as const), ['type']);
}
