/**
 * The TAXII 2.1 resources fluxhound serves (TAXII 2.1 §4 discovery and API
 * root, §5 collections, objects, manifest, versions), as a pure function of
 * the request path, its query and the published objects: the listener
 * (index.ts) adds authentication, media types and transport.
 */
import { FLUXHOUND_NAMESPACE, uuidv5 } from '../../act/stix/uuid5.js';
import type { StixSource } from './source.js';
import { page, pageOrdered, parseQuery, QueryError, select, toRecord, type Allowed, type Page, type TaxiiQuery, type VersionRecord } from './query.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
/** The one API root's path segment. */
export const API_ROOT = 'fluxhound';
/** The findings collection's id: fixed, so a partner's poller configuration survives restarts and upgrades. */
export const FINDINGS_COLLECTION_ID = uuidv5(FLUXHOUND_NAMESPACE, 'taxii-collection:findings');
/** Bytes a request may carry (we take no request bodies; the API root must state one). */
export const MAX_CONTENT_LENGTH = 1024 * 1024;

export interface TaxiiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** A TAXII error message (§3.6.1): title is required, http_status repeats the status. */
export function taxiiError(status: number, title: string, description: string, headers: Record<string, string> = {}): TaxiiAnswer {
  return { status, body: { title, description, http_status: String(status) }, headers };
}

const OBJECTS_FILTERS: Allowed = new Set(['id', 'type', 'version', 'spec_version']);
const OBJECT_FILTERS: Allowed = new Set(['version', 'spec_version']);
const VERSIONS_FILTERS: Allowed = new Set(['spec_version']);

/** The write collection's id (serve.taxii.inbox): fixed like the findings'. */
export const INBOX_COLLECTION_ID = uuidv5(FLUXHOUND_NAMESPACE, 'taxii-collection:inbox');

/** One collection this server offers: what it holds and who may write into it. */
export interface TaxiiCollection {
  id: string;
  title: string;
  description: string;
  /** Whether the write role may POST objects here. */
  writable: boolean;
  /**
   * Whether this requester may read it (can_read, §5.2.1); true when left
   * out. The inbox sets it per requester, with `source` holding only what
   * that requester may see (its own posts; an admin, every poster's).
   */
  readable?: boolean;
  source: StixSource;
}

/** What one request may see: the collections, whether its token may write, and the statuses of its own posts. */
export interface TaxiiSite {
  collections: readonly TaxiiCollection[];
  /** The requester's token holds the write role (can_write is per requester, §5.2.1). */
  canWrite: boolean;
  status(id: string): Record<string, unknown> | null;
}

/** The findings collection's description (the resource's, over act/stix via source.ts). */
export const FINDINGS = {
  id: FINDINGS_COLLECTION_ID,
  title: 'fluxhound findings',
  description: 'Fast-flux names fluxhound flagged, as STIX 2.1: indicators, domain and address objects, one botnet infrastructure per flux network, their relationships, the producer identity and the TLP marking; a new version when a finding changes.',
  writable: false,
} as const;
export const INBOX = {
  id: INBOX_COLLECTION_ID,
  title: 'fluxhound inbox',
  description: 'Partners POST STIX 2.1 indicators and observables here (write role); each poster\'s objects feed detection as intel feed taxii:<poster>, and are readable by that poster only (and by an admin token).',
  writable: true,
} as const;

function collectionResource(c: TaxiiCollection, site: TaxiiSite): Record<string, unknown> {
  return { id: c.id, title: c.title, description: c.description, can_read: c.readable ?? true, can_write: c.writable && site.canWrite, media_types: [STIX_MEDIA_TYPE] };
}

/**
 * date_added as TAXII servers write it: microseconds (the reference server
 * does; we keep milliseconds, so the last three digits are zero).
 */
export function taxiiTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

/** X-TAXII-Date-Added-First/-Last of the records in a response (§5.3 etc.); none for an empty one. */
function addedHeaders(records: readonly VersionRecord[]): Record<string, string> {
  if (records.length === 0) return {};
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    first = Math.min(first, r.added);
    last = Math.max(last, r.added);
  }
  return { 'x-taxii-date-added-first': taxiiTimestamp(first), 'x-taxii-date-added-last': taxiiTimestamp(last) };
}

const NOT_FOUND = (what: string): TaxiiAnswer => taxiiError(404, 'Not found', what);

/**
 * The answer to GET `path` (already split from its query). `origin` is the
 * scheme and authority clients reached us at (discovery names the API
 * root by URL).
 */
export function answer(path: string, query: URLSearchParams, site: TaxiiSite, origin: string): TaxiiAnswer {
  const parts = path.split('/');
  // Every TAXII URL ends with '/': '/taxii2/' → ['', 'taxii2', ''].
  if (parts.length < 3 || parts[0] !== '' || parts[parts.length - 1] !== '') return NOT_FOUND(`no TAXII resource at ${path.slice(0, 128)}`);
  const segments = parts.slice(1, -1);
  if (segments.length === 1 && segments[0] === 'taxii2') {
    return {
      status: 200,
      body: {
        title: 'fluxhound',
        description: 'Fast-flux domains and networks found by fluxhound, as STIX 2.1.',
        default: `${origin}/${API_ROOT}/`,
        api_roots: [`${origin}/${API_ROOT}/`],
      },
      headers: {},
    };
  }
  if (segments[0] !== API_ROOT) return NOT_FOUND(`no API root at ${path.slice(0, 128)}`);
  if (segments.length === 1) {
    return {
      status: 200,
      body: { title: 'fluxhound findings', description: 'The findings of this fluxhound daemon.', versions: [TAXII_MEDIA_TYPE], max_content_length: MAX_CONTENT_LENGTH },
      headers: {},
    };
  }
  if (segments[1] === 'status' && segments.length === 3) {
    // §4.3 Get Status: only the statuses of the requester's own posts exist for it.
    const status = site.status(decodedOr(segments[2]!));
    return status === null ? NOT_FOUND(`no status ${segments[2]!.slice(0, 64)}`) : { status: 200, body: status, headers: {} };
  }
  if (segments[1] !== 'collections') return NOT_FOUND(`no resource at ${path.slice(0, 128)}`);
  if (segments.length === 2) return { status: 200, body: { collections: site.collections.map((c) => collectionResource(c, site)) }, headers: {} };
  const found = site.collections.find((c) => c.id === segments[2]);
  if (found === undefined) return NOT_FOUND(`no collection ${segments[2]!.slice(0, 64)}`);
  const source = found.source;
  const rest = segments.slice(3);
  if (rest.length === 0) return { status: 200, body: collectionResource(found, site), headers: {} };
  if (found.readable === false) return taxiiError(403, 'Forbidden', 'this token may not read this collection (can_read false)');
  try {
    if (rest.length === 1 && rest[0] === 'objects') return objects(source, query, OBJECTS_FILTERS, null);
    if (rest.length === 1 && rest[0] === 'manifest') return manifest(source, query);
    if (rest.length === 2 && rest[0] === 'objects') return objects(source, query, OBJECT_FILTERS, decoded(rest[1]!));
    if (rest.length === 3 && rest[0] === 'objects' && rest[2] === 'versions') return versions(source, query, decoded(rest[1]!));
  } catch (err) {
    if (err instanceof QueryError) return taxiiError(400, 'Bad request', err.message);
    throw err;
  }
  return NOT_FOUND(`no resource at ${path.slice(0, 128)}`);
}

/** A path segment decoded, or as sent when it is not valid percent-encoding (it then matches nothing). */
function decodedOr(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new QueryError('the object id is not valid percent-encoding');
  }
}

function records(source: StixSource): VersionRecord[] {
  return source.objects().map(toRecord);
}

/** A page of what `query` selects: from the source's ordered log when it keeps one (no sort per request). */
function selectPage(source: StixSource, query: TaxiiQuery): Page {
  const ordered = source.ordered?.();
  return ordered === undefined ? page(select(records(source), query), query) : pageOrdered(ordered, query);
}

function holds(source: StixSource, id: string): boolean {
  const ordered = source.ordered?.();
  return ordered === undefined ? source.objects().some((p) => p.object.id === id) : (ordered.versionsOf(id)?.length ?? 0) > 0;
}

/** §5.4 Get Objects and §5.6 Get an Object: an envelope; an object id with nothing selected is a 404. */
function objects(source: StixSource, params: URLSearchParams, allowed: Allowed, id: string | null): TaxiiAnswer {
  const query = parseQuery(params, allowed);
  if (id !== null) query.ids = new Set([id]);
  if (id !== null && !holds(source, id)) return NOT_FOUND(`no object ${id.slice(0, 128)} in this collection`);
  const result = selectPage(source, query);
  const body: Record<string, unknown> = { more: result.more };
  if (result.next !== null) body.next = result.next;
  if (result.records.length > 0) body.objects = result.records.map((r) => r.object);
  return { status: 200, body, headers: addedHeaders(result.records) };
}

/** §5.5 Get Object Manifests. */
function manifest(source: StixSource, params: URLSearchParams): TaxiiAnswer {
  const query = parseQuery(params, OBJECTS_FILTERS);
  const result = selectPage(source, query);
  const body: Record<string, unknown> = { more: result.more };
  if (result.next !== null) body.next = result.next;
  if (result.records.length > 0) {
    body.objects = result.records.map((r) => ({ id: r.id, date_added: taxiiTimestamp(r.added), version: r.version, media_type: STIX_MEDIA_TYPE }));
  }
  return { status: 200, body, headers: addedHeaders(result.records) };
}

/** §5.8 Get Object Versions: every version (match[version] is not a filter here). */
function versions(source: StixSource, params: URLSearchParams, id: string): TaxiiAnswer {
  const query = parseQuery(params, VERSIONS_FILTERS);
  query.ids = new Set([id]);
  query.versions = ['all'];
  if (!holds(source, id)) return NOT_FOUND(`no object ${id.slice(0, 128)} in this collection`);
  const result = selectPage(source, query);
  const body: Record<string, unknown> = { more: result.more };
  if (result.next !== null) body.next = result.next;
  if (result.records.length > 0) body.versions = result.records.map((r) => r.version);
  return { status: 200, body, headers: addedHeaders(result.records) };
}
