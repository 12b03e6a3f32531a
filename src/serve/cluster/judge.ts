/**
 * The cluster's judge: every cycle it reads the per-window aggregates the
 * shards computed (domain_windows), picks the candidate registered domains
 * (candidates.ts), fetches their raw observations (deduplicated by row
 * token, in time order, at most `rowBudget`), replays them through the same
 * Detector the embedded path runs (same config, enricher, infra, intel), and
 * writes the verdicts that changed to `verdicts` and the flux networks to
 * `networks`. Verdicts and explanations are the scorer's own: nothing here
 * scores.
 *
 * The window is data time: `window` seconds back from the newest row the
 * cluster holds, so a batch of past days is judged like live traffic.
 * Between full cycles (every FULL_EVERY-th, and always the first), a cycle
 * is incremental: only candidates whose window changed since the last cycle
 * (lookup count or newest row: rows that arrive late, from a sensor's spool,
 * count too), plus every domain flagged last cycle (so flux networks, and
 * first-sight detection through them, still see their members).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../config/schema.js';
import { Detector } from '../../detect/detector.js';
import { levelOf } from '../../detect/score.js';
import type { FluxNetworkSummary } from '../../detect/networks.js';
import type { Enricher } from '../../enrich/enricher.js';
import type { Infra } from '../../enrich/infra/index.js';
import type { IntelView } from '../../intel/view.js';
import type { Verdict } from '../../model/verdict.js';
import { observationOf } from '../../store/clickhouse/rows.js';
import { quoteIdentifier } from '../../store/clickhouse/schema.js';
import { aggregateCandidates, domainsWithAddresses, listedDomains, sqlString } from './candidates.js';
import type { JudgeMetrics } from './judge-metrics.js';

export interface JudgeOptions {
  client: ClickHouseClient;
  /** cluster.database. */
  database: string;
  /** This node's name (cluster.node), written beside every verdict. */
  node: string;
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
  intel?: IntelView | null;
  isAllowlisted?: ((name: string) => boolean) | null;
  /** 'holz' to compute the baseline beside each verdict (as `fluxhound eval` does). */
  baseline?: 'holz' | null;
  /** Observations replayed per cycle at most; the domains beyond it wait for the next cycle (counted). */
  rowBudget: number;
  metrics?: JudgeMetrics | null;
  /** False: judge without writing (a dry run). Default true. */
  write?: boolean;
  /** Wall clock (ms) for recorded_ms; tests may pin it. */
  now?: () => number;
}

export interface CycleOptions {
  /** Judge everything the cluster holds, not the last window (batch: `fluxhound cluster judge --once`). */
  all?: boolean;
}

export interface CycleReport {
  /** Newest row time the cluster held (ms); 0 when it held none. */
  newestMs: number;
  /** Whether the cycle was incremental (only domains with newer rows, plus the flagged ones). */
  incremental: boolean;
  candidates: number;
  /** Rows replayed; rows whose observation JSON did not parse (skipped, counted). */
  rows: number;
  skipped: number;
  /** Candidate domains left for the next cycle because the row budget was spent. */
  deferred: number;
  /** The cycle's verdicts, the strongest per domain (benign ones included). */
  verdicts: Map<string, Verdict>;
  /** Verdict rows written (changed since the last write). */
  written: number;
  networks: FluxNetworkSummary[];
  seconds: number;
  /** Of those: choosing the candidates, fetching their rows, the replay, the writes. */
  phases: { candidates: number; fetch: number; replay: number; write: number };
}

/**
 * An unchanged flagged verdict or network is written again after this long: retention (cluster.retentionDays, at
 * least a day) then always finds a recent row of what the judge still flags, and prunes only network ids it no
 * longer finds (retention.ts NETWORK_IDLE_MS is longer).
 */
export const REFRESH_MS = 12 * 3_600_000;
/** A full (not incremental) cycle every this many cycles: cross-domain evidence of unchanged domains is seen again. */
export const FULL_EVERY = 12;
/** Candidate domains per row query (the IN list is inlined; ClickHouse parses at most max_query_size of it). */
const DOMAINS_PER_QUERY = 2000;

interface ReplayRow {
  registered: string;
  ts: number;
  sensor: string;
  batch: number;
  seq: number;
  observation: string;
}

export class ClusterJudge {
  private readonly db: string;
  /** Domain → key of the verdict last written for it and when (flagged ones, and benign ones until written once). */
  private readonly written = new Map<string, { key: string; at: number }>();
  /** Network id → summary JSON last written and when. */
  private writtenNetworks = new Map<string, { summary: string; at: number }>();
  /** Registered domains flagged in the last cycle: replayed every cycle while they have rows in the window. */
  private flaggedRegistered = new Set<string>();
  /** Addresses of the flux networks found last cycle: a domain answering one is a candidate. */
  private networkAddresses: string[] = [];
  /** Candidate → `lookups|lastMs` of its window at the last cycle (candidates only: bounded like them). */
  private signatures = new Map<string, string>();
  private cycles = 0;

  constructor(private readonly options: JudgeOptions) {
    this.db = quoteIdentifier(options.database);
  }

  async cycle(options: CycleOptions = {}): Promise<CycleReport> {
    const started = process.hrtime.bigint();
    const all = options.all === true;
    const newestMs = await this.newestMs();
    const incremental = !all && this.cycles % FULL_EVERY !== 0;
    this.cycles++;
    const report: CycleReport = { newestMs, incremental, candidates: 0, rows: 0, skipped: 0, deferred: 0, verdicts: new Map(), written: 0, networks: [], seconds: 0, phases: { candidates: 0, fetch: 0, replay: 0, write: 0 } };
    let mark = process.hrtime.bigint();
    const lap = (): number => {
      const now = process.hrtime.bigint();
      const seconds = Number(now - mark) / 1e9;
      mark = now;
      return seconds;
    };
    if (newestMs > 0) {
      const fromMs = all ? 0 : newestMs - this.options.config.window * 1000;
      const candidates = await this.candidates(fromMs, incremental);
      report.candidates = candidates.length;
      report.phases.candidates = lap();
      const rows = await this.fetchRows(candidates, fromMs, report);
      report.phases.fetch = lap();
      const detector = this.replay(rows, report);
      report.networks = detector.networks.summaries();
      report.phases.replay = lap();
      if (this.options.write !== false) report.written = await this.write(report.verdicts, report.networks);
      report.phases.write = lap();
      this.networkAddresses = networkAddressesOf(detector, report.networks, this.options.config.limits.maxNetworkAddresses);
      this.flaggedRegistered = new Set([...report.verdicts.values()].filter((v) => v.verdict !== 'benign').map((v) => v.registered_domain));
    }
    report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.options.metrics?.cycle(report);
    return report;
  }

  /** The newest row time the aggregates hold (ms): the end of the data-time window. */
  private async newestMs(): Promise<number> {
    const [top] = await this.select<{ b: string | number }>(`SELECT max(bucket) AS b FROM ${this.db}.domain_windows`);
    const bucket = Number(top?.b ?? 0);
    if (bucket === 0) return 0;
    const [row] = await this.select<{ t: string | number }>(
      `SELECT maxMerge(last_ms) AS t FROM ${this.db}.domain_windows WHERE bucket >= ${bucket - this.options.config.cluster.bucket}`,
    );
    return Number(row?.t ?? 0);
  }

  private async candidates(fromMs: number, incremental: boolean): Promise<string[]> {
    const { client, database } = this.options;
    const bucket = this.options.config.cluster.bucket;
    const fromBucket = fromMs <= 0 ? 0 : Math.floor(fromMs / 1000 / bucket) * bucket;
    const sinceMs = 0;
    const out = new Set<string>();
    const signatures = new Map<string, string>();
    for (const c of await aggregateCandidates(client, database, { fromBucket, sinceMs })) {
      const signature = `${c.lookups}|${c.lastMs}`;
      signatures.set(c.registered, signature);
      if (!incremental || this.signatures.get(c.registered) !== signature) out.add(c.registered);
    }
    this.signatures = signatures;
    if (this.networkAddresses.length > 0) {
      for (const d of await domainsWithAddresses(client, database, this.networkAddresses, fromMs, sinceMs)) out.add(d);
    }
    const index = this.options.intel?.current() ?? null;
    if (index !== null) {
      const isListed = {
        name: (name: string) => index.matchDomain(name) !== null,
        address: (address: string) => index.matchAddress(address) !== null,
      };
      for (const d of await listedDomains(client, database, fromMs, sinceMs, isListed)) out.add(d);
    }
    // Flagged last cycle: replayed again so that their networks are there for the new names that join them.
    for (const d of this.flaggedRegistered) out.add(d);
    return [...out].sort();
  }

  /** The candidates' rows since fromMs, one per row token, in time order; at most rowBudget (the rest deferred). */
  private async fetchRows(candidates: readonly string[], fromMs: number, report: CycleReport): Promise<ReplayRow[]> {
    const rows: ReplayRow[] = [];
    for (let i = 0; i < candidates.length; i += DOMAINS_PER_QUERY) {
      const chunk = candidates.slice(i, i + DOMAINS_PER_QUERY);
      const room = this.options.rowBudget - rows.length;
      if (room <= 0) {
        report.deferred += candidates.length - i;
        break;
      }
      // One domain's rows are on one shard; LIMIT 1 BY the token keeps one copy of a row a retried insert wrote twice.
      // One more row than there is room for: then the last domain is cut, and whole domains are kept.
      const fetched = await this.fetchChunk(chunk, fromMs, room + 1);
      if (fetched.length > room) {
        // Keep whole domains: a domain cut in the middle would be judged on part of its window.
        const kept = wholeDomainsWithin(fetched, room);
        report.deferred += chunk.length - kept.domains;
        for (let j = 0; j < kept.rows; j++) rows.push(fetched[j]!);
        report.deferred += candidates.length - i - chunk.length;
        break;
      }
      for (const r of fetched) rows.push(r);
    }
    rows.sort((a, b) => a.ts - b.ts || (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : 0) || a.batch - b.batch || a.seq - b.seq);
    return rows;
  }

  /** One chunk's rows, streamed (no response held whole), at most `limit`. */
  private async fetchChunk(chunk: readonly string[], fromMs: number, limit: number): Promise<ReplayRow[]> {
    const result = await this.options.client.query({
      query: `SELECT registered, ts_ms, sensor, batch, seq, observation FROM ${this.db}.observations
        WHERE registered IN (${chunk.map(sqlString).join(',')}) AND ts_ms >= ${Math.max(0, Math.floor(fromMs))}
        ORDER BY registered, ts_ms, sensor, batch, seq LIMIT 1 BY sensor, batch, seq LIMIT ${limit}`,
      // JSONEachRow, streamed: 18.16 has no JSONCompactEachRow.
      format: 'JSONEachRow',
    });
    const out: ReplayRow[] = [];
    for await (const batch of result.stream()) {
      for (const row of batch) {
        const r = row.json<{ registered: string; ts_ms: string | number; sensor: string; batch: string | number; seq: number; observation: string }>();
        out.push({ registered: r.registered, ts: Number(r.ts_ms), sensor: r.sensor, batch: Number(r.batch), seq: Number(r.seq), observation: r.observation });
      }
    }
    return out;
  }

  private replay(rows: ReplayRow[], report: CycleReport): Detector {
    const verdicts = report.verdicts;
    const detector = new Detector({
      config: this.options.config,
      enricher: this.options.enricher,
      infra: this.options.infra,
      intel: this.options.intel ?? null,
      isAllowlisted: this.options.isAllowlisted ?? null,
      baseline: this.options.baseline ?? null,
      reportBenign: true,
      onFinal: (v) => {
        const before = verdicts.get(v.domain);
        if (before === undefined || outranks(v, before)) verdicts.set(v.domain, v);
      },
    });
    for (const row of rows) {
      const o = observationOf(row);
      if (o === null) {
        report.skipped++;
        continue;
      }
      report.rows++;
      detector.observe(o);
    }
    detector.flush();
    return detector;
  }

  /** Writes the verdicts that changed since their last write, and the networks that changed. Returns verdict rows written. */
  private async write(verdicts: Map<string, Verdict>, networks: FluxNetworkSummary[]): Promise<number> {
    const recorded = (this.options.now ?? Date.now)();
    const rows: Array<Record<string, unknown>> = [];
    const keys = new Map<string, string>();
    for (const v of verdicts.values()) {
      const key = verdictKey(v);
      const before = this.written.get(v.domain);
      // A benign verdict is written only for a domain a flagged one was written for: followers then let it go.
      if (v.verdict === 'benign' && (before === undefined || before.key.startsWith('benign|'))) continue;
      // Unchanged: written again only once REFRESH_MS old, so retention never drops the one row of a domain still flagged.
      if (before?.key === key && recorded - before.at < REFRESH_MS) continue;
      keys.set(v.domain, key);
      rows.push({ recorded_ms: recorded, domain: v.domain, registered: v.registered_domain, label: v.verdict, score: v.score, judge: this.options.node, verdict: JSON.stringify(v) });
    }
    if (rows.length > 0) await this.options.client.insert({ table: `${this.db}.verdicts`, values: rows, format: 'JSONEachRow' });
    for (const [domain, key] of keys) {
      if (key.startsWith('benign|')) this.written.delete(domain);
      else this.written.set(domain, { key, at: recorded });
    }
    const networkRows: Array<Record<string, unknown>> = [];
    for (const n of networks) {
      const summary = JSON.stringify(n);
      const before = this.writtenNetworks.get(n.id);
      if (before?.summary === summary && recorded - before.at < REFRESH_MS) continue;
      this.writtenNetworks.set(n.id, { summary, at: recorded });
      networkRows.push({ updated_ms: recorded, id: n.id, judge: this.options.node, summary });
    }
    if (networkRows.length > 0) await this.options.client.insert({ table: `${this.db}.networks`, values: networkRows, format: 'JSONEachRow' });
    return rows.length;
  }

  /** After retention deleted network rows: every network found next cycle is written again (its id may be one deleted). */
  forgetNetworks(): void {
    this.writtenNetworks = new Map();
  }

  private async select<T>(query: string): Promise<T[]> {
    const result = await this.options.client.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }
}

/**
 * Which of two verdicts of one domain the table keeps: the stronger label;
 * at the same label a name's own verdict before its registered domain's
 * aggregate (an apex is both; a flagged name blocks its registered domain
 * anyway); then the higher score (a domain evicted and seen again is
 * reported twice: its strongest, as `fluxhound eval` keeps).
 */
export function outranks(v: Verdict, before: Verdict): boolean {
  const level = levelOf(v.verdict) - levelOf(before.verdict);
  if (level !== 0) return level > 0;
  if (v.scope !== before.scope) return v.scope === 'name';
  return v.score > before.score;
}

/** What a follower acts on, and what an operator reads: a verdict whose key is unchanged is not written again. */
export function verdictKey(v: Verdict): string {
  return `${v.verdict}|${v.flux ?? ''}|${v.score}|${v.zone ?? ''}|${v.reasons.join('\n')}`;
}

/** The rows of the first whole domains (rows come ordered by registered domain) that fit in `room`. */
function wholeDomainsWithin(rows: readonly ReplayRow[], room: number): { rows: number; domains: number } {
  let domains = 0;
  let end = 0;
  let current: string | null = null;
  for (let i = 0; i <= room && i < rows.length; i++) {
    const registered = rows[i]!.registered;
    if (registered !== current) {
      // Rows [0, i) are whole domains.
      end = i;
      if (current !== null) domains++;
      current = registered;
    }
  }
  return { rows: end, domains };
}

/** Every address of the networks found (formatted), at most `limit` in all: next cycle's candidates by address. */
function networkAddressesOf(detector: Detector, networks: FluxNetworkSummary[], limit: number): string[] {
  const out = new Set<string>();
  for (const n of networks) {
    const members = detector.networkMembers(n.id, limit);
    for (const a of members?.addresses ?? []) {
      if (out.size >= limit) return [...out];
      out.add(a.address);
    }
  }
  return [...out];
}
