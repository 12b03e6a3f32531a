/**
 * A hostile or broken TAXII server over a real socket: a body past maxBytes
 * (streamed or declared), a budget spent over many pages, broken JSON, a
 * foreign content type, bad envelopes, pages that never end, a server that
 * never answers, redirects, a huge error message with control characters.
 * Every one ends the poll with one bounded line, or skips and counts the bad
 * record with its position.
 */
import { createServer } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_USER, startReferenceTaxii, TAXII_TYPE, type ReferenceServer } from '../../../test/support/taxii-reference.js';
import { fetchTaxii, TaxiiError, type TaxiiFeedSource } from './index.js';

const COLLECTION = '/trustgroup1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/';

// Every server a test started, closed after it (a test may start several).
const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The reference server, with the collection's objects/ answered by `objects`. */
async function hostile(objects: (req: IncomingMessage, res: ServerResponse, page: number) => void): Promise<ReferenceServer> {
  let page = 0;
  const server = await startReferenceTaxii({
    intercept: (req, res, path) => {
      if (!path.endsWith('/objects/')) return false;
      objects(req, res, ++page);
      return true;
    },
  });
  servers.push(server);
  return server;
}
const feed = (s: ReferenceServer, over: Partial<TaxiiFeedSource> = {}): TaxiiFeedSource => ({
  url: `${s.origin}${COLLECTION}`,
  collection: null,
  auth: REFERENCE_USER,
  ca: null,
  timeoutMs: 10_000,
  maxBytes: 1024 * 1024,
  ...over,
});
const taxii = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(200, { 'content-type': TAXII_TYPE, ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
};
async function failure(source: TaxiiFeedSource): Promise<string> {
  const err = await fetchTaxii(source, null).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TaxiiError);
  const message = (err as Error).message;
  expect(message).toMatch(/^taxii: /);
  expect(message).not.toMatch(/[\u0000-\u001f]/);
  expect(message.length).toBeLessThan(600);
  return message;
}
const objectsRequests = (s: ReferenceServer): number => s.requests.filter((r) => r.includes('/objects/')).length;

describe('taxii client: bytes', () => {
  it('a body that never ends is cut at maxBytes while it streams, and the connection is dropped', async () => {
    let closed!: Promise<number>;
    const s = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': TAXII_TYPE });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let written = 0;
      closed = new Promise((resolve) => res.on('close', () => resolve(written)));
      const pump = (): void => {
        while (!res.destroyed && written < 1024 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.write('{"objects": [');
      pump();
    });
    expect(await failure(feed(s))).toMatch(/objects\/: the poll passed maxBytes \(1048576 bytes; \d+ read by now\)$/);
    // The server saw the connection closed long before its gigabyte.
    expect(await closed).toBeLessThan(1024 * 1024 * 1024);
  });

  it('a declared Content-Length past the budget is refused before the body is read', async () => {
    const s = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': TAXII_TYPE, 'content-length': String(5 * 1024 * 1024) });
      res.write('{');
    });
    expect(await failure(feed(s))).toMatch(/the poll passed maxBytes \(1048576 bytes; this answer declares 5242880\)$/);
  });

  it('the budget covers the whole poll: small pages add up', async () => {
    const pad = 'x'.repeat(200 * 1024);
    const s = await hostile((_req, res, page) => taxii(res, { more: true, next: `p${page}`, objects: [{ type: 'note', id: `note--${page}`, pad }] }));
    expect(await failure(feed(s))).toMatch(/the poll passed maxBytes \(1048576 bytes; \d+ read by now\)$/);
    expect(objectsRequests(s)).toBe(6); // five pages of 200 KiB fit, the sixth does not
  });
});

describe('taxii client: what the server says', () => {
  it('broken JSON, a non-TAXII content type, an envelope of the wrong shape', async () => {
    let answer: (res: ServerResponse) => void = () => {};
    const s = await hostile((_req, res) => answer(res));
    answer = (res) => taxii(res, '{"more": false, "objects": [{"id": ');
    expect(await failure(feed(s))).toMatch(/objects\/: not JSON: "/);
    answer = (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    expect(await failure(feed(s))).toMatch(/objects\/: content type "text\/html", not application\/taxii\+json;version=2\.1: not a TAXII 2\.1 answer$/);
    answer = (res) => res.writeHead(200).end('{}');
    expect(await failure(feed(s))).toMatch(/content type "\(none\)"/);
    answer = (res) => taxii(res, '[1, 2]');
    expect(await failure(feed(s))).toMatch(/objects\/: the answer is not a JSON object$/);
    answer = (res) => taxii(res, { objects: { a: 1 } });
    expect(await failure(feed(s))).toMatch(/bad envelope on page 1: objects is not an array$/);
    answer = (res) => taxii(res, { more: 'yes' });
    expect(await failure(feed(s))).toMatch(/bad envelope on page 1: more is not a boolean$/);
    answer = (res) => taxii(res, { more: true, next: 7 });
    expect(await failure(feed(s))).toMatch(/bad envelope on page 1: next is not a string$/);
  });

  it('elements of objects that are not objects are skipped and counted with page and position', async () => {
    const s = await hostile((_req, res, page) =>
      taxii(res, page === 1 ? { more: true, next: 'two', objects: [1, { type: 'note', id: 'note--1' }, null] } : { objects: ['x', [], { type: 'note', id: 'note--2' }] }),
    );
    const got = await fetchTaxii(feed(s), null);
    expect(got.objects).toEqual([{ type: 'note', id: 'note--1' }, { type: 'note', id: 'note--2' }]);
    expect(got.skipped).toEqual([
      { position: 'page 1 objects[0]', reason: 'not a JSON object' },
      { position: 'page 1 objects[2]', reason: 'not a JSON object' },
      { position: 'page 2 objects[0]', reason: 'not a JSON object' },
      { position: 'page 2 objects[1]', reason: 'not a JSON object' },
    ]);
  });

  it('an error message with control characters and a long description is one short line', async () => {
    const title = 'Oops\r\n\u001b[31mINJECTED LOG LINE';
    let description = 'a\n'.repeat(20_000);
    const s = await hostile((_req, res) => {
      res.writeHead(500, { 'content-type': TAXII_TYPE });
      res.end(JSON.stringify({ title, description, http_status: '500' }));
    });
    expect(await failure(feed(s))).toMatch(/objects\/: HTTP 500: title "Oops \[31mINJECTED LOG LINE", description "(a ){100}…"$/);
    // Past the 64 KiB an error body is read to: the complete fields before the cut are still told.
    description = 'b'.repeat(1024 * 1024);
    expect(await failure(feed(s))).toMatch(/objects\/: HTTP 500: title "Oops \[31mINJECTED LOG LINE"$/);
    await s.close();
    const odd = await hostile((_req, res) => res.writeHead(400, { 'content-type': TAXII_TYPE }).end(JSON.stringify({ title: 'Bad filter', http_status: '418' })));
    expect(await failure(feed(odd))).toMatch(/objects\/: HTTP 400: title "Bad filter", http_status "418"$/);
    await odd.close();
    const html = await hostile((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'));
    expect(await failure(feed(html))).toMatch(/objects\/: HTTP 502$/);
  });

  it('a redirect is not followed (the credentials stay with the configured URL)', async () => {
    const s = await hostile((_req, res) => res.writeHead(302, { location: 'http://elsewhere.example/steal/' }).end());
    expect(await failure(feed(s))).toMatch(/objects\/: HTTP 302, redirected to "http:\/\/elsewhere\.example\/steal\/": not followed/);
    expect(s.authorizations.filter((a) => a !== '')).toHaveLength(2);
  });
});

describe('taxii client: pages that never end', () => {
  it('a fresh next on every page stops at maxPages', async () => {
    const s = await hostile((_req, res, page) => taxii(res, { more: true, next: `n${page}`, objects: [{ type: 'note', id: `note--${page}` }] }));
    expect(await failure(feed(s, { maxPages: 5 }))).toMatch(/objects\/: still more after 5 pages: a page loop, or a collection too large for one poll$/);
    expect(objectsRequests(s)).toBe(5);
  });

  it('a next handed out twice is a loop at once', async () => {
    const s = await hostile((_req, res) => taxii(res, { more: true, next: 'again', objects: [] }));
    expect(await failure(feed(s))).toMatch(/page 2 hands out next "again" again: a page loop$/);
    expect(objectsRequests(s)).toBe(2);
  });

  it('more without next: needs X-TAXII-Date-Added-Last, and it must move on', async () => {
    const stuck = await hostile((_req, res) => taxii(res, { more: true, objects: [] }, { 'x-taxii-date-added-last': '2026-01-01T00:00:00.000000Z' }));
    expect(await failure(feed(stuck))).toMatch(/page 2 says more but X-TAXII-Date-Added-Last does not move past "2026-01-01T00:00:00\.000000Z": a page loop$/);
    await stuck.close();
    const bare = await hostile((_req, res) => taxii(res, { more: true, objects: [] }));
    expect(await failure(feed(bare))).toMatch(/page 1 says more but gives neither next nor X-TAXII-Date-Added-Last$/);
  });
});

describe('taxii client: time, abort, connection', () => {
  it('a server that never answers fails the poll at timeoutMs', async () => {
    const s = await hostile(() => {});
    expect(await failure(feed(s, { timeoutMs: 300 }))).toMatch(/^taxii: http:\/\/127\.0\.0\.1:\d+\/trustgroup1\/collections\/91a7b528-80eb-42ed-a74d-c6fbd5a26116\/: the poll took longer than 300 ms$/);
  });

  it('the caller’s signal aborts a poll in flight', async () => {
    const controller = new AbortController();
    const s = await hostile(() => controller.abort());
    expect(await failure(feed(s, { signal: controller.signal }))).toMatch(/: poll aborted$/);
    const already = new AbortController();
    already.abort();
    expect(await failure(feed(s, { signal: already.signal }))).toMatch(/: poll aborted$/);
  });

  it('a refused connection and a URL that is not one', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const refused = await fetchTaxii({ url: `http://user:secret-pass@127.0.0.1:${closedPort}/taxii2/`, collection: null, auth: null, ca: null, timeoutMs: 5000, maxBytes: 1024 }, null).catch((e: Error) => e.message);
    expect(refused).toMatch(new RegExp(`^taxii: http://127\\.0\\.0\\.1:${closedPort}/taxii2/: connect ECONNREFUSED`));
    expect(refused).not.toContain('secret-pass');
    await expect(fetchTaxii({ url: 'not a url', collection: null, auth: null, ca: null, timeoutMs: 5000, maxBytes: 1024 }, null)).rejects.toThrow(/^taxii: "not a url" is not a URL$/);
    await expect(fetchTaxii({ url: 'ftp://127.0.0.1/taxii2/', collection: null, auth: null, ca: null, timeoutMs: 5000, maxBytes: 1024 }, null)).rejects.toThrow(/^taxii: ftp:\/\/127\.0\.0\.1\/taxii2\/: only http and https URLs$/);
  });
});

describe('taxii client: newest without the header', () => {
  it('falls back to the server’s Date when objects came without X-TAXII-Date-Added-Last; a bad header is ignored', async () => {
    const s = await hostile((_req, res) => taxii(res, { objects: [{ type: 'note', id: 'note--1' }] }, { date: 'Sat, 05 Dec 2026 12:00:00 GMT', 'x-taxii-date-added-last': 'yesterday' }));
    const got = await fetchTaxii(feed(s), null);
    expect(got.newest).toBe('2026-12-05T12:00:00.000Z');
    // Never earlier than where the poll started.
    expect((await fetchTaxii(feed(s), '2027-01-01T00:00:00Z')).newest).toBe('2027-01-01T00:00:00Z');
  });
});
