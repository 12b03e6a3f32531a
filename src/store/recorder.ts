/**
 * The recorder: observations and verdicts gathered in memory and written to
 * the store in one transaction every flush interval, so the hot path never
 * waits for the disk. Pending data is bounded: when a batch reaches
 * `maxPending` distinct tuples it is written at once. Query-log entries wait
 * in a queue of their own, capped (serve.querylog.maxPending): past the cap
 * an entry is dropped and counted, so logging every query can never grow
 * memory nor make a query wait; the per-minute query stats are drained into
 * each batch.
 */
import type { FlaggedDomains } from '../act/flagged.js';
import type { FluxNetworks } from '../detect/networks.js';
import type { Exposure, FanOut } from '../model/flow.js';
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import type { QueryLogEntry } from '../model/query-log.js';
import type { Verdict } from '../model/verdict.js';
import type { DomainSighting, PdnsTuple, StatsBucket, Store, StoreBatch } from './store.js';

// Record types worth keeping as passive DNS: what detection reads on replay.
const KEPT_TYPES = new Set(['A', 'AAAA', 'NS', 'CNAME']);

export interface RecorderStats {
  /** Batches committed. */
  flushes: number;
  /** Rows in committed batches only. */
  tuplesWritten: number;
  verdictsWritten: number;
  /** Batches that failed (a full disk, the writer thread behind); their rows are counted below, never above. */
  errors: number;
  tuplesFailed: number;
  verdictsFailed: number;
  lastFlushMs: number;
  /** Query-log entries in committed batches. */
  queriesWritten: number;
  /** Query-log entries in failed batches (lost). */
  queriesFailed: number;
  /** Query-log entries dropped because `maxQueries` were already waiting. */
  queriesDropped: number;
  /** Flow exposures and fan-outs in committed batches (an exposure reported twice before a flush is one row). */
  findingsWritten: number;
  /** In failed batches (lost). */
  findingsFailed: number;
  /** Dropped because `maxQueries` distinct findings were already waiting. */
  findingsDropped: number;
}

/** The query-log part of the recorder. */
export interface QueryLogOptions {
  /** Entries that may wait for the next flush; more are dropped and counted. */
  maxQueries: number;
  /** Where the per-minute query counts come from (the daemon's QueryStats); drained at each flush. */
  stats: { drain(): StatsBucket[] } | null;
}

/** Stats buckets kept to send again after failed batches; beyond it they are lost. */
const MAX_RETRY_BUCKETS = 100_000;

/** A batch handed to the store whose fate is not known yet. */
interface InFlight {
  tuples: number;
  verdicts: number;
  queries: number;
  findings: number;
  /** Its stats buckets, sent again if it fails (a failed transaction wrote none of them). */
  stats: StatsBucket[];
  /** Domain → verdict key marked written when it was handed over; undone if the batch fails. */
  marked: [string, string][];
  started: number;
}

export class Recorder {
  private tuples = new Map<string, PdnsTuple>();
  private domains = new Map<string, DomainSighting>();
  /** Domain → the verdict/flux/score last written, so history holds changes only. */
  private readonly written = new Map<string, string>();
  private networksWritten = '';
  private serialWritten = -1;
  private readonly inFlight: InFlight[] = [];
  private queries: QueryLogEntry[] = [];
  /** Exposure increments waiting, by client, domain and direction: a newer one of the same three is added to the older. */
  private exposures = new Map<string, Exposure>();
  private fanOuts: FanOut[] = [];
  private retryStats: StatsBucket[] = [];
  readonly stats: RecorderStats = {
    flushes: 0,
    tuplesWritten: 0,
    verdictsWritten: 0,
    errors: 0,
    tuplesFailed: 0,
    verdictsFailed: 0,
    lastFlushMs: 0,
    queriesWritten: 0,
    queriesFailed: 0,
    queriesDropped: 0,
    findingsWritten: 0,
    findingsFailed: 0,
    findingsDropped: 0,
  };
  /** Why the last batch failed; null once one commits (GET /health). */
  lastError: string | null = null;

  /**
   * `acknowledged`: `store.write` only hands the batch over (the writer
   * thread); the caller then reports each batch's fate, in order, with
   * committed() or failed(). Otherwise a write that returns committed.
   */
  constructor(
    private readonly store: Pick<Store, 'write'>,
    private readonly flagged: FlaggedDomains,
    private readonly networks: FluxNetworks | null,
    private readonly maxPending = 100_000,
    private readonly acknowledged = false,
    private readonly queryLog: QueryLogOptions = { maxQueries: 100_000, stats: null },
  ) {}

  get pending(): number {
    return this.tuples.size + this.domains.size;
  }

  /** Query-log entries waiting for the next flush. */
  get pendingQueries(): number {
    return this.queries.length;
  }

  /** Queues one query-log entry for the next flush (the forwarder's hot path: a push, or a counted drop). */
  logQuery(entry: QueryLogEntry): void {
    if (this.queries.length >= this.queryLog.maxQueries) this.stats.queriesDropped++;
    else this.queries.push(entry);
  }

  /**
   * Queues a flow exposure increment (flows, bytes, packets since the last one of its client, domain and
   * direction; the store adds them) for the next flush; two of the same three before a flush are summed into
   * one row (bounded like the query log: past the cap, dropped and counted).
   */
  exposure(e: Exposure): void {
    const key = `${e.client}\t${e.domain}\t${e.direction}`;
    const waiting = this.exposures.get(key);
    if (waiting !== undefined) this.exposures.set(key, summed(waiting, e));
    else if (this.pendingFindings < this.queryLog.maxQueries) this.exposures.set(key, e);
    else this.stats.findingsDropped++;
  }

  /** Queues a fan-out finding for the next flush (bounded: past the cap, dropped and counted). */
  fanOut(f: FanOut): void {
    if (this.pendingFindings < this.queryLog.maxQueries) this.fanOuts.push(f);
    else this.stats.findingsDropped++;
  }

  /** Exposures and fan-outs waiting for the next flush. */
  get pendingFindings(): number {
    return this.exposures.size + this.fanOuts.length;
  }

  observe(o: DnsObservation): void {
    const domain = this.domains.get(o.qname);
    if (domain === undefined) this.domains.set(o.qname, { name: o.qname, firstSeen: o.firstSeen, lastSeen: o.ts, queries: o.count });
    else {
      if (o.ts > domain.lastSeen) domain.lastSeen = o.ts;
      domain.queries += o.count;
    }
    this.records(o, o.answers);
    this.records(o, o.authority);
    if (this.tuples.size >= this.maxPending || this.domains.size >= this.maxPending) this.flush();
  }

  /** Marks verdicts as already written (restored from the store). */
  noteWritten(v: Verdict): void {
    this.written.set(v.domain, verdictKey(v));
  }

  /** Writes everything pending in one transaction. Errors are counted and returned, never thrown. */
  flush(): Error | null {
    const started = performance.now();
    const networks = this.networks === null ? [] : this.networks.summaries();
    const networksKey = networks.map((n) => `${n.id}:${n.domains}:${n.addresses}:${n.last_seen}`).join(',');
    const batch: StoreBatch = {
      tuples: [...this.tuples.values()],
      domains: [...this.domains.values()],
      verdicts: [],
      networks: networksKey === this.networksWritten ? [] : networks,
      meta: this.flagged.serial === this.serialWritten ? {} : { serial: String(this.flagged.serial) },
      queries: this.queries,
      stats: this.drainStats(),
      exposures: [...this.exposures.values()],
      fanOuts: this.fanOuts,
    };
    const now = Date.now() / 1000;
    const changed: [string, string][] = [];
    for (const v of this.flagged.entries()) {
      // A deny entry's policy verdict is no detection: the lists keep it, the verdict history does not.
      if (v.listed !== undefined) continue;
      const key = verdictKey(v);
      if (this.written.get(v.domain) === key) continue;
      batch.verdicts.push({ ts: now, verdict: v });
      changed.push([v.domain, key]);
    }
    // Nothing new: no transaction, so an idle (or all-cache-hit) daemon does not touch the disk.
    const rows = batch.tuples.length + batch.domains.length + batch.verdicts.length + batch.networks.length + batch.queries.length + batch.stats.length + this.pendingFindings;
    if (rows === 0 && batch.meta.serial === undefined) return null;
    this.tuples = new Map();
    this.domains = new Map();
    this.queries = [];
    this.exposures = new Map();
    this.fanOuts = [];
    // Marked written now so the next flush does not send them again; a failed batch undoes the marks.
    for (const [domain, key] of changed) this.written.set(domain, key);
    this.networksWritten = networksKey;
    this.serialWritten = this.flagged.serial;
    this.inFlight.push({ tuples: batch.tuples.length, verdicts: batch.verdicts.length, queries: batch.queries.length, findings: batch.exposures.length + batch.fanOuts.length, stats: batch.stats, marked: changed, started });
    try {
      this.store.write(batch);
    } catch (err) {
      // Refused at once (the writer's queue is full, or a synchronous store failed): it is this batch, the newest,
      // that failed; the older ones in flight may still commit.
      this.failed((err as Error).message, 'newest');
      return err as Error;
    }
    if (!this.acknowledged) this.committed();
    return null;
  }

  /** The oldest batch in flight was committed. */
  committed(): void {
    const batch = this.inFlight.shift();
    if (batch === undefined) return;
    this.stats.flushes++;
    this.stats.tuplesWritten += batch.tuples;
    this.stats.verdictsWritten += batch.verdicts;
    this.stats.queriesWritten += batch.queries;
    this.stats.findingsWritten += batch.findings;
    this.stats.lastFlushMs = performance.now() - batch.started;
    this.lastError = null;
  }

  /**
   * A batch in flight failed: the oldest (the writer thread reports in order) or the newest (refused when handed
   * over). Count its rows as failed, and send its stats, verdicts, networks and serial again next time.
   */
  failed(message: string, which: 'oldest' | 'newest' = 'oldest'): void {
    const batch = which === 'oldest' ? this.inFlight.shift() : this.inFlight.pop();
    if (batch === undefined) return;
    this.stats.errors++;
    this.stats.tuplesFailed += batch.tuples;
    this.stats.verdictsFailed += batch.verdicts;
    this.stats.queriesFailed += batch.queries;
    this.stats.findingsFailed += batch.findings;
    if (this.retryStats.length + batch.stats.length <= MAX_RETRY_BUCKETS) this.retryStats.push(...batch.stats);
    this.lastError = message;
    for (const [domain, key] of batch.marked) if (this.written.get(domain) === key) this.written.delete(domain);
    this.networksWritten = '';
    this.serialWritten = -1;
  }

  /** The stats counted since the last flush, with those of failed batches (summed again on write: buckets add up). */
  private drainStats(): StatsBucket[] {
    const fresh = this.queryLog.stats?.drain() ?? [];
    if (this.retryStats.length === 0) return fresh;
    const all = this.retryStats.concat(fresh);
    this.retryStats = [];
    return all;
  }

  private records(o: DnsObservation, records: readonly ResourceRecord[]): void {
    for (const r of records) {
      if (!KEPT_TYPES.has(r.type) || r.data === '') continue;
      const key = `${r.name}\t${r.type}\t${r.data}`;
      const t = this.tuples.get(key);
      if (t === undefined) {
        this.tuples.set(key, { name: r.name, type: r.type, data: r.data, firstSeen: o.firstSeen, lastSeen: o.ts, count: o.count, ttl: r.ttl });
      } else {
        if (o.ts > t.lastSeen) t.lastSeen = o.ts;
        if (o.firstSeen < t.firstSeen) t.firstSeen = o.firstSeen;
        t.count += o.count;
        if (r.ttl !== null) t.ttl = r.ttl;
      }
    }
  }
}

function verdictKey(v: Verdict): string {
  return `${v.verdict}|${v.flux ?? ''}|${v.score}|${v.network ?? ''}`;
}

/**
 * Observations that rebuild the detector's windows from stored tuples: each
 * tuple is one answer of its owner name, at its last sighting, carrying its
 * count. Oldest first, as the detector wants data time to move forward.
 */
export function replayObservations(tuples: readonly PdnsTuple[]): DnsObservation[] {
  return tuples.map((t) => ({
    ts: t.lastSeen,
    qname: t.name,
    qtype: t.type,
    rcode: 'NOERROR',
    client: null,
    answers: [{ name: t.name, type: t.type, data: t.data, ttl: t.ttl }],
    authority: [],
    additional: [],
    count: t.count,
    firstSeen: t.firstSeen,
  }));
}

/** Two increments of one client, domain and direction as one, merged as the store merges rows (exposures-table.ts). */
function summed(older: Exposure, newer: Exposure): Exposure {
  return {
    ...newer,
    first: Date.parse(older.first) < Date.parse(newer.first) ? older.first : newer.first,
    last: Date.parse(older.last) > Date.parse(newer.last) ? older.last : newer.last,
    flows: older.flows + newer.flows,
    bytes: older.bytes + newer.bytes,
    packets: older.packets + newer.packets,
    sampled: older.sampled || newer.sampled,
    bypass: older.bypass || newer.bypass,
    reason: older.bypass && !newer.bypass ? older.reason : newer.reason,
  };
}
