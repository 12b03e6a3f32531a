/**
 * The write collection (serve.taxii.inbox): partners holding a write token
 * POST envelopes of STIX objects; each poster's objects become the intel
 * feed `taxii:<poster>` (the token's NAME) of the daemon's feed set, read by
 * detection like any configured feed. Every object is judged on its own
 * with the intel STIX reader (src/intel/stix): one it cannot use (a broken
 * object, a pattern it does not support or refuses) is a failure of the
 * status resource, never stored; the rest are kept (latest version per id,
 * at most maxObjects per poster, the oldest dropped first), persisted under
 * intel.cacheDir/taxii-inbox/ and readable back through GET objects.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeFileAtomic } from '../../act/rpz/zone-file.js';
import type { ParsedFeed } from '../../intel/entry.js';
import { parseStix } from '../../intel/stix/index.js';
import type { IntelFeeds, PushedFeedMeta } from '../../intel/view.js';
import type { PublishedObject, StixSource } from './source.js';

/** Statuses kept for GET /status/{id}/ (the newest; older ones answer 404). */
export const MAX_STATUSES = 1000;
/** Bytes one posted object may take as JSON: an indicator is far smaller. */
export const MAX_OBJECT_BYTES = 64 * 1024;
/** Characters of a posted id echoed back in a status (a hostile id is cut, never repeated whole). */
const MAX_ECHO = 200;
const STIX_ID = /^[a-z][a-z0-9-]{0,62}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Token names (src/serve/auth/tokens.ts NAME_PATTERN) are safe file names; checked again on load. */
const POSTER = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

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
  successes: StatusDetail[];
  failure_count: number;
  failures: StatusDetail[];
  pending_count: 0;
  pendings: StatusDetail[];
}

export interface InboxOptions {
  /** intel.cacheDir: the posted objects live in its taxii-inbox/ folder. */
  cacheDir: string;
  maxObjects: number;
  meta: PushedFeedMeta;
  /** The daemon's feed set, read at each use (set by the intel service; null when there is none). */
  intel: () => IntelFeeds | null;
  now?: () => number;
}

/** A post the inbox refused whole (a TAXII error: 400 or 413). */
export class InboxError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

type Posted = Map<string, PublishedObject>;

export class Inbox implements StixSource {
  private readonly posters = new Map<string, Posted>();
  private readonly statuses = new Map<string, { poster: string; status: TaxiiStatus }>();
  private readonly dir: string;
  private readonly now: () => number;
  /** Persisting runs one write after another. */
  private chain: Promise<void> = Promise.resolve();
  private last = -Infinity;
  readonly stats = { accepted: 0, failed: 0, loadErrors: 0 };

  constructor(private options: InboxOptions) {
    this.dir = join(options.cacheDir, 'taxii-inbox');
    this.now = options.now ?? Date.now;
  }

  /** A reload's action and confidence apply to every poster's feed at once. */
  configure(options: Pick<InboxOptions, 'maxObjects' | 'meta'>): void {
    this.options = { ...this.options, ...options };
    for (const poster of this.posters.keys()) this.push(poster);
  }

  /** Reads what partners posted before a restart and hands it to the feed set; a broken file is skipped and counted. */
  load(): string[] {
    const problems: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return problems; // nothing posted yet
    }
    for (const name of names) {
      const poster = name.slice(0, -5);
      try {
        if (!POSTER.test(poster)) throw new Error('not a token name');
        const saved = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as { objects?: unknown };
        if (!Array.isArray(saved.objects)) throw new Error('no objects');
        const posted: Posted = new Map();
        for (const o of saved.objects as PublishedObject[]) {
          const id = typeof o?.object?.id === 'string' ? o.object.id : null;
          if (id !== null && STIX_ID.test(id) && typeof o.added === 'number') posted.set(id, { object: o.object, added: o.added });
        }
        this.posters.set(poster, posted);
        for (const o of posted.values()) this.last = Math.max(this.last, o.added);
        this.push(poster);
      } catch (err) {
        this.stats.loadErrors++;
        problems.push(`taxii inbox: ${join(this.dir, name)}: ${(err as Error).message.slice(0, 200)}`);
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
    if (posted === undefined) this.posters.set(poster, (posted = new Map()));
    objects.forEach((object: unknown, i) => {
      const judged = judge(object, i, poster);
      // An SCO has no version of its own: it is the time it was added (§3.4.2).
      if (judged.version === '') judged.version = status.request_timestamp;
      if (judged.failure !== null) {
        status.failures.push({ id: judged.id, version: judged.version, message: judged.failure });
        return;
      }
      const held = posted.get(judged.id);
      // An older version than the one held is acknowledged and not kept (§5.5: the latest version wins).
      if (held === undefined || versionOf(held.object, held.added) <= judged.version) {
        posted.delete(judged.id);
        posted.set(judged.id, { object: object as Record<string, unknown>, added: at });
      }
      status.successes.push({ id: judged.id, version: judged.version, message: 'added to the inbox' });
    });
    // Oldest first out (Map order is the order of adding).
    for (const id of posted.keys()) {
      if (posted.size <= this.options.maxObjects) break;
      posted.delete(id);
    }
    status.success_count = status.successes.length;
    status.failure_count = status.failures.length;
    this.stats.accepted += status.success_count;
    this.stats.failed += status.failure_count;
    this.statuses.set(status.id, { poster, status });
    if (this.statuses.size > MAX_STATUSES) this.statuses.delete(this.statuses.keys().next().value as string);
    if (status.success_count > 0) {
      this.push(poster);
      await this.persist(poster);
    }
    return status;
  }

  /** A status by id, only to the poster who made it (others learn nothing of a partner's posts). */
  status(id: string, poster: string): TaxiiStatus | null {
    const held = this.statuses.get(id);
    return held === undefined || held.poster !== poster ? null : held.status;
  }

  objects(): PublishedObject[] {
    const all: PublishedObject[] = [];
    for (const posted of this.posters.values()) for (const o of posted.values()) all.push(o);
    return all;
  }

  /** The poster's feed as the intel STIX reader sees all of its objects together (relationships included). */
  feedOf(poster: string): ParsedFeed {
    const objects = [...(this.posters.get(poster)?.values() ?? [])].map((o) => o.object);
    return parseStix(JSON.stringify(objects), `taxii:${poster}`, { now: this.now() });
  }

  private push(poster: string): void {
    this.options.intel()?.put(`taxii:${poster}`, this.feedOf(poster), this.options.meta);
  }

  private persist(poster: string): Promise<void> {
    const objects = [...(this.posters.get(poster)?.values() ?? [])];
    const run = this.chain.then(async () => {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(this.dir, `${poster}.json`), [`${JSON.stringify({ poster, objects })}\n`], 0o600);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** A STIX version (§3.4.2): modified, else created, else when it was added. */
function versionOf(object: Record<string, unknown>, added: number): string {
  return typeof object.modified === 'string' ? object.modified : typeof object.created === 'string' ? object.created : new Date(added).toISOString();
}

/** One posted object on its own: its id and version for the status, and why it fails (null when it is usable). */
function judge(object: unknown, index: number, poster: string): { id: string; version: string; failure: string | null } {
  const fallback = `objects[${index}]`;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return { id: fallback, version: '', failure: 'not a STIX object' };
  const o = object as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id.slice(0, MAX_ECHO) : fallback;
  const version = typeof o.modified === 'string' ? o.modified.slice(0, 40) : typeof o.created === 'string' ? o.created.slice(0, 40) : '';
  if (typeof o.type !== 'string' || typeof o.id !== 'string' || !STIX_ID.test(o.id) || o.id.slice(0, o.id.indexOf('--')) !== o.type) {
    return { id, version, failure: 'not a STIX object: type and an id TYPE--UUID are required' };
  }
  if (SDO_LIKE.has(o.type) && o.spec_version !== '2.1') return { id, version, failure: 'only STIX 2.1 objects (spec_version 2.1)' };
  const text = JSON.stringify(o);
  if (text.length > MAX_OBJECT_BYTES) return { id, version, failure: `larger than ${MAX_OBJECT_BYTES} bytes` };
  const parsed = parseStix(`[${text}]`, `taxii:${poster}`);
  if (parsed.skipped.length > 0) return { id, version, failure: parsed.skipped[0]!.reason.slice(0, MAX_ECHO) };
  return { id, version, failure: null };
}

/** Types that carry spec_version themselves (SDOs, SROs); SCOs may leave it out (it is then 2.1). */
const SDO_LIKE = new Set(['indicator', 'infrastructure', 'relationship', 'identity', 'malware', 'campaign', 'threat-actor', 'attack-pattern', 'report', 'sighting', 'note', 'opinion', 'grouping', 'tool', 'intrusion-set', 'location', 'course-of-action', 'vulnerability', 'observed-data', 'incident', 'malware-analysis']);
