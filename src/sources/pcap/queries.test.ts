import { describe, expect, it } from 'vitest';
import { PendingQueries, type PendingQuery } from './queries.js';

function query(id: number, clientPort: number, ts = 100): PendingQuery {
  return { ts, packet: id, client: '10.0.0.1', clientPort, server: '10.0.0.53', serverPort: 53, id, qname: `q${id}.example`, qtype: 1, next: null, done: false };
}

describe('pcap: pending queries', () => {
  it('matches queries whose keys were emptied and kept, before and after the emptied keys are dropped', () => {
    const unanswered: number[] = [];
    const table = new PendingQueries((q) => unanswered.push(q.id));
    // More emptied keys than are kept, so they are dropped together at least once.
    for (let round = 0; round < 3; round++) {
      for (let id = 0; id < 6000; id++) {
        table.add(query(id, 1000 + (id & 7)));
        expect(table.answer('10.0.0.1', 1000 + (id & 7), '10.0.0.53', 53, id, `q${id}.example`, 100)?.id).toBe(id);
        expect(table.answer('10.0.0.1', 1000 + (id & 7), '10.0.0.53', 53, id, `q${id}.example`, 100)).toBeUndefined();
      }
    }
    table.add(query(5, 1005));
    table.add(query(5, 1005));
    table.add(query(6, 1006));
    expect(table.answer('10.0.0.1', 1006, '10.0.0.53', 53, 6, 'q6.example', 100)?.id).toBe(6);
    table.finish();
    expect(unanswered).toEqual([5]);
  });
});
