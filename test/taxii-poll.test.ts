/**
 * fluxhound's TAXII client polling fluxhound's own TAXII 2.1 server over a
 * real socket: discovery → API root → collection → objects across several
 * pages, incremental polls with added_after, and a bad token as one clear line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTaxii, TaxiiError, type TaxiiFeedSource } from '../src/intel/taxii/index.js';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { TaxiiService } from '../src/serve/taxii/index.js';
import { FINDINGS_COLLECTION_ID } from '../src/serve/taxii/resources.js';
import type { PublishedObject, StixSource } from '../src/serve/taxii/source.js';
import { parseStix } from '../src/intel/stix/index.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { findBinary } from './support/binaries.js';
import { writeTokenFile } from './support/tokens.js';

const BASE = Date.parse('2026-12-05T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
function indicator(n: number, added: number): PublishedObject {
  const created = iso(BASE + n);
  return {
    object: { type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, created, modified: created, pattern: `[domain-name:value = 'd${n}.flux.example']`, pattern_type: 'stix', valid_from: created },
    added,
  };
}
// 2,500 objects: three pages at the server's 1,000 a page.
const published: PublishedObject[] = [];
for (let n = 0; n < 2500; n++) published.push(indicator(n, BASE + n));
const source: StixSource = { objects: () => [...published] };

const daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
const tokens = writeTokenFile();
const server = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, source });
beforeAll(() => server.start());
afterAll(() => server.stop());

const feed = (over: Partial<TaxiiFeedSource> = {}): TaxiiFeedSource => ({
  url: `http://127.0.0.1:${server.port}/taxii2/`,
  collection: null,
  auth: { token: tokens.read },
  ca: null,
  timeoutMs: 30_000,
  maxBytes: 64 * 1024 * 1024,
  ...over,
});
const numbers = (objects: Record<string, unknown>[]): number[] => objects.map((o) => Number((o.id as string).slice(-12)));

describe('taxii client against fluxhound serve --taxii', () => {
  it('polls from the discovery URL across pages: every object once, in order, newest = the last date_added', async () => {
    const got = await fetchTaxii(feed(), null);
    expect(got.pages).toBe(3);
    expect(numbers(got.objects)).toEqual(Array.from({ length: 2500 }, (_, n) => n));
    expect(got.newest).toBe('2026-12-05T10:00:02.499000Z');
    expect(got.bytes).toBeGreaterThan(2500 * 200);
    expect(got.skipped).toEqual([]);
  });

  it('polls incrementally: added_after = the last newest gives only what was published since', async () => {
    const first = await fetchTaxii(feed(), null);
    for (let n = 2500; n < 2505; n++) published.push(indicator(n, BASE + 600_000 + n));
    const second = await fetchTaxii(feed(), first.newest);
    expect(numbers(second.objects)).toEqual([2500, 2501, 2502, 2503, 2504]);
    expect(second.pages).toBe(1);
    expect(second.newest).toBe('2026-12-05T10:10:02.504000Z');
    // Nothing new: no objects, and newest stays where the poll started.
    const third = await fetchTaxii(feed(), second.newest);
    expect(third.objects).toEqual([]);
    expect(third.newest).toBe(second.newest);
  });

  it('takes the API root URL with the collection by title, or the collection URL itself', async () => {
    const byTitle = await fetchTaxii(feed({ url: `http://127.0.0.1:${server.port}/fluxhound/`, collection: 'fluxhound findings' }), '2026-12-05T10:00:02.400Z');
    expect(byTitle.objects.length).toBeGreaterThanOrEqual(99);
    expect(numbers(byTitle.objects)[0]).toBe(2401);
    const direct = await fetchTaxii(feed({ url: `http://127.0.0.1:${server.port}/fluxhound/collections/${FINDINGS_COLLECTION_ID}` }), '2026-12-05T10:00:02.400Z');
    expect(direct.objects).toEqual(byTitle.objects);
  });

  it('a bad token is one clear line naming the 401 and the server’s error, never the token', async () => {
    const bad = 'not-a-token-of-this-server-0123456789';
    const err = await fetchTaxii(feed({ auth: { token: bad } }), null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaxiiError);
    const message = (err as Error).message;
    expect(message).toMatch(/^taxii: http:\/\/127\.0\.0\.1:\d+\/taxii2\/: HTTP 401: title "Unauthorized", description "[^"]*" \(check the feed's auth/);
    expect(message).not.toContain(bad);
    expect(message).not.toMatch(/\n/);
  });

  it('an unknown collection lists the ones there are', async () => {
    await expect(fetchTaxii(feed({ collection: 'nope' }), null)).rejects.toThrow(
      new RegExp(`^taxii: http://127\\.0\\.0\\.1:\\d+/fluxhound/collections/: no collection with id or title "nope"; there are "${FINDINGS_COLLECTION_ID}" \\("fluxhound findings"\\)$`),
    );
  });

  it('what a poll gets is what the STIX reader takes: one domain entry per published indicator', async () => {
    const got = await fetchTaxii(feed(), null);
    const parsed = parseStix(JSON.stringify(got.objects), 'taxii:fluxhound');
    expect(parsed.skipped).toEqual([]);
    expect(parsed.entries).toHaveLength(got.objects.length);
    expect(parsed.entries[0]).toMatchObject({ kind: 'domain', value: 'd0.flux.example', ref: 'indicator--00000000-0000-4000-8000-000000000000' });
  });

  const openssl = findBinary('openssl', 'openssl');
  it.skipIf(openssl.path === null)('polls serve --taxii over TLS with its certificate as the feed’s ca', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-taxii-poll-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(openssl.path!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const secure = new TaxiiService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, tls: { cert, key }, source });
    await secure.start();
    try {
      const got = await fetchTaxii(feed({ url: `https://127.0.0.1:${secure.port}/taxii2/`, ca: readFileSync(cert, 'utf8') }), '2026-12-05T10:00:02.000Z');
      expect(numbers(got.objects).slice(0, 3)).toEqual([2001, 2002, 2003]);
      await expect(fetchTaxii(feed({ url: `https://127.0.0.1:${secure.port}/taxii2/` }), null)).rejects.toThrow(/: TLS: .*; the feed's ca must hold the CA/);
    } finally {
      await secure.stop();
    }
  });
});
