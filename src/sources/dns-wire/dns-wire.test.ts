import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { canonicalIPv6 } from '../records.js';
import { formatIPv6 } from '../../model/names.js';
import { formatGroups } from './addresses.js';
import { decodeMessage, ipv6Text, observationOf, rcodeName, typeName, WireMessage, type DnsMessage } from './index.js';

/** A response as dns-packet writes it (no name compression). */
function response(extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 0x1234,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: 'WWW.Example.com', class: 'IN' }],
    answers: [
      { type: 'CNAME', name: 'www.example.com', ttl: 300, data: 'edge.Example.NET' },
      { type: 'A', name: 'edge.example.net', ttl: 20, data: '192.0.2.1' },
      { type: 'AAAA', name: 'edge.example.net', ttl: 20, data: '2001:0db8:0:0:0:0:0:0001' },
    ],
    authorities: [{ type: 'NS', name: 'example.net', ttl: 86400, data: 'ns1.example.net' }],
    additionals: [
      { type: 'A', name: 'ns1.example.net', ttl: 86400, data: '198.51.100.53' },
      { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    ],
    ...extra,
  });
}

function decoded(bytes: Uint8Array): DnsMessage {
  const message = decodeMessage(bytes);
  if (typeof message === 'string') throw new Error(message);
  return message;
}

/** Header + question for `a.example` A, with `tail` bytes after it and the given counts. */
function handMade(counts: [number, number, number, number], ...tail: number[]): Uint8Array {
  const [qd, an, ns, ar] = counts;
  return Uint8Array.from([0, 1, 0x81, 0x80, 0, qd, 0, an, 0, ns, 0, ar, ...tail]);
}
const QUESTION = [1, 0x61, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1]; // a.example A IN, at offset 12

describe('dns-wire: decodeMessage', () => {
  it('decodes every section in the model forms, OPT left out', () => {
    const message = decoded(response());
    expect(message).toMatchObject({ id: 0x1234, qr: true, opcode: 0, rcode: 0, truncated: false });
    expect(message.questions).toEqual([{ name: 'www.example.com', type: 1, qclass: 1 }]);
    expect(message.answers).toEqual([
      { name: 'www.example.com', type: 'CNAME', data: 'edge.example.net', ttl: 300 },
      { name: 'edge.example.net', type: 'A', data: '192.0.2.1', ttl: 20 },
      { name: 'edge.example.net', type: 'AAAA', data: '2001:db8::1', ttl: 20 },
    ]);
    expect(message.authority).toEqual([{ name: 'example.net', type: 'NS', data: 'ns1.example.net', ttl: 86400 }]);
    expect(message.additional).toEqual([{ name: 'ns1.example.net', type: 'A', data: '198.51.100.53', ttl: 86400 }]);
  });

  it('hands each section over whole and in order, whatever its size (literals up to four, then a list)', () => {
    const wire = new WireMessage();
    const records = (n: number, base: number): dnsPacket.Answer[] =>
      Array.from({ length: n }, (_, i) => ({ type: 'A', name: `r${i}.example`, ttl: base + i, data: `10.0.${base}.${i}` }));
    for (let an = 0; an <= 7; an++) {
      for (const ns of [0, 4, 5, 6]) {
        const bytes = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'q.example' }], answers: records(an, 1), authorities: records(ns, 2), additionals: records(7 - an, 3) });
        expect(wire.read(bytes, 0, bytes.length)).toBeNull();
        const o = wire.observation(0, null)!;
        const texts = (list: typeof o.answers): string[] => list.map((r) => `${r.name} ${r.data} ${r.ttl}`);
        const want = (n: number, base: number): string[] => Array.from({ length: n }, (_, i) => `r${i}.example 10.0.${base}.${i} ${base + i}`);
        expect([texts(o.answers), texts(o.authority), texts(o.additional)]).toEqual([want(an, 1), want(ns, 2), want(7 - an, 3)]);
        // A second observation of the message gets equal copies, never the same arrays.
        const again = wire.observation(0, null)!;
        expect(again.answers).toEqual(o.answers);
        expect(again.answers).not.toBe(o.answers);
      }
    }
  });

  it('gives the observation of a response, none for a query', () => {
    const observation = observationOf(decoded(response({ flags: 3 })), 1700000000.5, '10.0.0.1');
    expect(observation).toMatchObject({ ts: 1700000000.5, firstSeen: 1700000000.5, qname: 'www.example.com', qtype: 'A', rcode: 'NXDOMAIN', client: '10.0.0.1', count: 1 });
    expect(observation?.answers).toHaveLength(3);
    const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'AAAA', name: 'a.example' }] });
    expect(observationOf(decoded(query), 1, null)).toBeNull();
    expect(observationOf(decoded(handMade([0, 0, 0, 0])), 1, null)).toBeNull();
  });

  it('follows compression pointers and reads SOA, MX, SRV, TXT, PTR, root names', () => {
    // Question a.example at 12; answers point at it (0xc00c) and into it (0xc00e = example).
    const message = decoded(handMade([1, 5, 1, 0], ...QUESTION,
      0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 0x62, 0xc0, 0x0e, // CNAME b.example
      0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 0x0e, // MX 10 example
      0xc0, 0x0c, 0, 33, 0, 1, 0, 0, 0, 60, 0, 8, 0, 1, 0, 2, 0, 53, 0xc0, 0x0e, // SRV 1 2 53 example
      0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 7, 2, 0x68, 0x69, 3, 0x61, 0x22, 0x01, // TXT "hi" "a\"\001"
      0, 0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 0x0c, // root PTR a.example
      0xc0, 0x0e, 0, 6, 0, 1, 0, 0, 0, 60, 0, 23, 0xc0, 0x0c, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff,
    ));
    expect(message.answers).toEqual([
      { name: 'a.example', type: 'CNAME', data: 'b.example', ttl: 60 },
      { name: 'a.example', type: 'MX', data: 'example', ttl: 60 },
      { name: 'a.example', type: 'SRV', data: 'example', ttl: 60 },
      { name: 'a.example', type: 'TXT', data: 'hi a\\034\\001', ttl: 60 },
      { name: '.', type: 'PTR', data: 'a.example', ttl: 60 },
    ]);
    expect(message.authority).toEqual([{ name: 'example', type: 'SOA', data: 'a.example . 1 2 3 4 4294967295', ttl: 60 }]);
  });

  it('writes names in the one name text of src/dns: \\DDD for dots inside labels too, lower-cases ASCII only', () => {
    const label = [0x41, 0x00, 0x20, 0x2e, 0x5c, 0x22, 0xc3, 0x89, 0x7f];
    const message = decoded(handMade([1, 0, 0, 0], label.length, ...label, 0, 0, 1, 0, 1));
    expect(message.questions[0]!.name).toBe('a\\000\\032\\046\\092\\034\\195\\137\\127');
  });

  it('counts a TTL with the sign bit set as 0, drops records whose data does not fit the type', () => {
    const message = decoded(handMade([1, 4, 0, 0], ...QUESTION,
      0xc0, 0x0c, 0, 1, 0, 1, 0x80, 0, 0, 0, 0, 4, 192, 0, 2, 1,
      0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 192, 0, 2, // A of 3 bytes
      0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 1, 0, 3, 0xc0, 0x0c, 0, // NS name shorter than its data
      0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4, // AAAA of 4 bytes
    ));
    expect(message.answers).toEqual([{ name: 'a.example', type: 'A', data: '192.0.2.1', ttl: 0 }]);
  });

  it('rejects hostile names with a reason', () => {
    const cases: [Uint8Array, string][] = [
      [handMade([1, 0, 0, 0], 0xc0, 0x0c, 0, 1, 0, 1), 'question 1 name: pointer not backwards at offset 12'],
      [handMade([1, 0, 0, 0], 0xc0, 0xff, 0, 1, 0, 1), 'question 1 name: pointer not backwards at offset 12'],
      [handMade([1, 0, 0, 0], 0x40, 0, 0, 1), 'question 1 name: bad label type at offset 12'],
      [handMade([1, 0, 0, 0], 5, 0x61), 'question 1 name: truncated label at offset 12'],
      [handMade([1, 0, 0, 0], 1, 0x61), 'question 1 name: truncated at offset 14'],
      [handMade([1, 0, 0, 0], 1, 0x61, 0xc0), 'question 1 name: truncated pointer at offset 14'],
      [handMade([1, 0, 0, 0], ...Array.from({ length: 5 }, () => [63, ...Array<number>(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1), 'question 1 name: name longer than 255 octets at offset 204'],
      [handMade([1, 0, 0, 0], 1, 0x61, 0), 'truncated question 1'],
      [handMade([1, 1, 0, 0], ...QUESTION, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0), 'truncated answer 1'],
      [handMade([1, 0, 1, 0], ...QUESTION, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192), 'truncated authority 1'],
      [handMade([1, 0, 0, 2], ...QUESTION, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0x7f), 'additional 2 name: bad label type at offset 38'],
      [Uint8Array.from([0, 1, 0x81]), 'truncated header'],
    ];
    for (const [bytes, reason] of cases) expect(decodeMessage(bytes)).toBe(reason);
  });

  it('stops a chain of backward pointers after 127 jumps', () => {
    // Answer 1 (unknown type) carries in its data a chain of pointers, each to
    // the one before, the first to the question name; answer 2's owner is the
    // last pointer of the chain.
    const withChain = (links: number) => {
      const chain: number[] = [];
      for (let i = 0; i < links; i++) chain.push(0xc0 | ((i === 0 ? 12 : 31 + 2 * (i - 1)) >> 8), (i === 0 ? 12 : 31 + 2 * (i - 1)) & 255);
      const last = 31 + 2 * (links - 1);
      return handMade([1, 2, 0, 0], 1, 0x61, 0, 0, 1, 0, 1,
        0xc0, 0x0c, 0xff, 0x00, 0, 1, 0, 0, 0, 1, (2 * links) >> 8, (2 * links) & 255, ...chain,
        0xc0 | (last >> 8), last & 255, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 1);
    };
    expect(decoded(withChain(126)).answers[1]).toEqual({ name: 'a', type: 'A', data: '192.0.2.1', ttl: 1 });
    expect(decodeMessage(withChain(200))).toMatch(/^answer 2 name: compression loop at offset \d+$/);
  });

  it('reads a message inside a larger buffer between start and end only', () => {
    const bytes = response();
    const framed = Buffer.concat([Buffer.from([9, 9, 9]), bytes, Buffer.from([7, 7])]);
    expect(decodeMessage(framed, 3, 3 + bytes.length)).toEqual(decodeMessage(bytes));
    expect(decodeMessage(framed, 3, 3 + bytes.length - 1)).toBe('truncated additional 2');
  });
});

describe('dns-wire: mnemonics', () => {
  it('names types and rcodes', () => {
    expect([1, 2, 5, 6, 12, 15, 16, 28, 33, 39, 41, 65, 255, 65534].map(typeName)).toEqual(['A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'DNAME', 'OPT', 'HTTPS', 'ANY', 'TYPE65534']);
    expect([0, 2, 3, 5, 10, 11, 23].map(rcodeName)).toEqual(['NOERROR', 'SERVFAIL', 'NXDOMAIN', 'REFUSED', 'NOTZONE', 'RCODE11', 'RCODE23']);
  });
});

const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,20}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ttl = fc.nat(0x7fffffff);
const record = fc.oneof(
  fc.record({ type: fc.constant('A' as const), name, ttl, data: ipv4 }),
  fc.record({ type: fc.constant('AAAA' as const), name, ttl, data: fc.ipV6() }),
  fc.record({ type: fc.constant('NS' as const), name, ttl, data: name }),
  fc.record({ type: fc.constant('CNAME' as const), name, ttl, data: name }),
);
const packet = fc.record({
  id: fc.nat(0xffff),
  rcode: fc.nat(15),
  qname: name,
  answers: fc.array(record, { maxLength: 8 }),
  authorities: fc.array(record, { maxLength: 4 }),
  additionals: fc.array(record, { maxLength: 4 }),
});
type Generated = { id: number; rcode: number; qname: string; answers: dnsPacket.Answer[]; authorities: dnsPacket.Answer[]; additionals: dnsPacket.Answer[] };
const encode = (g: Generated): Buffer =>
  dnsPacket.encode({ type: 'response', id: g.id, flags: g.rcode, questions: [{ type: 'A', name: g.qname }], answers: g.answers, authorities: g.authorities, additionals: g.additionals });

/** What our decoder must make of a record dns-packet decodes. */
function expected(records: dnsPacket.Answer[] | undefined): unknown[] {
  return (records ?? []).map((r) => {
    const rr = r as { name: string; type: string; ttl: number; data: string };
    const data = rr.type === 'AAAA' ? canonicalIPv6(rr.data) : rr.data.toLowerCase();
    return { name: rr.name.toLowerCase(), type: rr.type, data, ttl: rr.ttl };
  });
}

describe('dns-wire: properties', () => {
  it('writes IPv6 text exactly as formatIPv6 does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff), fc.constantFrom(1, 0x10, 0x100, 0x1000, 0xffff)), { minLength: 8, maxLength: 8 }), (values) => {
        const groups = Uint16Array.from(values);
        const bytes = new Uint8Array(16);
        values.forEach((v, i) => {
          bytes[2 * i] = v >>> 8;
          bytes[2 * i + 1] = v & 255;
        });
        expect(formatGroups(groups)).toBe(formatIPv6(groups));
        expect(ipv6Text(bytes, 0)).toBe(formatIPv6(groups));
        expect(ipv6Text(bytes, 0)).toBe(formatIPv6(groups));
      }),
      { numRuns: 2000 },
    );
  });


  it('agrees with dns-packet on generated responses, field for field', () => {
    fc.assert(
      fc.property(packet, (g) => {
        const bytes = encode(g);
        const ours = decoded(bytes);
        const theirs = dnsPacket.decode(bytes);
        expect(ours.id).toBe(theirs.id);
        expect(ours.rcode).toBe(g.rcode);
        expect(ours.questions[0]!.name).toBe(g.qname.toLowerCase());
        expect(ours.answers).toEqual(expected(theirs.answers));
        expect(ours.authority).toEqual(expected(theirs.authorities));
        expect(ours.additional).toEqual(expected(theirs.additionals));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = decodeMessage(bytes);
        expect(typeof result === 'string' ? result.length : result.questions.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid messages, and what it decodes stays bounded', () => {
    fc.assert(
      fc.property(packet, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), (g, mutations) => {
        const bytes = Uint8Array.from(encode(g));
        for (const [at, value] of mutations) bytes[at % bytes.length] = value;
        const result = decodeMessage(bytes);
        if (typeof result !== 'string') {
          const records = result.answers.length + result.authority.length + result.additional.length;
          expect(records * 11).toBeLessThanOrEqual(bytes.length);
          for (const rr of [...result.answers, ...result.authority, ...result.additional]) expect(rr.name.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives a reason for every truncation of a valid message', () => {
    const bytes = response();
    for (let cut = 0; cut < bytes.length; cut++) {
      const result = decodeMessage(bytes.subarray(0, cut));
      expect(typeof result, `cut at ${cut}`).toBe('string');
    }
    expect(typeof decodeMessage(bytes)).toBe('object');
  });
});
