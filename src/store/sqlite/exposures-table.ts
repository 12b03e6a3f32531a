/**
 * Flow exposures and fan-out findings in SQLite (issue 16). An exposure is
 * one row per client, domain and direction, and each write of the same
 * three ADDS to it: writers hand increments (flows, bytes, packets since
 * their last write of the three; the daemon's store service turns the
 * analysis's running totals into increments, src/serve/store/
 * exposure-increments.ts), so totals stay exact when the analysis evicts and
 * restarts a tally or the daemon restarts. first = the earliest, last = the
 * latest, sampled = any write sampled, bypass = any write was a DNS bypass
 * (once a client reached the flux host without a lookup, the row says so;
 * the reason is the latest write's, unless that would drop the bypass
 * account); address, network and customer are the latest. Rows are few next to the query log (one per
 * exposed client and name, not per query), so searches are plain indexed
 * queries: client (16-byte key, a CIDR as a range), customer, domain (the
 * name and its subtree, reversed labels as in the query log), and the time
 * of the last flow, newest first, paged by keyset (last, id). A row a later
 * report moves (its last grows) may move to an earlier page while a client
 * pages: it is then seen again or not at all on that walk, never wrongly.
 * Kept as long as the query log (serve.querylog.retention), swept in
 * bounded chunks by the same sweep.
 */
import type Database from 'better-sqlite3';
import { UsageError } from '../../model/errors.js';
import type { Exposure, FanOut, FlowDirection } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import type { ExposureFilter, ExposurePage, FanOutFilter } from '../store.js';
import { addressKey, clientMatch, reversedName, subtreeRange } from './query-keys.js';
import { decodeCursor, encodeCursor, SWEEP_CHUNK } from './query-log-table.js';

type Statement = Database.Statement<unknown[], unknown>;

/** Most exposures (or fan-outs) in one page. */
export const MAX_EXPOSURE_PAGE = 1000;

interface ExposureRow {
  id: number;
  client: string;
  customer: string | null;
  domain: string;
  direction: string;
  address: string;
  network: string | null;
  first: number;
  last: number;
  flows: number;
  bytes: number;
  packets: number;
  sampled: number;
  bypass: number;
  reason: string;
}

export class ExposuresTable {
  private readonly upsert: Statement;
  private readonly insertFanOut: Statement;
  private readonly deleteExposures: Statement;
  private readonly deleteFanOuts: Statement;
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO exposures (client, client_key, customer, domain, rdomain, direction, address, network, first, last, flows, bytes, packets, sampled, bypass, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client, domain, direction) DO UPDATE SET
         customer = coalesce(excluded.customer, customer),
         address = excluded.address,
         network = coalesce(excluded.network, network),
         first = min(first, excluded.first),
         last = max(last, excluded.last),
         flows = flows + excluded.flows,
         bytes = bytes + excluded.bytes,
         packets = packets + excluded.packets,
         sampled = max(sampled, excluded.sampled),
         reason = CASE WHEN excluded.bypass >= bypass THEN excluded.reason ELSE reason END,
         bypass = max(bypass, excluded.bypass)`,
    );
    this.insertFanOut = db.prepare(`INSERT INTO fanouts (host, host_key, customer, last, body) VALUES (?, ?, ?, ?, ?)`);
    this.deleteExposures = db.prepare(`DELETE FROM exposures WHERE id IN (SELECT id FROM exposures WHERE last < ? ORDER BY last LIMIT ${SWEEP_CHUNK})`);
    this.deleteFanOuts = db.prepare(`DELETE FROM fanouts WHERE id IN (SELECT id FROM fanouts WHERE last < ? ORDER BY last LIMIT ${SWEEP_CHUNK})`);
  }

  /** Writes exposures and fan-outs (inside the caller's transaction); returns the rows skipped because a time is not an ISO time. */
  write(exposures: readonly Exposure[], fanOuts: readonly FanOut[]): number {
    let skipped = 0;
    for (const e of exposures) {
      const first = seconds(e.first);
      const last = seconds(e.last);
      if (first === null || last === null) {
        skipped++;
        continue;
      }
      this.upsert.run(
        e.client,
        addressKey(e.client),
        e.customer,
        e.domain,
        reversedName(e.domain),
        e.direction,
        e.address,
        e.network,
        first,
        last,
        e.flows,
        e.bytes,
        e.packets,
        e.sampled ? 1 : 0,
        e.bypass ? 1 : 0,
        e.reason,
      );
    }
    for (const f of fanOuts) {
      const last = seconds(f.last);
      if (last === null) skipped++;
      else this.insertFanOut.run(f.host, addressKey(f.host), f.customer, last, JSON.stringify(f));
    }
    return skipped;
  }

  search(filter: ExposureFilter, limit: number, cursor: string | null | undefined): ExposurePage {
    const size = pageSize(limit);
    const { where, params } = conditions(filter, 'client_key', 'customer');
    if (filter.domain !== undefined && filter.domain !== '') {
      const [low, high] = subtreeRange(filter.domain);
      where.push('rdomain >= ? AND rdomain < ?');
      params.push(low, high);
    }
    if (filter.bypass !== undefined) {
      where.push('bypass = ?');
      params.push(filter.bypass ? 1 : 0);
    }
    if (filter.since !== undefined) {
      where.push('last >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('first < ?');
      params.push(filter.until);
    }
    if (cursor !== undefined && cursor !== null && cursor !== '') {
      const [last, id] = decodeCursor(cursor);
      where.push('(last < ? OR (last = ? AND id < ?))');
      params.push(last, last, id);
    }
    const sql = `SELECT * FROM exposures${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY last DESC, id DESC LIMIT ?`;
    const rows = this.prepared(sql).all(...params, size + 1) as ExposureRow[];
    const more = rows.length > size;
    if (more) rows.length = size;
    const lastRow = rows[rows.length - 1];
    return { items: rows.map(toExposure), next: more && lastRow !== undefined ? encodeCursor(lastRow.last, lastRow.id) : null };
  }

  fanOuts(filter: FanOutFilter, limit: number): FanOut[] {
    const { where, params } = conditions({ client: filter.host, customer: filter.customer }, 'host_key', 'customer');
    if (filter.since !== undefined) {
      where.push('last >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('last < ?');
      params.push(filter.until);
    }
    const sql = `SELECT body FROM fanouts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY last DESC, id DESC LIMIT ?`;
    return (this.prepared(sql).all(...params, pageSize(limit)) as { body: string }[]).map((r) => JSON.parse(r.body) as FanOut);
  }

  /** Deletes at most SWEEP_CHUNK exposures, else fan-outs, whose last flow is older than `before`; 0 when none is left. */
  sweepChunk(before: number): number {
    const exposures = this.deleteExposures.run(before).changes;
    return exposures > 0 ? exposures : this.deleteFanOuts.run(before).changes;
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

function pageSize(limit: number): number {
  if (!Number.isFinite(limit)) throw new UsageError(`store: exposures limit must be a number, not ${String(limit)}`);
  return Math.min(MAX_EXPOSURE_PAGE, Math.max(1, Math.floor(limit)));
}

/** The client (address or CIDR) and customer conditions, on the given columns. */
function conditions(filter: { client?: string | undefined; customer?: string | undefined }, keyColumn: string, customerColumn: string): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.client !== undefined && filter.client !== '') {
    const match = clientMatch(filter.client);
    if ('exact' in match) {
      where.push(`${keyColumn} = ?`);
      params.push(match.exact);
    } else {
      where.push(`${keyColumn} BETWEEN ? AND ?`);
      params.push(match.low, match.high);
    }
  }
  if (filter.customer !== undefined) {
    // '' is "no customer", as in the query log.
    if (filter.customer === '') where.push(`${customerColumn} IS NULL`);
    else {
      where.push(`${customerColumn} = ?`);
      params.push(filter.customer);
    }
  }
  return { where, params };
}

/** An ISO time of a finding as epoch seconds; null when it is none (the row is skipped, not the batch). */
function seconds(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

function toExposure(r: ExposureRow): Exposure {
  return {
    record: 'exposure',
    client: r.client,
    customer: r.customer,
    address: r.address,
    domain: r.domain,
    network: r.network,
    first: isoTime(r.first),
    last: isoTime(r.last),
    flows: r.flows,
    bytes: r.bytes,
    packets: r.packets,
    sampled: r.sampled === 1,
    direction: r.direction as FlowDirection,
    bypass: r.bypass === 1,
    reason: r.reason,
  };
}
