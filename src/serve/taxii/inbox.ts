/**
 * The write collection (serve.taxii.inbox): partners holding a write token
 * POST envelopes of STIX objects; each poster's objects become the intel
 * feed `taxii:<poster>` (the token's NAME) of the daemon's feed set, read by
 * detection like any configured feed. Every object is judged on its own
 * with the intel STIX reader (src/intel/stix): one it cannot use (a broken
 * object, a pattern it does not support or refuses) is a failure of the
 * status resource, never stored; the rest are kept (latest version per id,
 * at most maxObjects and maxBytes of object JSON per poster, the oldest
 * dropped first), appended to a journal under intel.cacheDir/taxii-inbox/
 * and readable back through GET objects by their poster only (and by an
 * admin token): one partner's TLP:RED never reaches another partner.
 *
 * Bounded work per POST: only the newly posted objects are parsed (the
 * entries each object gives are kept beside it, the feed is their union),
 * only they are written (appended; the journal is rewritten whole only when
 * dropped objects make up most of it), and a status lists the details of
 * the first MAX_STATUS_DETAILS objects only (the counts stay exact).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeFileAtomic } from '../../act/rpz/zone-file.js';
import type { IntelEntry, ParsedFeed } from '../../intel/entry.js';
import { parseStixObjects } from '../../intel/stix/index.js';
import type { IntelFeeds, PushedFeedMeta } from '../../intel/view.js';
import type { PublishedObject, StixSource } from './source.js';

/** Statuses kept for GET /status/{id}/ (the newest; older ones answer 404). */
export const MAX_STATUSES = 1000;
/** Details (successes and failures together, in posted order) a status lists; the counts stay exact: 1000 statuses stay under ~50 MB whatever was posted. */
export const MAX_STATUS_DETAILS = 100;
/** Bytes one posted object may take as JSON: an indicator is far smaller. */
export const MAX_OBJECT_BYTES = 64 * 1024;
/** Bytes of object JSON a poster keeps (with maxObjects): past it the oldest objects go. */
export const MAX_POSTER_BYTES = 64 * 1024 * 1024;
/** Characters of a posted id echoed back in a status (a hostile id is cut, never repeated whole). */
const MAX_ECHO = 200;
const STIX_ID = /^[a-z][a-z0-9-]{0,62}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Token names (src/serve/auth/tokens.ts NAME_PATTERN) are safe file names; checked again on load. */
const POSTER = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
/** A journal is rewritten whole once it is this many times the bytes still kept (and past 1 MiB). */
const COMPACT_RATIO = 2;
const COMPACT_MIN_BYTES = 1024 * 1024;

export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}

/** TAXII 2.1 §4.3.1 status resource. Adding is synchronous here, so status is always complete. */
export interface TaxiiStatus {
  id: string;
  status: 'complete';
  request_timestamp: string;
  total_count: number;
  success_count: number;
  /** Of the first MAX_STATUS_DETAILS objects posted (the lists are optional in §4.3.1; the counts are exact). */
  successes: StatusDetail[];
  failure_count: number;
  failures: StatusDetail[];
  pending_count: 0;
  pendings: StatusDetail[];
  /** Present when a list was cut: says so (a custom property, §3.1.1). */
  x_fluxhound_details?: string;
}

export interface InboxOptions {
  /** intel.cacheDir: the posted objects live in its taxii-inbox/ folder. */
  cacheDir: string;
  maxObjects: number;
  /** Bytes of object JSON kept per poster; MAX_POSTER_BYTES when left out. */
  maxBytes?: number;
  meta: PushedFeedMeta;
  /** The daemon's feed set, read at each use (set by the intel service; null when there is none). */
  intel: () => IntelFeeds | null;
  now?: () => number;
}

/** Who reads the inbox: a token's name, or every poster (an admin token). */
export type InboxReader = { poster: string } | 'all';

/** A post the inbox refused whole (a TAXII error: 400 or 413). */
export class InboxError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/** One kept object: its JSON length (for the byte cap) and the intel entries it gave when it was posted. */
interface Held extends PublishedObject {
  bytes: number;
  entries: IntelEntry[];
}

/** One poster's objects, oldest first (Map order is the order of adding). */
interface Posted {
  objects: Map<string, Held>;
  bytes: number;
  /** Bytes in the poster's journal file: past COMPACT_RATIO × bytes it is rewritten whole. */
  journal: number;
}

export class Inbox implements StixSource {
  private readonly posters = new Map<string, Posted>();
  private readonly statuses = new Map<string, { poster: string; status: TaxiiStatus }>();
  private readonly dir: string;
  private readonly now: () => number;
  /** Persisting runs one write after another. */
  private chain: Promise<void> = Promise.resolve();
  private last = -Infinity;
  /** dropped: objects that went for maxObjects or maxBytes; parsed: objects read by the STIX reader for the feed (each once). */
  readonly stats = { accepted: 0, failed: 0, loadErrors: 0, dropped: 0, parsed: 0 };

  constructor(private options: InboxOptions) {
    this.dir = join(options.cacheDir, 'taxii-inbox');
    this.now = options.now ?? Date.now;
  }

  private get maxBytes(): number {
    return this.options.maxBytes ?? MAX_POSTER_BYTES;
  }

  /** A reload's action and confidence apply to every poster's feed at once (the kept entries, nothing re-parsed). */
  configure(options: Pick<InboxOptions, 'maxObjects' | 'meta'>): void {
    this.options = { ...this.options, ...options };
    for (const [poster, posted] of this.posters) {
      this.evict(posted);
      this.push(poster);
    }
  }

  /** Reads what partners posted before a restart and hands it to the feed set; a broken file or line is skipped and counted. */
  load(): string[] {
    const problems: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return problems; // nothing posted yet
    }
    for (const name of names) {
      const poster = name.slice(0, -6);
      const file = join(this.dir, name);
      try {
        if (!POSTER.test(poster)) throw new Error('not a token name');
        const text = readFileSync(file, 'utf8');
        const posted: Posted = { objects: new Map(), bytes: 0, journal: Buffer.byteLength(text) };
        const lines = text.split('\n');
        let bad = 0;
        let firstBad = 0;
        lines.forEach((line, i) => {
          if (line === '') return;
          const o = readLine(line);
          if (o === null) {
            if (bad++ === 0) firstBad = i + 1;
            return;
          }
          const before = posted.objects.get(o.id);
          if (before !== undefined) posted.bytes -= before.bytes;
          posted.objects.delete(o.id);
          posted.objects.set(o.id, { object: o.object, added: o.added, bytes: o.bytes, entries: [] });
          posted.bytes += o.bytes;
          this.last = Math.max(this.last, o.added);
        });
        if (bad > 0) problems.push(`taxii inbox: ${file}:${firstBad}: ${bad} broken line(s) skipped`);
        this.stats.loadErrors += bad;
        this.evict(posted);
        // One parse of what is kept, at start: the entries of every object, as a post would have given them.
        this.attach(posted, [...posted.objects.values()].map((h) => h.object), poster);
        this.posters.set(poster, posted);
        this.push(poster);
      } catch (err) {
        this.stats.loadErrors++;
        problems.push(`taxii inbox: ${file}: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    return problems;
  }

  /**
   * One POST of `envelope` by `poster`: the status resource (§4.3.1) with
   * a success or failure per object. Throws InboxError for an envelope that
   * is not one, or holds more objects than a poster may keep.
   */
  async post(poster: string, envelope: unknown): Promise<TaxiiStatus> {
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) throw new InboxError(400, 'the body is not a TAXII envelope: {"objects": [...]}');
    const objects = (envelope as { objects?: unknown }).objects ?? [];
    if (!Array.isArray(objects)) throw new InboxError(400, 'the envelope\'s objects is not a list');
    if (objects.length > this.options.maxObjects) throw new InboxError(413, `the envelope holds ${objects.length} objects; a poster keeps at most ${this.options.maxObjects}`);
    // Strictly later than any earlier post: an added_after poller never skips one.
    const at = Math.max(this.now(), this.last + 1);
    this.last = at;
    const status: TaxiiStatus = {
      id: randomUUID(),
      status: 'complete',
      request_timestamp: new Date(at).toISOString(),
      total_count: objects.length,
      success_count: 0,
      successes: [],
      failure_count: 0,
      failures: [],
      pending_count: 0,
      pendings: [],
    };
    let posted = this.posters.get(poster);
    if (posted === undefined) this.posters.set(poster, (posted = { objects: new Map(), bytes: 0, journal: 0 }));
    const fresh: Record<string, unknown>[] = [];
    const lines: string[] = [];
    objects.forEach((object: unknown, i) => {
      const judged = judge(object, i, poster);
      // An SCO has no version of its own: it is the time it was added (§3.4.2).
      if (judged.version === '') judged.version = status.request_timestamp;
      if (judged.failure !== null) {
        status.failure_count++;
        if (status.failures.length + status.successes.length < MAX_STATUS_DETAILS) status.failures.push({ id: judged.id, version: judged.version, message: judged.failure });
        return;
      }
      const held = posted.objects.get(judged.id);
      // An older version than the one held is acknowledged and not kept (§5.5: the latest version wins).
      if (held === undefined || versionOf(held.object, held.added) <= judged.version) {
        if (held !== undefined) posted.bytes -= held.bytes;
        posted.objects.delete(judged.id);
        posted.objects.set(judged.id, { object: object as Record<string, unknown>, added: at, bytes: judged.text.length, entries: [] });
        posted.bytes += judged.text.length;
        fresh.push(object as Record<string, unknown>);
        lines.push(`{"added":${at},"object":${judged.text}}\n`);
      }
      status.success_count++;
      if (status.failures.length + status.successes.length < MAX_STATUS_DETAILS) status.successes.push({ id: judged.id, version: judged.version, message: 'added to the inbox' });
    });
    if (status.success_count + status.failure_count > MAX_STATUS_DETAILS) {
      status.x_fluxhound_details = `the first ${MAX_STATUS_DETAILS} objects' successes and failures are listed; the counts are exact`;
    }
    this.stats.accepted += status.success_count;
    this.stats.failed += status.failure_count;
    this.statuses.set(status.id, { poster, status });
    if (this.statuses.size > MAX_STATUSES) this.statuses.delete(this.statuses.keys().next().value as string);
    if (fresh.length > 0) {
      // Only this post's objects are parsed (relationships among them included).
      this.attach(posted, fresh, poster);
      this.evict(posted);
      this.push(poster);
      await this.persist(poster, posted, lines);
    }
    if (posted.objects.size === 0) this.posters.delete(poster);
    return status;
  }

  /** A status by id, only to the poster who made it (others learn nothing of a partner's posts). */
  status(id: string, poster: string): TaxiiStatus | null {
    const held = this.statuses.get(id);
    return held === undefined || held.poster !== poster ? null : held.status;
  }

  /** Every poster's objects: the operator's (admin) view. */
  objects(): PublishedObject[] {
    return this.objectsFor('all');
  }

  /** What `reader` may read: a partner its own posts only, an admin every poster's. */
  objectsFor(reader: InboxReader): PublishedObject[] {
    const all: PublishedObject[] = [];
    const posters = reader === 'all' ? [...this.posters.values()] : [this.posters.get(reader.poster)].filter((p) => p !== undefined);
    for (const posted of posters) for (const o of posted.objects.values()) all.push({ object: o.object, added: o.added });
    return all;
  }

  /** The seam the TAXII resources read for one requester. */
  sourceFor(reader: InboxReader): StixSource {
    return { objects: () => this.objectsFor(reader) };
  }

  /** The poster's feed: the union of the entries its kept objects gave when posted. */
  feedOf(poster: string): ParsedFeed {
    const entries: IntelEntry[] = [];
    for (const o of this.posters.get(poster)?.objects.values() ?? []) for (const e of o.entries) entries.push(e);
    return { entries, skipped: [] };
  }

  /** Parses `objects` (already in `posted`) once and keeps each entry beside the object it came from (entry.ref is its id). */
  private attach(posted: Posted, objects: readonly Record<string, unknown>[], poster: string): void {
    // An id posted twice in one envelope: only the version kept is read (no entries of the one replaced).
    const kept = objects.filter((o) => posted.objects.get(o.id as string)?.object === o);
    const parsed = parseStixObjects(kept, `taxii:${poster}`, { now: this.now() });
    this.stats.parsed += kept.length;
    for (const o of kept) posted.objects.get(o.id as string)!.entries = [];
    for (const e of parsed.entries) {
      const held = posted.objects.get(e.ref);
      if (held !== undefined) held.entries.push(e);
    }
  }

  /** Oldest first out, past maxObjects or maxBytes; each one counted. */
  private evict(posted: Posted): void {
    for (const [id, o] of posted.objects) {
      if (posted.objects.size <= this.options.maxObjects && posted.bytes <= this.maxBytes) break;
      posted.objects.delete(id);
      posted.bytes -= o.bytes;
      this.stats.dropped++;
    }
  }

  /**
   * Hands the poster's feed to the feed set: the union of the entries its
   * kept objects gave. A post whose objects give no entry (an identity, a
   * relationship alone) leaves the earlier objects' entries in it; the feed
   * empties only when no kept object gives one any more.
   */
  private push(poster: string): void {
    this.options.intel()?.put(`taxii:${poster}`, this.feedOf(poster), this.options.meta);
  }

  /** Appends this post's kept objects to the poster's journal; rewrites it whole once dropped objects make up most of it. */
  private persist(poster: string, posted: Posted, lines: string[]): Promise<void> {
    const file = join(this.dir, `${poster}.jsonl`);
    const appended = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
    const compact = posted.journal + appended > Math.max(COMPACT_MIN_BYTES, COMPACT_RATIO * posted.bytes);
    // What to write is fixed now, not when the chain gets to it.
    const chunks = compact ? [...posted.objects.values()].map((o) => `{"added":${o.added},"object":${JSON.stringify(o.object)}}\n`) : lines;
    posted.journal = compact ? chunks.reduce((n, l) => n + Buffer.byteLength(l), 0) : posted.journal + appended;
    const run = this.chain.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if (compact) await writeFileAtomic(file, chunks, 0o600);
      else await appendFile(file, chunks.join(''), { mode: 0o600 });
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** One journal line: a kept object and when it was added, or null when the line is not one. */
function readLine(line: string): { id: string; object: Record<string, unknown>; added: number; bytes: number } | null {
  try {
    const o = JSON.parse(line) as { added?: unknown; object?: unknown };
    const object = o.object as Record<string, unknown> | null | undefined;
    if (typeof o.added !== 'number' || typeof object !== 'object' || object === null || Array.isArray(object)) return null;
    if (typeof object.id !== 'string' || !STIX_ID.test(object.id)) return null;
    return { id: object.id, object, added: o.added, bytes: JSON.stringify(object).length };
  } catch {
    return null;
  }
}

/** A STIX version (§3.4.2): modified, else created, else when it was added. */
function versionOf(object: Record<string, unknown>, added: number): string {
  return typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : new Date(added).toISOString();
}

/** One posted object on its own: its id, version and JSON text, and why it fails (null when it is usable). */
function judge(object: unknown, index: number, poster: string): { id: string; version: string; text: string; failure: string | null } {
  const fallback = `objects[${index}]`;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return { id: fallback, version: '', text: '', failure: 'not a STIX object' };
  const o = object as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id.slice(0, MAX_ECHO) : fallback;
  const version = typeof o.modified === 'string' ? o.modified.slice(0, 40) : typeof o.created === 'string' ? o.created.slice(0, 40) : '';
  if (typeof o.type !== 'string' || typeof o.id !== 'string' || !STIX_ID.test(o.id) || o.id.slice(0, o.id.indexOf('--')) !== o.type) {
    return { id, version, text: '', failure: 'not a STIX object: type and an id TYPE--UUID are required' };
  }
  if (SDO_LIKE.has(o.type) && o.spec_version !== '2.1') return { id, version, text: '', failure: 'only STIX 2.1 objects (spec_version 2.1)' };
  // Stringified once: the size check, the byte cap and the journal line all use this text.
  const text = JSON.stringify(o);
  if (text.length > MAX_OBJECT_BYTES) return { id, version, text: '', failure: `larger than ${MAX_OBJECT_BYTES} bytes` };
  const parsed = parseStixObjects([o], `taxii:${poster}`);
  if (parsed.skipped.length > 0) return { id, version, text: '', failure: parsed.skipped[0]!.reason.slice(0, MAX_ECHO) };
  return { id, version, text, failure: null };
}

/** Types that carry spec_version themselves (SDOs, SROs); SCOs may leave it out (it is then 2.1). */
const SDO_LIKE = new Set(['indicator', 'infrastructure', 'relationship', 'identity', 'malware', 'campaign', 'threat-actor', 'attack-pattern', 'report', 'sighting', 'note', 'opinion', 'grouping', 'tool', 'intrusion-set', 'location', 'course-of-action', 'vulnerability', 'observed-data', 'incident', 'malware-analysis']);
