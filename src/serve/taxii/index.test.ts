/**
 * The TAXII 2.1 server over real sockets: every endpoint and filter, paging,
 * authentication, media types and headers, every response checked against
 * the fields the spec requires, and a plain-fetch client walking the server
 * from discovery to the last page.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { findBinary } from '../../../test/support/binaries.js';
import { bearer, writeTokenFile } from '../../../test/support/tokens.js';
import { defaultConfig } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Daemon } from '../daemon.js';
import { serviceFactories } from '../registry.js';
import { MAX_PAGE } from './query.js';
import { FINDINGS_COLLECTION_ID, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE } from './resources.js';
import { TaxiiService, taxiiService } from './index.js';
import type { PublishedObject, StixSource } from './source.js';
import { violations } from '../../../test/helpers/taxii-spec.js';

// 12 indicators, each first added a second apart; three of them get a second version later, one a third.
const BASE = Date.parse('2026-12-05T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
function indicator(n: number, version: number, added: number): PublishedObject {
  const created = iso(BASE + n * 1000);
  return {
    object: { type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, created, modified: iso(added), pattern: `[domain-name:value = 'd${n}.example']`, pattern_type: 'stix', valid_from: created, v: version },
    added,
  };
}
const published: PublishedObject[] = [];
for (let n = 0; n < 12; n++) published.push(indicator(n, 1, BASE + n * 1000));
for (const n of [2, 5, 7]) published.push(indicator(n, 2, BASE + 60_000 + n * 1000));
published.push(indicator(7, 3, BASE + 120_000));
published.push({ object: { type: 'identity', spec_version: '2.1', id: 'identity--00000000-0000-4000-8000-0000000000ff', created: iso(BASE), modified: iso(BASE), name: 'fluxhound', identity_class: 'system' }, added: BASE + 500 });
const source: StixSource = { objects: () => [...published] };
const latestCount = 13; // 12 indicators and the identity, one version each under match[version]=last
const allCount = published.length;

const config = defaultConfig();
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
const tokens = writeTokenFile();
const taxii = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, source });
daemon.services.push(taxii);
const root = `/fluxhound/collections/${FINDINGS_COLLECTION_ID}`;
const url = (path: string): string => `http://127.0.0.1:${taxii.port}${path}`;
const headers = { ...bearer(tokens.read), accept: TAXII_MEDIA_TYPE };

beforeAll(() => taxii.start());
afterAll(() => taxii.stop());

async function get(path: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; res: Response }> {
  const res = await fetch(url(path), { headers: { ...headers, ...extra } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
}

const ids = (body: Record<string, unknown>): string[] => ((body.objects as Array<{ id: string }> | undefined) ?? []).map((o) => o.id);

describe('taxii: the required-fields table', () => {
  it('holds for the OASIS reference server (medallion) data, so it is not fitted to our own output', () => {
    const medallion = JSON.parse(readFileSync('test/fixtures/cti/taxii21/medallion_default_data.json', 'utf8')) as Record<string, Record<string, unknown>>;
    expect(violations('discovery', medallion['/discovery']!)).toEqual([]);
    const api = medallion.trustgroup1!;
    expect(violations('api-root', api.information as Record<string, unknown>)).toEqual([]);
    const collections = (api.collections as Array<Record<string, unknown>>).map(({ objects: _o, manifest: _m, ...c }) => c);
    expect(violations('collections', { collections })).toEqual([]);
    const manifests = (api.collections as Array<{ manifest: unknown[] }>).flatMap((c) => c.manifest);
    expect(manifests.length).toBeGreaterThan(0);
    expect(violations('manifest', { more: false, objects: manifests })).toEqual([]);
    // medallion's second status still spells total_count as total_objects (a draft's name); TAXII 2.1 §4.3.1 says total_count.
    const statuses = (api.status as Array<Record<string, unknown>>).filter((s) => !('total_objects' in s));
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses) expect(violations('status', status)).toEqual([]);
    // And it does catch a broken resource.
    expect(violations('collection', { id: 'x', title: 't', can_read: 'yes' })).toEqual(['collection: can_read must be boolean', 'collection: can_write is required']);
  });
});

describe('taxii: discovery, API root, collections', () => {
  it('GET /taxii2/ names the one API root as default, with the TAXII media type', async () => {
    const { status, body, res } = await get('/taxii2/');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    expect(violations('discovery', body)).toEqual([]);
    expect(body.default).toBe(url('/fluxhound/'));
    expect(body.api_roots).toEqual([url('/fluxhound/')]);
  });

  it('GET /fluxhound/ states TAXII 2.1 and a max_content_length', async () => {
    const { body } = await get('/fluxhound/');
    expect(violations('api-root', body)).toEqual([]);
    expect(body.versions).toEqual([TAXII_MEDIA_TYPE]);
    expect(body.max_content_length).toBeGreaterThan(0);
  });

  it('lists one read-only collection of STIX 2.1 with a fixed id, and serves it by id', async () => {
    const { body } = await get('/fluxhound/collections/');
    expect(violations('collections', body)).toEqual([]);
    const expected = { id: FINDINGS_COLLECTION_ID, can_read: true, can_write: false, media_types: [STIX_MEDIA_TYPE] };
    expect(body.collections).toEqual([expect.objectContaining(expected)]);
    const one = await get(`${root}/`);
    expect(violations('collection', one.body)).toEqual([]);
    expect(one.body).toMatchObject(expected);
    // Fixed: the same id from the same derivation, whatever the run.
    expect(FINDINGS_COLLECTION_ID).toBe('9d140b31-b8f7-5e18-a777-f5f2b2eabb93');
    expect(FINDINGS_COLLECTION_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('taxii: objects', () => {
  it('returns the latest version of every object in date_added order, with the date-added headers', async () => {
    const { body, res } = await get(`${root}/objects/`);
    expect(violations('envelope', body)).toEqual([]);
    expect(body.more).toBe(false);
    expect(body).not.toHaveProperty('next');
    const objects = body.objects as Array<{ id: string; v?: number }>;
    expect(objects).toHaveLength(latestCount);
    expect(objects.find((o) => o.id.endsWith('000000000007'))!.v).toBe(3);
    expect(res.headers.get('x-taxii-date-added-first')).toBe('2026-12-05T10:00:00.000000Z');
    expect(res.headers.get('x-taxii-date-added-last')).toBe('2026-12-05T10:02:00.000000Z');
  });

  it('pages with limit and next: every version exactly once, more false on the last page', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const { body, res } = await get(`${root}/objects/?match[version]=all&limit=4${next === null ? '' : `&next=${encodeURIComponent(next)}`}`);
      expect(violations('envelope', body)).toEqual([]);
      const objects = body.objects as Array<{ id: string; modified: string }>;
      expect(objects.length).toBeLessThanOrEqual(4);
      expect(res.headers.get('x-taxii-date-added-first')).not.toBeNull();
      seen.push(...objects.map((o) => `${o.id}@${o.modified}`));
      next = body.more === true ? (body.next as string) : null;
      pages++;
    } while (next !== null);
    expect(pages).toBe(Math.ceil(allCount / 4));
    expect(new Set(seen).size).toBe(allCount);
    expect(seen).toHaveLength(allCount);
  });

  it('caps limit at the server page size', async () => {
    const { body } = await get(`${root}/objects/?limit=999999`);
    expect((body.objects as unknown[]).length).toBe(latestCount);
    expect(MAX_PAGE).toBe(1000);
  });

  it('added_after returns only what was added strictly later', async () => {
    const { body, res } = await get(`${root}/objects/?added_after=2026-12-05T10:00:09.000Z&match[version]=all`);
    // d10 and d11 (added at :10 and :11), the second versions of 2, 5, 7, the third of 7.
    expect(ids(body).map((id) => id.slice(-2))).toEqual(['10', '11', '02', '05', '07', '07']);
    expect(res.headers.get('x-taxii-date-added-first')).toBe('2026-12-05T10:00:10.000000Z');
    const none = await get(`${root}/objects/?added_after=2030-01-01T00:00:00Z`);
    expect(none.body).toEqual({ more: false });
    expect(none.res.headers.get('x-taxii-date-added-first')).toBeNull();
  });

  it.each([
    ['match[id]', `match[id]=indicator--00000000-0000-4000-8000-000000000003,identity--00000000-0000-4000-8000-0000000000ff`, 2],
    ['match[type]', 'match[type]=identity', 1],
    ['match[type] list', 'match[type]=identity,indicator', latestCount],
    ['match[version]=first', 'match[version]=first&match[id]=indicator--00000000-0000-4000-8000-000000000007', 1],
    ['match[version]=all', 'match[version]=all&match[id]=indicator--00000000-0000-4000-8000-000000000007', 3],
    ['match[version]=first,last', 'match[version]=first,last&match[id]=indicator--00000000-0000-4000-8000-000000000007', 2],
    ['match[version]=TIMESTAMP', `match[version]=${iso(BASE + 67_000)}`, 1],
    ['match[spec_version]=2.1', 'match[spec_version]=2.1', latestCount],
    ['match[spec_version]=2.0', 'match[spec_version]=2.0', 0],
  ])('%s selects %#', async (_name, query, count) => {
    const { body } = await get(`${root}/objects/?${query}`);
    expect(violations('envelope', body)).toEqual([]);
    expect(ids(body)).toHaveLength(count);
  });

  it('match[version]=first gives the first version, the default the last', async () => {
    const id = 'indicator--00000000-0000-4000-8000-000000000007';
    const first = await get(`${root}/objects/?match[version]=first&match[id]=${id}`);
    expect((first.body.objects as Array<{ v: number }>)[0]!.v).toBe(1);
    const last = await get(`${root}/objects/?match[id]=${id}`);
    expect((last.body.objects as Array<{ v: number }>)[0]!.v).toBe(3);
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=ten', /limit/],
    ['added_after=yesterday', /added_after/],
    ['match[version]=newest', /match\[version\]/],
    ['next=garbage', /next/],
    ['match[color]=red', /unsupported/],
    ['page=2', /unsupported/],
  ])('refuses %s with a 400 TAXII error', async (query, description) => {
    const { status, body, res } = await get(`${root}/objects/?${query}`);
    expect(status).toBe(400);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    expect(violations('error', body)).toEqual([]);
    expect(body).toMatchObject({ title: 'Bad request', http_status: '400', description: expect.stringMatching(description) });
  });
});

describe('taxii: one object, its versions, the manifest', () => {
  const id = 'indicator--00000000-0000-4000-8000-000000000005';

  it('GET objects/{id}/ gives its latest version in an envelope; all versions with match[version]=all', async () => {
    const { body, res } = await get(`${root}/objects/${id}/`);
    expect(violations('envelope', body)).toEqual([]);
    expect(body.objects).toEqual([expect.objectContaining({ id, v: 2 })]);
    expect(res.headers.get('x-taxii-date-added-last')).toBe('2026-12-05T10:01:05.000000Z');
    const all = await get(`${root}/objects/${id}/?match[version]=all`);
    expect((all.body.objects as unknown[]).length).toBe(2);
    // Filters the spec does not define on this endpoint are refused.
    expect((await get(`${root}/objects/${id}/?match[type]=indicator`)).status).toBe(400);
  });

  it('GET objects/{id}/versions/ lists every version, pages them, and has the headers', async () => {
    const { body, res } = await get(`${root}/objects/indicator--00000000-0000-4000-8000-000000000007/versions/`);
    expect(violations('versions', body)).toEqual([]);
    expect(body).toEqual({ more: false, versions: [iso(BASE + 7000), iso(BASE + 67_000), iso(BASE + 120_000)] });
    expect(res.headers.get('x-taxii-date-added-first')).toBe('2026-12-05T10:00:07.000000Z');
    const paged = await get(`${root}/objects/indicator--00000000-0000-4000-8000-000000000007/versions/?limit=2`);
    expect(paged.body).toMatchObject({ more: true, versions: [iso(BASE + 7000), iso(BASE + 67_000)] });
    const rest = await get(`${root}/objects/indicator--00000000-0000-4000-8000-000000000007/versions/?limit=2&next=${paged.body.next as string}`);
    expect(rest.body).toEqual({ more: false, versions: [iso(BASE + 120_000)] });
  });

  it('GET manifest/ has a record per version selected, with date_added, version and media type', async () => {
    const { body, res } = await get(`${root}/manifest/?match[version]=all&match[id]=${id}`);
    expect(violations('manifest', body)).toEqual([]);
    expect(body.objects).toEqual([
      { id, date_added: '2026-12-05T10:00:05.000000Z', version: iso(BASE + 5000), media_type: STIX_MEDIA_TYPE },
      { id, date_added: '2026-12-05T10:01:05.000000Z', version: iso(BASE + 65_000), media_type: STIX_MEDIA_TYPE },
    ]);
    expect(res.headers.get('x-taxii-date-added-first')).toBe('2026-12-05T10:00:05.000000Z');
    const paged = await get(`${root}/manifest/?limit=5`);
    expect(paged.body).toMatchObject({ more: true, next: expect.any(String) });
    expect(violations('manifest', paged.body)).toEqual([]);
  });
});

describe('taxii: errors, authentication, media types', () => {
  it.each([
    ['/nothing/'],
    ['/taxii2'],
    ['/fluxhound/collections/00000000-0000-4000-8000-000000000000/'],
    [`${root}/objects/indicator--00000000-0000-4000-8000-999999999999/`],
    [`${root}/objects/indicator--00000000-0000-4000-8000-999999999999/versions/`],
    [`${root}/status/`],
  ])('404 for %s, as a TAXII error', async (path) => {
    const { status, body, res } = await get(path);
    expect(status).toBe(404);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    expect(violations('error', body)).toEqual([]);
    expect(body.http_status).toBe('404');
  });

  it('401 without a token or with a bad one, before anything else (even a 404 path)', async () => {
    for (const auth of [{}, bearer('not-a-token-of-this-file')]) {
      for (const path of ['/taxii2/', `${root}/objects/`, '/nothing/']) {
        const res = await fetch(url(path), { headers: { accept: TAXII_MEDIA_TYPE, ...auth } });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="fluxhound"/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(violations('error', body)).toEqual([]);
        expect(body).toMatchObject({ title: 'Unauthorized', http_status: '401' });
      }
    }
  });

  it('403 for adding objects: the collection is read-only; 405 for other methods', async () => {
    const post = await fetch(url(`${root}/objects/`), { method: 'POST', headers: { ...headers, 'content-type': TAXII_MEDIA_TYPE }, body: '{"objects":[]}' });
    expect(post.status).toBe(403);
    expect(violations('error', (await post.json()) as Record<string, unknown>)).toEqual([]);
    const del = await fetch(url(`${root}/`), { method: 'DELETE', headers });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });

  it.each([['application/json'], ['application/taxii+json;version=2.0'], ['text/html, application/xml']])('406 for Accept: %s', async (accept) => {
    const { status, body, res } = await get('/taxii2/', { accept });
    expect(status).toBe(406);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    expect(violations('error', body)).toEqual([]);
  });

  it.each([['application/taxii+json;version=2.1'], ['application/taxii+json'], ['application/taxii+json; version=2.1'], ['*/*'], ['application/json, application/taxii+json;version=2.1']])(
    'serves Accept: %s',
    async (accept) => {
      expect((await get('/taxii2/', { accept })).status).toBe(200);
    },
  );

  it('counts requests by resource and status, and its connections under the governor', async () => {
    await get('/taxii2/');
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_taxii_requests_total\{resource="discovery",status="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^fluxhound_taxii_requests_total\{resource="objects",status="400"\} [1-9]\d*$/m);
    // Every connection went through the daemon's connection governor, under its own listener gate.
    expect(text).toMatch(/^fluxhound_net_connections_accepted_total\{listener="taxii"\} [1-9]\d*$/m);
  });
});

describe('taxii: SIGHUP', () => {
  it('re-reads the token file: a revoked token stops working, a bad file keeps the old tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-reload-'));
    const before = writeTokenFile(dir);
    const service = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: before.file, tokensFromFlag: true, source });
    await service.start();
    const status = async (token: string) => (await fetch(`http://127.0.0.1:${service.port}/taxii2/`, { headers: bearer(token) })).status;
    try {
      expect(await status(before.read)).toBe(200);
      const after = writeTokenFile(dir); // same path, new tokens: the old ones are revoked
      (await service.prepareReload(config))();
      expect(await status(before.read)).toBe(401);
      expect(await status(after.read)).toBe(200);
      writeFileSync(after.file, 'not a token line\n');
      await expect(service.prepareReload(config)).rejects.toThrow(/tokens: /);
      expect(await status(after.read)).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe('taxii: a plain fetch client', () => {
  it('walks discovery → API root → collections → objects with paging and gets every object exactly once, even as new ones are published', async () => {
    const client = async (href: string): Promise<Record<string, unknown>> => {
      const res = await fetch(href, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
      return (await res.json()) as Record<string, unknown>;
    };
    const discovery = await client(url('/taxii2/'));
    const apiRoot = discovery.default as string;
    const info = await client(apiRoot);
    expect(info.versions).toContain(TAXII_MEDIA_TYPE);
    const { collections } = (await client(`${apiRoot}collections/`)) as { collections: Array<{ id: string; can_read: boolean }> };
    const readable = collections.filter((c) => c.can_read);
    expect(readable).toHaveLength(1);
    const objectsUrl = `${apiRoot}collections/${readable[0]!.id}/objects/?limit=3`;
    const got: string[] = [];
    let next: string | undefined;
    let added = false;
    for (;;) {
      const page = await client(next === undefined ? objectsUrl : `${objectsUrl}&next=${encodeURIComponent(next)}`);
      got.push(...ids(page));
      if (!added) {
        // Published while the client pages: later than anything handed out, so it arrives at the end.
        published.push(indicator(99, 1, BASE + 300_000));
        added = true;
      }
      if (page.more !== true) break;
      next = page.next as string;
    }
    published.pop();
    expect(got).toHaveLength(latestCount + 1);
    expect(new Set(got).size).toBe(latestCount + 1);
    expect(got[got.length - 1]).toBe('indicator--00000000-0000-4000-8000-000000000099');
  });
});

describe('taxii: the service factory and TLS', () => {
  it('is registered, off without --taxii, needs the token file, listens on loopback for a bare port', () => {
    expect(serviceFactories.map((f) => f.name)).toContain('taxii');
    expect(taxiiService.create({}, daemon.context)).toBeNull();
    expect(() => taxiiService.create({ taxii: '127.0.0.1:9443' }, daemon.context)).toThrow(UsageError);
    expect(() => taxiiService.create({ taxii: 'example.org:9443', apiTokens: tokens.file }, daemon.context)).toThrow(/--taxii/);
    expect(() => taxiiService.create({ taxii: '9443', apiTokens: tokens.file, taxiiCert: tokens.file }, daemon.context)).toThrow(/go together/);
    const service = taxiiService.create({ taxii: '9443', apiTokens: tokens.file }, daemon.context) as TaxiiService;
    expect(service.listen).toEqual({ host: '127.0.0.1', port: 9443, family: 4 });
  });

  const openssl = findBinary('openssl', 'openssl');
  it.skipIf(openssl.path === null)('serves over TLS with --taxii-cert and --taxii-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(openssl.path!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    expect(taxiiService.create({ taxii: '127.0.0.1:9443', apiTokens: tokens.file, taxiiCert: cert, taxiiKey: key }, daemon.context)).toBeInstanceOf(TaxiiService);
    const secure = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, tls: { cert, key }, source });
    await secure.start();
    try {
      const answer = await new Promise<{ status: number; type: string; body: Record<string, unknown> }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: secure.port, path: '/taxii2/', ca: readFileSync(cert), headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(text) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(200);
      expect(answer.type).toBe(TAXII_MEDIA_TYPE);
      expect(answer.body.default).toBe(`https://127.0.0.1:${secure.port}/fluxhound/`);
    } finally {
      await secure.stop();
    }
  });
});
