/**
 * One partner never reads another's posts (issue 15 review): partner p1
 * posts a TLP:RED indicator into the inbox; partner p2, with its own write
 * token, sees nothing of it through objects, manifest, one object or its
 * versions; p1 reads its own; an admin token reads every poster's. Over
 * real sockets, with the one token file of --api-tokens.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { violations } from '../../../test/helpers/taxii-spec.js';
import { bearer, newToken } from '../../../test/support/tokens.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { Inbox } from './inbox.js';
import { INBOX_COLLECTION_ID, TAXII_MEDIA_TYPE } from './resources.js';
import { TaxiiService } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-partners-'));
const token = { p1: newToken(), p2: newToken(), ops: newToken() };
const tokenFile = join(dir, 'api-tokens');
writeFileSync(tokenFile, `${token.p1} write p1\n${token.p2} write p2\n${token.ops} admin ops\n`, { mode: 0o600 });
const config = defaultConfig();
config.intel.cacheDir = dir;
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
const inbox = new Inbox({ cacheDir: dir, maxObjects: 100, meta: { action: 'block', confidence: 70, expiry: 0 }, intel: () => null });
const taxii = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokenFile, source: { objects: () => [] }, inbox });
beforeAll(() => taxii.start());
afterAll(() => taxii.stop());

const base = `/fluxhound/collections/${INBOX_COLLECTION_ID}`;
const TAXII = { accept: TAXII_MEDIA_TYPE, 'content-type': TAXII_MEDIA_TYPE };
const get = (path: string, who: string): Promise<Response> => fetch(`http://127.0.0.1:${taxii.port}${base}${path}`, { headers: { ...TAXII, ...bearer(who) } });
const RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed';
const p1Id = 'indicator--00000000-0000-4000-8000-000000000001';
const p2Id = 'indicator--00000000-0000-4000-8000-000000000002';
const indicatorOf = (id: string, domain: string, marking: string[] = []) => ({
  type: 'indicator',
  spec_version: '2.1',
  id,
  created: '2026-12-05T10:00:00.000Z',
  modified: '2026-12-05T10:00:00.000Z',
  pattern: `[domain-name:value = '${domain}']`,
  pattern_type: 'stix',
  valid_from: '2026-12-05T10:00:00.000Z',
  object_marking_refs: marking,
});
const ids = async (res: Response): Promise<string[]> => (((await res.json()) as { objects?: Array<{ id: string }> }).objects ?? []).map((o) => o.id).sort();

describe('taxii inbox: partners read only their own posts', () => {
  beforeAll(async () => {
    for (const [who, id, domain, marking] of [
      [token.p1, p1Id, 'red-only.example', [RED]],
      [token.p2, p2Id, 'p2.example', []],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${taxii.port}${base}/objects/`, {
        method: 'POST',
        headers: { ...TAXII, ...bearer(who) },
        body: JSON.stringify({ objects: [indicatorOf(id, domain, [...marking])] }),
      });
      expect(res.status).toBe(202);
    }
  });

  it('p2 sees nothing of p1\'s TLP:RED indicator: objects, manifest, the object, its versions', async () => {
    const objects = await get('/objects/', token.p2);
    expect(objects.status).toBe(200);
    const body = await objects.text();
    expect(body).not.toContain(p1Id);
    expect(body).not.toContain('red-only.example');
    expect(JSON.parse(body).objects.map((o: { id: string }) => o.id)).toEqual([p2Id]);
    expect(await ids(await get('/manifest/', token.p2))).toEqual([p2Id]);
    expect((await get(`/objects/${p1Id}/`, token.p2)).status).toBe(404);
    expect((await get(`/objects/${p1Id}/versions/`, token.p2)).status).toBe(404);
    expect(await ids(await get(`/objects/?match[id]=${p1Id}`, token.p2))).toEqual([]);
  });

  it('p1 reads its own, and only its own', async () => {
    const res = await get('/objects/', token.p1);
    expect(res.status).toBe(200);
    expect(await ids(res)).toEqual([p1Id]);
    const one = (await (await get(`/objects/${p1Id}/`, token.p1)).json()) as Record<string, unknown>;
    expect(violations('envelope', one)).toEqual([]);
    expect((await get(`/objects/${p2Id}/`, token.p1)).status).toBe(404);
  });

  it('an admin token reads every poster\'s objects', async () => {
    expect(await ids(await get('/objects/', token.ops))).toEqual([p1Id, p2Id]);
    expect(await ids(await get('/manifest/', token.ops))).toEqual([p1Id, p2Id]);
    const collection = (await (await get('/', token.ops)).json()) as { can_read: boolean };
    expect(collection.can_read).toBe(true);
  });
});
