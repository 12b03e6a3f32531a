import { describe, expect, it } from 'vitest';
import { emptyBatch } from '../store.js';
import { fromColumns, toColumns } from './batch-columns.js';

describe('batch columns', () => {
  it('carry a batch to the writer thread unchanged: null TTLs, nulls and empty strings in query-log entries, any character in names', () => {
    const batch = emptyBatch();
    batch.tuples.push(
      { name: 'a.test', type: 'A', data: '192.0.2.1', firstSeen: 1.5, lastSeen: 2.25, count: 3, ttl: 60 },
      { name: 'b.test', type: 'NS', data: 'ns.b.test', firstSeen: 10, lastSeen: 10, count: 1, ttl: null },
      { name: 'odd\n\u0000name.test', type: 'CNAME', data: '', firstSeen: 0, lastSeen: 0, count: 1, ttl: 0 },
    );
    batch.domains.push({ name: 'a.test', firstSeen: 1.5, lastSeen: 2.25, queries: 3 }, { name: 'é.test', firstSeen: 4, lastSeen: 5, queries: 2 });
    batch.meta = { serial: '7' };
    batch.queries.push(
      { ts: 1.001, client: '192.0.2.7', customer: 'acme', name: 'a.test', qtype: 'A', action: 'nxdomain', rcode: 'NXDOMAIN', domain: 'test', verdict: 'fast-flux', score: 91.5, rule: 'verdict', reason: 'r "1"\n' },
      { ts: 2, client: '2001:db8::1', customer: null, name: 'odd\\000\u0000.test', qtype: 'TYPE65280', action: 'drop', rcode: null, domain: 'test', verdict: 'suspicious', score: 0, rule: 'denylist', reason: '' },
      { ts: 3, client: '10.0.0.1', customer: '', name: 'p.test', qtype: 'AAAA', action: 'pass', rcode: 'NOERROR', domain: null, verdict: null, score: null, rule: null, reason: null },
    );
    batch.stats.push({ ts: 60, customer: '', queries: 3, blocked: 2, logged: 0 });
    const columns = structuredClone(toColumns(batch));
    expect(fromColumns(columns)).toEqual(batch);
    expect(fromColumns(toColumns(emptyBatch()))).toEqual(emptyBatch());
  });
});
