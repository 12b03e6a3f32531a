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
import { micros } from './sql-text.js';

/** The customer id of the per-minute total over every customer (no customer id can be '*'). */

function hexKey(address: string): string {
  return addressKey(address)?.toString('hex') ?? '';
}

function day(seconds: number): string {
  return new Date(Math.max(0, seconds) * 1000).toISOString().slice(0, 10);
}

/** Query-log rows; `batch` orders this write's rows after every earlier write's of the same microsecond. */
export function queryLogRows(entries: readonly QueryLogEntry[], batch: number): object[] {
  return entries.map((e, seq) => ({
    day: day(e.ts),
    ts_us: micros(e.ts),
    batch,
    seq,
    registered: partitionKey(e.name),
    client_key: hexKey(e.client),
    customer: e.customer ?? '',
    has_customer: e.customer === null ? 0 : 1,
    rname: reversedName(e.name),
    action: e.action,
    entry: JSON.stringify(e),
  }));
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
