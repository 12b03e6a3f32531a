/**
 * The store in a ClickHouse cluster: passive DNS and domains folded from the
 * sensors' observations, the judge's verdict history and networks, the
 * query log and its stats, flow findings, the operator's lists. Every method
 * is async (an HTTP request), so `serve`'s event loop keeps answering DNS
 * while a read is out. See README.md for where its semantics differ from
 * SQLite (no transactions, sweeps as mutations).
 */
import { partitionKey } from '../../detect/partition.js';
import type { FluxNetworkSummary } from '../../detect/networks.js';
import { UsageError } from '../../model/errors.js';
import type { FanOut } from '../../model/flow.js';
import type { AuditEntry, ListChange, ListEntry, ListName } from '../../model/query-log.js';
import type { Verdict } from '../../model/verdict.js';
import type {
  AsyncStore,
  DomainSighting,
  ExposureFilter,
  ExposurePage,
  FanOutFilter,
  PdnsTuple,
  QueryLogFilter,
  QueryLogPage,
  RecordedVerdict,
  StatsPoint,
  StatsQuery,
  StoreBatch,
  StoreCounts,
} from '../store.js';
import { deleteAggregatedKeys } from './mutations.js';
import { exposureRows, fanOutRows, queryLogRows, statsRows } from './store-rows.js';
import { withStatsTotals } from '../arguments.js';
import { searchExposures, searchFanOuts, searchQueryLog, statsSeries } from './store-search.js';
import { StoreClient, type ClickHouseStoreOptions } from './store-client.js';
import { sqlNumber, sqlString } from './sql-text.js';

const MAX_AUDIT = 10_000;
const LISTS: readonly ListName[] = ['allow', 'deny'];

export class ClickHouseStore implements AsyncStore {
  readonly backend = 'clickhouse';
  private lastStamp = 0;

  private constructor(private readonly ch: StoreClient) {}

  /** A store whose first request connects: a cluster down at start fails its reads, not the daemon's start. */
  static connect(options: ClickHouseStoreOptions): ClickHouseStore {
    return new ClickHouseStore(new StoreClient(options));
  }

  /** Connects (and creates the schema when asked); rejects when the node does not answer. */
  static async open(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
    const ch = new StoreClient(options);
    try {
      if (options.createSchema === true) await ch.createSchema();
      await ch.rows('SELECT 1 AS ok');
    } catch (err) {
      await ch.close();
      throw err;
    }
    return new ClickHouseStore(ch);
  }

  /** Increasing microseconds of this process: the write order of rows (versions, batches) when times tie. */
  private stamp(): number {
    this.lastStamp = Math.max(this.lastStamp + 1, Date.now() * 1000);
    return this.lastStamp;
  }

  private get node(): string {
    return this.ch.options.node ?? 'fluxhound';
  }

  /** Each table's rows in one insert; not one transaction across tables (README: ClickHouse has none). */
  async write(batch: StoreBatch): Promise<void> {
    const ch = this.ch;
    const stamp = this.stamp();
    const inserts: Promise<void>[] = [
      ch.insert(
        'pdns_in',
        batch.tuples.map((t) => ({
          registered: partitionKey(t.name),
          name: t.name,
          type: t.type,
          data: t.data,
          first_seen: t.firstSeen,
          last_seen: t.lastSeen,
          count: t.count,
          ttl: t.ttl ?? -1,
          ttl_at: t.ttl === null ? 0 : t.lastSeen,
        })),
      ),
      ch.insert(
        'domains_in',
        batch.domains.map((d) => ({ registered: partitionKey(d.name), name: d.name, first_seen: d.firstSeen, last_seen: d.lastSeen, queries: d.queries })),
      ),
      ch.insert(
        'verdicts',
        batch.verdicts.map(({ ts, verdict: v }) => ({
          recorded_ms: Math.round(ts * 1000),
          domain: v.domain,
          registered: partitionKey(v.domain),
          label: v.verdict,
          score: v.score,
          judge: this.node,
          verdict: JSON.stringify(v),
        })),
      ),
      ch.insert(
        'networks',
        batch.networks.map((n) => ({ updated_ms: Date.now(), id: n.id, judge: this.node, summary: JSON.stringify(n) })),
      ),
      ch.insert(
        'meta',
        Object.entries(batch.meta).map(([key, value]) => ({ key, value, version: stamp })),
      ),
      ch.insert('querylog', queryLogRows(batch.queries, this.node, stamp)),
      // Each write's counts are a count of their own (gen = this write): summed with every other on reading.
      ch.insert('stats', statsRows(withStatsTotals(batch.stats), this.node, stamp, stamp)),
      ch.insert('exposures', exposureRows(batch.exposures, stamp)),
      ch.insert('fanouts', fanOutRows(batch.fanOuts, stamp)),
    ];
    await Promise.all(inserts);
  }

  async flaggedSince(since: number): Promise<RecordedVerdict[]> {
    const rows = await this.ch.rows<{ latest_ms: string; body: string }>(
      `SELECT max(recorded_ms) AS latest_ms, argMax(label, recorded_ms) AS latest_label, argMax(verdict, recorded_ms) AS body
       FROM ${this.ch.db}.verdicts GROUP BY registered, domain
       HAVING latest_ms >= ${sqlNumber(Math.ceil(since * 1000))} AND latest_label != 'benign' ORDER BY latest_ms`,
    );
    return rows.map((r) => ({ ts: Number(r.latest_ms) / 1000, verdict: JSON.parse(r.body) as Verdict }));
  }

  async history(domain: string): Promise<RecordedVerdict[]> {
    // A retried insert may have landed twice: one row per recorded time.
    const rows = await this.ch.rows<{ recorded_ms: string; body: string }>(
      `SELECT recorded_ms, any(verdict) AS body FROM ${this.ch.db}.verdicts
       WHERE registered = ${sqlString(partitionKey(domain))} AND domain = ${sqlString(domain)} GROUP BY recorded_ms ORDER BY recorded_ms`,
    );
    return rows.map((r) => ({ ts: Number(r.recorded_ms) / 1000, verdict: JSON.parse(r.body) as Verdict }));
  }

  async tuplesOf(name: string, limit: number): Promise<PdnsTuple[]> {
    const rows = await this.tuples(`registered = ${sqlString(partitionKey(name))} AND name = ${sqlString(name)}`, '', limit);
    return rows.sort((a, b) => a.firstSeen - b.firstSeen || cmp(a.type, b.type) || cmp(a.data, b.data));
  }

  async recentTuples(since: number, limit: number): Promise<PdnsTuple[]> {
    const rows = await this.tuples('1', `HAVING l >= ${sqlNumber(since)}`, limit);
    return rows.sort((a, b) => a.lastSeen - b.lastSeen);
  }

  /** The most recently seen tuples matching, at most `limit`. */
  private async tuples(where: string, having: string, limit: number): Promise<PdnsTuple[]> {
    const rows = await this.ch.rows<{ name: string; type: string; data: string; f: number; l: number; c: string; t: string }>(
      `SELECT name, type, data, minMerge(first_seen) AS f, maxMerge(last_seen) AS l, sumMerge(count) AS c, argMaxMerge(ttl) AS t
       FROM ${this.ch.db}.pdns WHERE ${where} GROUP BY registered, name, type, data ${having}
       ORDER BY l DESC, name, type, data LIMIT ${sqlNumber(Math.max(0, Math.floor(limit)))}`,
    );
    return rows.map((r) => ({ name: r.name, type: r.type, data: r.data, firstSeen: Number(r.f), lastSeen: Number(r.l), count: Number(r.c), ttl: Number(r.t) < 0 ? null : Number(r.t) }));
  }

  async domain(name: string): Promise<DomainSighting | null> {
    const [row] = await this.ch.rows<{ f: number; l: number; q: string }>(
      `SELECT minMerge(first_seen) AS f, maxMerge(last_seen) AS l, sumMerge(queries) AS q FROM ${this.ch.db}.domains
       WHERE registered = ${sqlString(partitionKey(name))} AND name = ${sqlString(name)} GROUP BY registered, name`,
    );
    return row === undefined ? null : { name, firstSeen: Number(row.f), lastSeen: Number(row.l), queries: Number(row.q) };
  }

  async networks(): Promise<FluxNetworkSummary[]> {
    const rows = await this.ch.rows<{ s: string }>(`SELECT argMax(summary, updated_ms) AS s FROM ${this.ch.db}.networks GROUP BY id`);
    return rows.map((r) => JSON.parse(r.s) as FluxNetworkSummary).sort((a, b) => b.domains - a.domains || cmp(a.id, b.id));
  }

  async meta(key: string): Promise<string | null> {
    const [row] = await this.ch.rows<{ v: string }>(`SELECT argMax(value, version) AS v FROM ${this.ch.db}.meta WHERE key = ${sqlString(key)} GROUP BY key`);
    return row?.v ?? null;
  }

  /** Mutations on every node, one table after another (README: partition drops are the cheaper way at scale). */
  async sweep(before: number): Promise<number> {
    const ch = this.ch;
    const b = sqlNumber(before);
    const ms = sqlNumber(Math.ceil(before * 1000));
    let deleted = 0;
    deleted += await this.deleteAggregated('pdns_local', ['registered', 'name', 'type', 'data'], `maxMerge(last_seen) < ${b}`);
    deleted += await ch.deleteLocal('verdicts_local', `recorded_ms < ${ms}`, 'count()');
    deleted += await this.deleteAggregated('domains_local', ['registered', 'name'], `maxMerge(last_seen) < ${b}`);
    deleted += await ch.deleteLocal('networks_local', `updated_ms < ${ms}`, 'uniqExact(id)');
    return deleted;
  }

  /** Deletes the keys whose merged state matches `having`, node by node (a key lives on one shard). */
  private async deleteAggregated(table: string, key: readonly string[], having: string): Promise<number> {
    let deleted = 0;
    for (const node of this.ch.nodes) deleted += await deleteAggregatedKeys(node, this.ch.db, table, key, having);
    return deleted;
  }

  async counts(): Promise<StoreCounts> {
    const db = this.ch.db;
    const [row] = await this.ch.rows<Record<keyof StoreCounts, string>>(
      `SELECT
        (SELECT count() FROM (SELECT 1 FROM ${db}.domains GROUP BY registered, name)) AS domains,
        (SELECT count() FROM ${db}.verdicts) AS verdicts,
        (SELECT count() FROM (SELECT 1 FROM ${db}.pdns GROUP BY registered, name, type, data)) AS tuples,
        (SELECT uniqExact(id) FROM ${db}.networks) AS networks,
        (SELECT count() FROM (SELECT 1 FROM ${db}.exposures GROUP BY client, domain, direction)) AS exposures,
        (SELECT count() FROM ${db}.fanouts) AS fanOuts`,
    );
    return {
      domains: Number(row?.domains ?? 0),
      verdicts: Number(row?.verdicts ?? 0),
      tuples: Number(row?.tuples ?? 0),
      networks: Number(row?.networks ?? 0),
      exposures: Number(row?.exposures ?? 0),
      fanOuts: Number(row?.fanOuts ?? 0),
    };
  }

  queryLog(filter: QueryLogFilter, limit: number, cursor?: string | null): Promise<QueryLogPage> {
    return searchQueryLog(this.ch, filter, limit, cursor);
  }

  stats(query: StatsQuery): Promise<StatsPoint[]> {
    return statsSeries(this.ch, query);
  }

  async sweepQueryLog(before: number): Promise<number> {
    const ch = this.ch;
    let deleted = await ch.deleteLocal('querylog_local', `ts_us < ${sqlNumber(Math.round(before * 1_000_000))}`, 'count()');
    deleted += await ch.deleteLocal('stats_local', `ts < ${sqlNumber(before)}`, 'count()');
    deleted += await this.deleteAggregatedExposures(before);
    deleted += await ch.deleteLocal('fanouts_local', `last_ms < ${sqlNumber(Math.ceil(before * 1000))}`, 'count()');
    return deleted;
  }

  private async deleteAggregatedExposures(before: number): Promise<number> {
    return this.deleteAggregated('exposures_local', ['client', 'domain', 'direction'], `max(last_ms) < ${sqlNumber(Math.ceil(before * 1000))}`);
  }

  exposures(filter: ExposureFilter, limit: number, cursor?: string | null): Promise<ExposurePage> {
    return searchExposures(this.ch, filter, limit, cursor);
  }

  fanOuts(filter: FanOutFilter, limit: number): Promise<FanOut[]> {
    return searchFanOuts(this.ch, filter, limit);
  }

  async listEntries(list: ListName): Promise<ListEntry[]> {
    checkList(list);
    const rows = await this.ch.rows<{ name: string; c: string; a: string; t: number; r: number }>(
      `SELECT name, argMax(comment, version) AS c, argMax(author, version) AS a, argMax(at, version) AS t, argMax(removed, version) AS r
       FROM ${this.ch.db}.lists WHERE list = ${sqlString(list)} GROUP BY list, name HAVING r = 0 ORDER BY name`,
    );
    return rows.map((r) => ({ list, name: r.name, comment: r.c, by: r.a, at: Number(r.t) }));
  }

  /**
   * The entry, then its audit line: two inserts, not a transaction. A remove
   * reads the entry first; two processes removing one entry at once may both
   * say true (README).
   */
  async changeList(change: ListChange): Promise<boolean> {
    checkList(change.list);
    if (change.op !== 'add' && change.op !== 'remove') throw new UsageError(`store: list change ${JSON.stringify(String(change.op))} is neither add nor remove`);
    if (typeof change.name !== 'string' || change.name === '') throw new UsageError('store: a list entry needs a name');
    if (change.op === 'remove') {
      const [row] = await this.ch.rows<{ r: number }>(
        `SELECT argMax(removed, version) AS r FROM ${this.ch.db}.lists WHERE list = ${sqlString(change.list)} AND name = ${sqlString(change.name)} GROUP BY list, name`,
      );
      if (row === undefined || Number(row.r) === 1) return false;
    }
    const version = this.stamp();
    await this.ch.insert('lists', [
      { list: change.list, name: change.name, comment: change.comment, author: change.by, at: change.at, removed: change.op === 'remove' ? 1 : 0, version },
    ]);
    await this.ch.insert('audit', [{ at: change.at, written: version, author: change.by, action: `${change.list}.${change.op}`, target: change.name, comment: change.comment }]);
    return true;
  }

  /** Every change appends one audit line, so their count is the version every process sees. */
  async listsVersion(): Promise<number> {
    const [row] = await this.ch.rows<{ n: string }>(`SELECT count() AS n FROM ${this.ch.db}.audit`);
    return Number(row?.n ?? 0);
  }

  async audit(since: number, limit: number): Promise<AuditEntry[]> {
    if (!Number.isFinite(since)) throw new UsageError('store: audit since is not a time');
    if (!Number.isFinite(limit)) throw new UsageError('store: audit limit must be a number');
    const rows = await this.ch.rows<{ at: number; author: string; action: string; target: string; comment: string }>(
      `SELECT at, author, action, target, comment FROM ${this.ch.db}.audit WHERE at >= ${sqlNumber(since)}
       ORDER BY at DESC, written DESC LIMIT ${Math.min(MAX_AUDIT, Math.max(1, Math.floor(limit)))}`,
    );
    return rows.map((r) => ({ at: Number(r.at), by: r.author, action: r.action, target: r.target, comment: r.comment }));
  }

  /** Bytes of the database's active parts, over every node given. */
  async sizeBytes(): Promise<number> {
    let total = 0;
    for (const node of this.ch.nodes) {
      const [row] = await this.ch.rows<{ b: string }>(`SELECT sum(bytes) AS b FROM system.parts WHERE database = '${this.ch.db}' AND active`, node);
      total += Number(row?.b ?? 0);
    }
    return total;
  }

  /** 'ok' when every node answers and holds the store's tables; else what is wrong. */
  async check(): Promise<string> {
    const problems: string[] = [];
    for (const [i, node] of this.ch.nodes.entries()) {
      try {
        const [row] = await this.ch.rows<{ n: string }>(`SELECT count() AS n FROM system.tables WHERE database = '${this.ch.db}' AND name IN ('pdns_local', 'querylog_local', 'lists_local')`, node);
        if (Number(row?.n ?? 0) !== 3) problems.push(`node ${i + 1}: the store's tables are missing`);
      } catch (err) {
        problems.push(`node ${i + 1}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return problems.length === 0 ? 'ok' : problems.join('; ');
  }

  close(): Promise<void> {
    return this.ch.close();
  }
}

function checkList(list: string): void {
  if (!LISTS.includes(list as ListName)) throw new UsageError(`store: list ${JSON.stringify(String(list).slice(0, 40))} is neither allow nor deny`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

