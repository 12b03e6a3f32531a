/**
 * A batch as columns, for the trip to the writer thread. postMessage clones
 * on the sending thread, the one that answers DNS: 10,000 tuples and 10,000
 * names as objects take ~10-25 ms there (every object and key is walked);
 * as a few long strings (each column joined, with its lengths) and typed
 * arrays, ~2-4 ms. Verdicts, networks and meta are few and go as they are.
 */
import type { DomainSighting, PdnsTuple, StoreBatch } from '../store.js';

/** Strings joined end to end, cut apart again by their lengths (so any character may occur in them). */
export interface StringColumn {
  text: string;
  lengths: Uint32Array;
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
  rest: Omit<StoreBatch, 'tuples' | 'domains'>;
}

export function toColumns(batch: StoreBatch): BatchColumns {
  const { tuples, domains, ...rest } = batch;
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
    rest,
  };
}

export function fromColumns(c: BatchColumns): StoreBatch {
  const types = unpack(c.tupleTypes);
  const data = unpack(c.tupleData);
  const tuples: PdnsTuple[] = unpack(c.tupleNames).map((name, i) => {
    const ttl = c.tupleNumbers[i * 4 + 3]!;
    return {
      name,
      type: types[i]!,
      data: data[i]!,
      firstSeen: c.tupleNumbers[i * 4]!,
      lastSeen: c.tupleNumbers[i * 4 + 1]!,
      count: c.tupleNumbers[i * 4 + 2]!,
      ttl: Number.isNaN(ttl) ? null : ttl,
    };
  });
  const domains: DomainSighting[] = unpack(c.domainNames).map((name, i) => ({
    name,
    firstSeen: c.domainNumbers[i * 3]!,
    lastSeen: c.domainNumbers[i * 3 + 1]!,
    queries: c.domainNumbers[i * 3 + 2]!,
  }));
  return { tuples, domains, ...c.rest };
}

function pack(values: string[]): StringColumn {
  const lengths = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) lengths[i] = values[i]!.length;
  return { text: values.join(''), lengths };
}

function unpack(column: StringColumn): string[] {
  const out = new Array<string>(column.lengths.length);
  let at = 0;
  for (let i = 0; i < column.lengths.length; i++) {
    out[i] = column.text.slice(at, at + column.lengths[i]!);
    at += column.lengths[i]!;
  }
  return out;
}
