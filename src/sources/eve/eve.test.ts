import { describe, expect, it } from 'vitest';
import { decode, decodeText, observationsOf, runConformance, skipsOf } from '../conformance.case.js';
import { fixture, suricataIdsLookup } from '../fixtures.case.js';
import { eveFormat } from './index.js';


const EVENT = {
  timestamp: '2019-11-13T17:11:06.852509+0000', flow_id: 1460381497493291, pcap_cnt: 2, event_type: 'dns',
  src_ip: '10.16.1.11', src_port: 54888, dest_ip: '8.8.8.8', dest_port: 53, proto: 'UDP',
};
const V2 = {
  version: 2, type: 'answer', id: 24067, flags: '8180', qr: true, rd: true, ra: true,
  rrname: 'www.suricata-ids.org', rrtype: 'A', rcode: 'NOERROR',
  answers: [
    { rrname: 'www.suricata-ids.org', rrtype: 'CNAME', ttl: 3513, rdata: 'suricata-ids.org' },
    { rrname: 'suricata-ids.org', rrtype: 'A', ttl: 213, rdata: '192.0.78.24' },
  ],
};
const v2 = (dns: Record<string, unknown> = {}, event: Record<string, unknown> = {}) =>
  JSON.stringify({ ...EVENT, ...event, dns: { ...V2, ...dns } });
const v1 = (dns: Record<string, unknown>, event: Record<string, unknown> = {}) => JSON.stringify({ ...EVENT, ...event, dns });

runConformance(eveFormat, {
  preamble: [],
  good: [
    v2(),
    v2({ answers: undefined, grouped: { A: ['192.0.78.24', '192.0.78.25'], CNAME: ['suricata-ids.org'] } }),
    v2({ rcode: 'NXDOMAIN', answers: undefined }),
    fixture('eve/bug-1158.v3.json').toString().split('\n')[1]!,
  ],
  bad: [
    'garbage',
    '{"event_type":"dns"',
    JSON.stringify({ ...EVENT, dns: 'x' }),
    v2({ type: 'bogus' }),
    v2({ rrname: undefined }),
    v2({ rrname: 'bad name' }),
    v2({}, { timestamp: 'yesterday' }),
    v2({ answers: [{ rrname: 'a.example', rrtype: 'A', ttl: 'soon', rdata: '192.0.2.1' }] }),
  ],
  absurd: [
    v2({}, { timestamp: 1e300 }),
    v2({}, { timestamp: '9999-12-31T23:59:59.999999+0000' }),
    v2({}, { timestamp: '2016-02-30T11:24:34+0200' }),
    v2({ answers: [{ rrname: 'a.example', rrtype: 'A', ttl: -1, rdata: '192.0.2.1' }] }),
    v2({ answers: [{ rrname: 'a.example', rrtype: 'A', ttl: 1e300, rdata: '192.0.2.1' }] }),
    v2({ answers: [{ rrname: 'a.example', rrtype: 'A', ttl: null, rdata: '192.0.2.1' }] }),
    v2({ answers: [{ rrname: 'a.example', rrtype: 'A', ttl: 60, rdata: 'not an address' }] }),
    v2({ rrtype: 1e300 }),
    v2({ answers: Array(10_000).fill({ rrname: 'a.example', rrtype: 'A', ttl: 1, rdata: '192.0.2.1' }) }),
  ],
  foreign: [
    '{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","query":"a.example"}\n',
    '{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_last":1}\n',
  ],
});

describe('eve: suricata-verify dns-eve-type-filtering, EVE DNS v2', () => {
  const outcomes = decode(eveFormat, [fixture('eve/dns-eve-type-filtering.v2.json')]);
  const seen = observationsOf(outcomes);

  it('gives one observation per answer event and none for the 7 queries', () => {
    expect(seen).toHaveLength(7);
    expect(skipsOf(outcomes)).toEqual([]);
    expect(seen.map((o) => `${o.qname}/${o.qtype}`)).toEqual([
      'www.suricata-ids.org/A', 'suricata-ids.org/A', 'suricata-ids.org/AAAA', 'www.suricata-ids.org/AAAA',
      'www.suricata-ids.org/MX', 'suricata-ids.org/MX', 'oisf.net/MX',
    ]);
  });

  it('reads answers with owners, types and TTLs, and the client', () => {
    expect(seen[0]).toEqual(suricataIdsLookup(1573665066.852509, true));
  });

  it('reads SOA authority records from their soa object', () => {
    expect(seen[2]!.authority).toEqual([
      {
        name: 'suricata-ids.org',
        type: 'SOA',
        data: 'ns1.wordpress.com hostmaster.wordpress.com 2005071858 14400 7200 604800 300',
        ttl: 299,
      },
    ]);
  });
});

describe('eve: suricata-verify dns/bug-1158, EVE DNS v3', () => {
  const outcomes = decode(eveFormat, [fixture('eve/bug-1158.v3.json')]);
  const seen = observationsOf(outcomes);

  it('gives one observation per response; requests and the flow event give nothing', () => {
    expect(seen).toHaveLength(4);
    expect(skipsOf(outcomes)).toEqual([]);
    expect(outcomes.map((o) => o.line)).toEqual([2, 4, 6, 8]);
  });

  it('reads queries[0], answers, authorities and additionals; client is the response destination', () => {
    expect(seen[0]).toMatchObject({
      ts: 1393406399.242106,
      qname: 'aaaaao1kqa.=auth.srv.tunnel.com',
      qtype: 'TXT',
      rcode: 'NOERROR',
      client: '10.30.28.90',
      authority: [{ name: 'srv.tunnel.com', type: 'NS', data: 'iodine.tunnel.com', ttl: 604800 }],
      additional: [{ name: 'iodine.tunnel.com', type: 'A', data: '10.30.28.95', ttl: 604800 }],
    });
    expect(seen[3]!.answers.map((a) => [a.type, a.data, a.ttl])).toEqual([
      ['TXT', 'AhvMAAAABGFNTSC0yLjAtT3BlblNTSF81LjVwMSBEZWJpYW4tNitzcXVlZXplMg', 3],
      ['TXT', '0K', 3],
      ['TXT', '', 3],
    ]);
  });
});

describe('eve: EVE DNS v1, one event per record', () => {
  it('gathers the answer events of a response into one observation, question from its query event', () => {
    const v2seen = observationsOf(decode(eveFormat, [fixture('eve/dns-eve-type-filtering.v2.json')]));
    const v1seen = observationsOf(decode(eveFormat, [fixture('eve/dns-eve-type-filtering.v1.json')]));
    expect(v1seen).toEqual([v2seen[0], v2seen[1], v2seen[6]]);
  });

  it('without the query event, takes the first owner and the last type', () => {
    const text = [
      v1({ type: 'answer', id: 1, rcode: 'NOERROR', rrname: 'www.example.com', rrtype: 'CNAME', ttl: 60, rdata: 'edge.example.net' }),
      v1({ type: 'answer', id: 1, rcode: 'NOERROR', rrname: 'edge.example.net', rrtype: 'A', ttl: 20, rdata: '192.0.2.7' }),
    ].join('\n');
    expect(observationsOf(decodeText(eveFormat, text))).toEqual([
      expect.objectContaining({ qname: 'www.example.com', qtype: 'A', answers: [expect.objectContaining({ type: 'CNAME' }), expect.objectContaining({ data: '192.0.2.7' })] }),
    ]);
  });

  it('reads a failed response with its authority record; a failure without its query is skipped', () => {
    const text = [
      v1({ type: 'query', id: 7, rrname: 'nosuch.example.com', rrtype: 'AAAA', tx_id: 0 }),
      v1({ type: 'answer', id: 7, rcode: 'NXDOMAIN', rrname: 'nosuch.example.com' }),
      v1({ type: 'authority', id: 7, rcode: 'NXDOMAIN', rrname: 'example.com', rrtype: 'SOA', ttl: 900, soa: { mname: 'ns.example.com', rname: 'hostmaster.example.com', serial: 1 } }),
      v1({ type: 'answer', id: 8, rcode: 'NXDOMAIN', rrname: 'other.example.com' }),
    ].join('\n');
    const outcomes = decodeText(eveFormat, text);
    expect(observationsOf(outcomes)).toEqual([
      expect.objectContaining({ qname: 'nosuch.example.com', qtype: 'AAAA', rcode: 'NXDOMAIN', answers: [], authority: [expect.objectContaining({ type: 'SOA', data: 'ns.example.com hostmaster.example.com 1' })] }),
    ]);
    expect(skipsOf(outcomes)).toEqual([[4, 'no query type (v1 answer without its query event)']]);
  });

  it('gives the same observations however the events are chunked', () => {
    const bytes = fixture('eve/dns-eve-type-filtering.v1.json');
    const whole = observationsOf(decode(eveFormat, [bytes]));
    for (let cut = 0; cut < bytes.length; cut += 97) {
      expect(observationsOf(decode(eveFormat, [bytes.subarray(0, cut), bytes.subarray(cut)]))).toEqual(whole);
    }
  });
});

describe('eve: other events and record forms', () => {
  it('passes over non-dns events and query/request events silently', () => {
    const text = [
      JSON.stringify({ ...EVENT, event_type: 'flow', flow: {} }),
      JSON.stringify({ ...EVENT, event_type: 'alert', dns: { query: [{ rrname: 'a.example' }] } }),
      v1({ type: 'query', id: 1, rrname: 'a.example', rrtype: 'A' }),
      v1({ version: 3, type: 'request', id: 1, queries: [{ rrname: 'a.example', rrtype: 'A' }] }),
    ].join('\n');
    expect(decodeText(eveFormat, text)).toEqual([]);
  });

  it('reads SRV objects as their target and drops OPT pseudo-records', () => {
    const text = v2({
      rrname: '_sip._udp.sip.voice.google.com', rrtype: 'SRV',
      answers: [{ rrname: '_sip._udp.sip.voice.google.com', rrtype: 'SRV', ttl: 300, srv: { priority: 20, weight: 1, port: 5060, name: 'sip-anycast-2.voice.google.com' } }],
      additionals: [{ rrname: '', rrtype: 'OPT', opt: [] }],
    });
    const [seen] = observationsOf(decodeText(eveFormat, text));
    expect(seen!.answers).toEqual([{ name: '_sip._udp.sip.voice.google.com', type: 'SRV', data: 'sip-anycast-2.voice.google.com', ttl: 300 }]);
    expect(seen!.additional).toEqual([]);
  });

  it('takes the client from the port-53 side, else from the logging direction', () => {
    const swapped = v2({}, { src_ip: '8.8.8.8', src_port: 53, dest_ip: '10.16.1.11', dest_port: 54888 });
    const noPorts = v2({}, { src_port: undefined, dest_port: undefined });
    expect(observationsOf(decodeText(eveFormat, `${swapped}\n${noPorts}`)).map((o) => o.client)).toEqual(['10.16.1.11', '10.16.1.11']);
  });

  it('reads timestamps with offsets to the microsecond', () => {
    const text = v2({}, { timestamp: '2016-05-26T11:24:34.170604+0200' });
    expect(observationsOf(decodeText(eveFormat, text))[0]!.ts).toBeCloseTo(Date.UTC(2016, 4, 26, 9, 24, 34) / 1000 + 0.170604, 6);
  });
});
