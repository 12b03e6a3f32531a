import { describe, expect, it } from 'vitest';
import { emptyObservation } from '../../model/observation.js';
import type { Enricher } from '../../enrich/enricher.js';
import { observationOf, observationRow } from './rows.js';

const enricher = {
  sources: [],
  lookup: (a: string) => (a.startsWith('192.0.2.') ? { asn: 64500, asOrg: 'TEST', country: 'NL' } : null),
} as unknown as Enricher;

describe('observation rows', () => {
  it('carries the enriched columns and the observation for replay', () => {
    const o = emptyObservation(1_700_000_000.25, 'www.evil.example.com', 'A');
    o.rcode = 'NOERROR';
    o.answers = [
      { name: 'www.evil.example.com', type: 'CNAME', data: 'x.flux.example.net', ttl: 30 },
      { name: 'x.flux.example.net', type: 'A', data: '192.0.2.7', ttl: 60 },
      { name: 'x.flux.example.net', type: 'AAAA', data: '2001:db8:1::1', ttl: 90 },
    ];
    o.authority = [{ name: 'example.com', type: 'NS', data: 'ns1.example.org', ttl: 3600 }];
    const row = observationRow(o, enricher, { sensor: 's1', batch: 7, seq: 3 });
    expect(row).toMatchObject({
      ts_ms: 1_700_000_000_250, sensor: 's1', batch: 7, seq: 3, name: 'www.evil.example.com', registered: 'example.com',
      addresses: ['192.0.2.7', '2001:db8:1::1'], prefixes: ['192.0', '2001:db8'], asns: [64500, 0], countries: ['NL', ''],
      ttls: [30, 60, 90], name_servers: ['ns1.example.org'], targets: ['x.flux.example.net'],
    });
    expect(observationOf(row)).toEqual(o);
  });
  it('refuses a row whose JSON is no observation', () => {
    expect(observationOf({ observation: '{' })).toBeNull();
    expect(observationOf({ observation: '{"ts":1}' })).toBeNull();
    expect(observationOf({ observation: 'null' })).toBeNull();
  });
});
