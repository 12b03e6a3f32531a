import { describe, expect, it } from 'vitest';
import { emptyBatch } from '../store.js';
import { fromColumns, toColumns } from './batch-columns.js';

describe('batch columns', () => {
  it('carry a batch to the writer thread unchanged: null TTLs, any character in names', () => {
    const batch = emptyBatch();
    batch.tuples.push(
      { name: 'a.test', type: 'A', data: '192.0.2.1', firstSeen: 1.5, lastSeen: 2.25, count: 3, ttl: 60 },
      { name: 'b.test', type: 'NS', data: 'ns.b.test', firstSeen: 10, lastSeen: 10, count: 1, ttl: null },
      { name: 'odd\n\u0000name.test', type: 'CNAME', data: '', firstSeen: 0, lastSeen: 0, count: 1, ttl: 0 },
    );
    batch.domains.push({ name: 'a.test', firstSeen: 1.5, lastSeen: 2.25, queries: 3 }, { name: 'é.test', firstSeen: 4, lastSeen: 5, queries: 2 });
    batch.meta = { serial: '7' };
    const columns = structuredClone(toColumns(batch));
    expect(fromColumns(columns)).toEqual(batch);
    expect(fromColumns(toColumns(emptyBatch()))).toEqual(emptyBatch());
  });
});
