import { describe, expect, it } from 'vitest';
import { decode, decodeText, observationsOf, runConformance, skipsOf } from '../conformance.case.js';
import { fixture } from '../fixtures.case.js';
import { zeekFormat, zeekJsonFormat } from './index.js';


function line(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ts: 1710234902.118204, uid: 'CQ0iDnyOyLiO5ZRLb', 'id.orig_h': '192.168.7.21', 'id.orig_p': 51514,
    'id.resp_h': '192.168.7.1', 'id.resp_p': 53, proto: 'udp', trans_id: 7201, rtt: 0.02133,
    query: 'login.flux-example.net', qclass: 1, qclass_name: 'C_INTERNET', qtype: 1, qtype_name: 'A',
    rcode: 0, rcode_name: 'NOERROR', AA: false, TC: false, RD: true, RA: true, Z: 0,
    answers: ['198.51.100.23', '203.0.113.77'], TTLs: [150.0, 150.0], rejected: false,
    ...fields,
  });
}


runConformance(zeekJsonFormat, {
  preamble: [],
  good: [
    line(),
    line({ ts: '2024-03-12T09:15:02.118204Z' }),
    line({ rcode: undefined, rcode_name: undefined, answers: undefined, TTLs: undefined }),
    line({ query: 'nosuch.example.com', rcode: 3, rcode_name: 'NXDOMAIN', answers: undefined, TTLs: undefined }),
  ],
  bad: [
    'garbage',
    '[1,2,3]',
    '{"ts":1710234902.1,',
    line({ answers: ['192.0.2.1', '192.0.2.2'], TTLs: [1] }),
    line({ query: undefined }),
    line({ query: 'bad name.example' }),
    line({ answers: '192.0.2.1' }),
  ],
  absurd: [
    line({ ts: 1e300 }),
    line({ ts: -1 }),
    line({ ts: 'NaN' }),
    line({ ts: '9999-12-31T23:59:59.999999Z' }),
    line({ ts: '10000-01-01T00:00:00Z' }),
    line({ ts: 1710234902118 }),
    `${line().slice(0, -1)},"x":1e400}`,
    line({ TTLs: [-1, 150] }),
    line({ TTLs: [1e300, 150] }),
    line({ TTLs: ['NaN', 150] }),
    line({ TTLs: [null, 150] }),
    line({ qtype_name: 42, qtype: 1e300 }),
    line({ answers: Array(10_000).fill('192.0.2.1'), TTLs: Array(10_000).fill(1) }),
  ],
  foreign: [
    '{"timestamp":"2016-05-26T11:24:34.170604+0200","event_type":"dns","uid":"x","id.orig_h":"1","query":"a"}\n',
    '{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_last":1}\n',
    fixture('zeek/dns.log').toString(),
  ],
});

describe('zeek-json: fixture (block 2 of dns.log, as JSON)', () => {
  const json = decode(zeekJsonFormat, [fixture('zeek/dns.json')], 'dns.json');
  it('gives what the TSV log gives for the same records', () => {
    const tsv = observationsOf(decode(zeekFormat, [fixture('zeek/dns.log')])).slice(7);
    expect(observationsOf(json)).toEqual(tsv);
    expect(skipsOf(json)).toEqual([
      [9, "bad query name 'bad name.example'"],
      [11, 'answers and TTLs differ in length (3 vs 2)'],
    ]);
  });

  it('reads an ISO 8601 ts', () => {
    expect(observationsOf(json)[1]!.ts).toBeCloseTo(1710234903.502911, 6);
  });
});

describe('zeek-json: fields', () => {
  it('reads a nested id object and numeric qtype/rcode when names are missing', () => {
    const text = line({ 'id.orig_h': undefined, id: { orig_h: '10.0.0.9' }, qtype_name: undefined, qtype: 28, rcode_name: undefined, rcode: 3, answers: undefined, TTLs: undefined });
    expect(observationsOf(decodeText(zeekJsonFormat, text))[0]).toMatchObject({ client: '10.0.0.9', qtype: 'AAAA', rcode: 'NXDOMAIN' });
  });

  it('reports a bad TTL and a bad timestamp with the value', () => {
    const text = [line({ TTLs: [-1, 150] }), line({ ts: 1e300 })].join('\n');
    expect(skipsOf(decodeText(zeekJsonFormat, text))).toEqual([
      [1, "bad TTL '-1'"],
      [2, "bad timestamp '1e+300'"],
    ]);
  });
});
