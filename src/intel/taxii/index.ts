/**
 * The TAXII 2.1 client behind intel feeds of kind 'taxii': one poll of a
 * collection's objects (OASIS TAXII 2.1 §5.4), from the URL a partner handed
 * out to every object added after the last poll, page by page. Bounded in
 * pages, bytes (while streaming, over the whole poll) and time; a failure is
 * one TaxiiError line that never holds the feed's secrets.
 */
import { DEFAULT_PARSE_LIMITS, FeedCollector } from '../feed-text.js';
import type { IntelSkip } from '../entry.js';
import { PollTransport } from './http.js';
import { TaxiiError, locationOf, quoted, redact } from './messages.js';
import { resolveCollection } from './resolve.js';
import { readEnvelope, readResource } from './resource.js';

export { TaxiiError } from './messages.js';
export { TAXII_MEDIA_TYPE } from './http.js';

export interface TaxiiFeedSource {
  /** A discovery URL (`.../taxii2/`), an API root or a collection URL. */
  url: string;
  /** The collection's id or title; null = the API root's only readable collection. */
  collection: string | null;
  auth: { user: string; password: string } | { token: string } | null;
  /** PEM text of the CA certificates trusted for https instead of the system's. */
  ca: string | null;
  /** Milliseconds the whole poll (every request and page) may take. */
  timeoutMs: number;
  /** Bytes the whole poll may read (every answer's body, counted while it streams). */
  maxBytes: number;
  signal?: AbortSignal;
  /** Pages one poll may take before it fails as a page loop. Default MAX_PAGES. */
  maxPages?: number;
}

export interface TaxiiFetch {
  /** Every object of every page, in the server's order (versions of one object may repeat). */
  objects: Record<string, unknown>[];
  /** Pass as addedAfter next poll: the newest date_added seen; never earlier than the addedAfter given. */
  newest: string | null;
  pages: number;
  bytes: number;
  /** Elements of an envelope's objects that were not objects: skipped, with page and position. */
  skipped: IntelSkip[];
}

/** Objects asked for per page (servers may lower it; fluxhound's own caps at 1000). */
export const PAGE_LIMIT = 1000;
/** Pages one poll may take by default: 10 million objects at 1000 a page. */
export const MAX_PAGES = 10_000;

/**
 * One poll: resolve the collection, then GET objects/ with added_after and
 * limit, following `more` with `next` (§3.6); when a server says more without
 * next, with added_after = its X-TAXII-Date-Added-Last, as the spec allows.
 */
export async function fetchTaxii(source: TaxiiFeedSource, addedAfter: string | null): Promise<TaxiiFetch> {
  const secrets = secretsOf(source.auth, source.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TaxiiError(`${safeLocation(source.url)}: the poll took longer than ${source.timeoutMs} ms`)), source.timeoutMs);
  const onAbort = (): void => controller.abort(new TaxiiError(`${safeLocation(source.url)}: poll aborted`));
  if (source.signal?.aborted === true) onAbort();
  else source.signal?.addEventListener('abort', onAbort, { once: true });
  const transport = new PollTransport({ maxBytes: source.maxBytes, authorization: authorizationOf(source.auth), ca: source.ca, signal: controller.signal });
  try {
    let feedUrl: URL;
    try {
      feedUrl = new URL(source.url);
    } catch {
      throw new TaxiiError(`${quoted(source.url)} is not a URL`);
    }
    const read = async (url: URL) => readResource(url, await transport.get(url));
    const collection = await resolveCollection(feedUrl, source.collection, read);
    const polled = await pollObjects(new URL('objects/', collection.url), addedAfter, source.maxPages ?? MAX_PAGES, transport);
    return { ...polled, bytes: transport.bytes };
  } catch (err) {
    const message = err instanceof TaxiiError ? err.message : `taxii: ${safeLocation(source.url)}: ${(err as Error).message}`;
    throw new TaxiiError(redact(message, secrets).replace(/^taxii: /, ''));
  } finally {
    clearTimeout(timer);
    source.signal?.removeEventListener('abort', onAbort);
    transport.close();
  }
}

async function pollObjects(objectsUrl: URL, addedAfter: string | null, maxPages: number, transport: PollTransport): Promise<Omit<TaxiiFetch, 'bytes'>> {
  const where = locationOf(objectsUrl);
  const skips = new FeedCollector(where, DEFAULT_PARSE_LIMITS);
  const objects: Record<string, unknown>[] = [];
  const nextsSeen = new Set<string>();
  let after = addedAfter;
  let next: string | null = null;
  let newest: string | null = null;
  let serverDate: string | null = null;
  for (let page = 1; ; page++) {
    if (page > maxPages) throw new TaxiiError(`${where}: still more after ${maxPages} pages: a page loop, or a collection too large for one poll`);
    const url = new URL(objectsUrl.href);
    if (after !== null) url.searchParams.set('added_after', after);
    url.searchParams.set('limit', String(PAGE_LIMIT));
    if (next !== null) url.searchParams.set('next', next);
    const answer = await transport.get(url);
    const envelope = readEnvelope(where, page, readResource(objectsUrl, answer), (position, reason) => skips.skip(position, reason));
    for (const object of envelope.objects) objects.push(object);
    serverDate ??= serverDateOf(answer.headers.date);
    const last = addedTimestamp(answer.headers['x-taxii-date-added-last']);
    if (last !== null && (newest === null || laterThan(last, newest))) newest = last;
    if (!envelope.more) return { objects, newest: newestToKeep(addedAfter, newest, objects.length > 0 ? serverDate : null), pages: page, skipped: skips.result().skipped };
    if (envelope.next !== null) {
      // The same original query with next (§3.6); a next handed out twice would page forever.
      if (nextsSeen.has(envelope.next)) throw new TaxiiError(`${where}: page ${page} hands out next ${quoted(envelope.next)} again: a page loop`);
      nextsSeen.add(envelope.next);
      next = envelope.next;
    } else {
      // More without next: §3.6 lets the client continue from X-TAXII-Date-Added-Last, which must move on.
      if (last === null) throw new TaxiiError(`${where}: page ${page} says more but gives neither next nor X-TAXII-Date-Added-Last`);
      if (after !== null && !laterThan(last, after)) throw new TaxiiError(`${where}: page ${page} says more but X-TAXII-Date-Added-Last does not move past ${quoted(after)}: a page loop`);
      after = last;
      next = null;
    }
  }
}

/** A TAXII timestamp (RFC 3339, UTC, any fraction) or null; the server's own spelling is kept: it is what it parses back. */
function addedTimestamp(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(value.trim()) ? value.trim() : null;
}

/** Compares two TAXII timestamps by instant, to the nanosecond, whatever their fraction's length. */
export function laterThan(a: string, b: string): boolean {
  return comparable(a) > comparable(b);
}
function comparable(timestamp: string): string {
  const [whole = '', fraction = ''] = timestamp.replace(/Z$/, '').split('.');
  return `${whole}.${fraction.padEnd(9, '0')}`;
}

/** The server's Date header as a TAXII timestamp; null when absent or unreadable. */
function serverDateOf(value: string | undefined): string | null {
  const ms = value === undefined ? NaN : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * What the next poll passes as added_after. The newest X-TAXII-Date-Added-Last
 * when the server sent one; else, when objects came, the server's Date on the
 * first page (its clock, whole seconds: later polls may see an object again,
 * never miss one); never earlier than what this poll started from.
 */
function newestToKeep(addedAfter: string | null, newest: string | null, fallback: string | null): string | null {
  const candidate = newest ?? fallback;
  if (candidate === null) return addedAfter;
  return addedAfter !== null && !laterThan(candidate, addedAfter) ? addedAfter : candidate;
}

function authorizationOf(auth: TaxiiFeedSource['auth']): string | null {
  if (auth === null) return null;
  if ('token' in auth) return `Bearer ${auth.token}`;
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
}

/**
 * Everything a message must never show: the password, the token and their
 * encoded header forms — also of credentials written into the URL, which
 * node sends as Basic when the feed has no auth of its own.
 */
function secretsOf(auth: TaxiiFeedSource['auth'], url: string): string[] {
  const basic = (user: string, password: string): string[] => [password, Buffer.from(`${user}:${password}`, 'utf8').toString('base64')];
  const out: string[] = [];
  if (auth !== null) out.push(...('token' in auth ? [auth.token] : basic(auth.user, auth.password)));
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') out.push(...basic(decodeURIComponent(parsed.username), decodeURIComponent(parsed.password)), parsed.password);
  } catch {
    // Not a URL: fetchTaxii says so without quoting credentials it cannot find.
  }
  return out;
}

function safeLocation(url: string): string {
  try {
    return locationOf(new URL(url));
  } catch {
    return quoted(url);
  }
}
