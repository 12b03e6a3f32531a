import { describe, expect, it } from 'vitest';
import { MAX_PENDING_QUERIES, PendingQueries, pendingQuery, QUERY_TIMEOUT, type PendingQuery } from './queries.js';

function query(id: number, clientPort: number, ts = 100): PendingQuery {
  return pendingQuery(ts, id, '10.0.0.1', clientPort, '10.0.0.53', 53, id, `q${id}.example`, 1);
}

describe('pcap: pending queries', () => {
  it('matches every query once, over many more keys than buckets, and keeps a retransmission once', () => {
    const unanswered: number[] = [];
    const table = new PendingQueries((q) => unanswered.push(q.id));
    for (let round = 0; round < 3; round++) {
      for (let id = 0; id < 20_000; id++) {
        table.add(query(id, 1000 + (id & 7)));
        expect(table.answer('10.0.0.1', 1000 + (id & 7), '10.0.0.53', 53, id, `q${id}.example`, 100)?.id).toBe(id);
        expect(table.answer('10.0.0.1', 1000 + (id & 7), '10.0.0.53', 53, id, `q${id}.example`, 100)).toBeUndefined();
      }
    }
    expect(table.empty()).toBe(true);
    table.add(query(5, 1005));
    table.add(query(5, 1005));
    table.add(query(6, 1006));
    expect(table.empty()).toBe(false);
    expect(table.answer('10.0.0.1', 1006, '10.0.0.53', 53, 6, 'q6.example', 100)?.id).toBe(6);
    table.finish();
    expect(unanswered).toEqual([5]);
    expect(table.empty()).toBe(true);
  });

  it('tells apart queries that share a bucket, and answers them in any order', () => {
    const unanswered: number[] = [];
    const table = new PendingQueries((q) => unanswered.push(q.packet));
    // The same id and port: one bucket, told apart by client, server and name.
    const same = (packet: number, client: string, server: string, qname: string) => pendingQuery(100, packet, client, 4000, server, 53, 9, qname, 1);
    table.add(same(1, '10.0.0.1', '10.0.0.53', 'a.example'));
    table.add(same(2, '10.0.0.2', '10.0.0.53', 'a.example'));
    table.add(same(3, '10.0.0.1', '10.0.0.54', 'a.example'));
    table.add(same(4, '10.0.0.1', '10.0.0.53', 'b.example'));
    expect(table.answer('10.0.0.1', 4000, '10.0.0.54', 53, 9, 'a.example', 100)?.packet).toBe(3);
    expect(table.answer('10.0.0.1', 4000, '10.0.0.53', 53, 9, 'b.example', 100)?.packet).toBe(4);
    expect(table.answer('10.0.0.1', 4000, '10.0.0.53', 53, 10, 'a.example', 100)).toBeUndefined();
    table.finish();
    // The rest in the order they came.
    expect(unanswered).toEqual([1, 2]);
  });

  it('gives up queries after the timeout, oldest first, and the oldest when full', () => {
    const unanswered: number[] = [];
    const table = new PendingQueries((q) => unanswered.push(q.id));
    table.add(query(1, 1, 100));
    table.add(query(2, 2, 101));
    table.add(query(3, 3, 102));
    // An answered query in the middle leaves the age order whole.
    expect(table.answer('10.0.0.1', 2, '10.0.0.53', 53, 2, 'q2.example', 102)?.id).toBe(2);
    table.expire(101 + QUERY_TIMEOUT);
    expect(unanswered).toEqual([1]);
    table.expire(102 + QUERY_TIMEOUT);
    expect(unanswered).toEqual([1, 3]);
    expect(table.empty()).toBe(true);

    unanswered.length = 0;
    const full = new PendingQueries((q) => unanswered.push(q.packet));
    for (let i = 0; i <= MAX_PENDING_QUERIES; i++) full.add(pendingQuery(500, i, '10.0.0.1', i & 0xffff, '10.0.0.53', 53, i >>> 16, 'x.example', 1));
    expect(unanswered).toEqual([0]);
  });
});
