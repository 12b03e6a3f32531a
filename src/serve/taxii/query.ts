/**
 * The TAXII 2.1 filters and paging (TAXII 2.1 §3.4 "Filtering", §3.6
 * "Pagination"), pure: parse the query once, then select, order and page
 * the published versions. Order is (date_added, id, version) ascending and
 * `next` is that key of the page's last record, so a client paging while
 * fluxhound publishes gets every record exactly once: new versions are
 * added later than any key already handed out.
 */
import type { LogEntry, OrderedVersions, PublishedObject } from './source.js';

/** The server's cap on a page (and its default size): a client's larger limit is lowered to it. */
export const MAX_PAGE = 1000;

/** One published version, with the fields every filter reads. */
export interface VersionRecord {
  id: string;
  type: string;
  /** The object's version: modified, else created, else date_added (TAXII 2.1 §3.4.2). */
  version: string;
  specVersion: string;
  added: number;
  object: Record<string, unknown>;
}

export interface TaxiiQuery {
  addedAfter: number | null;
  limit: number;
  next: Key | null;
  ids: Set<string> | null;
  types: Set<string> | null;
  /** 'last', 'first', 'all' and timestamps (as written); the default is last. */
  versions: string[];
  specVersions: Set<string> | null;
}

interface Key {
  added: number;
  id: string;
  version: string;
}

export class QueryError extends Error {}

/** RFC 3339 timestamps as STIX and TAXII write them (UTC, 'Z', optional fraction). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function timestamp(text: string, what: string): number {
  const ms = TIMESTAMP.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new QueryError(`${what}: '${text.slice(0, 64)}' is not a timestamp like 2026-12-05T13:00:00.000Z`);
  return ms;
}

function list(query: URLSearchParams, name: string): string[] | null {
  const values = query.getAll(name);
  if (values.length === 0) return null;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** Which filters an endpoint supports (TAXII 2.1 §5.x); others are refused with 400 rather than silently ignored. */
export type Allowed = ReadonlySet<'id' | 'type' | 'version' | 'spec_version'>;

export const PARAMETERS = ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'] as const;

/** Parses the query string; throws QueryError (a 400) for anything malformed or unsupported here. */
export function parseQuery(query: URLSearchParams, allowed: Allowed): TaxiiQuery {
  for (const name of query.keys()) {
    const known = (PARAMETERS as readonly string[]).includes(name);
    const match = /^match\[(.+)\]$/.exec(name);
    if (!known || (match !== null && !allowed.has(match[1] as 'id'))) throw new QueryError(`unsupported query parameter ${name.slice(0, 64)} here`);
  }
  const addedAfter = query.get('added_after');
  const limitText = query.get('limit');
  let limit = MAX_PAGE;
  if (limitText !== null) {
    if (!/^\d{1,9}$/.test(limitText) || Number(limitText) < 1) throw new QueryError(`limit: '${limitText.slice(0, 16)}' is not a positive integer`);
    limit = Math.min(MAX_PAGE, Number(limitText));
  }
  const versions = list(query, 'match[version]') ?? ['last'];
  for (const v of versions) if (v !== 'last' && v !== 'first' && v !== 'all') timestamp(v, 'match[version]');
  const ids = list(query, 'match[id]');
  const types = list(query, 'match[type]');
  const specs = list(query, 'match[spec_version]');
  return {
    addedAfter: addedAfter === null ? null : timestamp(addedAfter, 'added_after'),
    limit,
    next: query.has('next') ? decodeNext(query.get('next')!) : null,
    ids: ids === null ? null : new Set(ids),
    types: types === null ? null : new Set(types),
    versions,
    specVersions: specs === null ? null : new Set(specs),
  };
}

export function encodeNext(record: VersionRecord): string {
  return Buffer.from(JSON.stringify([record.added, record.id, record.version]), 'utf8').toString('base64url');
}

function decodeNext(text: string): Key {
  try {
    if (text.length > 512) throw new Error('long');
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string') {
      return { added: value[0], id: value[1], version: value[2] };
    }
  } catch {
    // Falls through: any broken cursor is the same 400.
  }
  throw new QueryError('next: not a value this server handed out');
}

export function toRecord(published: PublishedObject): VersionRecord {
  const o = published.object;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: str(o.id) ?? '',
    type: str(o.type) ?? '',
    version: str(o.modified) ?? str(o.created) ?? new Date(published.added).toISOString(),
    // STIX 2.1 SCOs may leave spec_version out (it is then 2.1); an SDO without it is STIX 2.0. SCOs have no created.
    specVersion: str(o.spec_version) ?? (o.created === undefined ? '2.1' : '2.0'),
    added: published.added,
    object: o,
  };
}

function compare(a: Key, b: Key): number {
  if (a.added !== b.added) return a.added - b.added;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/** The versions `query` selects, ordered by (date_added, id, version). Not yet paged. */
export function select(records: readonly VersionRecord[], query: TaxiiQuery): VersionRecord[] {
  const byId = new Map<string, VersionRecord[]>();
  for (const r of records) {
    if (query.ids !== null && !query.ids.has(r.id)) continue;
    if (query.types !== null && !query.types.has(r.type)) continue;
    // Without match[spec_version], only the latest spec version of each object (§3.4.2); all of ours are 2.1.
    if (query.specVersions !== null && !query.specVersions.has(r.specVersion)) continue;
    const same = byId.get(r.id);
    if (same === undefined) byId.set(r.id, [r]);
    else same.push(r);
  }
  const chosen: VersionRecord[] = [];
  for (const versions of byId.values()) {
    versions.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    const picked = new Set<VersionRecord>();
    for (const v of query.versions) {
      if (v === 'all') versions.forEach((r) => picked.add(r));
      else if (v === 'first') picked.add(versions[0]!);
      else if (v === 'last') picked.add(versions[versions.length - 1]!);
      else for (const r of versions) if (Date.parse(r.version) === Date.parse(v)) picked.add(r);
    }
    for (const r of picked) if (query.addedAfter === null || r.added > query.addedAfter) chosen.push(r);
  }
  return chosen.sort(compare);
}

export interface Page {
  records: VersionRecord[];
  more: boolean;
  next: string | null;
}

/** The page after `query.next`, of at most `query.limit` records. */
export function page(selected: readonly VersionRecord[], query: TaxiiQuery): Page {
  let start = 0;
  if (query.next !== null) {
    const after = query.next;
    while (start < selected.length && compare(selected[start]!, after) <= 0) start++;
  }
  const records = selected.slice(start, start + query.limit);
  const more = start + records.length < selected.length;
  return { records, more, next: more ? encodeNext(records[records.length - 1]!) : null };
}

/**
 * `page(select(all, query), query)` over versions kept in page order
 * (source.ts Publication): a binary search to the first version after
 * added_after and `next`, then a walk that keeps what the filters pick until
 * the page is full and one more is found (for `more`). O(log n + page) for a
 * poller (dropped and superseded versions on the way are skipped, at most
 * MAX_VERSIONS_PER_OBJECT per object); match[id] reads the object's versions
 * alone.
 */
export function pageOrdered(ordered: OrderedVersions, query: TaxiiQuery): Page {
  if (query.ids !== null) {
    const records: VersionRecord[] = [];
    for (const id of query.ids) for (const e of ordered.versionsOf(id) ?? []) records.push(e.record);
    return page(select(records, query), query);
  }
  const entries = ordered.entries;
  let start = 0;
  if (query.addedAfter !== null) {
    const after = query.addedAfter;
    start = Math.max(start, firstAfter(entries, (r) => r.added <= after));
  }
  if (query.next !== null) {
    const after = query.next;
    start = Math.max(start, firstAfter(entries, (r) => compare(r, after) <= 0));
  }
  const records: VersionRecord[] = [];
  let more = false;
  const horizon = ordered.horizon;
  for (let i = start; i < entries.length; i++) {
    const entry = entries[i]!;
    // Past the horizon: a publication still being committed (source.ts), published all at once when done.
    if (entry.record.added > horizon) break;
    if (!picked(entry, query, horizon)) continue;
    if (records.length === query.limit) {
      more = true;
      break;
    }
    records.push(entry.record);
  }
  return { records, more, next: more ? encodeNext(records[records.length - 1]!) : null };
}

/** The index of the first entry `before` is false for (entries are ordered so that it holds for a prefix). */
function firstAfter(entries: readonly LogEntry[], before: (r: VersionRecord) => boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(entries[mid]!.record)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether select() keeps this version: the same filters, first/last among the object's versions of a kept spec version. */
function picked(entry: LogEntry, query: TaxiiQuery, horizon: number): boolean {
  if (entry.dead) return false;
  const r = entry.record;
  if (query.types !== null && !query.types.has(r.type)) return false;
  if (query.specVersions !== null && !query.specVersions.has(r.specVersion)) return false;
  const published = publishedVersions(entry, horizon);
  const kept = query.specVersions === null ? published : published.filter((e) => query.specVersions!.has(e.record.specVersion));
  for (const v of query.versions) {
    if (v === 'all') return true;
    if (v === 'first' && kept[0] === entry) return true;
    if (v === 'last' && kept[kept.length - 1] === entry) return true;
    if (v !== 'first' && v !== 'last' && Date.parse(r.version) === Date.parse(v)) return true;
  }
  return false;
}

/** An entry's published versions: its object's, up to `horizon` (a commit in slices appends later ones). */
function publishedVersions(entry: LogEntry, horizon: number): LogEntry[] {
  return entry.versions.filter((e) => e.record.added <= horizon);
}
