/**
 * ResponseConflicts on its own: which pairs of responses are a conflict, and
 * that its memory stays bounded while the counts stay true.
 */
import { describe, expect, it } from 'vitest';
import type { DnsObservation } from '../../model/observation.js';
import { MAX_QUERIES, ResponseConflicts, WINDOW } from './conflicts.js';

const T0 = 1700000000;

function response(ts: number, addresses: string[], options: { ttl?: number; rcode?: string; client?: string | null } = {}): DnsObservation {
  return {
    ts: T0 + ts,
    qname: 'www.news.example',
    qtype: 'A',
    rcode: options.rcode ?? 'NOERROR',
    client: options.client === undefined ? '192.0.2.10' : options.client,
    answers: addresses.map((data) => ({ name: 'www.news.example', type: 'A', ttl: options.ttl ?? 300, data })),
    authority: [],
    additional: [],
    count: 1,
    firstSeen: T0 + ts,
  };
}

describe('ResponseConflicts: TTL-0 answers', () => {
  it('exempts only two non-empty answer sets all at TTL 0', () => {
    const r = new ResponseConflicts();
    expect(r.check(response(0, ['10.2.0.1'], { ttl: 0 }), 40001, 9)).toBe(false);
    expect(r.check(response(0.2, ['10.2.0.2'], { ttl: 0 }), 40001, 9)).toBe(false);
    expect(r.conflicts).toBe(0);
  });

  it('marks an empty answer (NXDOMAIN, NODATA) racing a TTL-0 answer, in either order', () => {
    const r = new ResponseConflicts();
    const nx = response(0, [], { rcode: 'NXDOMAIN' });
    expect(r.check(nx, 40001, 9)).toBe(false);
    const real = response(0.1, ['10.2.0.1'], { ttl: 0 });
    expect(r.check(real, 40001, 9)).toBe(true);
    expect(real.conflict).toBe(true);
    expect(r.check(response(0, ['10.2.0.1'], { ttl: 0 }), 40002, 9)).toBe(false);
    expect(r.check(response(0.1, [], { rcode: 'NOERROR' }), 40002, 9)).toBe(true);
    expect(r.conflicts).toBe(2);
  });
});

describe('ResponseConflicts: keys and memory', () => {
  it('keys by the asker given, or the observation client; none is never a conflict', () => {
    const r = new ResponseConflicts();
    expect(r.check(response(0, ['10.0.0.1'], { client: null }), 40001, 9)).toBe(false);
    expect(r.check(response(0.1, ['10.0.0.2'], { client: null }), 40001, 9)).toBe(false);
    expect(r.check(response(0, ['10.0.0.1'], { client: null }), 40001, 9, '198.51.100.53')).toBe(false);
    expect(r.check(response(0.1, ['10.0.0.2'], { client: null }), 40001, 9, '198.51.100.53')).toBe(true);
    expect(r.check(response(0.1, ['10.0.0.3']), 40001, 9)).toBe(false);
    expect(r.conflicts).toBe(1);
  });

  it('forgets queries past the window and reuses their room; stays at MAX_QUERIES, the oldest going first', () => {
    const r = new ResponseConflicts();
    for (let i = 0; i < 3000; i++) r.check(response(0, ['10.0.0.1']), 1024 + i, 1);
    expect(r.size).toBe(3000);
    // Past the window every earlier query is forgotten: a different answer is no conflict.
    expect(r.check(response(WINDOW + 1, ['10.0.0.9']), 1024, 1)).toBe(false);
    expect(r.size).toBe(1);
    for (let i = 0; i < MAX_QUERIES + 10; i++) r.check(response(WINDOW + 2, ['10.0.0.1']), 1024 + (i % 60000), 2 + Math.floor(i / 60000));
    expect(r.size).toBe(MAX_QUERIES);
    // The first of them was pushed out; the newest still conflicts.
    expect(r.check(response(WINDOW + 2, ['10.0.0.9']), 1024, 1)).toBe(false);
    expect(r.check(response(WINDOW + 2, ['10.0.0.9']), 1024 + ((MAX_QUERIES + 9) % 60000), 3)).toBe(true);
    expect(r.size).toBe(MAX_QUERIES);
    expect(r.conflicts).toBe(1);
  });
});

describe('ResponseConflicts: its index against a plain model', () => {
  it('answers as a Map of the remembered queries would, through growth, expiry, eviction and re-answered queries', () => {
    const r = new ResponseConflicts();
    const model = new QueryModel();
    const random = seeded(12345);
    let ts = 0;
    let conflicts = 0;
    let wrong = 0;
    let largest = 0;
    for (let i = 0; i < 200_000; i++) {
      // Bursts of many queries within the window (past MAX_QUERIES), then quiet stretches that expire them.
      ts += i % 100_000 < 80_000 ? 0.00005 : 0.001;
      const port = 1024 + random(6000);
      const id = random(40);
      const answer = `10.0.0.${random(3)}`;
      const expected = model.answer(`${port}/${id}`, T0 + ts, answer);
      if (expected) conflicts++;
      if (r.check(response(ts, [answer]), port, id) !== expected || r.size !== model.size) wrong++;
      largest = Math.max(largest, model.size);
    }
    expect(wrong).toBe(0);
    expect(largest).toBe(MAX_QUERIES);
    expect(r.conflicts).toBe(conflicts);
    expect(conflicts).toBeGreaterThan(1000);
  });
});

describe('ResponseConflicts: out-of-order capture times', () => {
  it('answers as the plain model when times step back, leaving stale queries behind newer ones (dead slots in its ring)', () => {
    const r = new ResponseConflicts();
    const model = new QueryModel();
    const random = seeded(777);
    let clock = 0;
    let wrong = 0;
    let conflicts = 0;
    let largest = 0;
    for (let i = 0; i < 300_000; i++) {
      // Mostly forward; one in eight steps back up to 8 s; bursts fill the table past MAX_QUERIES.
      clock += i % 150_000 < 100_000 ? 0.00002 : 0.002;
      const ts = random(8) === 0 ? clock - random(8000) / 1000 : clock;
      const port = 1024 + random(i % 150_000 < 100_000 ? 30_000 : 300);
      const id = random(4);
      const answer = `10.0.0.${random(2)}`;
      const expected = model.answer(`${port}/${id}`, T0 + ts, answer);
      if (expected) conflicts++;
      if (r.check(response(ts, [answer]), port, id) !== expected || r.size !== model.size) wrong++;
      largest = Math.max(largest, model.size);
    }
    expect(wrong).toBe(0);
    expect(r.conflicts).toBe(conflicts);
    expect(model.stale).toBeGreaterThan(1000);
    expect(largest).toBe(MAX_QUERIES);
    expect(conflicts).toBeGreaterThan(1000);
  });
});

/**
 * The plain model of ResponseConflicts: query key -> its first response (time,
 * answer) in arrival order, with the same window and cap. Expiry looks at the
 * oldest arrival only; a stale query left behind newer ones (capture times
 * stepping back) is forgotten when answered again, and moves to the end.
 */
class QueryModel {
  private readonly queries = new Map<string, { ts: number; answer: string }>();
  /** Stale queries answered again. */
  stale = 0;

  get size(): number {
    return this.queries.size;
  }

  /** A response at ts: true when it conflicts with the first response to its query. */
  answer(key: string, ts: number, answer: string): boolean {
    for (const [k, v] of this.queries) {
      if (ts - v.ts <= WINDOW) break;
      this.queries.delete(k);
    }
    let seen = this.queries.get(key);
    if (seen !== undefined && ts - seen.ts > WINDOW) {
      this.stale++;
      this.queries.delete(key);
      seen = undefined;
    }
    if (seen !== undefined) return seen.answer !== answer;
    if (this.queries.size >= MAX_QUERIES) this.queries.delete(this.queries.keys().next().value!);
    this.queries.set(key, { ts, answer });
    return false;
  }
}

/**
 * A small seeded generator (an LCG's high bits): random(n) is an integer in
 * [0, n). The corpus's Prng lies above sources in the layers.
 */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
}
