/**
 * The TAXII write collection over real sockets: partners POST envelopes with
 * a write token; each object is a success or a failure of the status
 * resource; the poster's objects reach the daemon's feed set as
 * `taxii:<poster>`, are read back through GET objects, and survive a
 * restart (persisted under intel.cacheDir). The feed set here is a small
 * IntelFeeds over the real buildIntelIndex (the daemon's own is the intel
 * service's).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { PushedFeeds } from '../../../test/helpers/pushed-feeds.js';
import { violations } from '../../../test/helpers/taxii-spec.js';
import { bearer, writeTokenFile } from '../../../test/support/tokens.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { Inbox } from './inbox.js';
import { FINDINGS_COLLECTION_ID, INBOX_COLLECTION_ID, MAX_CONTENT_LENGTH, TAXII_MEDIA_TYPE } from './resources.js';
import { TaxiiService, taxiiService } from './index.js';
import { intelService } from '../intel/index.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import type { StixSource } from './source.js';


const cacheDir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-inbox-'));
const config = defaultConfig();
config.intel.cacheDir = cacheDir;
config.serve.taxii.inbox = { enabled: true, action: 'block', confidence: 70, maxObjects: 8 };
const feeds = new PushedFeeds();
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
daemon.context.intel = feeds;
const tokens = writeTokenFile();
const empty: StixSource = { objects: () => [] };
const taxii = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, source: empty });
beforeAll(() => taxii.start());
afterAll(() => taxii.stop());

const inbox = `/fluxhound/collections/${INBOX_COLLECTION_ID}`;
const url = (path: string): string => `http://127.0.0.1:${taxii.port}${path}`;
const TAXII = { accept: TAXII_MEDIA_TYPE, 'content-type': TAXII_MEDIA_TYPE };

function post(body: string, token: string | null = tokens.write, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(`${inbox}/objects/`), { method: 'POST', headers: { ...TAXII, ...(token === null ? {} : bearer(token)), ...headers }, body });
}

const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
function indicator(n: number, pattern: string, modified = '2026-12-05T10:00:00.000Z'): Record<string, unknown> {
  return { type: 'indicator', spec_version: '2.1', id: `indicator--${ID(n)}`, created: '2026-12-05T10:00:00.000Z', modified, pattern, pattern_type: 'stix', valid_from: '2026-12-05T10:00:00.000Z', name: `partner indicator ${n}` };
}

describe('taxii inbox: POST envelopes', () => {
  it('answers 202 with a status resource: usable objects succeed, hostile ones fail one by one, and the poster\'s feed is in force', async () => {
    const objects = [
      indicator(1, "[domain-name:value = 'evil-flux.example']"),
      { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${ID(2)}`, value: '185.100.87.7' },
      indicator(3, "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"),
      indicator(4, "[domain-name:value = 'a' OR 1=1]"),
      indicator(5, "[domain-name:value = 'x'] UNION SELECT * FROM users --"),
      { type: 'indicator', id: 'not-an-id' },
      42,
    ];
    const res = await post(JSON.stringify({ objects }));
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    const status = (await res.json()) as Record<string, unknown> & { successes: Array<{ id: string }>; failures: Array<{ id: string; message: string }> };
    expect(violations('status', status)).toEqual([]);
    expect(status).toMatchObject({ status: 'complete', total_count: 7, success_count: 2, failure_count: 5, pending_count: 0 });
    expect(status.successes.map((s) => s.id)).toEqual([`indicator--${ID(1)}`, `ipv4-addr--${ID(2)}`]);
    expect(status.failures.map((f) => f.id)).toEqual([`indicator--${ID(3)}`, `indicator--${ID(4)}`, `indicator--${ID(5)}`, 'not-an-id', 'objects[6]']);
    for (const f of status.failures) expect(f.message.length).toBeGreaterThan(0);

    // Marked with the poster: the token's name.
    const hit = feeds.current()?.matchDomain('www.evil-flux.example');
    expect(hit).toMatchObject({ feed: 'taxii:writer', value: 'evil-flux.example', ref: `indicator--${ID(1)}`, action: 'block', confidence: 70 });
    expect(feeds.current()?.matchAddress('185.100.87.7')).toMatchObject({ feed: 'taxii:writer' });

    // The status stays readable by its poster at /status/{id}/, and by nobody else.
    const mine = await fetch(url(`/fluxhound/status/${status.id as string}/`), { headers: { ...TAXII, ...bearer(tokens.write) } });
    expect(mine.status).toBe(200);
    expect(await mine.json()).toEqual(status);
    expect((await fetch(url(`/fluxhound/status/${status.id as string}/`), { headers: { ...TAXII, ...bearer(tokens.admin) } })).status).toBe(404);
  });

  it('serves what was posted back to its poster through GET objects and manifest, with date_added; a read-only token reads nothing there', async () => {
    const denied = await fetch(url(`${inbox}/objects/`), { headers: { ...TAXII, ...bearer(tokens.read) } });
    expect(denied.status).toBe(403);
    expect(violations('error', (await denied.json()) as Record<string, unknown>)).toEqual([]);
    const res = await fetch(url(`${inbox}/objects/`), { headers: { ...TAXII, ...bearer(tokens.write) } });
    expect(res.status).toBe(200);
    const envelope = (await res.json()) as Record<string, unknown> & { objects: Array<{ id: string }> };
    expect(violations('envelope', envelope)).toEqual([]);
    expect(envelope.objects.map((o) => o.id).sort()).toEqual([`indicator--${ID(1)}`, `ipv4-addr--${ID(2)}`]);
    expect(res.headers.get('x-taxii-date-added-last')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const manifest = (await (await fetch(url(`${inbox}/manifest/`), { headers: { ...TAXII, ...bearer(tokens.write) } })).json()) as Record<string, unknown>;
    expect(violations('manifest', manifest)).toEqual([]);
  });

  it('lists both collections; can_write and the inbox\'s can_read are true only for a token that may write', async () => {
    const list = async (token: string) =>
      ((await (await fetch(url('/fluxhound/collections/'), { headers: { ...TAXII, ...bearer(token) } })).json()) as { collections: Array<{ id: string; can_read: boolean; can_write: boolean }> })
        .collections;
    const read = await list(tokens.read);
    expect(violations('collections', { collections: read })).toEqual([]);
    expect(read.map((c) => [c.id, c.can_read, c.can_write])).toEqual([
      [FINDINGS_COLLECTION_ID, true, false],
      [INBOX_COLLECTION_ID, false, false],
    ]);
    expect((await list(tokens.write)).map((c) => [c.can_read, c.can_write])).toEqual([
      [true, false],
      [true, true],
    ]);
  });

  it.each([
    ['no token', () => post('{"objects":[]}', null), 401],
    ['a read token', () => post('{"objects":[]}', tokens.read), 403],
    ['the findings collection', () => fetch(url(`/fluxhound/collections/${FINDINGS_COLLECTION_ID}/objects/`), { method: 'POST', headers: { ...TAXII, ...bearer(tokens.write) }, body: '{"objects":[]}' }), 403],
    ['a body over max_content_length', () => post(`{"objects":[],"pad":"${'x'.repeat(MAX_CONTENT_LENGTH)}"}`), 413],
    ['more objects than a poster keeps', () => post(JSON.stringify({ objects: Array.from({ length: 9 }, (_, i) => indicator(10 + i, `[domain-name:value = 'n${i}.example']`)) })), 413],
    ['Content-Type application/json', () => post('{"objects":[]}', tokens.write, { 'content-type': 'application/json' }), 415],
    ['Content-Type TAXII 2.0', () => post('{"objects":[]}', tokens.write, { 'content-type': 'application/taxii+json;version=2.0' }), 415],
    ['Accept text/html', () => post('{"objects":[]}', tokens.write, { accept: 'text/html' }), 406],
    ['broken JSON', () => post('{"objects":[{"type":'), 400],
    ['an envelope whose objects is no list', () => post('{"objects":{"type":"indicator"}}'), 400],
    ['a bundle-less array', () => post('[1,2,3]'), 400],
  ])('refuses %s with a TAXII error', async (_what, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    const body = (await res.json()) as Record<string, unknown>;
    expect(violations('error', body)).toEqual([]);
    expect(body.http_status).toBe(String(status));
  });

  it('keeps the latest version per id and at most maxObjects per poster, oldest out first', async () => {
    const newer = indicator(1, "[domain-name:value = 'evil-flux.example']", '2026-12-05T11:00:00.000Z');
    expect((await post(JSON.stringify({ objects: [newer] }))).status).toBe(202);
    const more = Array.from({ length: 7 }, (_, i) => indicator(20 + i, `[domain-name:value = 'more${i}.example']`));
    expect((await post(JSON.stringify({ objects: more }))).status).toBe(202);
    const ids = taxii.inbox!.objects().map((o) => o.object.id);
    expect(ids).toHaveLength(8);
    // The address (posted first, never re-posted) went; the re-posted indicator stayed, as its newer version.
    expect(ids).not.toContain(`ipv4-addr--${ID(2)}`);
    expect(taxii.inbox!.objects().find((o) => o.object.id === `indicator--${ID(1)}`)!.object.modified).toBe('2026-12-05T11:00:00.000Z');
    expect(feeds.current()?.matchAddress('185.100.87.7')).toBeNull();
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_taxii_inbox_objects_total\{outcome="failed"\} 5$/m);
    // The address went for maxObjects.
    expect(text).toMatch(/^fluxhound_taxii_inbox_objects_total\{outcome="dropped"\} 1$/m);
  });

  it('survives a restart: the posted objects are read back from intel.cacheDir and handed to the feed set', async () => {
    expect(readdirSync(join(cacheDir, 'taxii-inbox'))).toEqual(['writer.jsonl']);
    const after = new PushedFeeds();
    const restarted = new Inbox({ cacheDir, maxObjects: 8, meta: { action: 'log', confidence: 30, expiry: 0 }, intel: () => after });
    expect(restarted.load()).toEqual([]);
    expect(restarted.objects().map((o) => o.object.id).sort()).toEqual(taxii.inbox!.objects().map((o) => o.object.id).sort());
    expect(after.current()?.matchDomain('more2.example')).toMatchObject({ feed: 'taxii:writer', action: 'log', confidence: 30 });
  });
});

describe('taxii inbox: into the daemon\'s own feed set', () => {
  it('a partner\'s POST becomes the intel feed taxii:<poster> of the intel service, with serve.taxii.* from the config', async () => {
    const own = defaultConfig();
    own.intel.cacheDir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-inbox-daemon-'));
    own.serve.http.tokens = tokens.file;
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    own.serve.taxii.listen = `127.0.0.1:${port}`;
    own.serve.taxii.inbox = { enabled: true, action: 'log', confidence: 60, maxObjects: 100 };
    const d = quietDaemon(own, { factories: [intelService, taxiiService] });
    await d.start();
    try {
      const service = d.services.find((s) => s.name === 'taxii') as TaxiiService;
      expect(service.port).toBe(port);
      const res = await fetch(`http://127.0.0.1:${port}${inbox}/objects/`, {
        method: 'POST',
        headers: { ...TAXII, ...bearer(tokens.write) },
        body: JSON.stringify({ objects: [indicator(1, "[domain-name:value = 'pushed-flux.example']")] }),
      });
      expect(res.status).toBe(202);
      expect(d.context.intel?.current()?.matchDomain('pushed-flux.example')).toMatchObject({ feed: 'taxii:writer', action: 'log', confidence: 60 });
      expect(d.context.intel?.status().map((s) => s.name)).toContain('taxii:writer');
    } finally {
      await d.stop();
    }
  });
});
