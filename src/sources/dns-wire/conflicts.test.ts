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
