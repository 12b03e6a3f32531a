/**
 * The TAXII client against a real node:http server serving the OASIS
 * reference server's data (test/support/taxii-reference.ts): discovery → API
 * root → collections → objects with more/next, basic authentication, the
 * collection chosen by id or title, and the failures a partner's server
 * produces (401, 403, 404, 406, another TAXII version) as one clear line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_USER, startReferenceTaxii, taxiiError, type ReferenceOptions, type ReferenceServer } from '../../../test/support/taxii-reference.js';
import { fetchTaxii, laterThan, TaxiiError, type TaxiiFeedSource } from './index.js';

const HIGH_VALUE = '91a7b528-80eb-42ed-a74d-c6fbd5a26116';
// The eight versions of "High Value Indicator Collection" in date_added order (read off the fixture's manifest).
const HIGH_VALUE_ORDER = [
  'relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463',
  'indicator--cd981c25-8042-4166-8945-51178443bdac',
  'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e',
  'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  'malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec',
  'malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec',
  'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e',
];

// Every server a test started, closed after it (a test may start several).
const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function reference(options: ReferenceOptions = {}): Promise<ReferenceServer> {
  const server = await startReferenceTaxii(options);
  servers.push(server);
  return server;
}
const feed = (s: ReferenceServer, over: Partial<TaxiiFeedSource> = {}): TaxiiFeedSource => ({
  url: `${s.origin}/taxii2/`,
  collection: 'High Value Indicator Collection',
  auth: REFERENCE_USER,
  ca: null,
  timeoutMs: 10_000,
  maxBytes: 1024 * 1024,
  ...over,
});
const failure = async (source: TaxiiFeedSource, addedAfter: string | null = null): Promise<string> => {
  const err = await fetchTaxii(source, addedAfter).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TaxiiError);
  const message = (err as Error).message;
  expect(message).not.toMatch(/[\n\r]/);
  return message;
};

describe('taxii client: the reference data', () => {
  it('walks discovery → default API root → collections → objects, paging with more and next, basic auth on every request', async () => {
    const s = await reference();
    const got = await fetchTaxii(feed(s), null);
    expect(got.objects.map((o) => o.id)).toEqual(HIGH_VALUE_ORDER);
    expect(got.pages).toBe(4);
    expect(got.newest).toBe('2017-12-31T13:49:53.935000Z');
    expect(got.skipped).toEqual([]);
    const objects = `/trustgroup1/collections/${HIGH_VALUE}/objects/`;
    expect(s.requests).toEqual([
      '/taxii2/',
      '/trustgroup1/',
      '/trustgroup1/collections/', // the list says can_read: the collection itself is not fetched again
      `${objects}?limit=1000`,
      `${objects}?limit=1000&next=2`,
      `${objects}?limit=1000&next=4`,
      `${objects}?limit=1000&next=6`,
    ]);
    expect(new Set(s.authorizations)).toEqual(new Set([`Basic ${Buffer.from('admin:Password0').toString('base64')}`]));
  });

  it('an incremental poll sends added_after and gets what was added later (strictly)', async () => {
    const s = await reference();
    const got = await fetchTaxii(feed(s), '2017-01-20T00:00:00.000000Z');
    expect(got.objects.map((o) => `${o.id as string}@${o.modified as string}`)).toEqual([
      'malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec@2017-01-27T13:49:53.997Z',
      'malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec@2018-02-23T18:30:00.000Z',
      'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e@2017-01-27T13:49:53.935Z',
    ]);
    expect(s.requests.filter((r) => r.includes('/objects/'))).toEqual([
      `/trustgroup1/collections/${HIGH_VALUE}/objects/?added_after=2017-01-20T00%3A00%3A00.000000Z&limit=1000`,
      `/trustgroup1/collections/${HIGH_VALUE}/objects/?added_after=2017-01-20T00%3A00%3A00.000000Z&limit=1000&next=2`,
    ]);
    // Past the newest: nothing, and newest stays the addedAfter given.
    const none = await fetchTaxii(feed(s), got.newest);
    expect(none).toMatchObject({ objects: [], pages: 1, newest: '2017-12-31T13:49:53.935000Z' });
  });

  it('picks the collection by id from the API root URL, and takes a collection URL as it is', async () => {
    const s = await reference();
    const byId = await fetchTaxii(feed(s, { url: `${s.origin}/trustgroup1/`, collection: HIGH_VALUE }), null);
    expect(byId.objects).toHaveLength(8);
    const direct = await fetchTaxii(feed(s, { url: `${s.origin}/trustgroup1/collections/${HIGH_VALUE}`, collection: null }), null);
    expect(direct.objects).toEqual(byId.objects);
  });

  it('continues by X-TAXII-Date-Added-Last when a page says more without next (§3.6)', async () => {
    const s = await reference({ nextless: true, pageSize: 4 });
    const got = await fetchTaxii(feed(s), null);
    expect(got.objects.map((o) => o.id)).toEqual(HIGH_VALUE_ORDER);
    expect(s.requests.filter((r) => r.includes('/objects/'))[1]).toBe(`/trustgroup1/collections/${HIGH_VALUE}/objects/?added_after=2016-12-27T13%3A49%3A59.000000Z&limit=1000`);
  });

  it('compares timestamps by instant whatever the fraction', () => {
    expect(laterThan('2017-01-27T13:49:59.997000Z', '2017-01-27T13:49:59.997Z')).toBe(false);
    expect(laterThan('2017-01-27T13:49:59.9970001Z', '2017-01-27T13:49:59.997Z')).toBe(true);
    expect(laterThan('2017-01-27T13:49:59Z', '2017-01-27T13:49:58.999999Z')).toBe(true);
  });
});

describe('taxii client: choosing the collection', () => {
  it('null with several readable collections is one line listing them', async () => {
    const s = await reference();
    const message = await failure(feed(s, { collection: null }));
    expect(message).toMatch(/^taxii: http:\/\/127\.0\.0\.1:\d+\/trustgroup1\/collections\/: 3 readable collections, set the feed's collection to one of "365fed99-08fa-fdcd-a1b3-fb247eb41d01" \("This data collection is for testing adding objects"\), "91a7b528/);
  });

  it('an API root without collections, an unreadable collection, an unknown one', async () => {
    const s = await reference();
    expect(await failure(feed(s, { url: `${s.origin}/api1/`, collection: null }))).toMatch(/\/api1\/collections\/: no readable collection$/);
    expect(await failure(feed(s, { collection: '64993447-4d7e-4f70-b94d-d7f33742ee63' }))).toMatch(/collection "64993447-4d7e-4f70-b94d-d7f33742ee63" is not readable with these credentials \(can_read false\)$/);
    expect(await failure(feed(s, { collection: 'Secret' }))).toMatch(/no collection with id or title "Secret"; there are "472c94ae/);
  });

  it('two collections of one title are ambiguous', async () => {
    const s = await reference({
      intercept: (_req, res, path) => {
        if (path !== '/trustgroup1/collections/') return false;
        const c = { title: 'Same', can_read: true, can_write: false };
        res.writeHead(200, { 'content-type': 'application/taxii+json;version=2.1' }).end(JSON.stringify({ collections: [{ id: 'a', ...c }, { id: 'b', ...c }] }));
        return true;
      },
    });
    expect(await failure(feed(s, { collection: 'Same' }))).toMatch(/: 2 collections are titled "Same": "a" \("Same"\), "b" \("Same"\); name one by id$/);
  });
});

describe('taxii client: a partner server says no', () => {
  it('401 with a wrong password: the status, the TAXII error and a hint, never the password or its header', async () => {
    const s = await reference({
      // A careless server echoing what it was sent.
      intercept: (req, res) => (taxiiError(res, 401, 'Unauthorized', `bad credentials: ${req.headers.authorization ?? ''} (wrong-password-42)`), true),
    });
    const message = await failure(feed(s, { auth: { user: 'admin', password: 'wrong-password-42' } }));
    expect(message).toMatch(/^taxii: http:\/\/127\.0\.0\.1:\d+\/taxii2\/: HTTP 401: title "Unauthorized", description "bad credentials: Basic \[redacted\] \(\[redacted\]\)" \(check the feed's auth/);
    expect(message).not.toContain('wrong-password-42');
    expect(message).not.toContain(Buffer.from('admin:wrong-password-42').toString('base64'));
  });

  it('credentials written into the URL are sent as Basic and redacted like the feed’s own', async () => {
    const s = await reference({ intercept: (req, res) => (taxiiError(res, 401, 'Unauthorized', `got ${req.headers.authorization ?? ''} for in-url-secret`), true) });
    const message = await failure(feed(s, { url: `${s.origin.replace('//', '//admin:in-url-secret@')}/taxii2/`, auth: null }));
    expect(s.authorizations).toEqual([`Basic ${Buffer.from('admin:in-url-secret').toString('base64')}`]);
    expect(message).toMatch(/^taxii: http:\/\/127\.0\.0\.1:\d+\/taxii2\/: HTTP 401: title "Unauthorized", description "got Basic \[redacted\] for \[redacted\]"/);
  });

  it('401 without credentials, 403 on an unreadable collection URL, 404 on an unknown API root', async () => {
    const s = await reference();
    expect(await failure(feed(s, { auth: null }))).toMatch(/HTTP 401: title "Unauthorized", description "missing or bad credentials"/);
    const forbidden = await reference({ intercept: (_req, res, path) => (path.endsWith('/objects/') ? (taxiiError(res, 403, 'Forbidden', 'not for you'), true) : false) });
    expect(await failure(feed(forbidden))).toMatch(/objects\/: HTTP 403: title "Forbidden", description "not for you" \(these credentials may not read it\)$/);
    await forbidden.close();
    expect(await failure(feed(s, { url: `${s.origin}/nothere/` }))).toMatch(/\/nothere\/: HTTP 404: title "Not Found", description "no API root nothere" \(nothing there/);
  });

  it('406 when the server cannot answer TAXII 2.1; a TAXII 2.0 API root or answer is refused', async () => {
    const s = await reference({ intercept: (_req, res) => (taxiiError(res, 406, 'Not Acceptable', 'only application/taxii+json;version=2.0'), true) });
    expect(await failure(feed(s))).toMatch(/HTTP 406: title "Not Acceptable", description "only application\/taxii\+json;version=2\.0" \(the server cannot answer application\/taxii\+json;version=2\.1: not a TAXII 2\.1 server\?\)$/);
    await s.close();
    const old = await reference({
      intercept: (_req, res, path) => {
        if (path !== '/trustgroup1/') return false;
        res.writeHead(200, { 'content-type': 'application/taxii+json;version=2.1' }).end(JSON.stringify({ title: 't', versions: ['application/taxii+json;version=2.0'], max_content_length: 1 }));
        return true;
      },
    });
    expect(await failure(feed(old))).toMatch(/\/trustgroup1\/: the API root supports "application\/taxii\+json;version=2\.0", not TAXII 2\.1$/);
    await old.close();
    const v20 = await reference({ intercept: (_req, res) => (res.writeHead(200, { 'content-type': 'application/vnd.oasis.taxii+json; version=2.0' }).end('{}'), true) });
    expect(await failure(feed(v20))).toMatch(/content type "application\/vnd\.oasis\.taxii\+json; version=2\.0", not application\/taxii\+json;version=2\.1/);
    await v20.close();
    const says20 = await reference({ intercept: (_req, res) => (res.writeHead(200, { 'content-type': 'application/taxii+json; version=2.0' }).end('{}'), true) });
    expect(await failure(feed(says20))).toMatch(/: the server answers TAXII "2\.0", not 2\.1$/);
  });

  it('a discovery resource whose API root is on another origin is not followed with our credentials', async () => {
    const s = await reference({
      intercept: (_req, res, path) => {
        if (path !== '/taxii2/') return false;
        res.writeHead(200, { 'content-type': 'application/taxii+json;version=2.1' }).end(JSON.stringify({ title: 't', default: 'http://localhost:5000/trustgroup1/' }));
        return true;
      },
    });
    expect(await failure(feed(s))).toMatch(/\/taxii2\/: the API root "http:\/\/localhost:5000\/trustgroup1\/" is on another origin; configure its URL as the feed's url$/);
    expect(s.requests).toEqual(['/taxii2/']);
  });
});
