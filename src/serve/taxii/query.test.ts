import { describe, expect, it } from 'vitest';
import { MAX_PAGE, page, parseQuery, QueryError, select, toRecord, type VersionRecord } from './query.js';

const ALL = new Set(['id', 'type', 'version', 'spec_version'] as const);
const record = (id: string, modified: string, added: number): VersionRecord =>
  toRecord({ object: { type: 'indicator', spec_version: '2.1', id, created: '2026-01-01T00:00:00.000Z', modified }, added });

describe('taxii query: parsing', () => {
  it('defaults to the last version and the server page size', () => {
    const q = parseQuery(new URLSearchParams(''), ALL);
    expect(q).toMatchObject({ versions: ['last'], limit: MAX_PAGE, addedAfter: null, next: null, ids: null });
  });

  it('splits comma lists and repeated parameters alike', () => {
    const q = parseQuery(new URLSearchParams('match[type]=indicator,malware&match[type]=identity'), ALL);
    expect([...q.types!]).toEqual(['indicator', 'malware', 'identity']);
  });

  it.each(['match[id]=x', 'match[type]=x', 'match[version]=all'])('refuses %s where the endpoint does not define it', (query) => {
    expect(() => parseQuery(new URLSearchParams(query), new Set(['spec_version'] as const))).toThrow(QueryError);
  });

  it('refuses a next cursor that is too long or not ours, without echoing it whole', () => {
    expect(() => parseQuery(new URLSearchParams(`next=${'A'.repeat(600)}`), ALL)).toThrow(/next: not a value/);
    expect(() => parseQuery(new URLSearchParams(`next=${Buffer.from('["a",1,2]').toString('base64url')}`), ALL)).toThrow(QueryError);
  });
});

describe('taxii query: selection and paging', () => {
  it('a version published after a page was handed out arrives on a later page, nothing is lost or repeated', () => {
    const records = [record('indicator--a', '2026-01-01T00:00:01.000Z', 1000), record('indicator--b', '2026-01-01T00:00:02.000Z', 2000), record('indicator--c', '2026-01-01T00:00:03.000Z', 3000)];
    const q1 = parseQuery(new URLSearchParams('limit=2'), ALL);
    const first = page(select(records, q1), q1);
    expect(first.records.map((r) => r.id)).toEqual(['indicator--a', 'indicator--b']);
    // a gets a second version after the first page: it is later than the cursor, so it comes with c.
    records.push(record('indicator--a', '2026-01-01T00:00:09.000Z', 9000));
    const q2 = parseQuery(new URLSearchParams(`limit=2&next=${first.next!}`), ALL);
    const second = page(select(records, q2), q2);
    expect(second.records.map((r) => `${r.id}@${r.added}`)).toEqual(['indicator--c@3000', 'indicator--a@9000']);
    expect(second.more).toBe(false);
    expect(second.next).toBeNull();
  });

  it('the version of an object without modified is created, else date_added (TAXII 2.1 match[version])', () => {
    expect(toRecord({ object: { id: 'x', type: 'marking-definition', created: '2017-01-20T00:00:00.000Z' }, added: 0 }).version).toBe('2017-01-20T00:00:00.000Z');
    expect(toRecord({ object: { id: 'x', type: 'domain-name', value: 'a.example' }, added: 5 }).version).toBe('1970-01-01T00:00:00.005Z');
  });

  it('an SCO without spec_version is STIX 2.1; an SDO without it is 2.0', () => {
    expect(toRecord({ object: { id: 'x', type: 'domain-name', value: 'a.example' }, added: 5 }).specVersion).toBe('2.1');
    expect(toRecord({ object: { id: 'x', type: 'indicator', created: '2017-01-20T00:00:00.000Z' }, added: 5 }).specVersion).toBe('2.0');
  });
});
