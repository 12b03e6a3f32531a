/**
 * The recorder: observations and verdicts gathered in memory and written to
 * the store in one transaction every flush interval, so the hot path never
 * waits for the disk. Pending data is bounded: when a batch reaches
 * `maxPending` distinct tuples it is written at once.
 */
import type { FlaggedDomains } from '../act/flagged.js';
import type { FluxNetworks } from '../detect/networks.js';
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import type { DomainSighting, PdnsTuple, Store, StoreBatch } from './store.js';

// Record types worth keeping as passive DNS: what detection reads on replay.
const KEPT_TYPES = new Set(['A', 'AAAA', 'NS', 'CNAME']);

export interface RecorderStats {
  flushes: number;
  tuplesWritten: number;
  verdictsWritten: number;
  errors: number;
  lastFlushMs: number;
}

export class Recorder {
  private tuples = new Map<string, PdnsTuple>();
  private domains = new Map<string, DomainSighting>();
  /** Domain → the verdict/flux/score last written, so history holds changes only. */
  private readonly written = new Map<string, string>();
  private networksWritten = '';
  private serialWritten = -1;
  readonly stats: RecorderStats = { flushes: 0, tuplesWritten: 0, verdictsWritten: 0, errors: 0, lastFlushMs: 0 };

  constructor(
    private readonly store: Pick<Store, 'write'>,
    private readonly flagged: FlaggedDomains,
    private readonly networks: FluxNetworks | null,
    private readonly maxPending = 100_000,
  ) {}

  get pending(): number {
    return this.tuples.size + this.domains.size;
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
    };
    const now = Date.now() / 1000;
    const changed: [string, string][] = [];
    for (const v of this.flagged.entries()) {
      const key = verdictKey(v);
      if (this.written.get(v.domain) === key) continue;
      batch.verdicts.push({ ts: now, verdict: v });
      changed.push([v.domain, key]);
    }
    // Nothing new: no transaction, so an idle (or all-cache-hit) daemon does not touch the disk.
    if (batch.tuples.length + batch.domains.length + batch.verdicts.length + batch.networks.length === 0 && batch.meta.serial === undefined) return null;
    this.tuples = new Map();
    this.domains = new Map();
    try {
      this.store.write(batch);
    } catch (err) {
      this.stats.errors++;
      return err as Error;
    }
    for (const [domain, key] of changed) this.written.set(domain, key);
    this.networksWritten = networksKey;
    this.serialWritten = this.flagged.serial;
    this.stats.flushes++;
    this.stats.tuplesWritten += batch.tuples.length;
    this.stats.verdictsWritten += batch.verdicts.length;
    this.stats.lastFlushMs = performance.now() - started;
    return null;
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
