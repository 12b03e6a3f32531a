import * as packet from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientAcl } from '../acl.js';
import { ClientRateLimit } from './rate-limit.js';
import { newQueryInfo, queryName, readQuery, sameQuestion, scanTtls } from './wire.js';

function query(name: string, type: packet.RecordType = 'A', edns = false): Buffer {
  return packet.encode({
    type: 'query',
    id: 4242,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: packet.DNSSEC_OK } as packet.Answer] : [],
  });
}

function answer(name: string, ttls: number[]): Buffer {
  return packet.encode({
    type: 'response',
    id: 4242,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name, class: 'IN' }],
    answers: ttls.map((ttl, i) => ({ type: 'A', name, ttl, data: `192.0.2.${i + 1}` })),
  });
}

describe('readQuery', () => {
  it('reads the question, lower-cased, and the EDNS size and DO bit', () => {
    const q = newQueryInfo();
    const bytes = query('WWW.Example.TEST', 'AAAA', true);
    expect(readQuery(bytes, bytes.length, q)).toBeNull();
    expect(q).toMatchObject({ id: 4242, qtype: 28, qclass: 1, udpSize: 1232, edns: 3 });
    expect(queryName(bytes, q)).toBe('www.example.test');
    const plain = query('a.test');
    expect(readQuery(plain, plain.length, q)).toBeNull();
    expect(q).toMatchObject({ udpSize: 512, edns: 0 });
    expect(queryName(plain, q)).toBe('a.test');
  });

  it('escapes a dot inside a label so that one label never equals two', () => {
    const bytes = Buffer.concat([query('x.test').subarray(0, 12), Buffer.from([3, 0x61, 0x2e, 0x62, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1])]);
    const q = newQueryInfo();
    expect(readQuery(bytes, bytes.length, q)).toBeNull();
    expect(queryName(bytes, q)).toBe('a\\046b.test');
    const mixed = Buffer.concat([query('x.test').subarray(0, 12), Buffer.from([3, 0x41, 0x2e, 0x42, 2, 0x00, 0x5a, 0, 0, 1, 0, 1])]);
    expect(readQuery(mixed, mixed.length, q)).toBeNull();
    expect(queryName(mixed, q)).toBe('a\\046b.\\000z');
  });

  it('reads any plain name as its lower-case text (property)', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), (labels) => {
        const bytes = query(labels.join('.'));
        const q = newQueryInfo();
        expect(readQuery(bytes, bytes.length, q)).toBeNull();
        expect(queryName(bytes, q)).toBe(labels.join('.').toLowerCase());
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['short header', Buffer.alloc(5), 'header'],
    ['a response', answer('a.test', [5]), 'response'],
    ['no question', Buffer.from('000100000000000000000000', 'hex'), 'qdcount'],
    ['a compressed question', Buffer.from('0001000000010000000000000c0c00010001', 'hex'), 'question'],
    ['a truncated question', query('abc.test').subarray(0, 20), 'question'],
    ['an update (opcode 5)', Buffer.from('000128000001000000000000000006000100', 'hex'), 'opcode'],
  ])('rejects %s', (_what, bytes, reason) => {
    expect(readQuery(bytes, bytes.length, newQueryInfo())).toBe(reason);
  });
});

describe('scanTtls and sameQuestion', () => {
  it('finds every TTL except the OPT pseudo-record', () => {
    const bytes = answer('a.test', [30, 5, 60]);
    const q = newQueryInfo();
    readQuery(query('a.test'), query('a.test').length, q);
    expect(scanTtls(bytes, bytes.length, q.questionEnd)).toMatchObject({ ttls: [30, 5, 60], min: 5 });
    expect(scanTtls(bytes, bytes.length - 3, q.questionEnd)).toBeNull();
  });

  it('matches questions case-insensitively in the name only', () => {
    const a = query('a.test');
    const b = query('A.TEST');
    expect(sameQuestion(a, b, a.length)).toBe(true);
    expect(sameQuestion(a, query('b.test'), a.length)).toBe(false);
    expect(sameQuestion(a, query('a.test', 'AAAA'), a.length)).toBe(false);
  });
});

describe('ClientAcl', () => {
  it('allows the listed networks only, IPv4, IPv6 and IPv4-mapped', () => {
    const acl = new ClientAcl(['127.0.0.0/8', '::1/128', '10.1.0.0/16', '2001:db8::/32']);
    expect(acl.allows('127.0.0.1')).toBe(true);
    expect(acl.allows('::ffff:127.0.0.5')).toBe(true);
    expect(acl.allows('10.1.200.3')).toBe(true);
    expect(acl.allows('10.2.0.1')).toBe(false);
    expect(acl.allows('::1')).toBe(true);
    expect(acl.allows('2001:db8:5::1')).toBe(true);
    expect(acl.allows('2001:db9::1')).toBe(false);
    expect(acl.allows('8.8.8.8')).toBe(false);
    expect(acl.allows('garbage')).toBe(false);
  });

  it('rejects a bad CIDR in one line', () => {
    expect(() => new ClientAcl(['10.0.0.0/33'])).toThrow(/--allow: '10\.0\.0\.0\/33'/);
    expect(() => new ClientAcl(['example.com'])).toThrow(/--allow/);
  });
});

describe('ClientRateLimit', () => {
  it('allows a burst of one second, then the rate', () => {
    const limit = new ClientRateLimit(5);
    const results = Array.from({ length: 7 }, () => limit.allow('127.0.0.1', 1000));
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(limit.allow('127.0.0.2', 1000)).toBe(true);
    expect(limit.allow('127.0.0.1', 1200)).toBe(true);
    expect(limit.allow('127.0.0.1', 1200)).toBe(false);
    expect(new ClientRateLimit(0).allow('x', 0)).toBe(true);
  });

  it('keeps a bounded table of clients', () => {
    const limit = new ClientRateLimit(1, 100);
    for (let i = 0; i < 1000; i++) limit.allow(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(limit.clients).toBe(100);
  });
});
