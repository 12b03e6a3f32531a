/**
 * The operator's allow and deny entries and the audit trail of every change
 * to them. A change, its audit line and the bump of the lists version
 * (meta 'lists_version') are one transaction, so whoever sees the new
 * version sees the entry and its audit line too. The version is a stored
 * counter rather than PRAGMA data_version: that pragma changes on any other
 * connection's commit (every batch of the writer thread), and says nothing
 * to a process that opens the file after the change.
 */
import type Database from 'better-sqlite3';
import { UsageError } from '../../model/errors.js';
import type { AuditEntry, ListChange, ListEntry, ListName } from '../../model/query-log.js';

type Statement = Database.Statement<unknown[], unknown>;

/** Most audit lines one read returns. */
export const MAX_AUDIT = 10_000;
const LISTS: readonly ListName[] = ['allow', 'deny'];

export class ListsTable {
  private readonly entries: Statement;
  private readonly add: Statement;
  private readonly remove: Statement;
  private readonly appendAudit: Statement;
  private readonly bump: Statement;
  private readonly version: Statement;
  private readonly auditSince: Statement;
  private readonly applyChange: (change: ListChange) => boolean;

  constructor(db: Database.Database) {
    this.entries = db.prepare(`SELECT list, name, comment, author, at FROM lists WHERE list = ? ORDER BY name`);
    this.add = db.prepare(
      `INSERT INTO lists (list, name, comment, author, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (list, name) DO UPDATE SET comment = excluded.comment, author = excluded.author, at = excluded.at`,
    );
    this.remove = db.prepare(`DELETE FROM lists WHERE list = ? AND name = ?`);
    this.appendAudit = db.prepare(`INSERT INTO audit (at, author, action, target, comment) VALUES (?, ?, ?, ?, ?)`);
    this.bump = db.prepare(
      `INSERT INTO meta (key, value) VALUES ('lists_version', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`,
    );
    this.version = db.prepare(`SELECT value FROM meta WHERE key = 'lists_version'`);
    this.auditSince = db.prepare(`SELECT at, author, action, target, comment FROM audit WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?`);
    const tx = db.transaction((c: ListChange): boolean => {
      if (c.op === 'add') this.add.run(c.list, c.name, c.comment, c.by, c.at);
      else if (this.remove.run(c.list, c.name).changes === 0) return false;
      this.appendAudit.run(c.at, c.by, `${c.list}.${c.op}`, c.name, c.comment);
      this.bump.run();
      return true;
    });
    // IMMEDIATE: the write lock is taken at BEGIN, so two processes changing lists at once wait (busy timeout) rather than fail on upgrade.
    this.applyChange = (change) => tx.immediate(change);
  }

  list(list: ListName): ListEntry[] {
    checkList(list);
    const rows = this.entries.all(list) as { list: ListName; name: string; comment: string; author: string; at: number }[];
    return rows.map((r) => ({ list: r.list, name: r.name, comment: r.comment, by: r.author, at: r.at }));
  }

  change(change: ListChange): boolean {
    checkList(change.list);
    if (change.op !== 'add' && change.op !== 'remove') throw new UsageError(`store: list change ${JSON.stringify(String(change.op))} is neither add nor remove`);
    if (typeof change.name !== 'string' || change.name === '') throw new UsageError('store: a list entry needs a name');
    return this.applyChange(change);
  }

  listsVersion(): number {
    const row = this.version.get() as { value: string } | undefined;
    const n = row === undefined ? 0 : Number(row.value);
    return Number.isSafeInteger(n) ? n : 0;
  }

  audit(since: number, limit: number): AuditEntry[] {
    if (!Number.isFinite(since)) throw new UsageError('store: audit since is not a time');
    if (!Number.isFinite(limit)) throw new UsageError('store: audit limit must be a number');
    const rows = this.auditSince.all(since, Math.min(MAX_AUDIT, Math.max(1, Math.floor(limit)))) as { at: number; author: string; action: string; target: string; comment: string }[];
    return rows.map((r) => ({ at: r.at, by: r.author, action: r.action, target: r.target, comment: r.comment }));
  }
}

function checkList(list: string): void {
  if (!LISTS.includes(list as ListName)) throw new UsageError(`store: list ${JSON.stringify(String(list).slice(0, 40))} is neither allow nor deny`);
}
