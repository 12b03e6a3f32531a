import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../model/names.js';
import { loadBundledAsn } from './asn/index.js';
import { dateFromVersion } from './bundled.js';
import { createEnricher, nullEnricher } from './index.js';
import type { Enricher } from './index.js';

// The full bundled data: one CSV parse (~0.5 s) into a private cache directory.
let cacheDir: string;
let enricher: Enricher;
beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'fluxhound-enrich-'));
  enricher = await createEnricher({ cacheDir });
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('bundled data', () => {
  it.each([
    ['1.1.1.1', 13335, 'Cloudflare, Inc.'],
    ['8.8.8.8', 15169, 'Google LLC'],
    ['80.128.0.1', 3320, 'Deutsche Telekom AG'],
    ['2001:4860:4860::8888', 15169, 'Google LLC'],
    ['2003::1', 3320, 'Deutsche Telekom AG'],
    ['::ffff:8.8.8.8', 15169, 'Google LLC'], // IPv4-mapped goes to the IPv4 table
    ['1.0.0.0', 13335, 'Cloudflare, Inc.'], // the first row of the file
    ['5.249.166.255', 206996, 'ZAP-Hosting GmbH'], // last address before a gap in the data
    ['5.249.167.0', 0, ''], // first address of the gap
    ['5.249.175.255', 0, ''], // last address of the gap
    ['5.249.176.0', 22773, 'Cox Communications Inc.'], // first address after it
    ['10.0.0.1', 0, ''],
    ['192.168.1.1', 0, ''],
    ['127.0.0.1', 0, ''],
    ['::1', 0, ''],
    ['fe80::1', 0, ''],
  ])('%s → AS%d %s', (address, asn, org) => {
    const facts = enricher.lookup(address);
    expect(facts?.asn).toBe(asn);
    expect(facts?.asOrg).toBe(org);
  });

  it.each([
    ['8.8.8.8', 'US'],
    ['80.128.0.1', 'DE'],
    ['2003::1', 'DE'],
    ['2001:4860:4860::8888', 'US'],
    ['10.0.0.1', ''],
    ['::1', ''],
  ])('%s is in %s', (address, country) => {
    expect(enricher.lookup(address)?.country).toBe(country);
  });

  it('answers the numeric methods like lookup()', () => {
    expect(enricher.asnV4(parseIPv4('8.8.8.8'))).toBe(15169);
    expect(enricher.countryV4(parseIPv4('80.128.0.1'))).toBe('DE');
    expect(enricher.asnV6(parseIPv6('2001:4860:4860::8888')!)).toBe(15169);
    expect(enricher.countryV6(parseIPv6('2003::1')!)).toBe('DE');
    expect(enricher.asOrg(3320)).toBe('Deutsche Telekom AG');
    expect(enricher.asOrg(4294967295)).toBe('');
  });

  it('returns null for text that is not an address', () => {
    expect(enricher.lookup('example.com')).toBeNull();
    expect(enricher.lookup('1.2.3')).toBeNull();
    expect(enricher.lookup('2001:db8::g')).toBeNull();
  });

  it('says which data it used, dated from the package version', () => {
    expect(enricher.sources).toEqual([
      { kind: 'asn', name: '@ip-location-db/asn 2.3.2026061719', date: '2026-06-17' },
      { kind: 'country', name: '@ip-location-db/asn-country 2.3.2026061719', date: '2026-06-17' },
    ]);
  });

  it('parses nearly every row of the real files', () => {
    const { value } = loadBundledAsn(cacheDir);
    expect(value.v4.length).toBeGreaterThan(300_000);
    expect(value.v6.length).toBeGreaterThan(50_000);
    expect(value.skipped).toBeLessThan(value.v4.length / 1000);
  });
});

describe('binary cache of the bundled data', () => {
  const asnCache = () => join(cacheDir, 'asn-2.3.2026061719.bin');

  it('serves the second load, with the same answers', () => {
    const second = loadBundledAsn(cacheDir);
    expect(second.from).toBe('cache');
    expect(second.value.orgs.name(15169)).toBe('Google LLC');
  });

  it('falls back to the CSV when the cache is corrupt, and rewrites it', () => {
    const bytes = readFileSync(asnCache());
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(asnCache(), bytes);
    const again = loadBundledAsn(cacheDir);
    expect(again.from).toBe('csv');
    expect(again.value.v4.length).toBeGreaterThan(300_000);
    expect(loadBundledAsn(cacheDir).from).toBe('cache');
  });

  it('falls back to the CSV when the cache is cut short', () => {
    writeFileSync(asnCache(), readFileSync(asnCache()).subarray(0, 1000));
    expect(loadBundledAsn(cacheDir).from).toBe('csv');
  });
});

describe('dateFromVersion', () => {
  it.each([
    ['2.3.2026061719', '2026-06-17'],
    ['2.3.2024112018', '2024-11-20'],
    ['1.0.0', null],
    ['2.3.2026131719', null],
  ])('%s → %s', (version, date) => {
    expect(dateFromVersion(version)).toBe(date);
  });
});

describe('nullEnricher', () => {
  it('knows nothing and names no data', () => {
    expect(nullEnricher.lookup('8.8.8.8')).toEqual({ asn: 0, asOrg: '', country: '' });
    expect(nullEnricher.asnV6(parseIPv6('2001:4860:4860::8888')!)).toBe(0);
    expect(nullEnricher.countryV4(parseIPv4('8.8.8.8'))).toBe('');
    expect(nullEnricher.sources).toEqual([]);
  });
});

describe('README', () => {
  it('keeps the sections every module README has', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections.slice(0, 5)).toEqual(['Name', 'Description', 'Syntax', 'Examples', 'Metrics']);
  });
});
