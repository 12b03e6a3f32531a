/**
 * The JSON form's two halves against dns-packet as the oracle: the parameters
 * become the wire query they stand for (or a 400 reason), and an answer
 * becomes the public resolvers' shape with every name in the one text rule.
 */
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { answerJson, jsonQuery } from './doh-json.js';

const params = (text: string): URLSearchParams => new URLSearchParams(text);

describe('jsonQuery', () => {
  it('makes a wire query with RD, the type (mnemonic in any case or number), CD and DO', () => {
    const plain = packet.decode(jsonQuery(params('name=Example.COM&type=aaaa')) as Buffer);
    expect(plain).toMatchObject({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ name: 'example.com', type: 'AAAA', class: 'IN' }] });
    expect(packet.decode(jsonQuery(params('name=example.com.')) as Buffer).questions?.[0]?.type).toBe('A');
    expect(packet.decode(jsonQuery(params('name=example.com&type=15')) as Buffer).questions?.[0]?.type).toBe('MX');
    const flagged = packet.decode(jsonQuery(params('name=example.com&cd=1&do=true')) as Buffer);
    expect(flagged.flags! & packet.CHECKING_DISABLED).toBe(packet.CHECKING_DISABLED);
    const opt = flagged.additionals?.[0] as unknown as { type: string; flags: number; udpPayloadSize: number };
    expect(opt).toMatchObject({ type: 'OPT', udpPayloadSize: 4096 });
    expect(opt.flags & packet.DNSSEC_OK).toBe(packet.DNSSEC_OK);
    expect(packet.decode(jsonQuery(params('name=example.com&do=0&cd=false')) as Buffer).additionals).toEqual([]);
  });

  it('reads any RFC 1035 spelling of the name', () => {
    const q = packet.decode(jsonQuery(params(`name=${encodeURIComponent('fx\\032space.test')}`)) as Buffer);
    // dns-packet prints the bytes raw: the space is one byte of the label.
    expect(q.questions?.[0]?.name).toBe('fx space.test');
  });

  it.each([
    ['no name', '', /name= is required/],
    ['an empty label', 'name=a..test', /not a domain name/],
    ['a label over 63 octets', `name=${'a'.repeat(64)}.test`, /not a domain name/],
    ['an unknown type', 'name=a.test&type=BOGUS', /type=/],
    ['type 0', 'name=a.test&type=0', /type=/],
    ['type over 65535', 'name=a.test&type=65536', /type=/],
    ['a bad cd', 'name=a.test&cd=2', /cd must be/],
    ['a bad do', 'name=a.test&do=yes', /do must be/],
  ])('refuses %s with a reason', (_what, text, reason) => {
    expect(jsonQuery(params(text))).toMatch(reason);
  });
});

describe('answerJson', () => {
  it('gives the public resolvers shape: flags, Question, Answer with TTL and data, OPT left out', () => {
    const answer = packet.encode({
      type: 'response',
      id: 7,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | packet.AUTHENTIC_DATA,
      questions: [{ type: 'A', name: 'www.Example.test', class: 'IN' }],
      answers: [
        { type: 'CNAME', name: 'www.example.test', ttl: 300, data: 'edge.example.test' },
        { type: 'A', name: 'edge.example.test', ttl: 60, data: '192.0.2.1' },
      ],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer],
    });
    expect(answerJson(answer)).toEqual({
      Status: 0,
      TC: false,
      RD: true,
      RA: true,
      AD: true,
      CD: false,
      Question: [{ name: 'www.example.test.', type: 1 }],
      Answer: [
        { name: 'www.example.test.', type: 5, TTL: 300, data: 'edge.example.test.' },
        { name: 'edge.example.test.', type: 1, TTL: 60, data: '192.0.2.1' },
      ],
    });
  });

  it('writes MX, SRV, SOA, TXT and AAAA data in presentation form, other types as RFC 3597', () => {
    const answer = packet.encode({
      type: 'response',
      id: 0,
      flags: packet.RECURSION_DESIRED,
      questions: [{ type: 'TXT', name: 'a.test', class: 'IN' }],
      answers: [
        { type: 'MX', name: 'a.test', ttl: 1, data: { preference: 10, exchange: 'mail.a.test' } },
        { type: 'SRV', name: '_sip._udp.a.test', ttl: 1, data: { priority: 1, weight: 2, port: 5060, target: 'sip.a.test' } },
        { type: 'TXT', name: 'a.test', ttl: 1, data: ['v=spf1 -all', 'say "hi"\\'] },
        { type: 'AAAA', name: 'a.test', ttl: 1, data: '2001:db8:0:0:0:0:0:1' },
        { type: 'SSHFP', name: 'a.test', ttl: 1, data: { algorithm: 1, hash: 1, fingerprint: 'ab'.repeat(20) } },
      ],
      authorities: [{ type: 'SOA', name: 'a.test', ttl: 5, data: { mname: 'ns.a.test', rname: 'hostmaster.a.test', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } }],
    });
    const json = answerJson(answer)!;
    expect(json.Answer?.map((r) => r.data)).toEqual(['10 mail.a.test.', '1 2 5060 sip.a.test.', '"v=spf1 -all" "say \\034hi\\034\\092"', '2001:db8::1', `\\# 22 0101${'ab'.repeat(20)}`]);
    expect(json.Authority).toEqual([{ name: 'a.test.', type: 6, TTL: 5, data: 'ns.a.test. hostmaster.a.test. 7 1 2 3 4' }]);
    expect(json.Additional).toBeUndefined();
  });

  it('writes every name by the one text rule: specials, spaces and controls as \\DDD', () => {
    const answer = packet.encode({
      type: 'response',
      id: 0,
      // dns-packet writes labels as they are: a raw quote, a raw newline and space, a raw ';'.
      questions: [{ type: 'A', name: 'fx"quote.test', class: 'IN' }],
      answers: [{ type: 'CNAME', name: 'fx"quote.test', ttl: 1, data: '<script>\n x;.test' }],
    });
    const json = answerJson(answer)!;
    expect(json.Question[0]!.name).toBe('fx\\034quote.test.');
    expect(json.Answer?.[0]?.data).toBe('<script>\\010\\032x\\059.test.');
    // JSON.stringify makes the rest safe for the wire: no raw control byte or quote survives into the text.
    expect(JSON.stringify(json)).not.toMatch(/[\u0000-\u001f]/);
  });

  it('gives a blocked answer its rcode as Status, and null for bytes it cannot read', () => {
    const nx = packet.encode({ type: 'response', id: 0, flags: packet.RECURSION_DESIRED | (3 as number), questions: [{ type: 'A', name: 'www.flux.test', class: 'IN' }] });
    expect(answerJson(nx)).toMatchObject({ Status: 3, Question: [{ name: 'www.flux.test.', type: 1 }] });
    expect(answerJson(nx)?.Answer).toBeUndefined();
    expect(answerJson(Buffer.alloc(5))).toBeNull();
    expect(answerJson(nx.subarray(0, nx.length - 2))).toBeNull();
  });
});
