/**
 * A small TAXII 2.1 server over node:http (or node:https) serving the OASIS
 * reference server's default data (medallion, test/fixtures/cti/taxii21):
 * discovery → API roots → collections → objects with added_after, limit and
 * next, the X-TAXII-Date-Added-* headers, HTTP basic authentication, 406 on a
 * foreign Accept and TAXII error messages. Its page size is small so the
 * eight objects of "High Value Indicator Collection" need several pages.
 * Tests override any answer with `intercept` to play a hostile server.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export const REFERENCE_DATA = 'test/fixtures/cti/taxii21/medallion_default_data.json';
export const TAXII_TYPE = 'application/taxii+json;version=2.1';
/** medallion's default user (its test config): admin / Password0. */
export const REFERENCE_USER = { user: 'admin', password: 'Password0' };

type Json = Record<string, unknown>;
interface Collection extends Json {
  id: string;
  can_read: boolean;
  objects?: Json[];
  manifest?: Array<{ id: string; date_added: string; version: string }>;
}

export interface ReferenceOptions {
  /** Objects per page at most (the client asks for more). Default 2. */
  pageSize?: number;
  /** Basic credentials the server accepts; null = no authentication. Default REFERENCE_USER. */
  basic?: { user: string; password: string } | null;
  /** A page that says more without next (§3.6 lets a client continue by X-TAXII-Date-Added-Last). Default false. */
  nextless?: boolean;
  tls?: { cert: string; key: string };
  /** Answer a request yourself (return true) before the reference does. */
  intercept?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}

export interface ReferenceServer {
  origin: string;
  /** Every request's path and query, in order. */
  requests: string[];
  /** Every request's Authorization header ('' when none). */
  authorizations: string[];
  close(): Promise<void>;
}

export function taxiiError(res: ServerResponse, status: number, title: string, description: string, headers: Record<string, string> = {}): void {
  send(res, status, { title, description, http_status: String(status) }, headers);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': TAXII_TYPE, ...headers });
  res.end(JSON.stringify(body));
}

/** The objects of a collection as TAXII records: each version with its manifest date_added, ordered as a server pages them. */
function records(collection: Collection): Array<{ added: string; object: Json }> {
  const out = (collection.manifest ?? []).map((m) => {
    const object = (collection.objects ?? []).find((o) => o.id === m.id && (o.modified ?? o.created) === m.version);
    if (object === undefined) throw new Error(`reference data: no object ${m.id} ${m.version}`);
    return { added: m.date_added, object };
  });
  return out.sort((a, b) => (a.added < b.added ? -1 : a.added > b.added ? 1 : 0));
}

/** The instant of a TAXII timestamp to the microsecond, as a sortable string. */
const instant = (t: string): string => {
  const [whole = '', fraction = ''] = t.replace(/Z$/, '').split('.');
  return `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}`;
};

export async function startReferenceTaxii(options: ReferenceOptions = {}): Promise<ReferenceServer> {
  const data = JSON.parse(readFileSync(REFERENCE_DATA, 'utf8')) as Record<string, Json>;
  const pageSize = options.pageSize ?? 2;
  const basic = options.basic === undefined ? REFERENCE_USER : options.basic;
  const requests: string[] = [];
  const authorizations: string[] = [];
  let origin = '';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', origin);
    requests.push(`${url.pathname}${url.search}`);
    authorizations.push(req.headers.authorization ?? '');
    if (options.intercept?.(req, res, url.pathname) === true) return;
    if (basic !== null && req.headers.authorization !== `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`) {
      return taxiiError(res, 401, 'Unauthorized', 'missing or bad credentials', { 'www-authenticate': 'Basic realm="taxii"' });
    }
    const accept = req.headers.accept ?? '';
    if (!/application\/taxii\+json(;\s*version=2\.1)?(,|$)/.test(accept)) return taxiiError(res, 406, 'Not Acceptable', `media type ${accept} is not supported`);
    if (url.pathname === '/taxii2/') return send(res, 200, JSON.parse(JSON.stringify(data['/discovery']).replaceAll('http://localhost:5000', origin)));
    const [rootName = '', section, id, what, ...rest] = url.pathname.split('/').slice(1, -1);
    const root = rootName.startsWith('/') ? undefined : data[rootName];
    if (root === undefined || !url.pathname.endsWith('/')) return taxiiError(res, 404, 'Not Found', `no API root ${rootName}`);
    if (section === undefined) return send(res, 200, root.information);
    const collections = root.collections as Collection[];
    if (section !== 'collections') return taxiiError(res, 404, 'Not Found', 'no such resource');
    if (id === undefined) return send(res, 200, { collections: collections.map(({ objects: _o, manifest: _m, ...c }) => c) });
    const collection = collections.find((c) => c.id === id);
    if (collection === undefined) return taxiiError(res, 404, 'Not Found', `no collection ${id}`);
    if (what === undefined) {
      const { objects: _o, manifest: _m, ...info } = collection;
      return send(res, 200, info);
    }
    if (what !== 'objects' || rest.length > 0) return taxiiError(res, 404, 'Not Found', 'no such resource');
    if (!collection.can_read) return taxiiError(res, 403, 'Forbidden', 'the collection is not readable');
    const after = url.searchParams.get('added_after');
    const all = records(collection).filter((r) => after === null || instant(r.added) > instant(after));
    const start = Number(url.searchParams.get('next') ?? 0);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? pageSize), pageSize);
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    const headers: Record<string, string> = page.length === 0 ? {} : { 'x-taxii-date-added-first': page[0]!.added, 'x-taxii-date-added-last': page[page.length - 1]!.added };
    const body: Json = { more };
    if (more && options.nextless !== true) body.next = String(start + limit);
    if (page.length > 0) body.objects = page.map((r) => r.object);
    return send(res, 200, body, headers);
  };

  const server: Server = options.tls === undefined ? createHttpServer(handle) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
