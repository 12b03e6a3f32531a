/** The message writer, with dns-packet as the oracle; the round trip through fluxhound's own decoder is in src/corpus/writers/binary-writers.test.ts. */
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { FLAG_QR, FLAG_RA, FLAG_RD, TYPE, WireError } from './constants.js';
import { writeMessage } from './message-writer.js';
import { rcodeCode, typeCode } from './mnemonics.js';

const rr = (name: string, type: string, data: string, ttl = 60) => ({ name, type, data, ttl });

describe('writeMessage', () => {
  const bytes = writeMessage({
    id: 0x1234,
    flags: FLAG_QR | FLAG_RD | FLAG_RA,
    rcode: 3,
    qname: 'WWW.Example.com',
    qtype: TYPE.A,
    answers: [rr('www.example.com', 'CNAME', 'edge.example.com', 300), rr('edge.example.com', 'A', '192.0.2.1'), rr('edge.example.com', 'AAAA', '2001:db8::1')],
    authority: [rr('example.com', 'NS', 'ns1.example.net', 3600), rr('example.com', 'SOA', 'ns1.example.net hostmaster.example.com 1 7200 3600 1209600 300')],
    additional: [rr('ns1.example.net', 'A', '198.51.100.53'), rr('example.com', 'TXT', 'v=spf1 -all'), rr('mx.example.com', 'MX', 'mail.example.com')],
    ednsSize: 1232,
  });
  interface Loose {
    name: string;
    type: string;
    ttl?: number;
    data?: unknown;
    udpPayloadSize?: number;
  }
  const decoded = packet.decode(Buffer.from(bytes)) as unknown as { id: number; questions: unknown[]; answers: Loose[]; authorities: Loose[]; additionals: Loose[] };

  it('writes the header, question and every section as dns-packet reads them', () => {
    expect(decoded.id).toBe(0x1234);
    // QR, RD, RA and rcode 3 (NXDOMAIN) in the second header word.
    expect([bytes[2], bytes[3]]).toEqual([(FLAG_QR | FLAG_RD) >> 8, (FLAG_RA & 0xff) | 3]);
    expect(decoded.questions).toEqual([{ name: 'WWW.Example.com', type: 'A', class: 'IN' }]);
    // Names compressed into the question's come back spelled as asked: DNS compares them without case.
    const lower = (x: unknown) => (typeof x === 'string' ? x.toLowerCase() : x);
    expect(decoded.answers.map((a) => [lower(a.name), a.type, a.ttl, lower(a.data)])).toEqual([
      ['www.example.com', 'CNAME', 300, 'edge.example.com'],
      ['edge.example.com', 'A', 60, '192.0.2.1'],
      ['edge.example.com', 'AAAA', 60, '2001:db8::1'],
    ]);
    expect(decoded.authorities[1]!.data).toMatchObject({ mname: 'ns1.example.net', rname: 'hostmaster.Example.com', serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 });
    const [glue, txt, mx, opt] = decoded.additionals;
    expect(glue!.data).toBe('198.51.100.53');
    expect((txt!.data as Buffer[]).map(String)).toEqual(['v=spf1', '-all']);
    expect(mx!.data).toEqual({ preference: 10, exchange: 'mail.Example.com' });
    expect(opt).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });

  it('compresses names against every earlier suffix, case-insensitively', () => {
    // www.example.com (the first answer's owner) points at the question's name, written as asked.
    expect([...bytes.subarray(33, 35)]).toEqual([0xc0, 12]);
  });

  it.each([
    [rr('a.test', 'A', '300.1.1.1'), /not an IPv4 address/],
    [rr('a.test', 'AAAA', '192.0.2.1'), /not an IPv6 address/],
    [rr('a.test', 'WKS', 'data'), /no wire form for WKS data/],
    [rr('a.test', 'BOGUS', ''), /unknown type 'BOGUS'/],
    [rr('a..test', 'A', '192.0.2.1'), /empty label/],
    [rr('a.test', 'SOA', 'ns1 host 1 2 3'), /SOA data/],
  ])('refuses %j with a WireError', (record, reason) => {
    expect(() => writeMessage({ id: 1, flags: FLAG_QR, rcode: 0, qname: 'a.test', qtype: 1, answers: [record] })).toThrow(WireError);
    expect(() => writeMessage({ id: 1, flags: FLAG_QR, rcode: 0, qname: 'a.test', qtype: 1, answers: [record] })).toThrow(reason);
  });
});

describe('typeCode and rcodeCode', () => {
  it.each([['A', 1], ['AAAA', 28], ['HTTPS', 65], ['TYPE65534', 65534], ['TYPE65536', null], ['TYPE01', null], ['aaaa', null]])('type %s', (name, code) => {
    expect(typeCode(name)).toBe(code);
  });
  it.each([['NOERROR', 0], ['NXDOMAIN', 3], ['NOTZONE', 10], ['RCODE23', 23], ['RCODE0', 0], ['RCODE4096', null], ['nxdomain', null]])('rcode %s', (name, code) => {
    expect(rcodeCode(name)).toBe(code);
  });
});
