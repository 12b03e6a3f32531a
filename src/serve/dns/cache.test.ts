/**
 * The answer cache alone: TTLs, what is cacheable, the key (everything in a
 * query that changes its answer, issue 12 defect 3) and the byte bound with
 * exact accounting (defect 10). The CD bit against a real validating Unbound
 * is in test/integration/dnssec-cd-cache.test.ts.
 */
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerCache, ENTRY_OVERHEAD } from './cache.js';
import { newQueryInfo, readQuery, type QueryInfo } from './wire.js';

interface Variant {
  type?: packet.RecordType;
  flags?: number;
  edns?: boolean;
  dnssecOk?: boolean;
  version?: number;
  options?: { code: number; data: Buffer }[];
}

function query(name: string, v: Variant = {}): Buffer {
  const bytes = packet.encode({
    type: 'query',
    id: 4242,
    flags: v.flags ?? packet.RECURSION_DESIRED,
    questions: [{ type: v.type ?? 'A', name, class: 'IN' }],
    additionals:
      v.edns === true
        ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: v.dnssecOk === true ? packet.DNSSEC_OK : 0, options: v.options ?? [] } as packet.Answer]
        : [],
  });
  if (v.version !== undefined) {
    const q = read(bytes);
    bytes[q.questionEnd + 6] = v.version;
  }
  return bytes;
}

function read(bytes: Buffer): QueryInfo {
  const q = newQueryInfo();
  expect(readQuery(bytes, bytes.length, q)).toBeNull();
  return q;
}

function answer(name: string, ttls: number[], rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR', txt = 0): Buffer {
  return packet.encode({
    type: 'response',
    id: 4242,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ type: 'A', name, class: 'IN' }],
    answers:
      rcode === 'NXDOMAIN'
        ? []
        : [
            ...ttls.map((ttl, i) => ({ type: 'A' as const, name, ttl, data: `192.0.2.${i + 1}` })),
            ...(txt > 0 ? [{ type: 'TXT' as const, name, ttl: ttls[0]!, data: Array.from({ length: Math.ceil(txt / 255) }, () => 'x'.repeat(255)) }] : []),
          ],
    authorities:
      rcode === 'NXDOMAIN'
        ? [{ type: 'SOA', name: 'test', ttl: ttls[0]!, data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }]
        : [],
  });
}

/** An answer to exactly this question (any type), one record. */
function answerTo(queryBytes: Buffer): Buffer {
  const question = packet.decode(queryBytes).questions![0]!;
  return packet.encode({ type: 'response', id: 1, flags: 0x8180, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }] });
}

/** Stores `answerBytes` as the answer to `queryBytes`. */
function store(cache: AnswerCache, queryBytes: Buffer, answerBytes: Buffer, now = 0): boolean {
  const q = read(queryBytes);
  return cache.store(AnswerCache.key(queryBytes, q), answerBytes, queryBytes, q, now);
}

function lookup(cache: AnswerCache, queryBytes: Buffer, now = 1): Buffer | null {
  const q = read(queryBytes);
  return cache.answer(AnswerCache.key(queryBytes, q), queryBytes, q, now);
}

/** What the cache counts an answer with `records` TTL fields as. */
function cost(answerBytes: Buffer, records: number): number {
  return answerBytes.length + records * 8 + ENTRY_OVERHEAD;
}

const MiB = 1 << 20;

describe('AnswerCache: TTLs and what is cacheable', () => {
  const ask = query('a.test');

  it('serves an answer until its smallest TTL runs out, with aged TTLs', () => {
    const cache = new AnswerCache(MiB, 16_384, 86400);
    expect(store(cache, ask, answer('a.test', [30, 50]), 1_000_000)).toBe(true);
    const hit = lookup(cache, ask, 1_000_000 + 10_500);
    const decoded = packet.decode(hit!);
    expect(decoded.id).toBe(4242);
    expect(decoded.answers?.map((a) => (a as { ttl?: number }).ttl)).toEqual([20, 40]);
    expect(lookup(cache, ask, 1_000_000 + 30_000)).toBeNull();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('caches NXDOMAIN by its SOA TTL, never SERVFAIL, TC or TTL 0, and caps TTLs', () => {
    const cache = new AnswerCache(MiB, 16_384, 20);
    expect(store(cache, ask, answer('a.test', [100], 'NXDOMAIN'))).toBe(true);
    expect(lookup(cache, ask, 19_000)).not.toBeNull();
    expect(lookup(cache, ask, 20_000)).toBeNull();
    const servfail = answer('a.test', [100]);
    servfail[3] = (servfail[3]! & 0xf0) | 2;
    expect(store(cache, ask, servfail)).toBe(false);
    const truncated = answer('a.test', [100]);
    truncated[2] = truncated[2]! | 2;
    expect(store(cache, ask, truncated)).toBe(false);
    expect(store(cache, ask, answer('a.test', [0, 10]))).toBe(false);
    expect(new AnswerCache(0, 16_384, 100).store(1, answer('a.test', [60]), ask, read(ask), 0)).toBe(false);
  });

  it("answers in the client's letter case and ID", () => {
    const cache = new AnswerCache(MiB, 16_384, 86400);
    store(cache, ask, answer('a.test', [60]));
    const upper = query('A.Test');
    const hit = lookup(cache, upper);
    const uq = read(upper);
    expect(hit?.subarray(12, uq.questionEnd)).toEqual(upper.subarray(12, uq.questionEnd));
  });
});

describe('AnswerCache: the key holds everything that changes an answer', () => {
  const base = query('a.test');

  it.each<[string, Variant]>([
    ['another type', { type: 'AAAA' }],
    ['CD=1 (checking disabled: possibly bogus DNSSEC data)', { flags: packet.RECURSION_DESIRED | packet.CHECKING_DISABLED }],
    ['AD=1 (asks for the AD bit)', { flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA }],
    ['RD=0 (no recursion)', { flags: 0 }],
    ['EDNS', { edns: true }],
    ['EDNS with DO', { edns: true, dnssecOk: true }],
    ['EDNS version 1', { edns: true, version: 1 }],
    ['a client subnet', { edns: true, options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) }] }],
  ])('never serves the plain query\'s answer to %s, nor the other way round', (_what, variant) => {
    const other = query('a.test', variant);
    const cache = new AnswerCache(MiB, 16_384, 86400);
    expect(store(cache, base, answerTo(base))).toBe(true);
    expect(lookup(cache, other)).toBeNull();
    const reverse = new AnswerCache(MiB, 16_384, 86400);
    expect(store(reverse, other, answerTo(other))).toBe(true);
    expect(lookup(reverse, base)).toBeNull();
    expect(lookup(reverse, other)).not.toBeNull();
    // Even when two queries land on one slot, the stored variant is compared in full.
    const slot = new AnswerCache(MiB, 16_384, 86400);
    slot.store(7, answerTo(other), other, read(other), 0);
    expect(slot.answer(7, base, read(base), 1)).toBeNull();
    expect(slot.answer(7, other, read(other), 1)).not.toBeNull();
  });

  it('an answer fetched with CD=1 is never served to a CD=0 client, with or without DO', () => {
    const cache = new AnswerCache(MiB, 16_384, 86400);
    for (const dnssecOk of [false, true]) {
      const cd = query('bogus.test', { flags: packet.RECURSION_DESIRED | packet.CHECKING_DISABLED, edns: true, dnssecOk });
      expect(store(cache, cd, answer('bogus.test', [300]))).toBe(true);
      expect(lookup(cache, cd)).not.toBeNull();
      expect(lookup(cache, query('bogus.test', { edns: true, dnssecOk }))).toBeNull();
      expect(lookup(cache, query('bogus.test'))).toBeNull();
    }
  });

  it('shares one answer between letter cases, UDP sizes, cookies and padding', () => {
    const cache = new AnswerCache(MiB, 16_384, 86400);
    const first = query('a.test', { edns: true, options: [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') }] });
    expect(store(cache, first, answer('a.test', [60]))).toBe(true);
    const other = query('A.TEST', { edns: true, options: [{ code: 10, data: Buffer.from('fedcba9876543210', 'hex') }, { code: 12, data: Buffer.alloc(20) }] });
    other.writeUInt16BE(4096, read(other).questionEnd + 3);
    expect(lookup(cache, other)).not.toBeNull();
    const subnet = [{ code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) }];
    expect(store(cache, query('s.test', { edns: true, options: subnet }), answer('s.test', [60]))).toBe(true);
    expect(lookup(cache, query('s.test', { edns: true, options: subnet }))).not.toBeNull();
    expect(lookup(cache, query('s.test', { edns: true, options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 198, 51, 100]) }] }))).toBeNull();
  });
});

describe('AnswerCache: bounded in bytes, counted exactly', () => {
  it('counts every entry as its answer, its TTL table and ENTRY_OVERHEAD, and gives them back', () => {
    const cache = new AnswerCache(MiB, 16_384, 86400);
    let expected = 0;
    for (let i = 0; i < 20; i++) {
      const a = answer(`n${i}.test`, [60, 60, 60].slice(0, 1 + (i % 3)), 'NOERROR', i * 40);
      expect(store(cache, query(`n${i}.test`), a)).toBe(true);
      expected += cost(a, 1 + (i % 3) + (i > 0 ? 1 : 0));
      expect(cache.bytes).toBe(expected);
    }
    // Replacing an answer counts the new one instead of both.
    const replacement = answer('n0.test', [30]);
    store(cache, query('n0.test'), replacement);
    expected += cost(replacement, 1) - cost(answer('n0.test', [60]), 1);
    expect(cache.bytes).toBe(expected);
    // An expired answer found by a lookup gives its bytes back.
    expect(lookup(cache, query('n0.test'), 31_000)).toBeNull();
    expected -= cost(replacement, 1);
    expect(cache.bytes).toBe(expected);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  it('answers of 57 KB (the issue) stay under the bound: the oldest make room, each counted', () => {
    const big = (name: string): Buffer => answer(name, [3600], 'NOERROR', 57_000);
    const nameOf = (i: number): string => `n${String(i).padStart(5, '0')}.test`;
    const sample = big(nameOf(0));
    expect(sample.length).toBeGreaterThan(57_000);
    const maxBytes = 4 * MiB;
    const cache = new AnswerCache(maxBytes, 65_535, 86400);
    const perEntry = cost(sample, 2);
    const fits = Math.floor(maxBytes / perEntry);
    for (let i = 0; i < 35_000; i += 100) {
      // Every hundredth name: 350 answers of 57 KB are enough to fill a 4 MiB bound many times over.
      const name = nameOf(i);
      expect(store(cache, query(name), big(name))).toBe(true);
      expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(cache.size).toBe(fits);
    expect(cache.bytes).toBe(fits * perEntry);
    expect(cache.stats.evictions).toBe(350 - fits);
    // The newest are kept, the oldest went first.
    expect(lookup(cache, query(nameOf(34_900)))).not.toBeNull();
    expect(lookup(cache, query(nameOf(0)))).toBeNull();
  });

  it('never caches an answer over the per-answer cap, and counts it', () => {
    const cache = new AnswerCache(64 * MiB, 16_384, 86400);
    expect(store(cache, query('big.test'), answer('big.test', [60], 'NOERROR', 57_000))).toBe(false);
    expect(cache.stats.tooLarge).toBe(1);
    expect(cache.bytes).toBe(0);
    expect(store(cache, query('small.test'), answer('small.test', [60], 'NOERROR', 10_000))).toBe(true);
  });

  it('holds its bound and its exact count under any sequence of stores, lookups and expiries (property)', () => {
    const op = fc.record({ name: fc.integer({ min: 0, max: 30 }), size: fc.integer({ min: 0, max: 3000 }), ttl: fc.integer({ min: 1, max: 20 }), at: fc.integer({ min: 0, max: 30_000 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 2_000, max: 40_000 }), (ops, maxBytes) => {
        const cache = new AnswerCache(maxBytes, 16_384, 86400);
        const sizes = new Map<number, number>();
        for (const { name, size, ttl, at } of ops) {
          const a = answer(`n${name}.test`, [ttl], 'NOERROR', size);
          if (store(cache, query(`n${name}.test`), a, at)) sizes.set(name, cost(a, size > 0 ? 2 : 1));
          lookup(cache, query(`n${(name * 7) % 31}.test`), at);
          expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
        }
        // What the cache still answers (before anything expires) is exactly what it counts.
        let live = 0;
        for (const [name, bytes] of sizes) if (lookup(cache, query(`n${name}.test`), -Infinity) !== null) live += bytes;
        expect(cache.bytes).toBe(live);
      }),
      { numRuns: 200 },
    );
  });
});
