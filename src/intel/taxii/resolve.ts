/**
 * From the URL an operator configured to the collection to poll. The URL
 * may be a discovery resource (`.../taxii2/`), an API root or a collection;
 * which one is learnt from what it answers (discovery: api_roots/default; API
 * root: versions and max_content_length; collection: id and can_read), so an
 * operator pastes whatever URL the partner handed out.
 */
import { TaxiiError, locationOf, quoted } from './messages.js';
import type { TaxiiResource } from './resource.js';

export interface TaxiiCollection {
  /** The collection's URL, ending in '/': objects/ is relative to it. */
  url: URL;
  id: string;
  title: string;
}

type Read = (url: URL) => Promise<TaxiiResource>;

/** TAXII URLs end in '/' (§3.2): a pasted URL without it is the same resource, and relative URLs resolve under it. */
export function asDirectory(url: URL): URL {
  const out = new URL(url.href);
  if (!out.pathname.endsWith('/')) out.pathname += '/';
  out.search = '';
  out.hash = '';
  return out;
}

function isCollection(r: TaxiiResource): boolean {
  return typeof r.id === 'string' && typeof r.can_read === 'boolean';
}
function isApiRoot(r: TaxiiResource): boolean {
  return Array.isArray(r.versions);
}
function isDiscovery(r: TaxiiResource): boolean {
  return Array.isArray(r.api_roots) || typeof r.default === 'string';
}

export async function resolveCollection(feedUrl: URL, wanted: string | null, read: Read): Promise<TaxiiCollection> {
  let url = asDirectory(feedUrl);
  let resource = await read(url);
  if (isCollection(resource)) return readable(url, resource);
  if (!isApiRoot(resource)) {
    if (!isDiscovery(resource)) throw new TaxiiError(`${locationOf(url)}: neither a TAXII discovery resource, an API root nor a collection`);
    url = apiRootOf(url, resource);
    resource = await read(url);
    if (!isApiRoot(resource)) throw new TaxiiError(`${locationOf(url)}: the discovery resource's API root is not an API root (no versions)`);
  }
  const versions = (resource.versions as unknown[]).map((v) => (typeof v === 'string' ? v.replace(/\s+/g, '').toLowerCase() : ''));
  if (!versions.includes('application/taxii+json;version=2.1')) {
    throw new TaxiiError(`${locationOf(url)}: the API root supports ${quoted((resource.versions as unknown[]).join(', '))}, not TAXII 2.1`);
  }
  const listUrl = new URL('collections/', url);
  const listed = (await read(listUrl)).collections ?? [];
  if (!Array.isArray(listed)) throw new TaxiiError(`${locationOf(listUrl)}: collections is not an array`);
  const chosen = choose(locationOf(listUrl), listed.filter((c): c is TaxiiResource => c !== null && typeof c === 'object' && isCollection(c as TaxiiResource)), wanted);
  return readable(asDirectory(new URL(`${encodeURIComponent(chosen.id as string)}/`, listUrl)), chosen);
}

/**
 * The discovery resource's default API root, else its first. One on another
 * origin is refused: following it would send the feed's credentials to a
 * host the operator never named.
 */
function apiRootOf(discoveryUrl: URL, discovery: TaxiiResource): URL {
  const roots = Array.isArray(discovery.api_roots) ? discovery.api_roots : [];
  const first: unknown = typeof discovery.default === 'string' ? discovery.default : roots[0];
  if (typeof first !== 'string') throw new TaxiiError(`${locationOf(discoveryUrl)}: the discovery resource names no API root`);
  let root: URL;
  try {
    root = asDirectory(new URL(first, discoveryUrl));
  } catch {
    throw new TaxiiError(`${locationOf(discoveryUrl)}: the discovery resource's API root ${quoted(first)} is not a URL`);
  }
  if (root.origin !== discoveryUrl.origin) {
    throw new TaxiiError(`${locationOf(discoveryUrl)}: the API root ${quoted(root.origin + root.pathname)} is on another origin; configure its URL as the feed's url`);
  }
  return root;
}

/** By id, else by title; none given = the only readable one. Anything else is one line that lists the choices. */
function choose(where: string, collections: TaxiiResource[], wanted: string | null): TaxiiResource {
  const names = (list: TaxiiResource[]): string => list.slice(0, 10).map((c) => `${quoted(c.id)} (${quoted(c.title ?? '')})`).join(', ') + (list.length > 10 ? `, and ${list.length - 10} more` : '');
  if (wanted !== null) {
    const byId = collections.find((c) => c.id === wanted);
    if (byId !== undefined) return byId;
    const byTitle = collections.filter((c) => c.title === wanted);
    if (byTitle.length === 1) return byTitle[0]!;
    if (byTitle.length > 1) throw new TaxiiError(`${where}: ${byTitle.length} collections are titled ${quoted(wanted)}: ${names(byTitle)}; name one by id`);
    throw new TaxiiError(`${where}: no collection with id or title ${quoted(wanted)}${collections.length === 0 ? '' : `; there are ${names(collections)}`}`);
  }
  const readableOnes = collections.filter((c) => c.can_read === true);
  if (readableOnes.length === 1) return readableOnes[0]!;
  if (readableOnes.length === 0) throw new TaxiiError(`${where}: no readable collection${collections.length === 0 ? '' : ` (there are ${names(collections)})`}`);
  throw new TaxiiError(`${where}: ${readableOnes.length} readable collections, set the feed's collection to one of ${names(readableOnes)}`);
}

function readable(url: URL, collection: TaxiiResource): TaxiiCollection {
  if (collection.can_read !== true) throw new TaxiiError(`${locationOf(url)}: collection ${quoted(collection.id)} is not readable with these credentials (can_read false)`);
  return { url, id: collection.id as string, title: typeof collection.title === 'string' ? collection.title : '' };
}
