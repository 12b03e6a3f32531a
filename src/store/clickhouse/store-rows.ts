/**
 * A batch's console records as rows of the cluster's tables: each keeps the
 * record itself as JSON (returned exactly as written) beside the columns its
 * searches filter on, computed with the same keys as SQLite's
 * (sqlite/query-keys.ts: reversed names, 16-byte addresses, here as hex).
 */
import { partitionKey } from '../../detect/partition.js';
import type { Exposure, FanOut } from '../../model/flow.js';
import type { QueryLogEntry } from '../../model/query-log.js';
import { addressKey, reversedName } from '../sqlite/query-keys.js';
import type { StatsBucket } from '../store.js';
import type { RowToken } from './rows.js';
import { micros } from './sql-text.js';

function hexKey(address: string): string {
  return addressKey(address)?.toString('hex') ?? '';
}

function day(seconds: number): string {
  return new Date(Math.max(0, seconds) * 1000).toISOString().slice(0, 10);
}

/** The query log's columns, as every insert names them (18.16 fills a DEFAULT column only when the insert leaves it out). */
export const QUERYLOG_COLUMNS = ['day', 'ts_us', 'node', 'batch', 'seq', 'registered', 'client_key', 'customer', 'has_customer', 'rname', 'action', 'entry'] as const;

/** One query-log row; (node, batch, seq) is its token: the same entry sent again is the same row. */
export function queryLogRow(e: QueryLogEntry, token: RowToken): Record<(typeof QUERYLOG_COLUMNS)[number], string | number> {
  return {
    day: day(e.ts),
    ts_us: micros(e.ts),
    node: token.sensor,
    batch: token.batch,
    seq: token.seq,
    registered: partitionKey(e.name),
    client_key: hexKey(e.client),
    customer: e.customer ?? '',
    has_customer: e.customer === null ? 0 : 1,
    rname: reversedName(e.name),
    action: e.action,
    entry: JSON.stringify(e),
  };
}

/** Query-log rows of one write; `batch` orders this write's rows after every earlier write's of the same microsecond. */
export function queryLogRows(entries: readonly QueryLogEntry[], node: string, batch: number): object[] {
  return entries.map((e, seq) => queryLogRow(e, { sensor: node, batch, seq }));
}

export const STATS_COLUMNS = ['ts', 'customer', 'node', 'gen', 'version', 'queries', 'blocked', 'logged'] as const;

/**
 * Stats rows: each is the running count of (minute, customer) under `gen`,
 * at `version` (store-schema.ts: the newest version per (ts, customer,
 * node, gen) counts). Buckets of one minute and customer are summed first.
 */
export function statsRows(buckets: readonly StatsBucket[], node: string, gen: number, version: number): object[] {
  const summed = new Map<string, StatsBucket>();
  for (const b of buckets) {
    const key = `${b.ts} ${b.customer}`;
    const had = summed.get(key);
    if (had === undefined) summed.set(key, { ...b });
    else {
      had.queries += b.queries;
      had.blocked += b.blocked;
      had.logged += b.logged;
    }
  }
  return [...summed.values()].map((b) => ({ ts: b.ts, customer: b.customer, node, gen, version, queries: b.queries, blocked: b.blocked, logged: b.logged }));
}

/** Exposure increments; a finding whose time is not an ISO time is left out (SQLite counts it in skippedFindings). */
export function exposureRows(exposures: readonly Exposure[], written: number): object[] {
  const out: object[] = [];
  for (const e of exposures) {
    const first = Date.parse(e.first);
    const last = Date.parse(e.last);
    if (!Number.isFinite(first) || !Number.isFinite(last)) continue;
    out.push({
      registered: partitionKey(e.domain),
      client: e.client,
      client_key: hexKey(e.client),
      customer: e.customer ?? '',
      has_customer: e.customer === null ? 0 : 1,
      domain: e.domain,
      rdomain: reversedName(e.domain),
      direction: e.direction,
      first_ms: first,
      last_ms: last,
      flows: e.flows,
      bytes: e.bytes,
      packets: e.packets,
      sampled: e.sampled ? 1 : 0,
      bypass: e.bypass ? 1 : 0,
      written,
      exposure: JSON.stringify(e),
    });
  }
  return out;
}

export function fanOutRows(fanOuts: readonly FanOut[], written: number): object[] {
  const out: object[] = [];
  for (const f of fanOuts) {
    const last = Date.parse(f.last);
    if (!Number.isFinite(last)) continue;
    out.push({ host: f.host, host_key: hexKey(f.host), customer: f.customer ?? '', has_customer: f.customer === null ? 0 : 1, last_ms: last, written, finding: JSON.stringify(f) });
  }
  return out;
}
