/**
 * The embedded store: one SQLite file through better-sqlite3, in WAL mode so
 * that a crash at any moment (kill -9 included) leaves the last committed
 * batch intact and the file consistent. Writes come in batches, one
 * transaction each; statements are prepared once.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { FluxNetworkSummary } from '../../detect/networks.js';
import type { Verdict } from '../../model/verdict.js';
import type { AuditEntry, ListChange, ListEntry, ListName } from '../../model/query-log.js';
import type { FanOut } from '../../model/flow.js';
import type { DomainSighting, ExposureFilter, ExposurePage, FanOutFilter, PdnsTuple, QueryLogFilter, QueryLogPage, RecordedVerdict, StatsPoint, StatsQuery, Store, StoreBatch, StoreCounts } from '../store.js';
import { ExposuresTable } from './exposures-table.js';
import { ListsTable } from './lists-table.js';
import { MIGRATIONS } from './migrations.js';
import { QueryLogTable } from './query-log-table.js';
import { StatsTable } from './stats-table.js';

type Statement = Database.Statement<unknown[], unknown>;

interface TupleRow {
  name: string;
  type: string;
  data: string;
  first_seen: number;
  last_seen: number;
  count: number;
  ttl: number | null;
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  private readonly db: Database.Database;
  private readonly upsertTuple: Statement;
  private readonly upsertDomain: Statement;
  private readonly insertVerdict: Statement;
  private readonly markDomain: Statement;
  private readonly upsertNetwork: Statement;
  private readonly setMeta: Statement;
  private readonly writeBatch: (batch: StoreBatch) => void;
  private readonly queryLogTable: QueryLogTable;
  private readonly statsTable: StatsTable;
  private readonly listsTable: ListsTable;
  private readonly exposuresTable: ExposuresTable;
  /** Exposure and fan-out rows skipped by write() because a time was not an ISO time. */
  skippedFindings = 0;

  /**
   * Opens (creating if needed) and migrates the store; throws `store: PATH: reason` when it cannot.
   * `maxBytes` caps the database file (SQLite max_page_count, per connection: every connection that writes sets it);
   * beyond it a write fails with SQLITE_FULL ("database or disk is full"), as on a full disk.
   */
  constructor(
    readonly path: string,
    maxBytes: number | null = null,
  ) {
    try {
      this.db = new Database(path, { timeout: 5000 });
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a process crash loses nothing committed; a power cut at most the last batches, never consistency.
      this.db.pragma('synchronous = NORMAL');
      migrate(this.db);
      if (maxBytes !== null) {
        const pageSize = this.db.pragma('page_size', { simple: true }) as number;
        // SQLite keeps at least the pages the file already has.
        this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
      }
    } catch (err) {
      throw new Error(`store: ${path}: ${(err as Error).message}`);
    }
    this.upsertTuple = this.db.prepare(
      `INSERT INTO pdns (name, type, data, first_seen, last_seen, count, ttl) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name, type, data) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen),
         count = count + excluded.count,
         ttl = coalesce(excluded.ttl, ttl)`,
    );
    this.upsertDomain = this.db.prepare(
      `INSERT INTO domains (name, first_seen, last_seen, queries) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen),
         queries = queries + excluded.queries`,
    );
    this.insertVerdict = this.db.prepare(`INSERT INTO verdicts (domain, ts, verdict, flux, score, network, body) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.markDomain = this.db.prepare(
      `INSERT INTO domains (name, first_seen, last_seen, queries, verdict, flux, score) VALUES (?, ?, ?, 0, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET verdict = excluded.verdict, flux = excluded.flux, score = excluded.score,
         last_seen = max(last_seen, excluded.last_seen)`,
    );
    this.upsertNetwork = this.db.prepare(
      `INSERT OR REPLACE INTO networks (id, domains, addresses, asns, countries, sample_domains, first_seen, last_seen, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.setMeta = this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`);
    this.queryLogTable = new QueryLogTable(this.db);
    this.statsTable = new StatsTable(this.db);
    this.listsTable = new ListsTable(this.db);
    this.exposuresTable = new ExposuresTable(this.db);
    this.writeBatch = this.db.transaction((batch: StoreBatch) => {
      for (const t of batch.tuples) this.upsertTuple.run(t.name, t.type, t.data, t.firstSeen, t.lastSeen, t.count, t.ttl);
      for (const d of batch.domains) this.upsertDomain.run(d.name, d.firstSeen, d.lastSeen, d.queries);
      for (const { ts, verdict: v } of batch.verdicts) {
        this.insertVerdict.run(v.domain, ts, v.verdict, v.flux, v.score, v.network, JSON.stringify(v));
        this.markDomain.run(v.domain, ts, ts, v.verdict, v.flux, v.score);
      }
      const now = Date.now() / 1000;
      for (const n of batch.networks) {
        this.upsertNetwork.run(n.id, n.domains, n.addresses, n.asns, n.countries, JSON.stringify(n.sample_domains), n.first_seen, n.last_seen, now);
      }
      for (const [key, value] of Object.entries(batch.meta)) this.setMeta.run(key, value);
      this.queryLogTable.write(batch.queries);
      this.statsTable.write(batch.stats);
      this.skippedFindings += this.exposuresTable.write(batch.exposures, batch.fanOuts);
    });
  }

  write(batch: StoreBatch): void {
    this.writeBatch(batch);
  }

  flaggedSince(since: number): RecordedVerdict[] {
    const rows = this.db
      .prepare(
        `SELECT v.ts, v.body FROM verdicts v
         JOIN (SELECT domain, max(id) AS id FROM verdicts GROUP BY domain) latest ON latest.id = v.id
         WHERE v.ts >= ? AND v.verdict != 'benign' ORDER BY v.id`,
      )
      .all(since) as { ts: number; body: string }[];
    return rows.map((r) => ({ ts: r.ts, verdict: JSON.parse(r.body) as Verdict }));
  }

  history(domain: string): RecordedVerdict[] {
    const rows = this.db.prepare(`SELECT ts, body FROM verdicts WHERE domain = ? ORDER BY id`).all(domain) as { ts: number; body: string }[];
    return rows.map((r) => ({ ts: r.ts, verdict: JSON.parse(r.body) as Verdict }));
  }

  recentTuples(since: number, limit: number): PdnsTuple[] {
    const rows = this.db
      .prepare(`SELECT * FROM (SELECT * FROM pdns WHERE last_seen >= ? ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen`)
      .all(since, limit) as TupleRow[];
    return rows.map((r) => ({ name: r.name, type: r.type, data: r.data, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count, ttl: r.ttl }));
  }

  tuplesOf(name: string, limit: number): PdnsTuple[] {
    // By the table's primary key (name, type, data): one name's rows, however large the table.
    const rows = this.db
      .prepare(`SELECT * FROM (SELECT * FROM pdns WHERE name = ? ORDER BY last_seen DESC LIMIT ?) ORDER BY first_seen, type, data`)
      .all(name, limit) as TupleRow[];
    return rows.map((r) => ({ name: r.name, type: r.type, data: r.data, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count, ttl: r.ttl }));
  }

  domain(name: string): DomainSighting | null {
    const row = this.db.prepare(`SELECT name, first_seen, last_seen, queries FROM domains WHERE name = ?`).get(name) as
      | { name: string; first_seen: number; last_seen: number; queries: number }
      | undefined;
    return row === undefined ? null : { name: row.name, firstSeen: row.first_seen, lastSeen: row.last_seen, queries: row.queries };
  }

  networks(): FluxNetworkSummary[] {
    const rows = this.db.prepare(`SELECT * FROM networks ORDER BY domains DESC, id`).all() as {
      id: string;
      domains: number;
      addresses: number;
      asns: number;
      countries: number;
      sample_domains: string;
      first_seen: string;
      last_seen: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      domains: r.domains,
      sample_domains: JSON.parse(r.sample_domains) as string[],
      addresses: r.addresses,
      asns: r.asns,
      countries: r.countries,
      first_seen: r.first_seen,
      last_seen: r.last_seen,
    }));
  }

  meta(key: string): string | null {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  sweep(before: number): number {
    return this.db.transaction(() => {
      let deleted = 0;
      deleted += this.db.prepare(`DELETE FROM pdns WHERE last_seen < ?`).run(before).changes;
      deleted += this.db.prepare(`DELETE FROM verdicts WHERE ts < ?`).run(before).changes;
      deleted += this.db.prepare(`DELETE FROM domains WHERE last_seen < ?`).run(before).changes;
      deleted += this.db.prepare(`DELETE FROM networks WHERE updated < ?`).run(before).changes;
      return deleted;
    })();
  }

  counts(): StoreCounts {
    const count = (table: string): number => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { domains: count('domains'), verdicts: count('verdicts'), tuples: count('pdns'), networks: count('networks'), exposures: count('exposures'), fanOuts: count('fanouts') };
  }

  sizeBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(this.path + suffix).size;
      } catch {
        // no WAL file right after a checkpoint
      }
    }
    return total;
  }

  check(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  queryLog(filter: QueryLogFilter, limit: number, cursor?: string | null): QueryLogPage {
    return this.queryLogTable.search(filter, limit, cursor);
  }

  stats(query: StatsQuery): StatsPoint[] {
    return this.statsTable.series(query);
  }

  /** Chunked (a few thousand rows per transaction), so a sweep of millions never holds the write lock for long. */
  sweepQueryLog(before: number): number {
    let deleted = 0;
    for (let n = this.sweepQueryLogChunk(before); n > 0; n = this.sweepQueryLogChunk(before)) deleted += n;
    return deleted;
  }

  /**
   * One chunk of sweepQueryLog: query-log rows first, then stats buckets;
   * returns the rows deleted, 0 when nothing older than `before` is left.
   * The writer thread sweeps chunk by chunk between batches.
   */
  sweepQueryLogChunk(before: number): number {
    const rows = this.queryLogTable.sweepChunk(before);
    if (rows > 0) return rows;
    const buckets = this.statsTable.sweepChunk(before);
    return buckets > 0 ? buckets : this.exposuresTable.sweepChunk(before);
  }

  exposures(filter: ExposureFilter, limit: number, cursor?: string | null): ExposurePage {
    return this.exposuresTable.search(filter, limit, cursor);
  }

  fanOuts(filter: FanOutFilter, limit: number): FanOut[] {
    return this.exposuresTable.fanOuts(filter, limit);
  }

  listEntries(list: ListName): ListEntry[] {
    return this.listsTable.list(list);
  }

  changeList(change: ListChange): boolean {
    return this.listsTable.change(change);
  }

  listsVersion(): number {
    return this.listsTable.listsVersion();
  }

  audit(since: number, limit: number): AuditEntry[] {
    return this.listsTable.audit(since, limit);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) throw new Error(`written by a newer fluxhound (schema ${version}, this one knows ${MIGRATIONS.length})`);
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
