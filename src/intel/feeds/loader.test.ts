import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedServer, type FeedServer } from '../../../test/support/feed-server.js';
import { startReferenceTaxii, REFERENCE_USER } from '../../../test/support/taxii-reference.js';
import { fetchTaxii } from '../taxii/index.js';
import { copyPaths } from './cache.js';
import { FeedLoader, mergeObjects, type FeedSettings, type IntelFeedConfig } from './loader.js';

const LIST = '# botnet\nflux-one.example\n185.100.87.9\n';

function feed(over: Partial<IntelFeedConfig>): IntelFeedConfig {
  return {
    name: 'botnet', path: null, url: null, kind: null, column: null, action: 'block', refresh: 3600, expiry: 0, confidence: 80,
    collection: null, auth: { user: null, passwordFile: null, tokenFile: null }, ca: null, ...over,
  };
}

const lines: string[] = [];
const log = { info: (_: object, m: string) => void lines.push(m), warn: (_: object, m: string) => void lines.push(m) };
const noTaxii = async (): Promise<never> => Promise.reject(new Error('no taxii here'));

let dir: string;
let server: FeedServer | null = null;
let settings: FeedSettings;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-feeds-'));
  settings = { cacheDir: join(dir, 'cache'), timeoutMs: 2000, maxBytes: 4096 };
  lines.length = 0;
});
afterEach(async () => {
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

function loader(config: IntelFeedConfig, s: FeedSettings = settings): FeedLoader {
  return new FeedLoader(config, s, log, noTaxii);
}

const values = (l: FeedLoader): string[] => (l.parsed?.entries ?? []).map((e) => e.value);

describe('URL feeds', () => {
  it('fetches once, then asks with If-None-Match/If-Modified-Since and keeps the copy on a 304', async () => {
    server = await feedServer(LIST);
    const l = loader(feed({ url: `${server.url}/botnet.txt` }));
    expect(await l.refresh()).toBe('changed');
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
    expect(await l.refresh()).toBe('confirmed');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.ifNoneMatch).toBeNull();
    expect(server.requests[1]!.ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
    expect(server.requests[1]!.ifModifiedSince).toBe('Sat, 05 Dec 2026 10:00:00 GMT');
    expect(l.fetches).toEqual({ ok: 1, 'not-modified': 1, error: 0 });
    // The copy and its validators are kept beside each other.
    const paths = copyPaths(settings.cacheDir, 'botnet');
    expect(readFileSync(paths.copy, 'utf8')).toBe(LIST);
    expect(JSON.parse(readFileSync(paths.meta, 'utf8')).etag).toBe(server.requests[1]!.ifNoneMatch);
  });

  it('a changed feed answers 200 and replaces the copy', async () => {
    server = await feedServer(LIST);
    const l = loader(feed({ url: `${server.url}/botnet.txt` }));
    await l.refresh();
    server.body = 'flux-two.example\n';
    expect(await l.refresh()).toBe('changed');
    expect(values(l)).toEqual(['flux-two.example']);
  });

  it('refuses a feed over intel.maxBytes, declared or streamed, and keeps the previous copy', async () => {
    server = await feedServer(LIST);
    const l = loader(feed({ url: `${server.url}/botnet.txt` }));
    await l.refresh();
    server.body = 'x.example\n'.repeat(1000);
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/bytes declared, over the cap of 4096/);
    server.mode = 'chunked';
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/more than 4096 bytes, over the cap/);
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
    expect(l.fetches.error).toBe(2);
  });

  it('drops the kept copy of another url: no validators sent for it, never used when the new url fails', async () => {
    server = await feedServer(LIST);
    server.files.set('/other.txt', 'flux-other.example\n');
    expect(await loader(feed({ url: `${server.url}/botnet.txt` })).refresh()).toBe('changed');
    const moved = loader(feed({ url: `${server.url}/other.txt` }));
    expect(await moved.refresh()).toBe('changed');
    expect(server.requests[1]!.ifNoneMatch).toBeNull();
    expect(values(moved)).toEqual(['flux-other.example']);
    // Another kind for the same url: the copy kept is of another feed, so a restart with the server down has none.
    const otherUrl = `${server.url}/other.txt`;
    await server.close();
    server = null;
    expect(await loader(feed({ url: otherUrl })).refresh()).toBe('changed');
    const rekinded = loader(feed({ url: otherUrl, kind: 'list' }));
    expect(await rekinded.refresh()).toBe('failed');
    expect(rekinded.parsed).toBeNull();
  });

  it('gives up on a server that never answers after intel.timeout', async () => {
    server = await feedServer(LIST);
    server.mode = 'hang';
    const l = loader(feed({ url: `${server.url}/botnet.txt` }), { ...settings, timeoutMs: 300 });
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/no complete answer within 300 ms/);
    expect(lines.some((m) => m.includes('intel feed botnet:') && m.includes('no copy to use'))).toBe(true);
  });

  it('keeps the previous copy on a 500 and on garbage, logging one line each', async () => {
    server = await feedServer(LIST);
    const l = loader(feed({ url: `${server.url}/botnet.txt` }));
    await l.refresh();
    server.mode = 'fail';
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/HTTP 500$/);
    server.mode = 'serve';
    server.body = '\u0000\u0001binary junk';
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/feed kind not recognised/);
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
    expect(lines.filter((m) => m.includes('keeping the previous copy'))).toHaveLength(2);
    // The copy on disk is still the good one.
    expect(readFileSync(copyPaths(settings.cacheDir, 'botnet').copy, 'utf8')).toBe(LIST);
  });

  it('after a restart with the server down, uses the last good copy, valid from when it was fetched', async () => {
    server = await feedServer(LIST);
    const url = `${server.url}/botnet.txt`;
    const first = loader(feed({ url, expiry: 3600 }));
    await first.refresh();
    const fetchedAt = first.goodAt!;
    await server.close();
    server = null;
    const restarted = loader(feed({ url, expiry: 3600 }));
    expect(await restarted.refresh()).toBe('changed');
    expect(values(restarted)).toEqual(['flux-one.example', '185.100.87.9']);
    expect(restarted.error).toMatch(/ECONNREFUSED/);
    expect(restarted.loadedAt).toBe(fetchedAt);
    expect(restarted.expiresAt()).toBe(fetchedAt + 3_600_000);
    expect(lines.some((m) => m.includes('using the last good copy'))).toBe(true);
  });

  it('a restart with the copy on disk asks conditionally and reads the copy on a 304', async () => {
    server = await feedServer(LIST);
    const url = `${server.url}/botnet.txt`;
    await loader(feed({ url })).refresh();
    const restarted = loader(feed({ url }));
    expect(await restarted.refresh()).toBe('changed');
    expect(server.requests[1]!.ifNoneMatch).not.toBeNull();
    expect(restarted.fetches['not-modified']).toBe(1);
    expect(values(restarted)).toEqual(['flux-one.example', '185.100.87.9']);
  });

  it('expiry: the copy stops being valid expiry seconds after the last good refresh; 0 never', async () => {
    server = await feedServer(LIST);
    const url = `${server.url}/botnet.txt`;
    const l = loader(feed({ url, expiry: 60 }));
    await l.refresh();
    expect(l.expiresAt()).toBe(l.goodAt! + 60_000);
    const before = l.goodAt!;
    server.mode = 'fail';
    await l.refresh();
    // A failed refresh does not renew it.
    expect(l.expiresAt()).toBe(before + 60_000);
    const forever = loader(feed({ name: 'forever', url, expiry: 0 }));
    server.mode = 'serve';
    await forever.refresh();
    expect(forever.expiresAt()).toBe(Infinity);
  });

  it('sends basic credentials from user + passwordFile, and a bearer token from tokenFile, never logging them', async () => {
    server = await feedServer(LIST);
    writeFileSync(join(dir, 'password'), 's3cret-pass\n');
    writeFileSync(join(dir, 'token'), 'tok-123\n');
    server.authorization = `Basic ${Buffer.from('feeder:s3cret-pass').toString('base64')}`;
    const basic = loader(feed({ url: `${server.url}/botnet.txt`, auth: { user: 'feeder', passwordFile: join(dir, 'password'), tokenFile: null } }));
    expect(await basic.refresh()).toBe('changed');
    server.authorization = 'Bearer tok-123';
    const bearer = loader(feed({ name: 'bearer', url: `${server.url}/botnet.txt`, auth: { user: null, passwordFile: null, tokenFile: join(dir, 'token') } }));
    expect(await bearer.refresh()).toBe('changed');
    const none = loader(feed({ name: 'none', url: `${server.url}/botnet.txt?key=s3cret-pass` }));
    expect(await none.refresh()).toBe('failed');
    expect(none.error).toMatch(/HTTP 401$/);
    expect(none.source).toBe(`${server.url}/botnet.txt`);
    expect(lines.join('\n')).not.toMatch(/s3cret|tok-123/);
  });

  it('fetches over https trusting the CA file given, and refuses a certificate it does not trust', async () => {
    const pki = makePki(dir);
    server = await feedServer(LIST, { cert: pki.cert, key: pki.key });
    const trusted = loader(feed({ url: `${server.url}/botnet.txt`, ca: pki.caFile }));
    expect(await trusted.refresh()).toBe('changed');
    expect(values(trusted)).toEqual(['flux-one.example', '185.100.87.9']);
    const untrusted = loader(feed({ name: 'untrusted', url: `${server.url}/botnet.txt` }));
    expect(await untrusted.refresh()).toBe('failed');
    expect(untrusted.error).toMatch(/CERT|SIGNATURE|ISSUER|self.signed/i);
  });

  it('reads a MISP feed: manifest.json, then each event beside it', async () => {
    // The OASIS-published feed event carries no network attribute (skipped, counted); a second event carries two.
    const real = readFileSync(join(import.meta.dirname, '../../../test/fixtures/cti/misp/feed_event_57c4445b-c548-4654-af0b-4be3950d210f.json'), 'utf8');
    const realUuid = '57c4445b-c548-4654-af0b-4be3950d210f';
    const ours = '0c0ffee0-0000-4000-8000-000000000001';
    const event = JSON.stringify({ Event: { info: 'flux', Attribute: [
      { uuid: `${ours}-a`, type: 'domain', value: 'flux-one.example' },
      { uuid: `${ours}-b`, type: 'ip-dst', value: '185.100.87.9' },
    ] } });
    server = await feedServer(JSON.stringify({ [realUuid]: { info: 'x', timestamp: '1', Orgc: {} }, [ours]: { info: 'y', timestamp: '2', Orgc: {} } }));
    server.files.set(`/feed/${realUuid}.json`, real);
    server.files.set(`/feed/${ours}.json`, event);
    const l = loader(feed({ url: `${server.url}/feed/`, kind: 'misp' }), { ...settings, maxBytes: 10_000_000 });
    expect(await l.refresh()).toBe('changed');
    expect(server.requests.map((r) => r.path)).toEqual(['/feed/manifest.json', `/feed/${realUuid}.json`, `/feed/${ours}.json`]);
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
    expect(l.parsed!.skipped.length).toBeGreaterThan(0);
    // The manifest unchanged: one conditional request, no event fetched again.
    expect(await l.refresh()).toBe('confirmed');
    expect(server.requests).toHaveLength(4);
    // After a restart with the server gone, the kept copy gives the same entries.
    const url = `${server.url}/feed/`;
    await server.close();
    server = null;
    const restarted = loader(feed({ url, kind: 'misp', name: 'botnet' }), { ...settings, maxBytes: 10_000_000 });
    expect(await restarted.refresh()).toBe('changed');
    expect(values(restarted)).toEqual(['flux-one.example', '185.100.87.9']);
  });

  it('a MISP feed whose events pass intel.maxBytes is refused whole', async () => {
    const uuid = '0c0ffee0-0000-4000-8000-000000000002';
    server = await feedServer(JSON.stringify({ [uuid]: { info: 'y', timestamp: '2', Orgc: {} } }));
    server.files.set(`/feed/${uuid}.json`, JSON.stringify({ Event: { info: 'big', Attribute: [{ uuid: 'a', type: 'domain', value: 'x'.repeat(5000) + '.example' }] } }));
    const l = loader(feed({ url: `${server.url}/feed/manifest.json`, kind: 'misp' }));
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/over the cap/);
  });
});

describe('file feeds', () => {
  it('re-reads a file only when its size or mtime changed', async () => {
    const path = join(dir, 'botnet.txt');
    writeFileSync(path, LIST);
    const l = loader(feed({ path }));
    expect(await l.refresh()).toBe('changed');
    expect(await l.refresh()).toBe('confirmed');
    writeFileSync(path, 'flux-two.example\n');
    const later = statSync(path).mtimeMs / 1000 + 5;
    utimesSync(path, later, later);
    expect(await l.refresh()).toBe('changed');
    expect(values(l)).toEqual(['flux-two.example']);
  });

  it('a missing or oversized file is an error that keeps the copy', async () => {
    const path = join(dir, 'botnet.txt');
    writeFileSync(path, LIST);
    const l = loader(feed({ path }));
    await l.refresh();
    writeFileSync(path, 'y.example\n'.repeat(1000));
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/over the cap of 4096/);
    rmSync(path);
    expect(await l.refresh()).toBe('failed');
    expect(l.error).toMatch(/ENOENT/);
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
  });

  it('a device or a FIFO named as a feed is refused at once, never read (no hang, no unbounded read)', async () => {
    const good = join(dir, 'botnet.txt');
    writeFileSync(good, LIST);
    const l = loader(feed({ path: good }));
    await l.refresh();
    const zero = loader(feed({ path: '/dev/zero' }));
    expect(await zero.refresh()).toBe('failed');
    expect(zero.error).toMatch(/\/dev\/zero is not a regular file/);
    const fifo = join(dir, 'feed.fifo');
    execFileSync('mkfifo', [fifo]);
    const piped = loader(feed({ path: fifo }));
    expect(await piped.refresh()).toBe('failed');
    expect(piped.error).toMatch(/is not a regular file/);
    const secret = loader(feed({ url: 'http://127.0.0.1:9/feed.txt', auth: { user: null, passwordFile: null, tokenFile: '/dev/zero' } }));
    expect(await secret.refresh()).toBe('failed');
    expect(secret.error).toMatch(/auth\.tokenFile \/dev\/zero: not a regular file/);
    expect(values(l)).toEqual(['flux-one.example', '185.100.87.9']);
  });
});

describe('TAXII feeds', () => {
  it('polls a collection, then only what was added after the newest seen, keeping the union on disk', async () => {
    const taxii = await startReferenceTaxii();
    try {
      writeFileSync(join(dir, 'password'), REFERENCE_USER.password);
      const config = feed({
        url: `${taxii.origin}/taxii2/`, kind: 'taxii', collection: 'High Value Indicator Collection',
        auth: { user: REFERENCE_USER.user, passwordFile: join(dir, 'password'), tokenFile: null },
      });
      const big = { ...settings, maxBytes: 10_000_000 };
      const l = new FeedLoader(config, big, log, fetchTaxii);
      const outcome = await l.refresh();
      expect(l.error).toBeNull();
      expect(outcome).toBe('changed');
      const first = l.parsed!.entries.length + l.parsed!.skipped.length;
      expect(first).toBeGreaterThan(0);
      const polls = taxii.requests.filter((r) => r.includes('/objects/'));
      expect(polls[0]).not.toMatch(/added_after/);
      // The next poll asks for what came after the newest seen; nothing new keeps the copy.
      expect(await l.refresh()).toBe('confirmed');
      const later = taxii.requests.filter((r) => r.includes('/objects/')).slice(polls.length);
      expect(later[0]).toMatch(/added_after=/);
      // A restart with the server gone reads the union kept on disk.
      await taxii.close();
      const restarted = new FeedLoader(config, big, log, fetchTaxii);
      expect(await restarted.refresh()).toBe('changed');
      expect(restarted.parsed!.entries).toEqual(l.parsed!.entries);
    } finally {
      await taxii.close().catch(() => undefined);
    }
  });

  it('a feed whose collection changed polls the new one from the start, not after the old newest', async () => {
    const taxii = await startReferenceTaxii();
    try {
      writeFileSync(join(dir, 'password'), REFERENCE_USER.password);
      const config = feed({
        url: `${taxii.origin}/taxii2/`, kind: 'taxii', collection: 'High Value Indicator Collection',
        auth: { user: REFERENCE_USER.user, passwordFile: join(dir, 'password'), tokenFile: null },
      });
      const big = { ...settings, maxBytes: 10_000_000 };
      expect(await new FeedLoader(config, big, log, fetchTaxii).refresh()).toBe('changed');
      const seen = taxii.requests.length;
      // The same collection named by its id is another configured source: the copy of the first must not lend its added_after.
      const moved = new FeedLoader({ ...config, collection: '91a7b528-80eb-42ed-a74d-c6fbd5a26116' }, big, log, fetchTaxii);
      expect(await moved.refresh()).toBe('changed');
      const polls = taxii.requests.slice(seen).filter((r) => r.includes('/objects/'));
      expect(polls.length).toBeGreaterThan(0);
      expect(polls[0]).not.toMatch(/added_after/);
      expect(JSON.parse(readFileSync(copyPaths(settings.cacheDir, 'botnet').meta, 'utf8')).identity).toBe(moved.identity);
    } finally {
      await taxii.close().catch(() => undefined);
    }
  });

  it('keeps one object per id, the later modified winning, and drops the oldest past the cap', () => {
    const a1 = { id: 'indicator--a', modified: '2026-01-01T00:00:00Z', v: 1 };
    const a2 = { id: 'indicator--a', modified: '2026-02-01T00:00:00Z', v: 2 };
    const b = { id: 'indicator--b', modified: '2025-01-01T00:00:00Z' };
    const c = { id: 'indicator--c', modified: '2026-03-01T00:00:00Z' };
    expect(mergeObjects([a2, b], [a1], 10)).toEqual([a2, b]);
    expect(mergeObjects([a1, b], [a2, c], 2)).toEqual([c, a2]);
  });
});

/** A throwaway CA and a server certificate for 127.0.0.1 it signed (openssl). */
function makePki(at: string): { caFile: string; cert: string; key: string } {
  const p = (f: string): string => join(at, f);
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '1', '-subj', '/CN=fluxhound test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('srv.pem'), '-days', '1', '-extfile', p('ext.cnf')]);
  return { caFile: p('ca.pem'), cert: readFileSync(p('srv.pem'), 'utf8'), key: readFileSync(p('srv.key'), 'utf8') };
}
