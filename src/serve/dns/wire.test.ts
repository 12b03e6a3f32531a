import * as packet from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerCache } from './cache.js';
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

function answer(name: string, ttls: number[], rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR'): Buffer {
  return packet.encode({
    type: 'response',
    id: 4242,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ type: 'A', name, class: 'IN' }],
    answers: rcode === 'NXDOMAIN' ? [] : ttls.map((ttl, i) => ({ type: 'A', name, ttl, data: `192.0.2.${i + 1}` })),
    authorities:
      rcode === 'NXDOMAIN'
        ? [{ type: 'SOA', name: 'test', ttl: ttls[0]!, data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }]
        : [],
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

describe('AnswerCache', () => {
  const q = newQueryInfo();
  const ask = query('a.test');
  readQuery(ask, ask.length, q);

  it('serves an answer until its smallest TTL runs out, with aged TTLs', () => {
    const cache = new AnswerCache(10, 86400);
    const key = AnswerCache.key(ask, q);
    expect(cache.store(key, answer('a.test', [30, 50]), q.questionEnd, q.edns, 1_000_000)).toBe(true);
    const hit = cache.answer(key, ask, q, 1_000_000 + 10_500);
    expect(hit).not.toBeNull();
    const decoded = packet.decode(hit!);
    expect(decoded.id).toBe(4242);
    expect(decoded.answers?.map((a) => (a as { ttl?: number }).ttl)).toEqual([20, 40]);
    expect(cache.answer(key, ask, q, 1_000_000 + 30_000)).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('caches NXDOMAIN by its SOA TTL, never SERVFAIL, TC or TTL 0, and caps TTLs', () => {
    const cache = new AnswerCache(10, 20);
    const key = AnswerCache.key(ask, q);
    expect(cache.store(key, answer('a.test', [100], 'NXDOMAIN'), q.questionEnd, q.edns, 0)).toBe(true);
    expect(cache.answer(key, ask, q, 19_000)).not.toBeNull();
    expect(cache.answer(key, ask, q, 20_000)).toBeNull();
    const servfail = answer('a.test', [100]);
    servfail[3] = (servfail[3]! & 0xf0) | 2;
    expect(cache.store(key, servfail, q.questionEnd, q.edns, 0)).toBe(false);
    const truncated = answer('a.test', [100]);
    truncated[2] = truncated[2]! | 2;
    expect(cache.store(key, truncated, q.questionEnd, q.edns, 0)).toBe(false);
    expect(cache.store(key, answer('a.test', [0, 10]), q.questionEnd, q.edns, 0)).toBe(false);
  });

  it('keys by the question, name case aside, and answers in the client\'s case', () => {
    const cache = new AnswerCache(10, 86400);
    cache.store(AnswerCache.key(ask, q), answer('a.test', [60]), q.questionEnd, q.edns, 0);
    const upper = query('A.Test');
    const uq = newQueryInfo();
    readQuery(upper, upper.length, uq);
    expect(AnswerCache.key(upper, uq)).toBe(AnswerCache.key(ask, q));
    const hit = cache.answer(AnswerCache.key(upper, uq), upper, uq, 1);
    expect(hit?.subarray(12, uq.questionEnd)).toEqual(upper.subarray(12, uq.questionEnd));
    const other = query('b.test');
    const oq = newQueryInfo();
    readQuery(other, other.length, oq);
    expect(AnswerCache.key(other, oq)).not.toBe(AnswerCache.key(ask, q));
    const aaaa = query('a.test', 'AAAA');
    const aq = newQueryInfo();
    readQuery(aaaa, aaaa.length, aq);
    expect(AnswerCache.key(aaaa, aq)).not.toBe(AnswerCache.key(ask, q));
    const edns = query('a.test', 'A', true);
    const eq = newQueryInfo();
    readQuery(edns, edns.length, eq);
    expect(AnswerCache.key(edns, eq)).not.toBe(AnswerCache.key(ask, q));
  });

  it('never serves one question\'s answer to another that shares its key', () => {
    const cache = new AnswerCache(10, 86400);
    cache.store(7, answer('a.test', [60]), q.questionEnd, q.edns, 0);
    const other = query('b.test');
    const oq = newQueryInfo();
    readQuery(other, other.length, oq);
    expect(cache.answer(7, other, oq, 1)).toBeNull();
    const edns = query('a.test', 'A', true);
    const eq = newQueryInfo();
    readQuery(edns, edns.length, eq);
    expect(cache.answer(7, edns, eq, 1)).toBeNull();
    expect(cache.answer(7, ask, q, 1)).not.toBeNull();
  });

  it('holds at most maxEntries answers', () => {
    const cache = new AnswerCache(3, 86400);
    for (let i = 0; i < 10; i++) cache.store(i, answer('a.test', [60]), q.questionEnd, q.edns, 0);
    expect(cache.size).toBe(3);
    expect(cache.answer(9, ask, q, 1)).not.toBeNull();
    expect(cache.answer(0, ask, q, 1)).toBeNull();
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
