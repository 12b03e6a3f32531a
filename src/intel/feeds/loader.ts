/**
 * One feed's copy: read from its file (again only when its size or mtime
 * changed), fetched from its URL (conditionally; the last good copy kept in
 * intel.cacheDir), a MISP feed (manifest.json, then its events) or a TAXII
 * collection (polled with added_after). A refresh that fails (unreachable,
 * over the cap, HTTP 500, content nothing can be read from) is one log line
 * and one count, and the copy in force stays.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileRefused, readRegularBytes } from '../../config/regular-file.js';
import type { Config } from '../../config/schema.js';
import type { ParsedFeed } from '../entry.js';
import { parseMispEvent, parseMispManifest } from '../misp/index.js';
import { decodeText, parseFeedInSlices, type ParsedFeedOf } from '../parse-feed.js';
import { parseStixObjects } from '../stix/index.js';
import type { TaxiiFeedSource as TaxiiSource, TaxiiFetch as TaxiiPoll } from '../taxii/index.js';
import { copyIdentity, readCopy, writeCopy, type CopyMeta } from './cache.js';
import { conditionalGet, redactUrl, type FeedAuth, type Validators } from './http-get.js';

export type IntelFeedConfig = Config['intel']['feeds'][number];

export interface FeedSettings {
  cacheDir: string;
  timeoutMs: number;
  maxBytes: number;
}

/** The log lines a loader writes (pino's signature). */
export interface FeedLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export type FetchTaxii = (source: TaxiiSource, addedAfter: string | null) => Promise<TaxiiPoll>;

export const FETCH_RESULTS = ['ok', 'not-modified', 'error'] as const;
export type FetchResult = (typeof FETCH_RESULTS)[number];

/** MISP events fetched from one manifest at most. */
export const MAX_MISP_FETCHED_EVENTS = 10_000;
/** TAXII objects kept in one feed's union at most (the oldest by `modified` go first). */
export const MAX_TAXII_OBJECTS = 200_000;
/** A CA bundle, a token or a password file is never bigger than this. */
const SMALL_FILE_BYTES = 1024 * 1024;

/** What a refresh did to the copy in force. */
export type RefreshOutcome = 'changed' | 'confirmed' | 'failed';

export class FeedLoader {
  /** The copy in force; null before the first good one. */
  parsed: ParsedFeedOf | null = null;
  /** When the copy in force was read or fetched (epoch ms). */
  loadedAt: number | null = null;
  /** The last good refresh (a new copy, a 304, an unchanged file): expiry counts from here. */
  goodAt: number | null = null;
  error: string | null = null;
  readonly fetches: Record<FetchResult, number> = { ok: 0, 'not-modified': 0, error: 0 };
  private fileStamp = '';
  /** When the refresh under way began: the time a good copy is stamped with, in memory and on disk. */
  private attemptAt = 0;
  private taxiiNewest: string | null = null;

  constructor(
    readonly config: IntelFeedConfig,
    readonly settings: FeedSettings,
    private readonly log: FeedLog,
    private readonly fetchTaxii: FetchTaxii,
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** path, or the URL as it may be shown. */
  get source(): string {
    return this.config.path ?? redactUrl(this.config.url ?? '');
  }

  /** What the copy on disk must be of (cache.ts copyIdentity): this feed's url or path, collection and kind. */
  get identity(): string {
    return copyIdentity(this.config.path ?? this.config.url ?? '', this.config.collection, this.config.kind);
  }

  /** Epoch ms after which the copy no longer matches; Infinity when expiry is 0 (or before any copy). */
  expiresAt(): number {
    if (this.config.expiry === 0 || this.goodAt === null) return Infinity;
    return this.goodAt + this.config.expiry * 1000;
  }

  /** One refresh; never rejects. */
  async refresh(signal?: AbortSignal): Promise<RefreshOutcome> {
    const now = Date.now();
    this.attemptAt = now;
    try {
      const fresh = this.config.path !== null ? await this.readPath() : await this.fetchUrl(signal);
      if (fresh !== null) {
        const unusable = unusableReason(fresh, this.source);
        if (unusable !== null) throw new Error(unusable);
        this.parsed = fresh;
        this.loadedAt = now;
      }
      this.goodAt = now;
      this.error = null;
      return fresh !== null ? 'changed' : 'confirmed';
    } catch (err) {
      this.fetches.error++;
      this.error = oneLine((err as Error).message);
      this.log.warn({ feed: this.name, source: this.source }, `intel feed ${this.name}: ${this.error}; ${this.parsed === null ? 'no copy to use' : 'keeping the previous copy'}`);
      if (this.parsed === null && this.config.url !== null) return (await this.fromCache()) ? 'changed' : 'failed';
      return 'failed';
    }
  }

  /** At start with the URL unreachable: the last good copy on disk, valid from when it was fetched. */
  private async fromCache(): Promise<boolean> {
    const cached = await readCopy(this.settings.cacheDir, this.name, this.settings.maxBytes, this.identity);
    if (cached === null) return false;
    const parsed = await this.parseCopy(cached.body, cached.meta);
    if (unusableReason(parsed, this.source) !== null) return false;
    this.parsed = parsed;
    this.loadedAt = cached.meta.fetchedAt;
    this.goodAt = cached.meta.fetchedAt;
    this.log.info({ feed: this.name }, `intel feed ${this.name}: using the last good copy of ${new Date(cached.meta.fetchedAt).toISOString()}`);
    return true;
  }

  // ---- files -------------------------------------------------------------

  /** The file's (or MISP directory's) content when it changed since the last read; null when it did not. */
  private async readPath(): Promise<ParsedFeedOf | null> {
    const path = this.config.path!;
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${path}: ${err.code ?? err.message}`);
    });
    const manifest = info.isDirectory() ? join(path, 'manifest.json') : path;
    const stamped = info.isDirectory() ? await stat(manifest).catch(() => {
      throw new Error(`${path} is a directory without manifest.json (only a MISP feed directory may be given)`);
    }) : info;
    const stamp = `${stamped.size}:${stamped.mtimeMs}`;
    if (stamp === this.fileStamp && this.parsed !== null) {
      this.fetches['not-modified']++;
      return null;
    }
    if (stamped.size > this.settings.maxBytes) throw new Error(`${path}: ${stamped.size} bytes, over the cap of ${this.settings.maxBytes} (intel.maxBytes)`);
    let parsed: ParsedFeedOf;
    if (info.isDirectory()) parsed = await this.readMispDirectory(path, this.readLocal(manifest, this.settings.maxBytes).toString('utf8'));
    else parsed = await parseFeedInSlices(this.readLocal(path, this.settings.maxBytes), path, { kind: this.config.kind, column: this.config.column }, pause);
    const unusable = unusableReason(parsed, this.source);
    if (unusable !== null) throw new Error(unusable);
    this.fileStamp = stamp;
    this.fetches.ok++;
    return parsed;
  }

  /**
   * A local feed file, read whole only when it is a regular file within
   * intel.maxBytes: /dev/zero, a FIFO or a file growing while read is a
   * failed load (the previous copy stays in force), never a hang.
   */
  private readLocal(path: string, maxBytes: number): Buffer {
    try {
      return readRegularBytes(path, maxBytes);
    } catch (err) {
      if (!(err instanceof FileRefused)) throw err;
      const refusal = err.refusal;
      if (refusal.kind === 'unreadable') throw new Error(`cannot read ${path}: ${refusal.code}`);
      if (refusal.kind === 'not-regular') throw new Error(`${path} is not a regular file`);
      if (refusal.kind === 'too-big') throw new Error(`${path}: ${refusal.size} bytes, over the cap of ${maxBytes} (intel.maxBytes)`);
      throw new Error(`${path}: grew past the cap of ${maxBytes} bytes while read (intel.maxBytes)`);
    }
  }

  /** A CA bundle or a secret: a regular file of at most 1 MiB. */
  private readSmall(path: string, key: string): string {
    try {
      return readRegularBytes(path, SMALL_FILE_BYTES).toString('utf8');
    } catch (err) {
      if (!(err instanceof FileRefused)) throw err;
      const why = err.refusal.kind === 'unreadable' ? err.refusal.code : err.refusal.kind === 'not-regular' ? 'not a regular file' : `over ${SMALL_FILE_BYTES} bytes`;
      throw new Error(`cannot read ${key} ${path}: ${why}`);
    }
  }

  private async readMispDirectory(dir: string, manifestText: string): Promise<ParsedFeedOf> {
    const manifest = parseMispManifest(manifestText, join(dir, 'manifest.json'));
    const feed: ParsedFeed = { entries: [], skipped: [...manifest.skipped] };
    let bytes = 0;
    for (const uuid of manifest.uuids.slice(0, MAX_MISP_FETCHED_EVENTS)) {
      const file = join(dir, `${uuid}.json`);
      let text: string;
      try {
        text = readRegularBytes(file, this.settings.maxBytes - bytes).toString('utf8');
      } catch (err) {
        if (!(err instanceof FileRefused)) throw err;
        if (err.refusal.kind === 'unreadable') {
          feed.skipped.push({ position: file, reason: 'event file listed in manifest.json is missing' });
          continue;
        }
        if (err.refusal.kind === 'not-regular') {
          feed.skipped.push({ position: file, reason: 'event file listed in manifest.json is not a regular file' });
          continue;
        }
        throw new Error(`${dir}: events over the cap of ${this.settings.maxBytes} bytes (intel.maxBytes)`);
      }
      bytes += Buffer.byteLength(text);
      append(feed, parseMispEvent(text, file));
    }
    if (manifest.uuids.length > MAX_MISP_FETCHED_EVENTS) feed.skipped.push({ position: dir, reason: `manifest lists ${manifest.uuids.length} events, read the first ${MAX_MISP_FETCHED_EVENTS}` });
    return { kind: 'misp', ...feed };
  }

  // ---- URLs --------------------------------------------------------------

  private async fetchUrl(signal?: AbortSignal): Promise<ParsedFeedOf | null> {
    const auth = await this.readAuth();
    const ca = this.config.ca === null ? null : this.readSmall(this.config.ca, 'ca');
    if (this.config.kind === 'taxii') return this.pollTaxii(auth, ca, signal);
    // Validators only with a copy to fall back on: a 304 must find what it confirms.
    const cached = this.parsed === null ? await readCopy(this.settings.cacheDir, this.name, this.settings.maxBytes, this.identity) : null;
    const validators = this.parsed !== null ? await this.keptValidators() : (cached?.meta ?? null);
    const url = this.config.kind === 'misp' ? mispManifestUrl(this.config.url!) : this.config.url!;
    const got = await conditionalGet({ url, validators, auth, ca, timeoutMs: this.settings.timeoutMs, maxBytes: this.settings.maxBytes, signal });
    if (got.status === 'not-modified') {
      this.fetches['not-modified']++;
      await this.touchMeta(validators);
      if (this.parsed !== null) return null;
      if (cached === null) throw new Error('HTTP 304 without a copy to confirm');
      return await this.parseCopy(cached.body, cached.meta);
    }
    let body = got.body;
    if (this.config.kind === 'misp') body = await this.fetchMispEvents(url, body, auth, ca, signal);
    const meta: CopyMeta = { ...got.validators, fetchedAt: this.attemptAt, source: this.source, identity: this.identity };
    const parsed = await this.parseCopy(body, meta);
    const unusable = unusableReason(parsed, this.source);
    if (unusable !== null) throw new Error(unusable);
    this.fetches.ok++;
    await writeCopy(this.settings.cacheDir, this.name, body, meta).catch((err: NodeJS.ErrnoException) => {
      this.log.warn({ feed: this.name }, `intel feed ${this.name}: cannot keep the copy in ${this.settings.cacheDir}: ${err.code ?? err.message}`);
    });
    this.validators = got.validators;
    return parsed;
  }

  private validators: Validators | null = null;

  private async keptValidators(): Promise<Validators | null> {
    if (this.validators !== null) return this.validators;
    return (await readCopy(this.settings.cacheDir, this.name, this.settings.maxBytes, this.identity))?.meta ?? null;
  }

  /** A 304 is a good fetch: the copy on disk is confirmed from now (a restart's expiry counts from here). */
  private async touchMeta(validators: Validators | null): Promise<void> {
    const meta: CopyMeta = { etag: validators?.etag ?? null, lastModified: validators?.lastModified ?? null, fetchedAt: this.attemptAt, source: this.source, identity: this.identity };
    await writeCopy(this.settings.cacheDir, this.name, null, meta).catch(() => undefined);
  }

  private async parseCopy(body: Buffer, meta: CopyMeta): Promise<ParsedFeedOf> {
    if (this.config.kind === 'misp' && this.config.url !== null) return parseMispCopy(body, this.source);
    if (this.config.kind === 'taxii') {
      this.taxiiNewest = meta.newest ?? null;
      const objects = objectsOf(body);
      if (objects === null) return { kind: null, entries: [], skipped: [{ position: this.source, reason: 'the kept TAXII copy is not a bundle' }] };
      return { kind: 'stix', ...parseStixObjects(objects, this.source) };
    }
    return parseFeedInSlices(body, this.source, { kind: this.config.kind, column: this.config.column }, pause);
  }

  private async readAuth(): Promise<FeedAuth> {
    const a = this.config.auth;
    const secret = (path: string, what: string): string => this.readSmall(path, `auth.${what}`).replace(/\r?\n$/, '');
    if (a.tokenFile !== null) return { token: secret(a.tokenFile, 'tokenFile') };
    if (a.user !== null && a.passwordFile !== null) return { user: a.user, password: secret(a.passwordFile, 'passwordFile') };
    return null;
  }

  /** The events a MISP manifest lists, fetched one by one beside it; the copy kept is {manifest, events}. */
  private async fetchMispEvents(manifestUrl: string, manifestBody: Buffer, auth: FeedAuth, ca: string | null, signal?: AbortSignal): Promise<Buffer> {
    const manifest = parseMispManifest(decodeText(manifestBody), this.source);
    if (manifest.uuids.length === 0 && manifest.skipped.length > 0) throw new Error(`manifest.json: ${manifest.skipped[0]!.reason}`);
    const events: Record<string, string> = {};
    let bytes = manifestBody.length;
    for (const uuid of manifest.uuids.slice(0, MAX_MISP_FETCHED_EVENTS)) {
      const left = this.settings.maxBytes - bytes;
      if (left <= 0) throw new Error(`events over the cap of ${this.settings.maxBytes} bytes (intel.maxBytes)`);
      const got = await conditionalGet({ url: new URL(`${uuid}.json`, manifestUrl).href, validators: null, auth, ca, timeoutMs: this.settings.timeoutMs, maxBytes: left, signal });
      if (got.status !== 'ok') throw new Error(`event ${uuid}: HTTP 304 to an unconditional request`);
      bytes += got.body.length;
      events[uuid] = decodeText(got.body);
    }
    return Buffer.from(JSON.stringify({ manifest: decodeText(manifestBody), events }));
  }

  /** TAXII: the objects added since the newest seen, merged into the union kept on disk. */
  private async pollTaxii(auth: FeedAuth, ca: string | null, signal?: AbortSignal): Promise<ParsedFeedOf | null> {
    const cached = await readCopy(this.settings.cacheDir, this.name, this.settings.maxBytes, this.identity);
    const kept = cached === null ? [] : (objectsOf(cached.body) ?? []);
    const after = this.parsed === null && cached === null ? null : (cached?.meta.newest ?? this.taxiiNewest);
    const source: TaxiiSource = { url: this.config.url!, collection: this.config.collection, auth, ca, timeoutMs: this.settings.timeoutMs, maxBytes: this.settings.maxBytes, signal };
    const poll = await this.fetchTaxii(source, after);
    if (poll.objects.length === 0 && this.parsed !== null) {
      this.fetches['not-modified']++;
      return null;
    }
    const union = mergeObjects(kept, poll.objects, MAX_TAXII_OBJECTS);
    const newest = poll.newest ?? after;
    // The union is parsed as objects (no text cap to outgrow) and kept only once it proved usable:
    // a copy nothing can be read from must neither replace the one on disk nor move `newest` past its objects.
    const parsed: ParsedFeedOf = { kind: 'stix', ...parseStixObjects(union, this.source) };
    // Elements of a page that were no objects: reported with this copy (page and position).
    for (const s of poll.skipped.slice(0, 100)) parsed.skipped.push(s);
    const unusable = unusableReason(parsed, this.source);
    if (unusable !== null) throw new Error(unusable);
    const body = Buffer.from(JSON.stringify({ type: 'bundle', id: 'bundle--00000000-0000-4000-8000-000000000000', objects: union }));
    const meta: CopyMeta = { etag: null, lastModified: null, fetchedAt: this.attemptAt, source: this.source, identity: this.identity, newest };
    this.fetches.ok++;
    await writeCopy(this.settings.cacheDir, this.name, body, meta).catch((err: NodeJS.ErrnoException) => {
      this.log.warn({ feed: this.name }, `intel feed ${this.name}: cannot keep the copy in ${this.settings.cacheDir}: ${err.code ?? err.message}`);
    });
    this.taxiiNewest = newest;
    return parsed;
  }
}

/**
 * Why a copy is no copy: its kind cannot be told; a JSON feed (STIX, MISP)
 * that is no document at all (not JSON, no bundle); a text feed whose every
 * record is bad (an HTML error page served with 200). A well-formed STIX
 * bundle or MISP event with nothing fluxhound uses is a good, empty copy.
 */
function unusableReason(p: ParsedFeedOf, source: string): string | null {
  if (p.kind === null) return p.skipped[0]?.reason ?? 'feed kind not recognised';
  if (p.entries.length > 0 || p.skipped.length === 0) return null;
  const whole = p.kind === 'stix' || p.kind === 'misp' ? p.skipped.find((s) => s.position === source) : p.skipped[0];
  return whole === undefined ? null : `nothing usable: ${whole.position}: ${whole.reason}`;
}

function mispManifestUrl(url: string): string {
  if (/\/manifest\.json$/i.test(new URL(url).pathname)) return url;
  const u = new URL(url);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.pathname += 'manifest.json';
  return u.href;
}

function parseMispCopy(body: Buffer, source: string): ParsedFeedOf {
  let copy: { manifest?: unknown; events?: unknown };
  try {
    copy = JSON.parse(body.toString('utf8')) as typeof copy;
  } catch {
    return { kind: null, entries: [], skipped: [{ position: source, reason: 'the kept MISP copy is not JSON' }] };
  }
  const feed: ParsedFeed = { entries: [], skipped: [] };
  if (typeof copy.manifest === 'string') feed.skipped.push(...parseMispManifest(copy.manifest, `${source} manifest.json`).skipped);
  const events = typeof copy.events === 'object' && copy.events !== null ? (copy.events as Record<string, unknown>) : {};
  for (const [uuid, text] of Object.entries(events)) if (typeof text === 'string') append(feed, parseMispEvent(text, `${source} ${uuid}.json`));
  return { kind: 'misp', ...feed };
}

/** The objects of a kept TAXII copy (the loader's own bundle); null when it is no such bundle. */
function objectsOf(body: Buffer): Record<string, unknown>[] | null {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { objects?: unknown } | null;
    return doc !== null && Array.isArray(doc.objects) ? (doc.objects.filter((o) => typeof o === 'object' && o !== null) as Record<string, unknown>[]) : null;
  } catch {
    return null;
  }
}

/** The union by id: the later `modified` (else `created`) wins; past the cap the oldest go. */
export function mergeObjects(kept: Record<string, unknown>[], added: Record<string, unknown>[], cap: number): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  const stamp = (o: Record<string, unknown>): string => (typeof o.modified === 'string' ? o.modified : typeof o.created === 'string' ? o.created : '');
  for (const o of [...kept, ...added]) {
    const id = typeof o.id === 'string' ? o.id : null;
    if (id === null) continue;
    const old = byId.get(id);
    if (old === undefined || stamp(o) >= stamp(old)) byId.set(id, o);
  }
  const all = [...byId.values()];
  if (all.length <= cap) return all;
  return all.sort((a, b) => (stamp(b) < stamp(a) ? -1 : stamp(b) > stamp(a) ? 1 : 0)).slice(0, cap);
}

function append(into: ParsedFeed, from: ParsedFeed): void {
  for (const e of from.entries) into.entries.push(e);
  for (const s of from.skipped) if (into.skipped.length < 1000) into.skipped.push(s);
}

/** Between two slices of a big list: timers and sockets get their turn. */
function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function oneLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).slice(0, 300);
}
