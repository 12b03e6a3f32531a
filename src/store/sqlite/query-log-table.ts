/**
 * The query log in SQLite: inserts in the batch transaction, searches by
 * keyset (newest first, never OFFSET), and a retention sweep in bounded
 * chunks. Built for ten million rows and a search well under a second: each
 * filter is one index whose first column it fixes and whose second is the
 * time (README: "Query log").
 *
 * Choosing the index: an index whose first column is fixed by equality
 * (one client, one customer, one action) yields rows already newest first,
 * so a page reads until it has `limit` matches; a range (a CIDR, a name's
 * subtree, several actions) does not, and every row in the range must be
 * read and sorted. SQLite's planner cannot tell a /8 that holds half the
 * log from a /24 that holds ten rows, so before searching, each filter's
 * rows are counted in its own index, up to SMALL: the filter with the
 * fewest is used when it has fewer than SMALL (its rows are read and
 * sorted: bounded work); when every filter matches SMALL rows or more, an
 * ordered index is walked instead (matches are then common, so a page comes
 * quickly), the time index when no filter has an ordered one.
 *
 * Segments: each filter index leads with `seg`, the number of a run of about
 * SEGMENT_ROWS consecutive rows (the rowid the batch starts at, divided), so a
 * batch's keys all land in the newest segment's part of each index: a few
 * hundred cached pages, whatever the table holds (with `(client_key, ts)`
 * alone, random addresses and names dirtied ~18,500 pages a 10,000-row batch
 * at 2.2M rows). `querylog_segments` keeps each segment's time span (widened
 * by every batch, dropped when the sweep has emptied it); a filtered search
 * runs the choice above inside each segment, newest span first, and stops as
 * soon as no older segment can hold a row newer than the page's last. Rows
 * normally arrive in time order, so a page reads one or two segments; a rare
 * filter costs a few index seeks per segment (10M rows: ~300 segments).
 */
import type Database from 'better-sqlite3';
import { UsageError } from '../../model/errors.js';
import type { QueryLogEntry } from '../../model/query-log.js';
import { QUERY_ACTIONS } from '../../model/query-log.js';
import type { QueryLogFilter, QueryLogPage } from '../store.js';
import { queryLogPageSize } from '../arguments.js';
import { addressKey, clientMatch, reversedName, subtreeRange } from './query-keys.js';

type Statement = Database.Statement<unknown[], unknown>;

/** Below this many matches in its index, a range filter's rows are read and sorted. */
const SMALL = 10_000;
/** Rows one sweep transaction deletes, so the write lock is released between chunks (other writers, readers of the WAL). */
export const SWEEP_CHUNK = 5000;
/** Rows a segment holds (about: a batch is never split): small enough that its part of each index stays cached, large enough that 10M rows make a few hundred segments. */
export const SEGMENT_ROWS = 32_768;
/**
 * Segments one page may read in full (no filter narrowed them below SMALL rows): about a million rows. Searches
 * run on the daemon's event loop, so filters that are each large and never meet (every row read, seconds at 10M
 * rows) must not hold DNS answers: past the budget the page comes back short, maybe empty, with a cursor to go on.
 */
export const FULL_SEGMENTS_PER_PAGE = 32;

interface Segment {
  seg: number;
  minTs: number;
  maxTs: number;
}

/** A row as read: the entry and its rowid (the cursor's tie-break). */
type Row = QueryLogEntry & { id: number };

/** One way to read the log: an index and the condition that narrows it. */
interface Access {
  index: string;
  where: string;
  params: unknown[];
  /** Rows come newest first from the index (equality on its first column). */
  ordered: boolean;
}

export class QueryLogTable {
  private readonly insert: Statement;
  private readonly nextId: Statement;
  private readonly upsertSegment: Statement;
  private readonly segments: Statement;
  private readonly dropSegments: Statement;
  private readonly deleteChunk: Statement;
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly fullSegmentsPerPage = FULL_SEGMENTS_PER_PAGE,
  ) {
    this.insert = db.prepare(
      `INSERT INTO querylog (ts, client, client_key, customer, name, rname, qtype, action, rcode, domain, verdict, score, rule, reason, seg)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.nextId = db.prepare('SELECT coalesce(max(id), 0) + 1 AS n FROM querylog');
    this.upsertSegment = db.prepare(
      `INSERT INTO querylog_segments (seg, min_ts, max_ts) VALUES (?, ?, ?)
       ON CONFLICT (seg) DO UPDATE SET min_ts = min(min_ts, excluded.min_ts), max_ts = max(max_ts, excluded.max_ts)`,
    );
    this.segments = db.prepare('SELECT seg, min_ts AS minTs, max_ts AS maxTs FROM querylog_segments WHERE max_ts >= ? AND min_ts <= ? ORDER BY max_ts DESC, seg DESC');
    this.dropSegments = db.prepare('DELETE FROM querylog_segments WHERE max_ts < ?');
    this.deleteChunk = db.prepare(`DELETE FROM querylog WHERE id IN (SELECT id FROM querylog WHERE ts < ? ORDER BY ts LIMIT ${SWEEP_CHUNK})`);
  }

  /** Inserts entries (inside the caller's transaction). */
  write(entries: readonly QueryLogEntry[]): void {
    if (entries.length === 0) return;
    // The rowid this batch starts at decides its segment: rowids only grow (max + 1), so the newest rows are always in the highest segment.
    const seg = Math.floor((this.nextId.get() as { n: number }).n / SEGMENT_ROWS);
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (const e of entries) {
      this.insert.run(e.ts, e.client, addressKey(e.client), e.customer, e.name, reversedName(e.name), e.qtype, e.action, e.rcode, e.domain, e.verdict, e.score, e.rule, e.reason, seg);
      if (e.ts < minTs) minTs = e.ts;
      if (e.ts > maxTs) maxTs = e.ts;
    }
    this.upsertSegment.run(seg, minTs, maxTs);
  }

  search(filter: QueryLogFilter, limit: number, cursor: string | null | undefined): QueryLogPage {
    const size = queryLogPageSize(filter, limit);
    const { since, until } = filter;

    // Conditions every access path shares: the time range and the cursor (strictly older than the last row given).
    const common: string[] = [];
    const commonParams: unknown[] = [];
    if (since !== undefined) {
      common.push('ts >= ?');
      commonParams.push(since);
    }
    if (until !== undefined) {
      common.push('ts < ?');
      commonParams.push(until);
    }
    let newest = until ?? Number.MAX_VALUE;
    if (cursor !== undefined && cursor !== null && cursor !== '') {
      const [ts, id] = decodeCursor(cursor);
      newest = Math.min(newest, ts);
      common.push('ts <= ? AND (ts < ? OR id < ?)');
      commonParams.push(ts, ts, id);
    }

    const filters = accessPaths(filter);
    let rows: Row[];
    if (filters.length === 0) {
      rows = this.read({ index: 'querylog_ts', where: '', params: [], ordered: true }, filters, common, commonParams, size + 1);
    } else {
      // Segments newest span first; stop when the page (and the one row past it) is full and newer than anything an older segment holds.
      rows = [];
      let full = 0;
      for (const s of this.segments.all(since ?? -Number.MAX_VALUE, newest) as Segment[]) {
        if (rows.length > size && rows[size]!.ts > s.maxTs) break;
        if (full === this.fullSegmentsPerPage) {
          // Budget spent. Rows newer than everything unread are final; the next page starts at the newest unread
          // time (an id past any: every row at or before it), so nothing is lost or given twice.
          rows = rows.filter((r) => r.ts > s.maxTs);
          if (rows.length <= size) return { entries: rows.map(toEntry), next: encodeCursor(s.maxTs, Number.MAX_SAFE_INTEGER) };
          break;
        }
        const part = this.searchSegment(s, filters, common, commonParams, size + 1);
        if (part.full) full++;
        if (part.rows.length === 0) continue;
        rows = rows.length === 0 ? part.rows : [...rows, ...part.rows].sort((a, b) => b.ts - a.ts || b.id - a.id).slice(0, size + 1);
      }
    }
    const more = rows.length > size;
    if (more) rows.length = size;
    const last = rows[rows.length - 1];
    return { entries: rows.map(toEntry), next: more && last !== undefined ? encodeCursor(last.ts, last.id) : null };
  }

  /** Deletes at most SWEEP_CHUNK rows older than `before`, in one transaction; returns how many (0: none left). */
  sweepChunk(before: number): number {
    const deleted = this.deleteChunk.run(before).changes;
    // Nothing older than `before` left: a segment whose span ends before it is empty.
    if (deleted < SWEEP_CHUNK) this.dropSegments.run(before);
    return deleted;
  }

  /** One segment's newest `limit` matches; `full` when no filter narrowed the segment below SMALL rows (it may be read whole). */
  private searchSegment(s: Segment, filters: Access[], common: string[], commonParams: unknown[], limit: number): { rows: Row[]; full: boolean } {
    const inSegment = ['seg = ?', ...common];
    const inSegmentParams = [s.seg, ...commonParams];
    const choice = this.choose(filters, inSegment, inSegmentParams, s);
    if (choice === null) return { rows: [], full: false };
    return { rows: this.read(choice.access, filters, inSegment, inSegmentParams, limit), full: !choice.narrow };
  }

  /** The newest `limit` rows matching every filter and the common conditions, read through `choice`. */
  private read(choice: Access, filters: Access[], common: string[], commonParams: unknown[], limit: number): Row[] {
    const where = [...(choice.where === '' || filters.includes(choice) ? [] : [choice.where]), ...filters.map((f) => f.where), ...common];
    const params = [...(choice.where === '' || filters.includes(choice) ? [] : choice.params), ...filters.flatMap((f) => f.params), ...commonParams];
    const sql =
      `SELECT id, ts, client, customer, name, qtype, action, rcode, domain, verdict, score, rule, reason FROM querylog INDEXED BY ${choice.index}` +
      `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
    return this.prepared(sql).all(...params, limit) as Row[];
  }

  /** The access path to read within segment `s` (see the file's comment); null when some filter matches nothing there. */
  private choose(filters: Access[], common: string[], commonParams: unknown[], s: Segment): { access: Access; narrow: boolean } | null {
    let fewest: Access | null = null;
    let fewestRows = Infinity;
    for (const f of filters) {
      const where = [f.where, ...common].join(' AND ');
      const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM querylog INDEXED BY ${f.index} WHERE ${where} LIMIT ${SMALL})`;
      const n = (this.prepared(sql).get(...f.params, ...commonParams) as { n: number }).n;
      if (n === 0) return null;
      if (n < fewestRows || (n === fewestRows && f.ordered)) {
        fewest = f;
        fewestRows = n;
      }
    }
    if (fewest !== null && fewestRows < SMALL) return { access: fewest, narrow: true };
    // The time index has no segment column: bound it by the segment's span.
    return { access: filters.find((f) => f.ordered) ?? { index: 'querylog_ts', where: 'ts >= ? AND ts <= ?', params: [s.minTs, s.maxTs], ordered: true }, narrow: false };
  }

  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** One access path per filter given, equality (ordered) ones first. */
function accessPaths(filter: QueryLogFilter): Access[] {
  const out: Access[] = [];
  if (filter.client !== undefined && filter.client !== '') {
    const match = clientMatch(filter.client);
    if ('exact' in match) out.push({ index: 'querylog_client', where: 'client_key = ?', params: [match.exact], ordered: true });
    else out.push({ index: 'querylog_client', where: 'client_key BETWEEN ? AND ?', params: [match.low, match.high], ordered: false });
  }
  if (filter.customer !== undefined) {
    // '' is "no customer", as in the stats.
    if (filter.customer === '') out.push({ index: 'querylog_customer', where: 'customer IS NULL', params: [], ordered: true });
    else out.push({ index: 'querylog_customer', where: 'customer = ?', params: [filter.customer], ordered: true });
  }
  if (filter.actions !== undefined && filter.actions.length > 0) {
    const actions = [...new Set(filter.actions)];
    for (const a of actions) if (!QUERY_ACTIONS.includes(a)) throw new UsageError(`store: querylog action ${JSON.stringify(String(a).slice(0, 40))} is not one of ${QUERY_ACTIONS.join(', ')}`);
    if (actions.length === 1) out.push({ index: 'querylog_action', where: 'action = ?', params: actions, ordered: true });
    else if (actions.length < QUERY_ACTIONS.length) {
      out.push({ index: 'querylog_action', where: `action IN (${actions.map(() => '?').join(', ')})`, params: actions, ordered: false });
    }
  }
  if (filter.name !== undefined && filter.name !== '') {
    const [low, high] = subtreeRange(filter.name);
    out.push({ index: 'querylog_name', where: 'rname >= ? AND rname < ?', params: [low, high], ordered: false });
  }
  return out;
}

function toEntry(r: Row): QueryLogEntry {
  return {
    ts: r.ts,
    client: r.client,
    customer: r.customer,
    name: r.name,
    qtype: r.qtype,
    action: r.action,
    rcode: r.rcode,
    domain: r.domain,
    verdict: r.verdict,
    score: r.score,
    rule: r.rule,
    reason: r.reason,
  };
}

/** The cursor: 'TS:ID' of the last row given, base64url, so that callers treat it as opaque. */
export function encodeCursor(ts: number, id: number): string {
  return Buffer.from(`${ts}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): [number, number] {
  const bad = new UsageError('store: querylog cursor is not one a previous page gave');
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad;
  const match = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (match === null) throw bad;
  const ts = Number(match[1]);
  const id = Number(match[2]);
  if (!Number.isFinite(ts) || !Number.isSafeInteger(id)) throw bad;
  return [ts, id];
}
