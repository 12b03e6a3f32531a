/** Reading the bench's figures back from a daemon's /metrics text. */
import { describe, expect, it } from 'vitest';
import { metricValue } from './querylog-forwarder.js';

describe('metricValue', () => {
  const text = [
    '# HELP fluxhound_querylog_dropped_total x',
    'fluxhound_querylog_dropped_total{sink="ndjson"} 3',
    'fluxhound_querylog_dropped_total{sink="syslog"} 4',
    'fluxhound_dns_querylog_recorded_total 120',
    'fluxhound_dns_querylog_recorded_total_extra 9',
  ].join('\n');
  it('reads one sample, or sums a family over its label sets, and says when it is absent', () => {
    expect(metricValue(text, 'fluxhound_dns_querylog_recorded_total')).toBe(120);
    expect(metricValue(text, 'fluxhound_querylog_dropped_total{')).toBe(7);
    expect(metricValue(text, 'fluxhound_store_querylog_written_total')).toBeNull();
  });
});
