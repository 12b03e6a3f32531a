/**
 * The passive-DNS tuples of one name and the names under it, read from a
 * store file by the table's primary key (name, type, data): what `fluxhound
 * show` prints. A read-only connection of its own, so it never writes to a
 * file a daemon is using. (The Store interface has no per-name read yet;
 * when it gains one, this goes.)
 */
import Database from 'better-sqlite3';
import type { PdnsTuple } from '../store.js';

interface Row {
  name: string;
  type: string;
  data: string;
  first_seen: number;
  last_seen: number;
  count: number;
  ttl: number | null;
}

/** Tuples of `name` itself, oldest sighting first, at most `limit` (the newest kept). */
export function pdnsByName(path: string, name: string, limit: number): PdnsTuple[] {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    const rows = db
      .prepare(`SELECT * FROM (SELECT name, type, data, first_seen, last_seen, count, ttl FROM pdns WHERE name = ? ORDER BY last_seen DESC LIMIT ?) ORDER BY first_seen, type, data`)
      .all(name, limit) as Row[];
    return rows.map((r) => ({ name: r.name, type: r.type, data: r.data, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count, ttl: r.ttl }));
  } finally {
    db.close();
  }
}
