/**
 * Where the lists live: what the daemon reads (context.reader): the store
 * (shared with `fluxhound allow` and every other process on the same file),
 * or with a cluster the cluster (one pair of lists for every node); without
 * either, this process's memory (lost at exit; the audit trail bounded).
 * Promises throughout: the cluster is reached over HTTP.
 */
import type { AuditEntry, ListChange, ListEntry, ListName } from '../../model/query-log.js';
import type { AsyncStore } from '../../store/store.js';

export interface ListSource {
  /** 'store', 'cluster' or 'memory' (log field). */
  readonly kind: string;
  entries(list: ListName): Promise<ListEntry[]>;
  /** Writes the change and its audit line; false when a remove found nothing. */
  change(change: ListChange): Promise<boolean>;
  /** Bumped by every change (from any process, for the store; from any node, for the cluster). */
  version(): Promise<number>;
  audit(since: number, limit: number): Promise<AuditEntry[]>;
}

/** The lists of what the daemon reads: a cluster's (its backend is clickhouse, alone or beside a local store), else the store's. */
export function readerSource(reader: AsyncStore): ListSource {
  return {
    kind: reader.backend.startsWith('clickhouse') ? 'cluster' : 'store',
    entries: (list) => reader.listEntries(list),
    change: (change) => reader.changeList(change),
    version: () => reader.listsVersion(),
    audit: (since, limit) => reader.audit(since, limit),
  };
}

/** Audit lines kept without a store (the oldest go first). */
export const MEMORY_AUDIT_LINES = 10_000;

/** The lists in this process alone: no store to keep them across restarts. */
export class MemoryListSource implements ListSource {
  readonly kind = 'memory';
  private readonly lists: Record<ListName, Map<string, ListEntry>> = { allow: new Map(), deny: new Map() };
  private readonly trail: AuditEntry[] = [];
  private bumped = 0;
  /** Audit lines dropped over MEMORY_AUDIT_LINES. */
  auditDropped = 0;

  constructor(private readonly maxAudit = MEMORY_AUDIT_LINES) {}

  async entries(list: ListName): Promise<ListEntry[]> {
    return [...this.lists[list].values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async change(change: ListChange): Promise<boolean> {
    const list = this.lists[change.list];
    if (change.op === 'remove') {
      if (!list.delete(change.name)) return false;
    } else {
      list.set(change.name, { list: change.list, name: change.name, comment: change.comment, by: change.by, at: change.at });
    }
    this.trail.push({ at: change.at, by: change.by, action: `${change.list}.${change.op}`, target: change.name, comment: change.comment });
    if (this.trail.length > this.maxAudit) {
      this.trail.shift();
      this.auditDropped++;
    }
    this.bumped++;
    return true;
  }

  async version(): Promise<number> {
    return this.bumped;
  }

  async audit(since: number, limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (let i = this.trail.length - 1; i >= 0 && out.length < limit; i--) {
      const line = this.trail[i]!;
      if (line.at >= since) out.push(line);
    }
    return out;
  }
}
