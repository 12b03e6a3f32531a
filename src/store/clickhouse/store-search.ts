/**
 * The console's searches in the cluster: the query log (keyset pages, newest
 * first), the stats series, exposures and fan-outs. The Distributed tables
 * run each on every shard (each sorts and limits its part) and merge; the
 * arguments are checked as SQLite's backend checks them, with the same
 * UsageError messages, since the store suite holds both to them.
 */
import { isoTime } from '../../model/verdict.js';
import { UsageError } from '../../model/errors.js';
import type { Exposure, FanOut } from '../../model/flow.js';
import { QUERY_ACTIONS, type QueryLogEntry } from '../../model/query-log.js';
import { subtreeRange } from '../sqlite/query-keys.js';
import type { ExposureFilter, ExposurePage, FanOutFilter, QueryLogFilter, QueryLogPage, StatsPoint, StatsQuery } from '../store.js';
import { MAX_PAGE, STATS_TOTAL, emptyStatsPoints, queryLogPageSize } from '../arguments.js';
import type { StoreClient } from './store-client.js';
import { clientCondition, micros, sqlNumber, sqlString } from './sql-text.js';


function customerCondition(customer: string | undefined): string[] {
  if (customer === undefined) return [];
  // '' is "no customer", as in SQLite.
  return customer === '' ? ['has_customer = 0'] : [`has_customer = 1 AND customer = ${sqlString(customer)}`];
}

export async function searchQueryLog(ch: StoreClient, filter: QueryLogFilter, limit: number, cursor: string | null | undefined): Promise<QueryLogPage> {
  const size = queryLogPageSize(filter, limit);
  const { since, until } = filter;
  const where: string[] = [];
  if (since !== undefined) where.push(`ts_us >= ${micros(since)}`);
  if (until !== undefined) where.push(`ts_us < ${micros(until)}`);
  if (filter.client !== undefined && filter.client !== '') where.push(clientCondition('client_key', filter.client));
  where.push(...customerCondition(filter.customer));
  if (filter.name !== undefined && filter.name !== '') {
    const [low, high] = subtreeRange(filter.name);
    where.push(`rname >= ${sqlString(low)} AND rname < ${sqlString(high)}`);
  }
  if (filter.actions !== undefined) {
    for (const a of filter.actions) if (!QUERY_ACTIONS.includes(a)) throw new UsageError(`store: querylog action ${JSON.stringify(String(a).slice(0, 40))} is not one of ${QUERY_ACTIONS.join(', ')}`);
    where.push(filter.actions.length === 0 ? '0' : `action IN (${filter.actions.map(sqlString).join(', ')})`);
  }
  const base = where.length > 0 ? where.join(' AND ') : '1';
  let after = cursor !== undefined && cursor !== null && cursor !== '' ? decodeCursor(cursor) : null;
  // A batch sent twice (its insert failed after one shard took its part) holds the same rows twice until a merge
  // folds them: they sort next to each other and are read once. Each read asks for the rows still missing.
  const rows: QueryLogRow[] = [];
  for (;;) {
    const want = size + 1 - rows.length;
    const read = await ch.rows<QueryLogRow>(
      `SELECT ts_us, node, batch, seq, entry FROM ${ch.db}.querylog WHERE ${base}${after === null ? '' : ` AND ${olderThan(after)}`}
       ORDER BY ts_us DESC, node DESC, batch DESC, seq DESC LIMIT ${want}`,
    );
    for (const r of read) {
      const last = rows[rows.length - 1];
      if (last === undefined || !sameRow(last, r)) rows.push(r);
    }
    const tail = read[read.length - 1];
    if (read.length < want || rows.length > size || tail === undefined) break;
    after = tokenOf(tail);
  }
  const more = rows.length > size;
  if (more) rows.length = size;
  const last = rows[rows.length - 1];
  return {
    entries: rows.map((r) => JSON.parse(r.entry) as QueryLogEntry),
    next: more && last !== undefined ? Buffer.from(JSON.stringify(tokenOf(last))).toString('base64url') : null,
  };
}

interface QueryLogRow {
  ts_us: string;
  node: string;
  batch: string;
  seq: number;
  entry: string;
}

/** A row's place in the log: (ts_us, node, batch, seq), integers as decimal text. */
type RowPlace = [string, string, string, string];

function tokenOf(r: QueryLogRow): RowPlace {
  return [String(r.ts_us), r.node, String(r.batch), String(r.seq)];
}

function sameRow(a: QueryLogRow, b: QueryLogRow): boolean {
  return String(a.ts_us) === String(b.ts_us) && a.node === b.node && String(a.batch) === String(b.batch) && Number(a.seq) === Number(b.seq);
}

/** Rows after `p` in the page order (newest first). */
function olderThan([ts, node, batch, seq]: RowPlace): string {
  const n = sqlString(node);
  return `(ts_us < ${ts} OR (ts_us = ${ts} AND (node < ${n} OR (node = ${n} AND (batch < ${batch} OR (batch = ${batch} AND seq < ${seq}))))))`;
}

function decodeCursor(cursor: string): RowPlace {
  const bad = new UsageError('store: querylog cursor is not one a previous page gave');
  const value = jsonCursor(cursor, 1024, bad);
  if (!value.every((v) => typeof v === 'string')) throw bad;
  const [ts, node, batch, seq] = value as RowPlace;
  if (!/^\d{1,19}$/.test(ts) || !/^\d{1,19}$/.test(batch) || !/^\d{1,10}$/.test(seq) || node.length > 256) throw bad;
  return [ts, node, batch, seq];
}

/** A cursor this module gave: base64url of a JSON array of four values; `bad` for anything else. */
function jsonCursor(cursor: string, maxLength: number, bad: UsageError): unknown[] {
  if (cursor.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(value) || value.length !== 4) throw bad;
  return value as unknown[];
}

export async function statsSeries(ch: StoreClient, query: StatsQuery): Promise<StatsPoint[]> {
  const { since, until, step, customer } = query;
  const points = emptyStatsPoints(query);
  const count = points.length;
  if (count === 0) return points;
  const s = sqlNumber(since);
  // Each count's newest version (store-schema.ts), summed over nodes and gens per step.
  const rows = await ch.rows<{ i: number; q: string; b: string; l: string }>(
    `SELECT toInt64(floor((ts - ${s}) / ${step})) AS i, sum(q) AS q, sum(b) AS b, sum(l) AS l FROM (
       SELECT ts, argMax(queries, version) AS q, argMax(blocked, version) AS b, argMax(logged, version) AS l FROM ${ch.db}.stats
       WHERE ts >= ${s} AND ts < ${sqlNumber(until)} AND customer = ${sqlString(customer ?? STATS_TOTAL)} GROUP BY ts, customer, node, gen)
     GROUP BY i`,
  );
  for (const r of rows) {
    const p = points[Number(r.i)];
    if (p === undefined) continue;
    p.queries = Number(r.q);
    p.blocked = Number(r.b);
    p.logged = Number(r.l);
  }
  if (customer === undefined) for (const ts of await flagEvents(ch, since, until)) points[Math.floor((ts - since) / step)]!.flagged++;
  return points;
}

/**
 * Times of flag events in [since, until): a domain recorded suspicious or
 * fast-flux after benign or nothing, or fast-flux after suspicious (what the
 * detector raises an event for). Reads the history of the domains with a
 * verdict in the range only.
 */
async function flagEvents(ch: StoreClient, since: number, until: number): Promise<number[]> {
  const from = Math.ceil(since * 1000);
  const to = Math.ceil(until * 1000);
  const rows = await ch.rows<{ domain: string; recorded_ms: string; label: string }>(
    `SELECT domain, recorded_ms, any(label) AS label FROM ${ch.db}.verdicts
     WHERE recorded_ms < ${to} AND domain GLOBAL IN (SELECT domain FROM ${ch.db}.verdicts WHERE recorded_ms >= ${from} AND recorded_ms < ${to})
     GROUP BY domain, recorded_ms ORDER BY domain, recorded_ms`,
  );
  const events: number[] = [];
  let domain: string | null = null;
  let previous = 'benign';
  for (const r of rows) {
    if (r.domain !== domain) {
      domain = r.domain;
      previous = 'benign';
    }
    const ms = Number(r.recorded_ms);
    const raised = r.label !== 'benign' && previous !== r.label && !(r.label === 'suspicious' && previous === 'fast-flux');
    if (raised && ms >= from) events.push(ms / 1000);
    previous = r.label;
  }
  return events;
}

function pageSize(limit: number): number {
  if (!Number.isFinite(limit)) throw new UsageError(`store: exposures limit must be a number, not ${String(limit)}`);
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit)));
}

interface ExposureGroup {
  client: string;
  domain: string;
  direction: string;
  f: string;
  l: string;
  flows: string;
  bytes: number;
  packets: number;
  sampled: number;
  bypass_any: number;
  latest: string;
  latest_bypass: string;
}

/** Exposures summed per (client, domain, direction) over their increments; keyset pages by (last, key). */
export async function searchExposures(ch: StoreClient, filter: ExposureFilter, limit: number, cursor: string | null | undefined): Promise<ExposurePage> {
  const size = pageSize(limit);
  const where: string[] = [];
  if (filter.client !== undefined && filter.client !== '') where.push(clientCondition('client_key', filter.client));
  where.push(...customerCondition(filter.customer));
  if (filter.domain !== undefined && filter.domain !== '') {
    const [low, high] = subtreeRange(filter.domain);
    where.push(`rdomain >= ${sqlString(low)} AND rdomain < ${sqlString(high)}`);
  }
  const having: string[] = [];
  if (filter.bypass !== undefined) having.push(`bypass_any = ${filter.bypass ? 1 : 0}`);
  if (filter.since !== undefined) having.push(`l >= ${sqlNumber(Math.ceil(filter.since * 1000))}`);
  if (filter.until !== undefined) having.push(`f < ${sqlNumber(Math.ceil(filter.until * 1000))}`);
  if (cursor !== undefined && cursor !== null && cursor !== '') {
    const [last, client, domain, direction] = decodeExposureCursor(cursor);
    const key = `(client < ${sqlString(client)} OR (client = ${sqlString(client)} AND (domain < ${sqlString(domain)} OR (domain = ${sqlString(domain)} AND direction < ${sqlString(direction)}))))`;
    having.push(`(l < ${last} OR (l = ${last} AND ${key}))`);
  }
  const rows = await ch.rows<ExposureGroup>(
    `SELECT client, domain, direction, min(first_ms) AS f, max(last_ms) AS l, sum(flows) AS flows, sum(bytes) AS bytes, sum(packets) AS packets,
       max(sampled) AS sampled, max(bypass) AS bypass_any, argMax(exposure, written) AS latest, argMaxIf(exposure, written, bypass = 1) AS latest_bypass
     FROM ${ch.db}.exposures WHERE ${where.length > 0 ? where.join(' AND ') : '1'}
     GROUP BY client, domain, direction ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
     ORDER BY l DESC, client DESC, domain DESC, direction DESC LIMIT ${size + 1}`,
  );
  const more = rows.length > size;
  if (more) rows.length = size;
  const last = rows[rows.length - 1];
  return {
    items: rows.map(exposureOf),
    next: more && last !== undefined ? Buffer.from(JSON.stringify([Number(last.l), last.client, last.domain, last.direction])).toString('base64url') : null,
  };
}

function exposureOf(g: ExposureGroup): Exposure {
  const latest = JSON.parse(g.latest) as Exposure;
  const bypass = Number(g.bypass_any) === 1;
  // The reason is the latest increment's unless that would drop the bypass account (as SQLite keeps it).
  const reason = bypass && !latest.bypass && g.latest_bypass !== '' ? (JSON.parse(g.latest_bypass) as Exposure).reason : latest.reason;
  return {
    ...latest,
    first: isoTime(Number(g.f) / 1000),
    last: isoTime(Number(g.l) / 1000),
    flows: Number(g.flows),
    bytes: Number(g.bytes),
    packets: Number(g.packets),
    sampled: Number(g.sampled) === 1,
    bypass,
    reason,
  };
}

function decodeExposureCursor(cursor: string): [number, string, string, string] {
  const bad = new UsageError('store: exposures cursor is not one a previous page gave');
  const value = jsonCursor(cursor, 4096, bad);
  if (!Number.isSafeInteger(value[0]) || !value.slice(1).every((v) => typeof v === 'string')) throw bad;
  return value as [number, string, string, string];
}

export async function searchFanOuts(ch: StoreClient, filter: FanOutFilter, limit: number): Promise<FanOut[]> {
  const where: string[] = [];
  if (filter.host !== undefined && filter.host !== '') where.push(clientCondition('host_key', filter.host));
  where.push(...customerCondition(filter.customer));
  if (filter.since !== undefined) where.push(`last_ms >= ${sqlNumber(Math.ceil(filter.since * 1000))}`);
  if (filter.until !== undefined) where.push(`last_ms < ${sqlNumber(Math.ceil(filter.until * 1000))}`);
  const rows = await ch.rows<{ finding: string }>(
    `SELECT finding FROM ${ch.db}.fanouts WHERE ${where.length > 0 ? where.join(' AND ') : '1'} ORDER BY last_ms DESC, written DESC LIMIT ${pageSize(limit)}`,
  );
  return rows.map((r) => JSON.parse(r.finding) as FanOut);
}
