import { describe, expect, it } from 'vitest';
import { decode, decodeText, observationsOf, runConformance, skipsOf } from '../conformance.case.js';
import { fixture } from '../fixtures.case.js';
import { pdnsFormat } from './index.js';


const tuple = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ count: 12, time_first: 1710201600, time_last: 1710288000, rrtype: 'A', rrname: 'login.flux-example.net', rdata: ['198.51.100.23', '203.0.113.77'], ...fields });

runConformance(pdnsFormat, {
  preamble: [],
  good: [
    tuple(),
    tuple({ rdata: '192.0.2.1', count: undefined }),
    tuple({ rrname: 'flux-example.net.', rrtype: 'NS', rdata: ['ns1.flux-example.net.'], bailiwick: 'net.' }),
    tuple({ time_first: undefined, time_last: undefined, zone_time_first: 1262304000, zone_time_last: 1710288000 }),
    tuple({ time_first: '2024-03-12T00:00:00Z', time_last: '2024-03-12T09:15:02Z' }),
    JSON.stringify({ obj: JSON.parse(tuple()) }),
  ],
  bad: [
    'garbage',
    '"just a string"',
    tuple({ rrname: undefined }),
    tuple({ rrname: 'bad name' }),
    tuple({ rrtype: undefined }),
    tuple({ rdata: undefined }),
    tuple({ rdata: 42 }),
    tuple({ time_first: undefined, time_last: undefined }),
    tuple({ time_first: 1710288001 }),
    tuple({ count: 'many' }),
  ],
  absurd: [
    tuple({ time_last: 1e300 }),
    tuple({ time_last: -1 }),
    tuple({ time_last: 'NaN' }),
    tuple({ time_last: 253402300799 }),
    tuple({ count: -1 }),
    tuple({ count: 1e300 }),
    tuple({ count: 0.5 }),
    tuple({ rdata: [null, 7, '192.0.2.1', 'not an address'] }),
    tuple({ rrtype: 'A'.repeat(100) }),
    tuple({ rdata: Array(10_000).fill('192.0.2.1') }),
  ],
  foreign: [
    '{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","query":"a.example"}\n',
    '{"timestamp":"2016-05-26T11:24:34.170604+0200","event_type":"dns","dns":{"rrname":"a","rrtype":"A","rdata":"1.2.3.4"}}\n',
  ],
});

describe('pdns: Common Output Format fixture', () => {
  const outcomes = decode(pdnsFormat, [fixture('pdns/cof.json')]);
  const seen = observationsOf(outcomes);

  it('gives one observation per tuple: ts is time_last, firstSeen time_first, ttl null', () => {
    expect(skipsOf(outcomes)).toEqual([]);
    expect(seen[0]).toEqual({
      ts: 1389260400,
      qname: 'www.example.be',
      qtype: 'A',
      rcode: null,
      client: null,
      answers: [{ name: 'www.example.be', type: 'A', data: '192.0.2.140', ttl: null }],
      authority: [],
      additional: [],
      count: 97167,
      firstSeen: 1298398400,
    });
  });

  it('reads rdata arrays, trailing dots and upper case, ISO times, zone times, MX preferences', () => {
    expect(seen[1]!.answers).toHaveLength(5);
    expect(seen[2]).toMatchObject({ qname: 'flux-example.net', answers: [{ data: 'ns1.flux-example.net' }, { data: 'ns2.flux-example.net' }] });
    expect(seen[3]).toMatchObject({ qname: 'cdn.example.com', ts: 1710234902.5, firstSeen: 1710201600, count: 1, answers: [{ data: '2001:db8::1' }] });
    expect(seen[4]).toMatchObject({ qname: 'example.org', ts: 1710288000, firstSeen: 1262304000 });
    expect(seen[5]!.answers).toEqual([{ name: 'example.com', type: 'MX', data: 'mail.example.com', ttl: null }]);
  });
});

describe('pdns: DNSDB streaming (SAF) wrapper', () => {
  it('unwraps obj and passes over cond markers', () => {
    const outcomes = decode(pdnsFormat, [fixture('pdns/dnsdb-saf.json')]);
    expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
      ['observe', 2],
      ['observe', 3],
    ]);
    expect(pdnsFormat.sniff(fixture('pdns/dnsdb-saf.json'))).toBe(true);
  });

  it('says which time is wrong', () => {
    expect(skipsOf(decodeText(pdnsFormat, tuple({ time_first: 5, time_last: 4 })))).toEqual([[1, 'time_first after time_last']]);
  });
});
