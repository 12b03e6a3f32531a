/**
 * A batch as columns, for the trip to the writer thread. postMessage clones
 * on the sending thread, the one that answers DNS: 10,000 tuples and 10,000
 * names as objects take ~10-25 ms there (every object and key is walked);
 * as a few long strings (each column joined, with its lengths) and typed
 * arrays, ~2-4 ms. Query-log entries (up to one per query when every query
 * is logged) go as columns too. Verdicts, networks, meta and the per-minute
 * stats are few and go as they are.
 */
import type { QueryLogEntry } from '../../model/query-log.js';
import type { DomainSighting, PdnsTuple, StoreBatch } from '../store.js';

/** Strings joined end to end, cut apart again by their lengths (so any character may occur in them); NULL_LENGTH marks a null. */
export interface StringColumn {
  text: string;
  lengths: Uint32Array;
}

const NULL_LENGTH = 0xffffffff;

/** The query-log entries of a batch, one column per field. */
export interface QueryColumns {
  client: StringColumn;
  customer: StringColumn;
  name: StringColumn;
  qtype: StringColumn;
  action: StringColumn;
  rcode: StringColumn;
  domain: StringColumn;
  verdict: StringColumn;
  rule: StringColumn;
  reason: StringColumn;
  /** Per entry: ts, score (NaN for null). */
  numbers: Float64Array;
}

export interface BatchColumns {
  tupleNames: StringColumn;
  tupleTypes: StringColumn;
  tupleData: StringColumn;
  /** Per tuple: firstSeen, lastSeen, count, ttl (NaN for null). */
  tupleNumbers: Float64Array;
  domainNames: StringColumn;
  /** Per domain: firstSeen, lastSeen, queries. */
  domainNumbers: Float64Array;
  queries: QueryColumns;
  rest: Omit<StoreBatch, 'tuples' | 'domains' | 'queries'>;
}

export function toColumns(batch: StoreBatch): BatchColumns {
  const { tuples, domains, queries, ...rest } = batch;
  const tupleNumbers = new Float64Array(tuples.length * 4);
  for (let i = 0; i < tuples.length; i++) {
    const t = tuples[i]!;
    tupleNumbers[i * 4] = t.firstSeen;
    tupleNumbers[i * 4 + 1] = t.lastSeen;
    tupleNumbers[i * 4 + 2] = t.count;
    tupleNumbers[i * 4 + 3] = t.ttl ?? NaN;
  }
  const domainNumbers = new Float64Array(domains.length * 3);
  for (let i = 0; i < domains.length; i++) {
    const d = domains[i]!;
    domainNumbers[i * 3] = d.firstSeen;
    domainNumbers[i * 3 + 1] = d.lastSeen;
    domainNumbers[i * 3 + 2] = d.queries;
  }
  return {
    tupleNames: pack(tuples.map((t) => t.name)),
    tupleTypes: pack(tuples.map((t) => t.type)),
    tupleData: pack(tuples.map((t) => t.data)),
    tupleNumbers,
    domainNames: pack(domains.map((d) => d.name)),
    domainNumbers,
    queries: queryColumns(queries),
    rest,
  };
}

function queryColumns(queries: readonly QueryLogEntry[]): QueryColumns {
  const numbers = new Float64Array(queries.length * 2);
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i]!;
    numbers[i * 2] = q.ts;
    numbers[i * 2 + 1] = q.score ?? NaN;
  }
  return {
    client: pack(queries.map((q) => q.client)),
    customer: pack(queries.map((q) => q.customer)),
    name: pack(queries.map((q) => q.name)),
    qtype: pack(queries.map((q) => q.qtype)),
    action: pack(queries.map((q) => q.action)),
    rcode: pack(queries.map((q) => q.rcode)),
    domain: pack(queries.map((q) => q.domain)),
    verdict: pack(queries.map((q) => q.verdict)),
    rule: pack(queries.map((q) => q.rule)),
    reason: pack(queries.map((q) => q.reason)),
    numbers,
  };
}

function fromQueryColumns(c: QueryColumns): QueryLogEntry[] {
  const customer = unpack(c.customer);
  const name = unpack(c.name);
  const qtype = unpack(c.qtype);
  const action = unpack(c.action);
  const rcode = unpack(c.rcode);
  const domain = unpack(c.domain);
  const verdict = unpack(c.verdict);
  const rule = unpack(c.rule);
  const reason = unpack(c.reason);
  return unpack(c.client).map((client, i) => {
    const score = c.numbers[i * 2 + 1]!;
    return {
      ts: c.numbers[i * 2]!,
      client: client!,
      customer: customer[i]!,
      name: name[i]!,
      qtype: qtype[i]!,
      action: action[i] as QueryLogEntry['action'],
      rcode: rcode[i]!,
      domain: domain[i]!,
      verdict: verdict[i] as QueryLogEntry['verdict'],
      score: Number.isNaN(score) ? null : score,
      rule: rule[i] as QueryLogEntry['rule'],
      reason: reason[i]!,
    };
  });
}

export function fromColumns(c: BatchColumns): StoreBatch {
  const types = unpack(c.tupleTypes);
  const data = unpack(c.tupleData);
  const tuples: PdnsTuple[] = unpack(c.tupleNames).map((name, i) => {
    const ttl = c.tupleNumbers[i * 4 + 3]!;
    return {
      name: name!,
      type: types[i]!,
      data: data[i]!,
      firstSeen: c.tupleNumbers[i * 4]!,
      lastSeen: c.tupleNumbers[i * 4 + 1]!,
      count: c.tupleNumbers[i * 4 + 2]!,
      ttl: Number.isNaN(ttl) ? null : ttl,
    };
  });
  const domains: DomainSighting[] = unpack(c.domainNames).map((name, i) => ({
    name: name!,
    firstSeen: c.domainNumbers[i * 3]!,
    lastSeen: c.domainNumbers[i * 3 + 1]!,
    queries: c.domainNumbers[i * 3 + 2]!,
  }));
  return { tuples, domains, queries: fromQueryColumns(c.queries), ...c.rest };
}

function pack(values: (string | null)[]): StringColumn {
  const lengths = new Uint32Array(values.length);
  let text = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) lengths[i] = NULL_LENGTH;
    else {
      lengths[i] = v.length;
      text += v;
    }
  }
  return { text, lengths };
}

function unpack(column: StringColumn): (string | null)[] {
  const out = new Array<string | null>(column.lengths.length);
  let at = 0;
  for (let i = 0; i < column.lengths.length; i++) {
    const length = column.lengths[i]!;
    if (length === NULL_LENGTH) out[i] = null;
    else {
      out[i] = column.text.slice(at, at + length);
      at += length;
    }
  }
  return out;
}
